"""The assistant's conversation: transcript from the database, the current question, the summary."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from flows import cases, clock
from flows.clock import chinese_date
from flows.config import get_config
from flows.errors import DomainError, FieldError
from flows.filing.answers import describe_answer, window_warning
from flows.filing.guide import (
    Step,
    asked_questions,
    next_step,
    relevant_materials,
    relevant_questions,
    unit_mismatch,
    unit_mismatch_reminder,
)
from flows.filing.helpdesk_facts import CaseFacts, get_assistant_helpdesk
from flows.filing.schema import ColType, Column, Filing, Material, QType, Question
from flows.kinds import stage_name
from flows.ports import CaseView
from flows.review.holders import holder_text
from flows.review.timelimits import limit_summary
from flows.review.transitions import Stage
from flows.uploads.checks import CheckedFile, human_size
from store.accounts import Account
from store.screening import configured_sources
from store.uow import SqlUnitOfWork
from ui import keys
from ui.applicant_view import submitted_case
from ui.ask import NOTHING, ask, roster_message
from ui.layout import link, set_feedback_context
from ui.precheck import applicant_notes, summary_marks
from ui.text import md_escape, plain_cells

UowFactory = Callable[[], SqlUnitOfWork]


def say(text: str) -> None:
    with st.chat_message("assistant"):
        st.markdown(text)


def greeting() -> None:
    say("您好！我是保安业务网上办理助手。我会一步一步引导您完成申请，每一步填写的内容都会自动保存，"
        "随时可以离开，回来后从中断的地方继续。")


def choose_kind(filings: dict[str, Filing]) -> str | None:
    """Ask which business; one sentence on who needs each."""
    with st.chat_message("assistant"):
        st.markdown("请问您要办理哪项业务？")
        for kind, filing in filings.items():
            with st.container(border=True):
                st.markdown(f"**{filing.title}**")
                st.caption(filing.summary)
                if st.button(f"办理：{filing.short_title}", key=f"kind-{kind}"):
                    return kind
    return None


def instructions(filing: Filing, unit_name: str | None = None) -> bool:
    """Show the online instructions (warning a logged-in unit whose name suggests another business); True once
    the applicant confirms reading them."""
    text = filing.instructions
    with st.chat_message("assistant"):
        if unit_name and (mismatch := unit_mismatch(filing, unit_name)):
            st.warning(mismatch, icon=":material/help:")
        st.markdown(f"办理前请先阅读《{filing.title}网上操作须知》：")
        with st.container(border=True):
            for label, body in (("谁需要办理", text.who), ("什么时候办", text.when), ("需要哪些材料", text.materials_note),
                                ("办理流程", text.process), ("办理时限", text.time_limit), ("办理结果", text.result),
                                ("办理依据", text.basis)):
                st.markdown(f"**{label}**")
                st.write(body)
        read = st.checkbox("我已阅读并知晓以上须知", key=f"read-{filing.kind}")
        go = st.button("开始办理", type="primary", disabled=not read, key=f"start-{filing.kind}")
        if st.button("选择其他业务", key="other-kind"):
            st.session_state.pop(keys.KIND, None)
            st.rerun()
    return bool(read and go)


def instructions_done(filing: Filing) -> None:
    with st.chat_message("user"):
        st.write(f"我要办理：{filing.title}。须知已阅读。")


def _answered_bubbles(filing: Filing, draft: cases.Draft, current: str | None) -> None:
    """The transcript: earlier questions with their answers; finished sections folded away."""
    today = clock.today()
    questions = [q for q in asked_questions(filing, draft.answers) if q.id in draft.answers and q.id != current]
    by_section: dict[str, list[Question]] = {}
    for q in questions:
        by_section.setdefault(q.section, []).append(q)
    current_section = filing.question(current).section if current in {q.id for q in filing.questions} else None
    for section, items in by_section.items():
        if section == current_section:
            box = st.container()
        else:
            # A folded section is drawn only while it is open: every answer is four elements, and the page is
            # drawn again after each answer (docs/operations.md, the topology profile).
            box = st.expander(f"{section}（已填写{len(items)}项）", expanded=False, on_change="rerun",
                              key=f"fold-{draft.case.id}-{section}")
            if not box.open:
                continue
        with box:
            for q in items:
                _answer_bubble(q, draft.answers[q.id], today)


def _answer_bubble(q: Question, value: Any, today: date) -> None:
    with st.chat_message("assistant"):
        st.write(q.label)
    with st.chat_message("user"):
        st.text(describe_answer(q, value))
        if q.type == QType.ROSTER and isinstance(value, list) and value:
            st.dataframe([{c.label: row.get(c.id, "") for c in q.columns} for row in value], hide_index=True)
        if q.type == QType.DATE and q.window is not None and isinstance(value, str):
            warning = window_warning(q.window, date.fromisoformat(value), today)
            if warning:
                st.warning(warning, icon=":material/schedule:")


def _material_bubbles(filing: Filing, draft: cases.Draft, current: str | None) -> None:
    skipped = draft.state.skipped
    for m in relevant_materials(filing, draft.answers):
        if m.id == current:
            continue
        refused = st.session_state.get(_message_key(draft.case.id, m.id))
        if m.id in draft.materials:
            f = draft.materials[m.id]
            with st.chat_message("user"):
                st.text(f"已上传“{m.label}”：{f.filename}（{human_size(f.size)}{f'，{f.pages}页' if f.pages else ''}）")
                if refused and refused[0] == "error":  # a file refused at a step the draft had passed (another tab)
                    st.error(f"您刚才上传的文件未被采用，仍使用上面的文件：{md_escape(refused[1])}")
                    del st.session_state[_message_key(draft.case.id, m.id)]
        elif m.id in skipped:
            with st.chat_message("user"):
                st.text(f"“{m.label}”不提供。")


def run(draft: cases.Draft, account: Account, uow: UowFactory) -> None:
    """The whole conversation for one case, redrawn from the database on every run."""
    filing = draft.filing
    case = draft.case
    resumed = st.session_state.pop(keys.RESUMED, False)
    if resumed and case.stage == Stage.DRAFT:
        say(f"欢迎回来！您上次填写的《{filing.title}》已为您保存，我们从中断的地方继续。")
    elif resumed and case.stage == Stage.RETURNED:
        say(f"欢迎回来！您的办件{case.number}（{filing.title}）已被退回，请按补正告知修改后重新提交。")
    else:
        say(f"正在办理：**{filing.title}**。")
    if case.stage not in (Stage.DRAFT, Stage.RETURNED):
        estimated = _due_estimated(case, uow)
        _submitted(draft, estimated)
        _helpdesk_bubbles()
        _chat_box(draft, estimated)
        return
    if st.button("办理其他业务（本申请已自动保存，可稍后继续）", key="switch-business"):
        _choose_again()
    # A correction's items (each marked once corrected) and what was said before go above the step, but are
    # drawn after it, from the draft as the step left it.
    notice = st.container()
    earlier = st.container()
    # The step is drawn in one of two places, one above the other, and the next step in the other one: two runs of
    # the whole page per answer (st.rerun) cost twice one. Not the same place: a block drawn over a block at the
    # same place keeps the first one's elements in the browser (they belong to this run, so they are not cleared
    # as stale), and the "empty" between them never reaches the browser (Streamlit merges the two).
    slots = (st.empty(), st.empty())
    shown = int(st.session_state.get(keys.STEP_SLOT, 0)) % 2
    with slots[shown].container():
        saved = _step(draft, account, uow)
    if saved:
        try:
            draft = cases.load_draft(SqlUnitOfWork(uow().engine, read_only=True), account.actor, case.id)
        except DomainError:
            st.rerun()
        slots[shown].empty()
        shown = st.session_state[keys.STEP_SLOT] = 1 - shown
        with slots[shown].container():
            if _step(draft, account, uow):
                st.rerun()  # not expected: the next step's widgets are new and hold no answer yet
    if draft.correction is not None:
        with notice:
            _correction_notice(draft)
    with earlier:
        _transcript(draft, account)
    _chat_box(draft)


def _step(draft: cases.Draft, account: Account, uow: UowFactory) -> bool:
    """The step the draft is at (a question, a material or the summary); True once it saved something."""
    filing, case = draft.filing, draft.case
    editing = st.session_state.get(keys.EDITING)
    step = _next(draft)
    if editing:
        _helpdesk_bubbles()
        return _ask_item(filing, draft, editing, account, uow, returning=True)
    if step.kind == "summary":
        set_feedback_context(step="核对并提交", kind=filing.kind, case_id=case.id)
        _summary(filing, draft, account, uow)
        _helpdesk_bubbles()  # after the long summary, beside the box the question was typed in
        return False
    assert step.item_id is not None
    _helpdesk_bubbles()
    if step.progress.done == 0 and draft.correction is None and (
            reminder := unit_mismatch_reminder(filing, case.unit_name)):
        st.warning(reminder, icon=":material/help:")
    _progress(step)
    return _ask_item(filing, draft, step.item_id, account, uow, returning=False)


def _next(draft: cases.Draft) -> Step:
    correction = draft.correction
    only = set(draft.case.open_items or ()) if correction is not None else None
    return next_step(draft.filing, draft.answers, set(draft.materials), skipped=draft.state.skipped, only=only,
                     done_items=draft.corrected)


def _transcript(draft: cases.Draft, account: Account) -> None:
    """The questions answered and the materials given so far (outside a correction), and the pre-check's notes."""
    filing, case = draft.filing, draft.case
    editing = st.session_state.get(keys.EDITING)
    step = _next(draft)
    current = editing or step.item_id
    if draft.correction is None:
        _answered_bubbles(filing, draft, current if step.kind != "summary" or editing else None)
        _material_bubbles(filing, draft, current)
    applicant_notes(filing, case.id, draft.answers, account.actor,
                    can_change=lambda item: draft.correction is None or item in (case.open_items or ()))


