"""The widget for one question inside the conversation; returns the raw answer once the applicant confirms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from flows import clock
from flows.errors import FieldError
from flows.filing.answers import check_row
from flows.filing.schema import ColType, QType, Question
from flows.ports import FiledCase
from flows.regions import get_regions
from ui import keys
from ui.text import md_escape

NOTHING = object()  # no answer given in this run
PER_ROW = 4  # choice buttons per row


def _key(case_id: int, question: Question, part: str = "") -> str:
    nonce = st.session_state.get(keys.ASK_NONCE, 0)
    return f"q-{case_id}-{question.id}-{part}-{nonce}"


def ask(question: Question, current: Any, case_id: int, *, filed: list[FiledCase] | None = None,
        on_change: Callable[[], None] | None = None) -> Any:
    """Draw the widget; return the raw answer when confirmed, else NOTHING. `on_change`: called when a choice
    that reruns at once changes (the caller clears the message about the earlier choice)."""
    q = question
    key = _key(case_id, q)
    if q.type == QType.CHOICE and len(q.options) <= 8:
        # One row of columns per PER_ROW options: when a narrow screen stacks the columns, the options
        # stay in their order (columns filled round-robin would stack as 1, 5, 2, 6 ...).
        width = min(len(q.options), PER_ROW)
        for start in range(0, len(q.options), width):
            cols = st.columns(width)
            for col, (index, option) in zip(cols, enumerate(q.options[start:start + width], start=start),
                                            strict=False):
                if col.button(option, key=f"{key}-{index}", width="stretch",
                              type="primary" if option == current else "secondary"):
                    return option
        return NOTHING
    if q.type == QType.YES_NO:
        yes, no = st.columns(2)
        if yes.button("是", key=f"{key}-y", width="stretch"):
            return True
        if no.button("否", key=f"{key}-n", width="stretch"):
            return False
        return NOTHING
    if q.type == QType.REGION:
        return _region(q, current, key, on_change)
    if q.type == QType.ROSTER:
        return _roster(q, current, key, on_change)
    if q.type == QType.FILING_REF:
        return _filing_ref(q, current, key, filed or [])
    with st.form(key, border=False):
        value: Any
        if q.type == QType.CHOICE:
            value = st.selectbox(q.label, q.options, index=q.options.index(current) if current in q.options else None,
                                 placeholder="请选择", label_visibility="collapsed")
        elif q.type == QType.MULTI_CHOICE:
            value = st.multiselect(q.label, q.options, default=[v for v in (current or []) if v in q.options],
                                   placeholder="可选择多项", label_visibility="collapsed")
        elif q.type == QType.DATE:
            default = date.fromisoformat(current) if isinstance(current, str) and current else None
            value = st.date_input(q.label, value=default, min_value=date(1950, 1, 1), max_value=date(2100, 12, 31),
                                  format="YYYY-MM-DD", label_visibility="collapsed")
        # No max_chars: the browser would drop a paste longer than it whole. What was typed or pasted
        # stays in the box; an over-long answer is refused with its count and can be shortened there.
        elif q.type == QType.LONG_TEXT:
            value = st.text_area(q.label, value=current or "", placeholder=q.example, label_visibility="collapsed")
        else:
            value = st.text_input(q.label, value=current or "", placeholder=q.example or q.hint,
                                  label_visibility="collapsed")
        if q.type in (QType.TEXT, QType.LONG_TEXT):
            st.caption(f"最多{q.max_length}个字。")
        if st.form_submit_button("确定", type="primary"):
            return value.isoformat() if isinstance(value, date) else value
    return NOTHING


def _region(q: Question, current: Any, key: str, on_change: Callable[[], None] | None) -> Any:
    regions = get_regions()
    current = current if isinstance(current, dict) else {}
    prefectures = [r.code for r in regions.prefectures()]
    chosen = st.selectbox("州、市、地", prefectures, format_func=lambda c: regions.get(c).name,
                          index=prefectures.index(current["prefecture"]) if current.get("prefecture") in prefectures
                          else None, placeholder="请选择州、市、地", key=f"{key}-p", on_change=on_change)
    county = None
    if q.county and chosen:
        counties = [r.code for r in regions.counties(chosen)]
        county = st.selectbox("县（市、区）", counties, format_func=lambda c: regions.get(c).name,
                              index=counties.index(current["county"]) if current.get("county") in counties else None,
                              placeholder="请选择县（市、区）", key=f"{key}-c", on_change=on_change)
    if st.button("确定", key=f"{key}-ok", type="primary"):
        return {"prefecture": chosen, "county": county}
    return NOTHING


def _roster_frame(q: Question, rows: list[dict[str, Any]]) -> pd.DataFrame:
    data = []
    for row in rows or [{}]:
        record: dict[str, Any] = {}
        for c in q.columns:
            value = row.get(c.id)
            if c.type == ColType.YES_NO:
                record[c.id] = bool(value)
            elif c.type == ColType.DATE:
                record[c.id] = date.fromisoformat(value) if isinstance(value, str) and value else None
            else:
                record[c.id] = "" if value is None else str(value)
        data.append(record)
    return pd.DataFrame(data, columns=[c.id for c in q.columns])


def _roster(q: Question, current: Any, key: str, on_change: Callable[[], None] | None = None) -> Any:
    """A grid on a wide screen, one card at a time on a narrow one (app.css shows the one that fits);
    either way 确定 gives the whole roster to the same check."""
    imported = st.session_state.get(f"{key}-imported")
    rows = imported if imported is not None else (current if isinstance(current, list) else [])
    with st.container(key="roster-grid"):
        from_grid = _roster_grid(q, rows, key, on_change)
    with st.container(key="roster-cards"):
        from_cards = _roster_cards(q, rows, key)
    if from_grid is NOTHING and from_cards is not NOTHING:
        st.session_state.pop(f"{key}-as-imported", None)  # the cards' rows are numbered as the cards show them
    return from_grid if from_grid is not NOTHING else from_cards


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The grid's rows as answers: dates as "2026-01-31", empty cells as ""."""
    return [{k: (v.isoformat() if isinstance(v, date) else ("" if v is None or v != v else v)) for k, v in r.items()}
            for r in frame.to_dict("records")]


