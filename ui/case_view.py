"""Drawing one case: header, answers, materials, history, documents.

Shared by the officers' case page and the applicant's "My cases": each helper takes what to
show (masked or full personal data, internal comments or not) as a parameter. Applicant text
is always escaped or shown in tables, never rendered as Markdown.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from flows.clock import chinese_date, show
from flows.errors import DomainError
from flows.filing.corrections import Correction
from flows.filing.guide import relevant_questions
from flows.filing.identifiers import check_resident_id, mask_id, mask_mobile
from flows.filing.schema import ColType, Filing, QType, Question
from flows.kinds import act_name, stage_name
from flows.ports import CaseView, DocumentView, EventView, MaterialView
from flows.regions import get_regions
from flows.review.disclosure import Look
from flows.review.holders import holder_text
from flows.review.screening import CATEGORY_LABELS, OUTCOME_LABELS, ScreeningResult
from flows.review.timelimits import TimeLeft
from flows.review.transitions import (
    FINAL_STAGES,
    ROLE_LABELS,
    STAGE_LABELS,
    Role,
    Stage,
    comment_for_applicant,
)
from flows.vocabulary import DocumentStatus
from store import blobs
from ui.preview import Recorder, download_link, draw_material, recorded
from ui.text import md_escape, plain_cells
from web.files import dossier_path

EMPTY = "（未填写）"


# ------------------------------------------------------------------ header
def untimed(stage: Stage) -> str:
    """What the time limit line says when no limit runs, by the case's stage."""
    if stage in FINAL_STAGES:
        return "已撤回，不再计时" if stage == Stage.WITHDRAWN else "已办结，不再计时"
    if stage == Stage.RETURNED:
        return "退回补正中，不计时（重新提交后办结期限重新计算）"
    if stage == Stage.DRAFT:
        return "提交后开始计时"
    return "不计时"


def time_left_badge(left: TimeLeft | None, stage: Stage) -> None:
    """The due date with the working days left: red when overdue, amber on the last day."""
    if left is None:
        st.markdown(f"**办结期限**：{untimed(stage)}")
        return
    st.markdown(f"**办结期限**：{left.due_text()}")
    st.badge(left.label(), color="red" if left.overdue else "orange" if left.last_day else "blue")
    if left.due.estimated:
        st.caption("该年度法定节假日安排尚未录入，期限按推定日历计算。")


def draw_header(case: CaseView, filing: Filing, left: TimeLeft | None, *,
                first_submitted: datetime | None = None, warnings: Sequence[str] | None = None) -> None:
    """Number, kind, unit, stage, holder, due date and the filing's warnings (amber).

    `first_submitted`: the first submission, shown beside the latest when the case was resubmitted;
    `warnings`: the findings worded for officers (default: those stored with the case)."""
    st.title(f"办件 {case.number or '（未提交）'}")
    st.caption(filing.title)
    unit, stage, due = st.columns([2, 2, 1.4])
    with unit:
        st.markdown(f"**申请单位**：{md_escape(case.unit_name)}")
        st.markdown(f"**统一社会信用代码**：{md_escape(case.credit_code)}")
        if first_submitted is not None and first_submitted != case.submitted_at:
            st.markdown(f"**首次提交**：{show(first_submitted)}  \n**最近提交**：{show(case.submitted_at)}（补正后重新提交）")
        else:
            st.markdown(f"**提交时间**：{show(case.submitted_at) or '—'}")
    with stage:
        st.markdown(f"**当前状态**：{stage_name(case.stage, case.kind)}")
        st.markdown(f"**当前办理**：{md_escape(holder_text(case, to_applicant=False))}")
        if case.cancelled:
            st.markdown("**备案状态**：已撤销")
    with due:
        time_left_badge(left, case.stage)
    for warning in case.warnings if warnings is None else warnings:
        st.warning(md_escape(warning), icon=":material/schedule:")


def draw_corrections(found: Sequence[Correction], *, resubmitted_at: datetime | None) -> None:
    """What the resubmission changed: each returned item, the reason, the old and the new value or file."""
    if not found:
        return
    with st.container(border=True, key="corrections"):
        when = f"　:gray[:small[重新提交于{show(resubmitted_at)}]]" if resubmitted_at else ""
        st.markdown(f"**本次重新提交的补正内容**{when}")
        for item in found:
            badge = ":green-badge[已修改]" if item.changed else ":orange-badge[未修改]"
            what = "文件" if item.is_file else "内容"
            st.markdown(f"**{md_escape(item.label)}**　{badge}  \n"
                        f":gray[退回原因：{md_escape(item.reason)}]  \n"
                        f"原{what}：{md_escape(item.before)}  \n现{what}：{md_escape(item.after)}")