def _progress(step: Step) -> None:
    if step.progress.total:
        st.progress(step.progress.done / step.progress.total,
                    text=f"已完成 {step.progress.done}/{step.progress.total} 项")


def _ask_item(filing: Filing, draft: cases.Draft, item_id: str, account: Account, uow: UowFactory, *,
              returning: bool) -> bool:
    """Ask one question or for one material; True once its answer (file, skip) is saved."""
    number = [q.id for q in filing.questions] + [m.id for m in filing.materials]
    step_no = number.index(item_id) + 1 if item_id in number else 0
    if item_id in {m.id for m in filing.materials}:
        material = filing.material(item_id)
        set_feedback_context(step=f"第{step_no}步：上传{material.label}", kind=filing.kind, case_id=draft.case.id)
        return _ask_material(filing, draft, material, account, uow, returning=returning)
    q = filing.question(item_id)
    set_feedback_context(step=f"第{step_no}步：{q.label}", kind=filing.kind, case_id=draft.case.id)
    filed = cases.filing_choices(uow(), account.actor) if q.type == QType.FILING_REF else None
    with st.chat_message("assistant"):
        st.markdown(f"**{q.label}**" + ("（可多选）" if q.type == QType.MULTI_CHOICE else "")
                    + ("（可不填）" if not q.required else ""))
        if q.hint:
            st.caption(q.hint)
        error_key = f"error-{draft.case.id}-{q.id}"
        raw = ask(q, draft.answers.get(q.id), draft.case.id, filed=filed,
                  on_change=functools.partial(st.session_state.pop, error_key, None))
        if raw is not NOTHING:
            try:
                checked = cases.save_answer(uow(), account.actor, draft.case.id, q.id, raw, today=clock.today())
            except FieldError as error:
                st.session_state[error_key] = roster_message(q, draft.case.id, error.message)
            except DomainError as error:
                st.session_state[error_key] = error.message
            else:
                st.session_state.pop(error_key, None)
                st.session_state.pop(keys.JUST_REGISTERED, None)
                st.session_state[keys.ASK_NONCE] = st.session_state.get(keys.ASK_NONCE, 0) + 1
                st.session_state["last_warnings"] = list(checked.warnings)
                if returning:
                    st.session_state.pop(keys.EDITING, None)
                return True
        if error_key in st.session_state:
            st.error(md_escape(st.session_state[error_key]), icon=":material/error:")
        for warning in st.session_state.pop("last_warnings", []):
            st.warning(warning, icon=":material/warning:")
        if returning and st.button("取消修改，返回核对页", key=f"cancel-edit-{q.id}"):
            st.session_state.pop(keys.EDITING, None)
            st.rerun()
    return False


