"""What applicants and the public see: case cards for "My cases", the service guides, the
verification answer, and the feedback inbox items.

Every text typed by an applicant or officer is escaped (`md_escape`) or shown with `st.text`;
officers' internal comments never reach these helpers' output.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import streamlit as st
from sqlalchemy import Engine

from flows import cases
from flows.cases import Draft
from flows.clock import chinese_date, show
from flows.errors import DomainError
from flows.kinds import act_name, all_filings, stage_name
from flows.oversight.feedback import RATINGS, STATUSES, FeedbackRecord
from flows.oversight.feedback import rate_case as rate
from flows.ports import CaseView, DocumentView, EventView
from flows.review.deadlines import WorkCalendar
from flows.review.holders import holder_text, organ_of
from flows.review.screening import DONE_FOR_APPLICANT
from flows.review.timelimits import Clock, TimeLeft, time_left
from flows.review.transitions import (
    FINAL_STAGES,
    STAGE_LABELS,
    Act,
    Role,
    Stage,
    available_acts,
    comment_for_applicant,
)
from flows.vocabulary import DocumentStatus
from store import blobs
from store.accounts import Account
from store.feedback import SqlFeedbackStore, rating_for_case
from store.uow import SqlUnitOfWork
from store.verification import VerificationResult
from ui import keys, registry
from ui.case_view import draw_answers, draw_materials, untimed
from ui.text import md_escape

UowFactory = Callable[[], SqlUnitOfWork]
ASSISTANT = registry.page("assistant").file
FLASH = "my_cases_flash"
STAGE_COLORS = {Stage.RETURNED: "orange", Stage.APPROVED: "green", Stage.REJECTED: "red",
                Stage.WITHDRAWN: "gray", Stage.DRAFT: "gray"}


# ------------------------------------------------------------------ who and when
def time_left_of(case: CaseView, calendar: WorkCalendar, today: date) -> TimeLeft | None:
    """The running time limit of the case, if one runs."""
    if case.clock_started_on is None or case.clock_days is None or case.stage in FINAL_STAGES:
        return None
    return time_left(Clock(case.clock_started_on, case.clock_days), calendar, today)


def _due_line(left: TimeLeft | None, stage: Stage) -> str:
    if left is None:
        return untimed(stage)
    color = "red" if left.overdue else "orange" if left.last_day else "blue"
    return f"{left.due_text()}　:{color}-badge[{left.label()}]"


# ------------------------------------------------------------------ the case card
def case_card(draft: Draft, *, account: Account, engine: Engine, uow: UowFactory, calendar: WorkCalendar,
              today: date) -> None:
    """One case of the unit: header, what to do next, correction notice, history, documents, rating."""
    case, filing = draft.case, draft.filing
    with st.container(border=True, key=f"case-{case.id}"):
        # A draft has no case number yet; its start tells two drafts apart (its row id means nothing to a unit).
        number = case.number or (f"草稿（{show(case.created_at)}开始填写）" if case.created_at else "草稿")
        color = STAGE_COLORS.get(case.stage, "blue")
        badges = f":{color}-badge[{stage_name(case.stage, case.kind)}]" + ("　:red-badge[备案已撤销]" if case.cancelled else "")
        st.markdown(f"#### {md_escape(number)}　{badges}")
        st.markdown(f"**{filing.title}**")
        facts = [f"**当前办理**：{md_escape(holder_text(case, to_applicant=True))}",
                 f"**办结期限**：{_due_line(time_left_of(case, calendar, today), case.stage)}"]
        if case.submitted_at:
            facts.append(f"**提交时间**：{show(case.submitted_at)}")
        if filing.screening_field and case.stage != Stage.DRAFT and cases.screening_done(uow(), account.actor,
                                                                                          case.id):
            facts.append(f"**自动比对**：{DONE_FOR_APPLICANT}")
        st.markdown("　　".join(facts))
        correction = draft.correction
        if correction is not None:
            correction_notice(correction)
        _actions(draft, account=account, uow=uow)
        # The sections are drawn only when opened (a unit's page lists many cases).
        if case.stage != Stage.DRAFT:
            submitted = st.expander("查看提交的申请内容和材料", icon=":material/description:",
                                    key=f"submitted-open-{case.id}", on_change="rerun")
            if submitted.open:
                with submitted:
                    submitted_case(draft, key=f"submitted-{case.id}", full=False)
        docs = draft.documents
        past = st.expander(f"办理记录（{len(draft.events)}）", expanded=case.stage == Stage.RETURNED,
                           key=f"history-open-{case.id}", on_change="rerun")
        if past.open:
            with past:
                history(draft.events, case)
        if docs:
            st.markdown("**文书下载**")
            documents(case, docs)
        if case.stage in FINAL_STAGES:
            rating(case, account=account, engine=engine)


def correction_notice(event: EventView) -> None:
    """The itemised correction notice (一次性告知) of the last return."""
    with st.container(border=True, key=f"correction-{event.id}"):
        st.markdown(f":orange[**补正告知**]　:gray[:small[{show(event.at)}]]")
        if event.items:
            st.markdown("请补正以下事项：\n" + "\n".join(
                f"{n}. **{md_escape(item.label)}**：{md_escape(item.reason)}"
                for n, item in enumerate(event.items, start=1)))
        if event.comment:
            st.markdown(f"说明：{md_escape(event.comment)}")
        st.caption("只需修改以上所列事项，其他内容无需重新填写；修改后重新提交，办结期限重新计算。")


def _actions(draft: Draft, *, account: Account, uow: UowFactory) -> None:
    case = draft.case
    can_withdraw = Act.WITHDRAW in available_acts(account.actor, case.at(draft.filing.route))
    with st.container(horizontal=True, key=f"actions-{case.id}"):
        if case.stage == Stage.RETURNED:
            if st.button("去补正", key=f"correct-{case.id}", type="primary", icon=":material/edit:"):
                st.switch_page(ASSISTANT, query_params={"case": str(case.id)})
        elif case.stage == Stage.DRAFT:
            if st.button("继续填写", key=f"continue-{case.id}", type="primary", icon=":material/edit_note:"):
                st.switch_page(ASSISTANT, query_params={"case": str(case.id)})
            _ask_button(_DISCARD, case)
        if can_withdraw:
            _ask_button(_WITHDRAW, case)
    if case.stage == Stage.DRAFT:
        _confirmation(_DISCARD, case, account=account, uow=uow)
    if can_withdraw:
        _confirmation(_WITHDRAW, case, account=account, uow=uow)


@dataclass(frozen=True)
class _Irreversible:
    """An act on the applicant's own case that cannot be undone: asked in the card, then confirmed there."""

    name: str  # the widgets' keys: {name}-{id}, {name}-yes-{id}, {name}-no-{id}, {name}-confirm-{id}
    label: str
    icon: str
    question: str
    confirm: str
    act: Callable[..., object]  # (unit of work, actor, case id, *, expected_version)
    done: str  # with {number}


