"""待办队列: the cases waiting on this officer, soonest due first."""

from __future__ import annotations

import streamlit as st

from flows.clock import show
from flows.config import get_config
from flows.kinds import all_filings
from flows.review.transitions import ROLE_LABELS, STAGE_LABELS, Role, Stage
from store.queue import DUE_LABELS, Due, QueueRow, queue_counts, queue_page, waiting_stages
from ui import registry
from ui.layout import page_setup, set_feedback_context
from ui.session import engine
from ui.text import md_escape

PER_PAGE = 25
WIDTHS = [4.2, 2.2, 1.8, 0.8]
HEADINGS = ("办件", "办理环节", "办结期限", "")

account = page_setup("queue")
actor = account.actor
set_feedback_context(step="待办队列")


def kinds_for(role: Role) -> dict[str, str]:
    """The kinds that can wait on this role: county only confirms B/C/D, the province only approves A."""
    found = {}
    for kind, filing in all_filings().items():
        if role == Role.COUNTY and not filing.route.county_confirm:
            continue
        if role == Role.PROVINCE and not filing.route.province_approval:
            continue
        found[kind] = filing.short_title
    return found


def to_first_page() -> None:
    st.session_state["queue_page"] = 1


def turn_page(step: int) -> None:
    st.session_state["queue_page"] = max(1, int(st.session_state.get("queue_page", 1)) + step)


def draw_row(row: QueueRow) -> None:
    with st.container(border=True):
        what, stage, due, go = st.columns(WIDTHS, vertical_alignment="center")
        flags = "".join(f" :red-badge[{md_escape(a)}]" for a in row.alerts)
        if row.warnings:
            flags += f" :orange-badge[{row.warnings}项提示]"
        what.markdown(f"**{md_escape(row.number)}**　{md_escape(row.kind_title)}  \n"
                      f"{md_escape(row.unit_name)}{flags}")
        stage.markdown(f"{row.stage_label}  \n:gray[:small[提交于{show(row.submitted_at)}]]")
        if row.time_left is None:
            due.markdown("不计时")
        else:
            left = row.time_left
            color = "red" if left.overdue else "orange" if left.last_day else "gray"
            due.markdown(f"{left.due_text()}  \n:{color}-badge[{left.label()}]")
        # A link, not a button: the case page opens in one run (a button ran this page again before switching),
        # and an officer may open cases in new browser tabs.
        with go.container(key=f"open-{row.id}"):
            st.page_link(registry.page("case").file, label="办理", query_params={"id": str(row.id)})


organ = get_config().organ_for(actor.region_code) if actor.region_code else ROLE_LABELS[actor.role]
st.title("待办队列")
st.caption(f"{organ}：等待您办理的办件，按办结期限先后排列。")

counts = queue_counts(engine(), actor)
waiting, overdue, due_today = st.columns(3)
waiting.metric("待办理", counts.waiting)
overdue.metric("已超期", counts.overdue)
due_today.metric("今天到期", counts.due_today)

kinds = kinds_for(actor.role)
stages = waiting_stages(actor.role)
if len(stages) > 1:
    f_kind, f_stage, f_due, f_search = st.columns([2, 2, 1.3, 2.5])
else:
    f_kind, f_due, f_search = st.columns([2, 1.3, 2.5])
chosen_kinds = f_kind.multiselect("业务类型", list(kinds), format_func=kinds.__getitem__, key="queue_kinds",
                                  placeholder="全部业务", on_change=to_first_page)
chosen_stages: list[Stage] = []
if len(stages) > 1:
    chosen_stages = f_stage.multiselect("办理环节", stages, format_func=STAGE_LABELS.__getitem__,
                                        key="queue_stages", placeholder="全部环节", on_change=to_first_page)
due_options: list[Due | None] = [None, "overdue", "today", "week"]
chosen_due = f_due.selectbox("办结期限", due_options, key="queue_due", on_change=to_first_page,
                             format_func=lambda d: "全部" if d is None else DUE_LABELS[d])
search = f_search.text_input("搜索", key="queue_search", on_change=to_first_page,
                             placeholder="办件编号、单位名称或统一社会信用代码")

result = queue_page(engine(), actor, kinds=chosen_kinds or None, stages=chosen_stages or None, due=chosen_due,
                    search=search, page=int(st.session_state.get("queue_page", 1)), per_page=PER_PAGE)
st.session_state["queue_page"] = result.page

if not result.rows:
    st.info("没有符合条件的待办办件。" if counts.waiting else "目前没有等待您办理的办件。")
    st.stop()

header = st.columns(WIDTHS)
for col, heading in zip(header, HEADINGS, strict=True):
    col.caption(heading)
for row in result.rows:
    draw_row(row)

if result.pages == 1:
    st.caption(f"共{result.total}件")
    st.stop()
back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
back.button("上一页", key="queue_prev", disabled=result.page <= 1, on_click=turn_page, args=(-1,))
where.caption(f"第{result.page}页，共{result.pages}页，{result.total}件")
forward.button("下一页", key="queue_next", disabled=result.page >= result.pages, on_click=turn_page, args=(1,))