def _ask_material(filing: Filing, draft: cases.Draft, m: Material, account: Account, uow: UowFactory, *,
                  returning: bool) -> bool:
    with st.chat_message("assistant"):
        st.markdown(f"请上传：**{m.label}**" + ("（可选）" if not m.required else ""))
        st.caption(f"{m.hint + '。' if m.hint else ''}支持 {'、'.join(t.upper() for t in m.allowed)} 格式，"
                   f"不超过 {m.max_mb} MB。")
        existing = draft.materials.get(m.id)
        if existing is not None:
            st.text(f"当前文件：{existing.filename}（{human_size(existing.size)}）。上传新文件将替换它。")
        nonce = st.session_state.get(keys.ASK_NONCE, 0)
        key = f"up-{draft.case.id}-{m.id}-{nonce}"
        message_key = _message_key(draft.case.id, m.id)
        # No `type=`: the browser would refuse another kind of file with a hover-only English-prefixed note;
        # the check below says in words, at the field, which kinds this material takes. The file is taken in
        # the uploader's callback, before the run: also when this step is no longer the draft's (the draft went
        # on in another tab), where a check in the run's body would not draw this uploader and drop the file.
        st.file_uploader(m.label, key=key, label_visibility="collapsed", max_upload_size=m.max_mb,
                         on_change=_take_upload, args=(key, draft.case.id, m, account, uow, returning))
        kind_text = st.session_state.get(message_key)
        if kind_text:
            level, text = kind_text
            (st.error if level == "error" else st.success)(md_escape(text))
        if not m.required and existing is None and st.button("不提供此项材料", key=f"skip-{m.id}"):
            cases.skip_material(uow(), account.actor, draft.case.id, m.id)
            return True
        if returning and st.button("返回核对页", key=f"cancel-edit-{m.id}"):
            st.session_state.pop(keys.EDITING, None)
            st.rerun()
    return False


