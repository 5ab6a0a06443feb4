"""The pre-check (智能预审) in the pages: the applicant's notes in the conversation, the officer's checklist,
and the findings offered as itemised reasons of a return.

Results arrive while the applicant goes on answering: the notes are a fragment that polls every
POLL_SECONDS while a file is being read. When the last one is done the fragment does NOT rerun the page
to stop its timer: a page rerun forced at that moment swallowed a click the user made meanwhile (the
submit button, in S10). Its remaining polls, until the user's next action reruns the page without a
timer, draw the finished checks kept in the session, without a database query. Nothing here waits for
the reading; nothing here blocks a filing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from flows.errors import DomainError
from flows.filing.schema import Filing
from flows.review.transitions import Actor
from flows.uploads.precheck.findings import NOT_CHECKED, NOT_RUN, MaterialCheck, check_material
from flows.uploads.precheck.usecases import confirm_file
from store.precheck import SqlPrecheckStore, digest, file_checks
from store.precheck_worker import ensure_worker
from store.uow import SqlUnitOfWork
from ui import keys
from ui.session import engine
from ui.text import md_escape

POLL_SECONDS = 2.0
_FINISHED = "precheck_finished"  # session key: case id -> its checks once nothing is being read


def material_checks(filing: Filing, case_id: int, answers: Mapping[str, Any]) -> list[MaterialCheck]:
    """The findings for each pre-checked current file of the case, in the definition's order."""
    checks = file_checks(engine(), case_id)
    found = []
    for material in filing.materials:
        current = checks.get(material.id)
        if current is None:
            continue
        found.append(check_material(filing, material, current.state, current.reading, answers, digest,
                                    confirmed=current.confirmed))
    if any(c.pending for c in found):
        ensure_worker(engine())
    return found


# ------------------------------------------------------------------ applicant
def summary_marks(filing: Filing, case_id: int, answers: Mapping[str, Any]) -> dict[str, str]:
    """A word for each material row of the summary before submitting, by what the pre-check says of its file
    (nothing for a file it found in order or the applicant confirmed)."""
    marks = {}
    for check in material_checks(filing, case_id, answers):
        if check.pending:
            marks[check.material_id] = "（正在自动核对）"
        elif check.state == "failed":
            marks[check.material_id] = "（未能自动核对，审核人员会人工核对）"
        elif check.problems and not check.confirmed:
            marks[check.material_id] = "（自动核对有提示，请看上方说明：修改、重新上传或确认文件无误）"
    return marks


def applicant_notes(filing: Filing, case_id: int, answers: Mapping[str, Any], actor: Actor, *,
                    can_change: Callable[[str], bool]) -> None:
    """What the machine found in the applicant's files, kindly: the value read, where, what to do.

    `can_change(item_id)`: whether the applicant may change that answer or file now (a returned case:
    only the items of the correction notice)."""
    checks = material_checks(filing, case_id, answers)
    if not checks:
        return
    st.fragment(_notes, run_every=_poll_while_waiting(case_id, checks))(filing, case_id, answers, actor, can_change)


def _poll_while_waiting(case_id: int, checks: list[MaterialCheck]) -> float | None:
    """Poll while a file is being read (called by the page's own run, which also forgets the kept checks)."""
    st.session_state.setdefault(_FINISHED, {}).pop(case_id, None)
    return POLL_SECONDS if any(c.pending for c in checks) else None


def _fragment_checks(filing: Filing, case_id: int, answers: Mapping[str, Any]) -> list[MaterialCheck]:
    """The checks for a fragment run: read again while a file is being read, then kept in the session."""
    finished: dict[int, list[MaterialCheck]] = st.session_state.setdefault(_FINISHED, {})
    if case_id in finished:
        return finished[case_id]
    checks = material_checks(filing, case_id, answers)
    if not any(c.pending for c in checks):
        finished[case_id] = checks
    return checks


def _notes(filing: Filing, case_id: int, answers: Mapping[str, Any], actor: Actor,
           can_change: Callable[[str], bool]) -> None:
    for check in _fragment_checks(filing, case_id, answers):
        if check.pending:
            st.caption(f"正在自动核对“{check.label}”……您可以继续填写，核对结果会显示在这里。")
        elif check.state == "failed":
            st.caption(f"“{check.label}”{NOT_CHECKED}，不影响提交，审核人员会人工核对。")
        elif check.state == "not_run":
            continue
        elif check.problems or any(f.applicant and f.ok is None for f in check.findings):
            _material_note(check, case_id, actor, can_change)