def roster_message(question: Question, case_id: int, message: str) -> str:
    """A roster's refusal in the applicant's terms: rows confirmed just as they were read from the uploaded
    workbook are named by their row in Excel ("Excel表第3行"), rows typed or changed in the table by their place
    in it ("第2行")."""
    if question.type != QType.ROSTER:
        return message
    imported = st.session_state.get(f"{_key(case_id, question)}-as-imported")  # a roster_excel.ImportedRoster
    return str(imported.in_excel_terms(message)) if imported is not None else message


def _roster_grid(q: Question, rows: list[dict[str, Any]], key: str,
                 on_change: Callable[[], None] | None = None) -> Any:
    from flows.filing.roster_excel import MAX_FILE_BYTES, ImportedRoster, template

    config: dict[str, Any] = {}
    for c in q.columns:
        if c.type == ColType.YES_NO:
            config[c.id] = st.column_config.CheckboxColumn(c.label, help=c.hint or None)
        elif c.type == ColType.DATE:
            config[c.id] = st.column_config.DateColumn(c.label, format="YYYY-MM-DD", help=c.hint or None)
        else:  # no max_chars: a cell would cut a pasted text short; the check names the row instead
            config[c.id] = st.column_config.TextColumn(c.label, help=c.hint or None, default="")
    edited = st.data_editor(_roster_frame(q, rows), num_rows="dynamic", column_config=config, hide_index=True,
                            width="stretch", key=f"{key}-table")
    left, right = st.columns(2)
    # Made when clicked, not on every rerun of the roster step.
    left.download_button("下载Excel模板", functools.partial(template, q), file_name=f"{q.label}模板.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key=f"{key}-tpl", icon=":material/download:", on_click="ignore")
    # Read when the file arrives, before the run that follows draws the table above: the rows show in that run.
    right.file_uploader("或上传填好的Excel", type=["xlsx"], key=f"{key}-xlsx",
                        max_upload_size=MAX_FILE_BYTES // (1024 * 1024), on_change=_import_workbook, args=(q, key, on_change))
    if message := st.session_state.get(f"{key}-xlsx-error"):
        st.error(md_escape(message), icon=":material/error:")
    st.caption("提示中的“第N行”是上表自上而下的第N人；从Excel导入后未改动时，提示Excel表中的行号。")
    if st.button("确定", key=f"{key}-ok", type="primary"):
        out = _records(edited)
        workbook = st.session_state.get(f"{key}-workbook")
        if isinstance(workbook, ImportedRoster) and out == _records(_roster_frame(q, workbook.rows)):
            st.session_state[f"{key}-as-imported"] = workbook
        else:
            st.session_state.pop(f"{key}-as-imported", None)
        return out
    return NOTHING


def _import_workbook(q: Question, key: str, on_change: Callable[[], None] | None = None) -> None:
    """The uploader's callback: the workbook's rows replace the table's (or its refusal is kept to be shown);
    `on_change` (the question's: its last refusal is cleared) once the rows are in."""
    from flows.filing.roster_excel import import_roster

    upload = st.session_state.get(f"{key}-xlsx")
    if upload is None:
        return  # the file taken away: the rows stay as they are
    try:
        imported = import_roster(q, upload.getvalue())
    except FieldError as error:
        st.session_state[f"{key}-xlsx-error"] = error.message
        return
    st.session_state[f"{key}-imported"] = imported.rows
    st.session_state[f"{key}-workbook"] = imported
    st.session_state.pop(f"{key}-xlsx-error", None)
    st.session_state.pop(f"{key}-cards", None)
    if on_change is not None:  # the refusal of the rows confirmed before no longer speaks of what is shown
        on_change()


def _card_line(q: Question, number: int, row: dict[str, Any]) -> str:
    parts = []
    for c in q.columns:
        value = row.get(c.id)
        if c.type == ColType.YES_NO:
            parts.append(f"{c.label}：{'是' if value else '否'}")
        elif value:
            parts.append(f"{c.label}：{value}")
    return f"{number}. " + "；".join(parts)


def _roster_cards(q: Question, rows: list[dict[str, Any]], key: str) -> Any:
    """The roster entered one row at a time: the rows so far, a card for the next (or the one being changed)."""
    cards: list[dict[str, Any]] = st.session_state.setdefault(f"{key}-cards", [dict(r) for r in rows])
    editing: int | None = st.session_state.get(f"{key}-card-edit")
    for number, row in enumerate(cards, start=1):
        with st.container(border=True):
            st.text(_card_line(q, number, row))
            change, remove = st.columns(2)
            if change.button("修改", key=f"{key}-card-change-{number}", width="stretch"):
                st.session_state[f"{key}-card-edit"] = number - 1
                st.session_state[f"{key}-card-nonce"] = st.session_state.get(f"{key}-card-nonce", 0) + 1
                st.rerun()
            if remove.button("删除", key=f"{key}-card-remove-{number}", width="stretch"):
                cards.pop(number - 1)
                st.session_state.pop(f"{key}-card-edit", None)
                st.rerun()
    if editing is not None and editing >= len(cards):
        editing = None
    shown = cards[editing] if editing is not None else {}
    nonce = st.session_state.get(f"{key}-card-nonce", 0)
    title = f"修改第{editing + 1}行" if editing is not None else f"填写第{len(cards) + 1}行"
    with st.form(f"{key}-card-{nonce}", border=True, enter_to_submit=False):
        st.markdown(f"**{title}**")
        entered: dict[str, Any] = {}
        for c in q.columns:
            label = c.label + ("" if c.required or c.type == ColType.YES_NO else "（可不填）")
            value = shown.get(c.id)
            if c.type == ColType.YES_NO:
                entered[c.id] = st.checkbox(c.label, value=bool(value), help=c.hint or None)
            elif c.type == ColType.DATE:
                day = date.fromisoformat(value) if isinstance(value, str) and value else None
                entered[c.id] = st.date_input(label, value=day, min_value=date(1950, 1, 1),
                                              max_value=date(2100, 12, 31), format="YYYY-MM-DD",
                                              help=c.hint or None)
            else:
                entered[c.id] = st.text_input(label, value="" if value is None else str(value), help=c.hint or None)
        saved = st.form_submit_button("添加这一行" if editing is None else "保存这一行", width="stretch")
    error_key = f"{key}-card-error"
    if saved:
        row = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in entered.items()}
        try:
            clean = check_row(q, row, today=today())
        except FieldError as error:
            st.session_state[error_key] = error.message
        else:
            st.session_state.pop(error_key, None)
            if editing is not None:
                cards[editing] = clean
            else:
                cards.append(clean)
            st.session_state.pop(f"{key}-card-edit", None)
            st.session_state[f"{key}-card-nonce"] = nonce + 1
            st.rerun()
    if error_key in st.session_state:
        st.error(md_escape(st.session_state[error_key]), icon=":material/error:")
    if st.button(f"确定（共{len(cards)}行）", key=f"{key}-cards-ok", type="primary", width="stretch"):
        return list(cards)
    return NOTHING


def _filing_ref(q: Question, current: Any, key: str, filed: list[FiledCase]) -> Any:
    if not filed:
        st.warning("本单位没有可撤销的备案：只有已经备案、尚未撤销的自行招用保安员单位备案才能撤销。")
        return NOTHING
    regions = get_regions()
    labels = {f.case_id: f"{f.number}（{regions.full_name(f.county_code or f.prefecture_code)}，"
                         f"{f.approved_on or ''}备案）" for f in filed}
    ids = list(labels)
    chosen_now = current.get("case_id") if isinstance(current, dict) else None
    chosen = st.radio(q.label, ids, format_func=lambda i: labels[i], key=f"{key}-r",
                      index=ids.index(chosen_now) if chosen_now in ids else None, label_visibility="collapsed")
    if st.button("确定", key=f"{key}-ok", type="primary") and chosen is not None:
        return {"case_id": chosen}
    return NOTHING


def today() -> date:
    return clock.today()