# ------------------------------------------------------------------ answers
def _region(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    code = value.get("county") or value.get("prefecture")
    try:
        return get_regions().full_name(str(code)) if code else EMPTY
    except KeyError:
        return str(code)


def _person_id(number: str, mask: bool) -> str:
    if mask:
        return mask_id(number)
    try:
        person = check_resident_id(number)
    except DomainError:
        return number
    return f"{number}（{person.sex}，{person.birth_date:%Y-%m-%d}出生）"


def answer_text(question: Question, value: Any, *, mask: bool) -> str:
    """One answer as plain text (not for rosters); personal identifiers masked when asked."""
    if value is None or value == "" or value == []:
        return EMPTY
    kind = question.type
    if kind == QType.REGION:
        return _region(value)
    if kind == QType.YES_NO:
        return "是" if value else "否"
    if kind == QType.MULTI_CHOICE and isinstance(value, list):
        return "、".join(str(v) for v in value)
    if kind == QType.FILING_REF and isinstance(value, dict):
        return str(value.get("number") or value.get("case_id") or EMPTY)
    if kind == QType.ID_NUMBER:
        return _person_id(str(value), mask)
    if kind == QType.MOBILE and mask:
        return mask_mobile(str(value))
    if kind == QType.DATE:
        try:
            return chinese_date(date.fromisoformat(str(value)))  # 2026年11月20日, as the assistant showed it
        except ValueError:
            return str(value)
    return str(value)


def roster_frame(question: Question, rows: Any, *, mask: bool) -> pd.DataFrame:
    """A roster as a table with the definition's column labels."""
    records = []
    for row in rows if isinstance(rows, list) else []:
        record = {}
        for column in question.columns:
            cell = row.get(column.id) if isinstance(row, dict) else None
            if column.type == ColType.YES_NO:
                text = "是" if cell else "否"
            elif cell in (None, ""):
                text = ""
            elif mask and column.type == ColType.ID_NUMBER:
                text = mask_id(str(cell))
            elif mask and column.type == ColType.MOBILE:
                text = mask_mobile(str(cell))
            else:
                text = str(cell)
            record[column.label] = text
        records.append(record)
    return pd.DataFrame(records, columns=[c.label for c in question.columns])


def draw_answers(filing: Filing, answers: Mapping[str, Any], *, mask_personal: bool,
                 sections: Sequence[str] | None = None, highlight: Collection[str] = (),
                 key: str = "answers") -> None:
    """Every relevant answer grouped by section; rosters as tables. `highlight`: items to mark as to be corrected."""
    questions = relevant_questions(filing, answers)
    for section in sections or filing.sections:
        in_section = [q for q in questions if q.section == section]
        if not in_section:
            continue
        st.markdown(f"#### {section}")
        lines: list[str] = []
        for question in in_section:
            mark = " :orange-badge[待补正]" if question.id in highlight else ""
            if question.type == QType.ROSTER:
                if lines:
                    st.markdown("\n".join(lines))
                    lines = []
                rows = answers.get(question.id)
                count = len(rows) if isinstance(rows, list) else 0
                st.markdown(f"**{question.label}**（共{count}{question.row_unit}）{mark}")
                # A plain table: no toolbar, so no export of the roster around the product's buttons.
                st.table(plain_cells(roster_frame(question, rows, mask=mask_personal)), hide_index=True)
                continue
            value = answer_text(question, answers.get(question.id), mask=mask_personal)
            lines.append(f"- **{question.label}**：{md_escape(value)}{mark}")
        if lines:
            st.markdown("\n".join(lines))


# ------------------------------------------------------------------ materials
def draw_materials(filing: Filing, case_id: int, materials: Sequence[MaterialView], *, preview: bool = True,
                   highlight: Collection[str] = (), key: str = "material", record: Recorder | None = None) -> None:
    """Every current material in the definition's order, previewed in the page, each downloadable."""
    order = {m.id: i for i, m in enumerate(filing.materials)}
    labels = {m.id: m.label for m in filing.materials}
    if not materials:
        st.caption("未上传材料。")
    for material in sorted(materials, key=lambda m: (order.get(m.material_id, len(order)), m.id)):
        label = labels.get(material.material_id, material.material_id)
        if material.material_id in highlight:
            label += " :orange-badge[待补正]"
        draw_material(material, label, case_id=case_id, key=f"{key}-{material.id}", preview=preview, record=record)


def draw_dossier_download(case: CaseView, materials: Sequence[MaterialView]) -> None:
    """One link: all current materials merged into one PDF by the authenticated route (web/files.py), which
    records an officer's download."""
    if materials:
        download_link(dossier_path(case.id), "下载全部材料（合并为一个PDF）", key="dossier-download")


# ------------------------------------------------------------------ history and documents
def _event_line(event: EventView, kind: str, *, actor_names: bool, internal: bool = True) -> str:
    try:
        who = ROLE_LABELS[Role(event.actor_role)]
    except ValueError:
        who = event.actor_role
    if actor_names and event.actor_name:
        who = f"{who} {event.actor_name}".strip()
    move = f"{STAGE_LABELS[event.from_stage]} → {stage_name(event.to_stage, kind)}"
    label = act_name(event.act, kind, to_applicant=not internal)
    return f"**{show(event.at)}**　{md_escape(who)}　**{label}**　:gray[:small[{move}]]"


def draw_history(events: Sequence[EventView], kind: str, *, internal: bool, actor_names: bool = True,
                 newest_first: bool = False) -> None:
    """Every act on the case: who, when, from which stage to which, the comment and itemised returns.

    `internal`: the officers' view: every comment (a report's opinion included) and the internal ones.
    Without it only what is addressed to the applicant shows (flows/review/transitions.comment_for_applicant).
    """
    if not events:
        st.caption("暂无办理记录。")
        return
    for event in reversed(events) if newest_first else events:
        with st.container(border=True):
            st.markdown(_event_line(event, kind, actor_names=actor_names, internal=internal))
            if event.items:
                st.markdown("需要补正的事项：\n" + "\n".join(
                    f"{n}. **{md_escape(item.label)}**：{md_escape(item.reason)}"
                    for n, item in enumerate(event.items, start=1)))
            comment = event.comment if internal else comment_for_applicant(event.act, event.comment)
            if comment:
                st.markdown(f"说明：{md_escape(comment)}")
            if internal and event.internal_comment:
                st.caption(f"内部意见（仅公安机关可见）：{md_escape(event.internal_comment)}")


def draw_documents(documents: Sequence[DocumentView], *, key: str = "document",
                   record: Recorder | None = None) -> None:
    """The notices and certificates issued on the case, each downloadable."""
    if not documents:
        st.caption("尚未出具文书。")
        return
    for document in documents:
        text, button = st.columns([4, 1], vertical_alignment="center")
        status = "（已作废）" if document.status != DocumentStatus.VALID else ""
        text.markdown(f"**{md_escape(document.title)}**{status}　{md_escape(document.number)}　"
                      f":gray[:small[{show(document.issued_at)}]]")
        data = functools.partial(recorded, functools.partial(blobs.get, document.sha256), record,
                                 Look.DOWNLOAD_DOCUMENT, {"document": document.id})
        button.download_button("下载", data=data,
                               file_name=f"{document.title}-{document.number}.pdf", mime="application/pdf",
                               key=f"{key}-{document.id}", on_click="ignore", icon=":material/download:")


# ------------------------------------------------------------------ automatic comparison (kind A)
def screening_frame(result: ScreeningResult) -> pd.DataFrame:
    return pd.DataFrame([{"比对类别": CATEGORY_LABELS.get(r.category, r.category),
                          "结果": OUTCOME_LABELS[r.outcome], "数据源": r.source or "—",
                          "记录编号": r.reference, "说明": r.detail} for r in result.results])


def draw_screening(results: Sequence[ScreeningResult], *, key: str = "screening") -> None:
    """The latest comparison of the proposed person, flagged: hits in red, not done in amber (never as clear).

    Officers only: the applicant learns only that a comparison was done.
    """
    latest = results[0] if results else None
    if latest is None:
        st.warning("自动比对：尚未比对（视为未完成，不是未比中）。", icon=":material/policy:")
        return
    when = show(latest.at)
    if latest.hits:
        found = "；".join(f"{CATEGORY_LABELS.get(r.category, r.category)}（数据源：{r.source}"
                         + (f"，记录编号：{r.reference}" if r.reference else "") + "）" for r in latest.hits)
        st.error(md_escape(f"自动比对比中：{found}。比对时间：{when}。"), icon=":material/gpp_bad:")
    if latest.not_done:
        missing = "、".join(CATEGORY_LABELS.get(r.category, r.category) for r in latest.not_done)
        st.warning(md_escape(f"自动比对未完成：{missing}。比对时间：{when}。数据源恢复后请重新比对。"),
                   icon=":material/policy:")
    if not latest.hits and not latest.not_done:
        st.success(f"自动比对：五类均未比中。比对时间：{when}。", icon=":material/verified_user:")
    with st.expander(f"比对明细（共比对{len(results)}次）"):
        st.dataframe(screening_frame(latest), hide_index=True, width="stretch", key=f"{key}-latest")
        for number, earlier in enumerate(results[1:], start=1):
            st.caption(f"此前比对：{show(earlier.at)}")
            st.dataframe(screening_frame(earlier), hide_index=True, width="stretch", key=f"{key}-{number}")
