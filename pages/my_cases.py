"""我的办件: every case of the applicant's unit, what to do next, documents, rating, messages, feedback replies."""

from __future__ import annotations

import streamlit as st

from flows import cases, clock
from flows.errors import DomainError
from flows.review.transitions import APPLICANT_VIEWS
from store.feedback import list_feedback
from store.notifications import messages, unread_count
from store.queries import unit_cases
from store.uow import SqlUnitOfWork
from ui import applicant_view as view
from ui import registry
from ui.layout import page_setup, set_feedback_context, show_error
from ui.session import engine
from ui.text import md_escape

PAGE_SIZE = 10

account = page_setup("my_cases")
set_feedback_context(step="我的办件")
st.title("我的办件")
if account.unit_name:
    st.caption(md_escape(account.unit_name))


def uow() -> SqlUnitOfWork:
    return SqlUnitOfWork(engine())


flash = st.session_state.pop(view.FLASH, None)
if flash:
    level, text = flash
    if level == "error":
        show_error(text)
    else:
        st.success(md_escape(text))
        st.toast(md_escape(text), icon=":material/check_circle:")  # seen also where the page stays scrolled

# Messages about the unit's cases.
unread = unread_count(engine(), user_id=account.user_id)
with st.expander(f"消息通知（{unread}条未读）" if unread else "消息通知", expanded=unread > 0,
                 icon=":material/notifications:"):
    shown = messages(engine(), user_id=account.user_id, limit=20)
    if not shown:
        st.caption("暂无消息。")
    for message in shown:
        mark = "" if message.read else ":red-badge[未读]　"
        st.markdown(f"{mark}:gray[{clock.show(message.created_at)}]　{md_escape(message.text)}")
    if unread and st.button("全部标为已读", key="read-all"):
        cases.mark_messages_read(SqlUnitOfWork(engine()), account.actor)
        st.rerun()

if not unit_cases(engine(), account.unit_id or -1, limit=1).any_case:
    st.info("您的单位还没有办件。")
    st.page_link(registry.page("assistant").file, label="开始办理", icon=":material/edit_note:")
else:
    choice = st.radio("显示", list(APPLICANT_VIEWS), horizontal=True, key="case-filter", label_visibility="collapsed")
    limit = int(st.session_state.get("cases-shown", PAGE_SIZE))
    found = unit_cases(engine(), account.unit_id or -1, stages=APPLICANT_VIEWS[choice],
                       limit=limit)
    with SqlUnitOfWork(engine(), read_only=True) as calendar_uow:
        calendar = calendar_uow.calendar()
    today = clock.today()
    if not found.ids:
        st.caption("没有符合条件的办件。")
    for case_id in found.ids:
        try:
            draft = cases.load_draft(SqlUnitOfWork(engine(), read_only=True), account.actor, case_id)
        except DomainError as error:
            show_error(error.message)
            continue
        view.case_card(draft, account=account, engine=engine(), uow=uow, calendar=calendar, today=today)
    if found.matching > limit:
        if st.button(f"显示更多（还有{found.matching - limit}件）", key="more-cases"):
            st.session_state["cases-shown"] = limit + PAGE_SIZE
            st.rerun()

st.divider()
st.subheader("我的意见反馈")
st.caption("试运行期间通过页面上的“意见反馈”提交的意见和办件评价，以及公安机关的回复。")
view.own_feedback(list_feedback(engine(), user_id=account.user_id, limit=50))