def _material_note(check: MaterialCheck, case_id: int, actor: Actor, can_change: Callable[[str], bool]) -> None:
    with st.chat_message("assistant"), st.container(key=f"precheck-{check.material_id}"):
        st.markdown(f"我看了一下您上传的“{md_escape(check.label)}”：")
        for finding in check.findings:
            if not finding.applicant:
                continue
            if finding.ok is False and not check.confirmed:
                st.warning(md_escape(finding.applicant), icon=":material/fact_check:")
            else:
                st.caption(md_escape(finding.applicant))
        if check.confirmed:
            st.caption("您已确认文件无误，审核人员会看到这一确认。")
            return
        if not check.problems:
            return
        if not can_change(check.material_id):  # a returned case: only the materials the notice lists are replaced
            st.caption("本次补正不涉及这份材料，不能重新上传。如您核对后确认文件无误，请点击“文件无误”。")
        row = st.container(horizontal=True)
        fixable = [f for f in check.problems if f.question_id and f.answer_editable and can_change(f.question_id)]
        if fixable and row.button("修改填写的内容", key=f"pc-fix-{check.material_id}"):
            st.session_state[keys.EDITING] = fixable[0].question_id
            st.rerun()
        if can_change(check.material_id) and row.button("重新上传文件", key=f"pc-replace-{check.material_id}"):
            st.session_state[keys.EDITING] = check.material_id
            st.rerun()
        if row.button("文件无误", key=f"pc-confirm-{check.material_id}",
                      help="系统自动识别文件中的文字，结果可能有误。如您核对后确认文件正确，可以继续办理。"):
            try:
                confirm_file(SqlUnitOfWork(engine(), read_only=True), SqlPrecheckStore(engine()), actor, case_id,
                             check.material_id)
            except DomainError as error:
                st.error(md_escape(error.message))
            else:
                st.rerun()


# ------------------------------------------------------------------ officer
_MARKS = {True: ":green[✓]", False: ":red[✗]", None: ":orange[？]"}


def officer_checklist(filing: Filing, case_id: int, answers: Mapping[str, Any]) -> None:
    """Per material what the machine found: 代码一致 ✓, 名称一致 ✓, 检测到公章 ✓, or the problem."""
    checks = material_checks(filing, case_id, answers)
    if not checks:
        return
    st.fragment(_checklist, run_every=_poll_while_waiting(case_id, checks))(filing, case_id, answers)


def _checklist(filing: Filing, case_id: int, answers: Mapping[str, Any]) -> None:
    checks = _fragment_checks(filing, case_id, answers)
    with st.container(border=True, key="precheck-checklist"):
        st.markdown("**智能预审**　:gray[:small[机器识别材料并与填报内容比对，仅供参考，请以原件为准]]")
        for check in checks:
            st.markdown(f"**{md_escape(check.label)}**")
            if check.pending:
                st.caption("正在自动核对……")
                continue
            if check.state == "failed":
                st.markdown(f"{_MARKS[None]} {NOT_CHECKED}" + (f"（{md_escape(check.note)}）" if check.note else ""))
                continue
            if check.state == "not_run":
                st.markdown(f":gray[{NOT_RUN}]")
                continue
            lines = []
            for finding in check.findings:
                text = md_escape(finding.officer)
                if finding.ok is False and check.confirmed:
                    text += "（申请人已确认文件无误）"
                lines.append(f"{_MARKS[finding.ok]} {text}")
            st.markdown("　".join(lines) if lines else ":gray[无需比对的项目]")


@dataclass(frozen=True)
class ReturnOption:
    """A finding offered as an itemised reason of a return: the material it names, and the reason."""

    item_id: str
    label: str
    reason: str


def return_options(filing: Filing, case_id: int, answers: Mapping[str, Any]) -> dict[str, ReturnOption]:
    """The problems the machine found, as options of the return form (keys `precheck:<material>:<n>`)."""
    options = {}
    for check in material_checks(filing, case_id, answers):
        for number, finding in enumerate(check.problems):
            reason = finding.officer + ("（申请人确认文件无误，经人工核对确有问题）" if check.confirmed else "")
            options[f"precheck:{check.material_id}:{number}"] = ReturnOption(
                check.material_id, f"【预审】{check.label}：{finding.officer}", f"智能预审发现：{reason}，请核对后重新上传或更正。")
    return options
