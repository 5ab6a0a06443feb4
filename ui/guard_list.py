"""台账 → 保安员名单: one unit's guards across its current filings, masked on the screen; the Excel
export (full numbers) goes through a use case that writes an audit entry."""

from __future__ import annotations

import functools

import streamlit as st

from flows.errors import DomainError
from flows.oversight.guard_roster import export_unit_guards, guard_rows, unit_guards
from flows.review.transitions import Actor
from store.uow import SqlUnitOfWork
from ui.session import engine
from ui.text import md_escape, plain_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def guard_list(units: list[tuple[str, str]], actor: Actor) -> None:
    """Pick a unit of the page shown (credit code, name) and see its guards."""
    names = dict(units)
    with st.container(border=True, key="guard-list"):
        st.markdown("**单位保安员名单**")
        chosen = st.selectbox("选择单位", list(names), index=None, placeholder="选择一个单位，查看其全部保安员",
                              format_func=lambda code: f"{names[code]}（{code}）", key="guard_unit")
        if chosen is None:
            st.caption("名单汇总该单位在本辖区的全部有效备案；身份证号码和手机号码部分隐藏，导出文件为完整信息，导出记入审计日志。")
            return
        try:
            guards = unit_guards(SqlUnitOfWork(engine(), read_only=True), actor, chosen)
        except DomainError as error:
            st.error(md_escape(error.message))
            return
        if not guards:
            st.caption("该单位的有效备案中没有保安员名单。")
            return
        st.caption(f"共{len(guards)}人，来自{len({g.case_number for g in guards})}件备案。")
        st.table(plain_cells(guard_rows(guards, masked=True)), hide_index=True)
        st.download_button("导出该单位保安员名单（Excel，含完整身份证号码）",
                           functools.partial(export_unit_guards, SqlUnitOfWork(engine()), actor, chosen,
                                             unit_name=names[chosen]),
                           file_name=f"保安员名单_{names[chosen]}.xlsx", mime=XLSX, icon=":material/download:",
                           key="guard_export", on_click="ignore")
        st.caption("导出操作会记入审计日志（导出人、时间、单位、人数）。")

