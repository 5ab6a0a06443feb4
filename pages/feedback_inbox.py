"""意见反馈: pilot feedback and service ratings in one inbox. The province triages each with a reply; a
prefecture sees, read-only, what is about its own region's service (its cases, its officers)."""

from __future__ import annotations

import streamlit as st

from flows.clock import show
from flows.errors import DomainError
from flows.oversight.feedback import RATINGS, STATUSES, triage
from flows.review.transitions import Role
from store.feedback import InboxItem, SqlFeedbackStore, feedback_pages, inbox
from ui import applicant_view as view
from ui.layout import page_setup, set_feedback_context, show_error
from ui.registry import PAGES
from ui.session import engine
from ui.text import md_escape

ALL = "全部"
CATEGORIES = {ALL: None, "意见反馈": "feedback", "服务评价": "rating"}
PAGE_LABELS = {page.id: page.label for page in PAGES if page.in_menu}
ACTIONS = {k: v for k, v in STATUSES.items() if k != "new"}

account = page_setup("feedback_inbox")
triages = account.role == Role.PROVINCE
prefecture = None if triages else account.actor.region_code or "-"
set_feedback_context(step="意见反馈")
st.title("意见反馈处理" if triages else "意见反馈和服务评价")
if triages:
    st.caption("试运行期间各页面提交的意见反馈和办件“好差评”。处理结果和回复会显示在提交人的“我的办件”中。")
else:
    st.caption("与本地区服务有关的意见反馈和办件“好差评”（本地区办件上的评价和反馈，以及本地区工作人员提交的反馈）。"
               "处理和回复由公安厅治安管理总队负责。")

done = st.session_state.pop("inbox_flash", None)
if done:
    st.success(done)

PER_PAGE = 20
OPEN = "inbox_open"  # the entry whose triage form is shown


def open_entry(feedback_id: int | None) -> None:
    """Show this entry's triage form (None: none)."""
    st.session_state[OPEN] = feedback_id


def to_first_page() -> None:
    st.session_state["inbox_page_number"] = 1


def turn_page(step: int) -> None:
    st.session_state["inbox_page_number"] = int(st.session_state.get("inbox_page_number", 1)) + step


# Pages offered in the filter: every page of the menu, and any other page feedback came from.
pages = list(PAGE_LABELS) + [p for p in feedback_pages(engine()) if p not in PAGE_LABELS]
page_col, category_col, rating_col, status_col = st.columns(4)
page_choice = page_col.selectbox("页面", [ALL, *pages], key="inbox-page", on_change=to_first_page,
                                 format_func=lambda p: PAGE_LABELS.get(p, p))
category_choice = category_col.selectbox("类别", list(CATEGORIES), key="inbox-category", on_change=to_first_page)
rating_choice = rating_col.selectbox("评价", [ALL, *RATINGS], key="inbox-rating", on_change=to_first_page)
status_choice = status_col.selectbox("处理状态", [ALL, *STATUSES], key="inbox-status", on_change=to_first_page,
                                     format_func=lambda s: STATUSES.get(s, s))

result = inbox(engine(), category=CATEGORIES[category_choice],
               status=None if status_choice == ALL else status_choice,
               page=None if page_choice == ALL else page_choice,
               rating=None if rating_choice == ALL else rating_choice, prefecture=prefecture,
               number=int(st.session_state.get("inbox_page_number", 1)), per_page=PER_PAGE)
st.session_state["inbox_page_number"] = result.page
st.markdown(f"共 **{result.total}** 条")


def draw_item(entry: InboxItem) -> None:
    item = entry.feedback
    assert item.id is not None
    with st.container(border=True, key=f"feedback-{item.id}"):
        what = "服务评价" if item.category == "rating" else "意见反馈"
        status = STATUSES.get(item.status, item.status)
        color = "gray" if item.status in ("done", "declined") else "orange" if item.status == "new" else "blue"
        st.markdown(f"**{what}**　:{color}-badge[{status}]　:gray[{show(item.created_at)}]　"
                    f"{md_escape(entry.sender)}")
        facts = [f"页面：{md_escape(PAGE_LABELS.get(item.page, item.page) or '—')}",
                 f"步骤：{md_escape(item.step or '—')}", f"业务：{md_escape(view.kind_title(item.kind))}"]
        if item.rating:
            facts.append(f"评价：**{md_escape(item.rating)}**")
        if item.case_id is not None:
            facts.append(f"办件：{md_escape(entry.case_number)}")
        st.markdown("　|　".join(facts))
        st.text(item.text or "（无文字内容）")
        if item.reply:
            st.markdown(f"**已回复**：{md_escape(item.reply)}")
        if not triages:
            return
        if st.session_state.get(OPEN) != item.id:
            # The form is drawn for the entry being handled only: twenty forms made the page take a second to show.
            st.button("处理" if item.status == "new" else "修改处理结果", key=f"triage-open-{item.id}",
                      icon=":material/edit_note:", on_click=open_entry, args=(item.id,))
            return
        with st.form(f"triage-{item.id}", border=False):
            choose, reply_col = st.columns([1, 3])
            # No preselected result: a new entry is marked only by an explicit choice.
            status_value = choose.selectbox("处理结果", list(ACTIONS), placeholder="请选择处理结果",
                                            index=list(ACTIONS).index(item.status) if item.status in ACTIONS else None,
                                            format_func=lambda s: ACTIONS[s], key=f"triage-status-{item.id}")
            reply = reply_col.text_area("回复提交人", value=item.reply, height=68, placeholder="最多1000字",
                                        key=f"triage-reply-{item.id}")
            save_col, cancel_col, _ = st.columns([1, 1, 4])
            saved = save_col.form_submit_button("保存处理结果", type="primary")
            cancel_col.form_submit_button("取消", on_click=open_entry, args=(None,))
        if not saved:
            return
        if status_value is None:
            show_error("请先选择处理结果（已采纳、已完成或未采纳）。")
        else:
            try:
                triage(SqlFeedbackStore(engine()), item.id, status=status_value, reply=reply,
                       actor_id=account.user_id)
            except DomainError as error:
                show_error(error.message)
            else:
                open_entry(None)
                st.session_state["inbox_flash"] = f"已标记为“{ACTIONS[status_value]}”。"
                st.rerun()


if not result.items:
    st.caption("没有符合条件的反馈。")
for entry_shown in result.items:
    draw_item(entry_shown)
if result.pages > 1:
    back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button("上一页", key="inbox_prev", disabled=result.page <= 1, on_click=turn_page, args=(-1,))
    where.caption(f"第{result.page}页，共{result.pages}页")
    forward.button("下一页", key="inbox_next", disabled=result.page >= result.pages, on_click=turn_page, args=(1,))