_WITHDRAW = _Irreversible(
    name="withdraw", label="撤回申请", icon=":material/undo:",
    question="确定撤回此申请吗？撤回后本办件即告结束，不能恢复；如仍需办理，须重新提交申请。", confirm="确认撤回",
    act=cases.withdraw,
    done="办件{number}已撤回。")
_DISCARD = _Irreversible(
    name="discard", label="删除草稿", icon=":material/delete:",
    question="确定删除此草稿吗？已填写的内容和上传的材料将一并删除，不能恢复。", confirm="确认删除",
    act=cases.discard_draft,
    done="草稿已删除。")


def _asking_key(act: _Irreversible, case: CaseView) -> str:
    return f"confirm-{act.name}-{case.id}"


def _ask_button(act: _Irreversible, case: CaseView) -> None:
    if not st.session_state.get(_asking_key(act, case)):
        st.button(act.label, key=f"{act.name}-{case.id}", icon=act.icon, on_click=_ask,
                  args=(_asking_key(act, case), True))


def _ask(key: str, asking: bool) -> None:
    """Open (or close) a confirmation in the card."""
    if asking:
        st.session_state[key] = True
    else:
        st.session_state.pop(key, None)


def _confirmed(act: _Irreversible, case: CaseView, account: Account, uow: UowFactory) -> None:
    st.session_state.pop(_asking_key(act, case), None)
    try:
        act.act(uow(), account.actor, case.id, expected_version=case.version)
    except DomainError as error:
        st.session_state[FLASH] = ("error", error.message)
        return
    st.session_state[FLASH] = ("success", act.done.format(number=case.number or case.id))
    if st.session_state.get(keys.CASE_ID) == case.id:  # the assistant no longer resumes it
        st.session_state.pop(keys.CASE_ID, None)