def _message_key(case_id: int, material_id: str) -> str:
    return f"upload-msg-{case_id}-{material_id}"


def _take_upload(key: str, case_id: int, m: Material, account: Account, uow: UowFactory, returning: bool) -> None:
    """Check and keep the file just given to a material's uploader (its on_change callback)."""
    upload = st.session_state.get(key)
    if upload is None:
        return
    message_key = _message_key(case_id, m.id)
    try:
        checked, _view = cases.upload_material(uow(), account.actor, case_id, m.id, filename=upload.name,
                                               data=upload.getvalue())
    except DomainError as error:
        st.session_state[message_key] = ("error", error.message)
    else:
        st.session_state[message_key] = ("ok", _accepted(upload.name, checked))
        if returning:
            st.session_state.pop(keys.EDITING, None)
    st.session_state[keys.ASK_NONCE] = int(st.session_state.get(keys.ASK_NONCE, 0)) + 1  # a new, empty uploader


def _accepted(name: str, checked: CheckedFile) -> str:
    return f"已收到“{name}”：{checked.describe()}。"


def _correction_notice(draft: cases.Draft) -> None:
    event = draft.correction
    assert event is not None
    with st.chat_message("assistant"):
        st.markdown("您的申请已被退回，需要补正以下事项（一次性告知）。只需修改这些内容，其他内容保持不变：")
        for item in event.items:
            done = "（已补正）" if item.item_id in draft.corrected else ""
            st.markdown(f"- **{md_escape(item.label)}**：{md_escape(item.reason)}{done}")
        if event.comment:
            st.markdown(f"补充说明：{md_escape(event.comment)}")


