"""The widget for one question inside the conversation; returns the raw answer once the applicant confirms."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from flows import clock
from flows.ports import FiledCase
from flows.regions import get_regions
from flows.schema import ColType, QType, Question

NOTHING = object()  # no answer given in this run


def _key(case_id: int, question: Question, part: str = "") -> str:
    nonce = st.session_state.get("ask_nonce", 0)
    return f"q-{case_id}-{question.id}-{part}-{nonce}"


def ask(question: Question, current: Any, case_id: int, *, filed: list[FiledCase] | None = None) -> Any:
    """Draw the widget; return the raw answer when confirmed, else NOTHING."""
    q = question
    key = _key(case_id, q)
    if q.type == QType.CHOICE and len(q.options) <= 8:
        cols = st.columns(min(len(q.options), 4))
        for index, option in enumerate(q.options):
            if cols[index % len(cols)].button(option, key=f"{key}-{index}", width="stretch",
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
        return _region(q, current, key)
    if q.type == QType.ROSTER:
        return _roster(q, current, key)
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
        elif q.type == QType.LONG_TEXT:
            value = st.text_area(q.label, value=current or "", max_chars=q.max_length, placeholder=q.example,
                                 label_visibility="collapsed")
        else:
            value = st.text_input(q.label, value=current or "", max_chars=q.max_length + 20,
                                  placeholder=q.example or q.hint, label_visibility="collapsed")
        if st.form_submit_button("确定", type="primary"):
            return value.isoformat() if isinstance(value, date) else value
    return NOTHING


def _region(q: Question, current: Any, key: str) -> Any:
    regions = get_regions()
    current = current if isinstance(current, dict) else {}
    prefectures = [r.code for r in regions.prefectures()]
    chosen = st.selectbox("州、市、地", prefectures, format_func=lambda c: regions.get(c).name,
                          index=prefectures.index(current["prefecture"]) if current.get("prefecture") in prefectures
                          else None, placeholder="请选择州、市、地", key=f"{key}-p")
    county = None
    if q.county and chosen:
        counties = [r.code for r in regions.counties(chosen)]
        county = st.selectbox("县（市、区）", counties, format_func=lambda c: regions.get(c).name,
                              index=counties.index(current["county"]) if current.get("county") in counties else None,
                              placeholder="请选择县（市、区）", key=f"{key}-c")
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


def _roster(q: Question, current: Any, key: str) -> Any:
    from flows.roster_excel import parse, template

    imported = st.session_state.get(f"{key}-imported")
    rows = imported if imported is not None else (current if isinstance(current, list) else [])
    config: dict[str, Any] = {}
    for c in q.columns:
        if c.type == ColType.YES_NO:
            config[c.id] = st.column_config.CheckboxColumn(c.label, help=c.hint or None)
        elif c.type == ColType.DATE:
            config[c.id] = st.column_config.DateColumn(c.label, format="YYYY-MM-DD", help=c.hint or None)
        else:
            config[c.id] = st.column_config.TextColumn(c.label, help=c.hint or None, max_chars=c.max_length + 20)
    edited = st.data_editor(_roster_frame(q, rows), num_rows="dynamic", column_config=config, hide_index=True,
                            width="stretch", key=f"{key}-table")
    left, right = st.columns(2)
    # Made when clicked, not on every rerun of the roster step.
    left.download_button("下载Excel模板", functools.partial(template, q), file_name=f"{q.label}模板.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key=f"{key}-tpl", icon=":material/download:")
    upload = right.file_uploader("或上传填好的Excel", type=["xlsx"], key=f"{key}-xlsx")
    if upload is not None and st.session_state.get(f"{key}-xlsx-done") != upload.file_id:
        st.session_state[f"{key}-xlsx-done"] = upload.file_id
        st.session_state[f"{key}-imported"] = parse(q, upload.getvalue())
        st.rerun()
    if st.button("确定", key=f"{key}-ok", type="primary"):
        records = edited.to_dict("records")
        out = []
        for record in records:
            out.append({k: (v.isoformat() if isinstance(v, date) else ("" if v is None or v != v else v))
                        for k, v in record.items()})
        return out
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