def _confirmation(act: _Irreversible, case: CaseView, *, account: Account, uow: UowFactory) -> None:
    if not st.session_state.get(_asking_key(act, case)):
        return
    with st.container(border=True, key=f"{act.name}-confirm-{case.id}"):
        st.warning(act.question)
        with st.container(horizontal=True):
            st.button(act.confirm, key=f"{act.name}-yes-{case.id}", type="primary", on_click=_confirmed,
                      args=(act, case, account, uow))
            st.button("取消", key=f"{act.name}-no-{case.id}", on_click=_ask, args=(_asking_key(act, case), False))


def history(events: Sequence[EventView], case: CaseView) -> None:
    """Every act: when, who (the organ), what, from which stage to which, and only the comments addressed to
    the applicant (a return's or a refusal's reasons): officers' opinions and anything from the automatic
    comparison stay with the officers."""
    if not events:
        st.caption("尚未提交，暂无办理记录。")
        return
    lines = []
    for event in events:
        try:
            who = organ_of(Role(event.actor_role), case)
        except ValueError:
            who = "—"
        move = f"{STAGE_LABELS[event.from_stage]} → {stage_name(event.to_stage, case.kind)}"
        line = (f"- {show(event.at)}　{md_escape(who)}　**{act_name(event.act, case.kind, to_applicant=True)}**　"
                f":gray[:small[{move}]]")
        for item in event.items:
            line += f"\n    - {md_escape(item.label)}：{md_escape(item.reason)}"
        if comment := comment_for_applicant(event.act, event.comment):
            line += f"\n    - 说明：{md_escape(comment)}"
        lines.append(line)
    st.markdown("\n".join(lines))


def download_name(case: CaseView, document: DocumentView, ordinal: int) -> str:
    """`C20261127000012-补正材料告知书.pdf`; a second notice of the same title gets `-2`."""
    base = f"{case.number or case.id}-{document.title}"
    return f"{base}-{ordinal}.pdf" if ordinal > 1 else f"{base}.pdf"


def documents(case: CaseView, docs: Sequence[DocumentView]) -> None:
    """The notices and certificates issued on the case, each downloadable as stored."""
    seen: Counter[str] = Counter()
    for document in docs:
        seen[document.title] += 1
        text, button = st.columns([4, 1], vertical_alignment="center")
        status = "　:red-badge[已撤销]" if document.status == DocumentStatus.CANCELLED else ""
        text.markdown(f"**{md_escape(document.title)}**{status}　{md_escape(document.number)}　"
                      f":gray[:small[{show(document.issued_at)}]]")
        button.download_button("下载", data=functools.partial(blobs.get, document.sha256),
                               file_name=download_name(case, document, seen[document.title]),
                               mime="application/pdf", key=f"doc-{document.id}", on_click="ignore",
                               icon=":material/download:")


# ------------------------------------------------------------------ what was submitted (read-only)
def submitted_case(draft: Draft, *, key: str, full: bool = True) -> None:
    """The case as submitted, read-only, in tabs: every answer (personal numbers masked), the materials,
    and when `full` the history (public comments only) and the documents."""
    names = ["申请内容", f"上传的材料（{len(draft.materials)}）"]
    if full:
        names += [f"办理记录（{len(draft.events)}）", f"文书（{len(draft.documents)}）"]
    tabs = st.tabs(names)
    with tabs[0]:
        draw_answers(draft.filing, draft.answers, mask_personal=True, key=f"{key}-answers")
    with tabs[1]:
        draw_materials(draft.filing, draft.case.id, list(draft.materials.values()), preview=False,
                       key=f"{key}-material")
    if not full:
        return
    with tabs[2]:
        history(draft.events, draft.case)
    with tabs[3]:
        if draft.documents:
            documents(draft.case, draft.documents)
        else:
            st.caption("尚未出具文书。办理中出具的受理通知书、补正材料告知书和办结后的证明都会列在这里。")