def _summary(filing: Filing, draft: cases.Draft, account: Account, uow: UowFactory) -> None:
    """Check your answers: grouped, each with a change link; then submit."""
    returned = draft.case.stage == Stage.RETURNED
    with st.chat_message("assistant"):
        st.markdown("全部内容已填写完毕，请核对。如需修改，点击该项右侧的“修改”。" if not returned
                    else "需要补正的事项已全部修改，请核对后重新提交。")
        for section in filing.sections:
            questions = [q for q in relevant_questions(filing, draft.answers) if q.section == section]
            if not questions:
                continue
            with st.container(border=True):
                st.markdown(f"**{section}**")
                for q in questions:
                    value = draft.answers.get(q.id)
                    if q.prefill is not None:  # from the account: submitted as it is, changed only there
                        _summary_row(q.label, describe_answer(q, value), q.id, draft, returned, fixed=True)
                        continue
                    _summary_row(q.label, describe_answer(q, value), q.id, draft, returned)
                    if q.type == QType.ROSTER and isinstance(value, list) and value:
                        roster_pages(q, value, key=f"summary-{q.id}")
        st.caption("单位名称、统一社会信用代码、联系人和联系电话来自您注册时填写的账户信息，随申请一并提交。")
        with st.container(border=True):
            st.markdown("**上传的材料**")
            skipped = draft.state.skipped
            marks = summary_marks(filing, draft.case.id, draft.answers)  # the pre-check's word on each file
            for m in relevant_materials(filing, draft.answers):
                f = draft.materials.get(m.id)
                text = f"{f.filename}（{human_size(f.size)}）{marks.get(m.id, '')}" if f else (
                    "不提供" if m.id in skipped else "未上传")
                _summary_row(m.label, text, m.id, draft, returned)
        problems = [w for w in _warnings(filing, draft)]
        for warning in problems:
            st.warning(warning, icon=":material/warning:")
        label = "确认无误，重新提交" if returned else "确认无误，提交申请"
        if st.button(label, type="primary", key="submit"):
            try:
                submitted = cases.submit(uow(), account.actor, draft.case.id, expected_version=draft.case.version,
                                         sources=configured_sources(uow().engine))
            except DomainError as error:
                st.error(md_escape(error.message), icon=":material/error:")
                if isinstance(error, FieldError) and error.field:
                    st.session_state[keys.EDITING] = error.field
            else:
                st.session_state["just_submitted"] = submitted.id
                st.rerun()


def _warnings(filing: Filing, draft: cases.Draft) -> list[str]:
    from flows.filing.guide import filing_warnings

    return filing_warnings(filing, draft.answers, today=clock.today())


def _summary_row(label: str, text: str, item_id: str, draft: cases.Draft, returned: bool, *,
                 fixed: bool = False) -> None:
    left, mid, right = st.columns([3, 6, 1.2])
    left.text(label)
    mid.text(text)
    editable = not fixed and (not returned or item_id in (draft.case.open_items or ()))
    if editable and right.button("修改", key=f"edit-{item_id}"):
        st.session_state[keys.EDITING] = item_id
        st.rerun()


ROSTER_PAGE = 20  # roster rows shown at once


def roster_pages(q: Question, rows: list[dict[str, Any]], *, key: str) -> None:
    """Every row of a roster as it will be submitted, ROSTER_PAGE rows at a time."""
    pages = -(-len(rows) // ROSTER_PAGE)
    page = min(max(1, int(st.session_state.get(key, 1))), pages)
    first = (page - 1) * ROSTER_PAGE
    shown = rows[first:first + ROSTER_PAGE]
    st.table(plain_cells(pd.DataFrame([{"序号": first + n, **{c.label: _cell(c, row.get(c.id)) for c in q.columns}}
                                       for n, row in enumerate(shown, start=1)])), hide_index=True)
    if pages > 1:
        back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
        if back.button("上一页", key=f"{key}-prev", disabled=page <= 1):
            st.session_state[key] = page - 1
            st.rerun()
        where.caption(f"第{first + 1}–{first + len(shown)}行，共{len(rows)}行")
        if forward.button("下一页", key=f"{key}-next", disabled=page >= pages):
            st.session_state[key] = page + 1
            st.rerun()


def _cell(column: Column, value: Any) -> str:
    if column.type == ColType.YES_NO:
        return "是" if value else "否"
    return "" if value is None else str(value)


def _due_estimated(case: CaseView, uow: UowFactory) -> bool:
    """Whether the case's due date falls in a year whose holiday schedule is not official yet (shown 预计)."""
    if case.due_on is None:
        return False
    with SqlUnitOfWork(uow().engine, read_only=True) as reader:
        calendar = reader.calendar()
    return bool(calendar.missing_years(case.clock_started_on or case.due_on, case.due_on))


def _submitted(draft: cases.Draft, due_estimated: bool) -> None:
    case = draft.case
    config = get_config()
    organ = config.organ_for(case.county_code if case.stage == Stage.COUNTY_CONFIRM and case.county_code
                             else case.prefecture_code or config.province_code)
    with st.chat_message("assistant"):
        if st.session_state.get("just_submitted") == case.id:
            st.success("提交成功！", icon=":material/check_circle:")
        st.markdown(f"办件编号：**{case.number}**")
        st.markdown(f"当前状态：{stage_name(case.stage, case.kind)}")
        st.markdown(f"接收机关：{organ}")
        if case.due_on:
            estimated = "（预计，以国务院公布的节假日安排为准）" if due_estimated else ""
            st.markdown(f"办结期限：最迟于**{chinese_date(case.due_on)}**办结{estimated}（{limit_summary(draft.filing.route)}）")
        st.caption("办理进度会在“我的办件”中实时更新，状态变化时我们会通知您。下面是您提交的全部内容。")
        submitted_case(draft, key=f"submitted-{case.id}")
        link("my_cases", label="查看我的办件", icon=":material/folder_open:")
        if st.button("办理其他业务", key="new-business"):
            _choose_again()


def _choose_again() -> None:
    for key in (keys.CASE_ID, keys.KIND, "instructions_read", "just_submitted", keys.EDITING):
        st.session_state.pop(key, None)
    st.session_state[keys.CHOOSING] = True
    st.rerun()


def _helpdesk_bubbles() -> None:
    for question, reply in st.session_state.get("helpdesk", []):
        with st.chat_message("user"):
            st.text(question)
        with st.chat_message("assistant"):
            st.text(reply)


def _case_facts(draft: cases.Draft, due_estimated: bool = False) -> CaseFacts:
    case = draft.case
    limit = limit_summary(draft.filing.route)
    if case.stage == Stage.DRAFT:
        return CaseFacts(number=None, stage=stage_name(case.stage, case.kind), holder="本单位", time_limit=limit)
    return CaseFacts(number=case.number, stage=stage_name(case.stage, case.kind), holder=holder_text(case, to_applicant=True), due=case.due_on,
                     due_estimated=due_estimated, time_limit=limit)


def _region_of(draft: cases.Draft) -> str | None:
    """The case's prefecture: placed on submission, or as answered so far."""
    if draft.case.prefecture_code:
        return draft.case.prefecture_code
    place = draft.answers.get(draft.filing.location_field)
    return str(place.get("county") or place.get("prefecture") or "") or None if isinstance(place, dict) else None


def _chat_box(draft: cases.Draft, due_estimated: bool = False) -> None:
    asked = st.chat_input("有疑问可以直接问我，例如：需要盖章吗？")
    if asked:
        reply = get_assistant_helpdesk().answer(asked[:500], kind=draft.filing.kind, region_code=_region_of(draft),
                                                facts=_case_facts(draft, due_estimated))
        st.session_state.setdefault("helpdesk", []).append((asked[:500], reply.text))
        st.rerun()