# ------------------------------------------------------------------ rating (好差评)
def rate_case(engine: Engine, *, account: Account, case: CaseView, rating_value: str, comment: str) -> None:
    """Record the unit's one rating of an ended case."""
    rate(SqlFeedbackStore(engine), user_id=account.user_id, case_id=case.id, kind=case.kind, stage=case.stage,
         rating=rating_value, comment=comment)


def rating(case: CaseView, *, account: Account, engine: Engine) -> None:
    given = rating_for_case(engine, case.id)
    if given is not None:
        st.markdown(f"**您的评价**：:blue-badge[{given.rating or ''}]　:gray[:small[{show(given.created_at)}]]")
        if given.text:
            st.markdown(f"评价意见：{md_escape(given.text)}")
        if given.reply:
            st.markdown(f"回复：{md_escape(given.reply)}")
        return
    with st.form(f"rate-{case.id}", border=True):
        st.markdown("**请对本次办理服务进行评价（好差评）**")
        choice = st.radio("评价等级", RATINGS, index=None, horizontal=True, key=f"rating-{case.id}")
        # No max_chars: the browser would drop a longer paste whole, without a word; rate_case says it.
        comment = st.text_area("评价意见（可选）", key=f"rating-text-{case.id}", placeholder="最多500字")
        sent = st.form_submit_button("提交评价")
    if sent:
        try:
            rate_case(engine, account=account, case=case, rating_value=choice or "", comment=comment)
        except DomainError as error:
            st.error(md_escape(error.message))
        else:
            st.session_state[FLASH] = ("success", "感谢您的评价！")
            st.rerun()


def own_feedback(items: Sequence[FeedbackRecord]) -> None:
    """The applicant's own feedback and ratings, with the province's reply."""
    if not items:
        st.caption("您还没有提交过意见反馈。")
        return
    for item in items:
        with st.container(border=True):
            what = "服务评价" if item.category == "rating" else "意见反馈"
            head = f"**{what}**　:gray[:small[{show(item.created_at)}]]　:blue-badge[{STATUSES.get(item.status, item.status)}]"
            if item.rating:
                head += f"　评价：{md_escape(item.rating)}"
            st.markdown(head)
            if item.text:
                st.text(item.text)
            if item.reply:
                st.markdown(f"**回复**：{md_escape(item.reply)}")


# ------------------------------------------------------------------ verification
def verification(result: VerificationResult | None) -> None:
    if result is None:
        st.error("未找到该证明，请核对验证码。", icon=":material/search_off:")
        st.caption("验证码不区分大小写，空格和短横线可省略。仍查不到的，请向发证机关核实。")
        return
    if result.status == DocumentStatus.CANCELLED:
        st.warning(f"证明真实，但已撤销：该{result.title}已失效。", icon=":material/block:")
    else:
        st.success(f"真实有效：该{result.title}由{md_escape(result.organ)}出具，当前有效。", icon=":material/verified:")
    with st.container(border=True, key="verify-summary"):
        st.markdown("\n".join(f"- **{label}**：{md_escape(value)}" for label, value in (
            ("证明名称", result.title),
            ("证明编号", result.number),
            ("出具机关", result.organ),
            ("单位名称", result.unit_name),
            ("业务类别", result.kind_title),
            ("出具日期", f"{chinese_date(result.issued_on)}"),
            ("状态", result.status_label),
        )))


# ------------------------------------------------------------------ feedback inbox
def kind_title(kind: str) -> str:
    filing = all_filings().get(kind)
    return filing.short_title if filing else "—"


__all__ = ["case_card", "submitted_case", "verification", "own_feedback", "kind_title"]
