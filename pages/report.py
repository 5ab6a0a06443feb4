"""工作通报: progress per region (the province sees prefectures, a prefecture its counties), baseline coverage."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from flows.clock import chinese_date, today
from flows.errors import DomainError
from flows.kinds import all_filings
from flows.oversight.ledger import neutralise, to_csv, to_xlsx
from flows.oversight.reports import (
    BASELINE_LABELS,
    COLUMNS,
    COVERAGE_COLUMNS,
    TOTAL,
    coverage_row,
    days_to_deadline,
)
from flows.oversight.tables import import_baseline_units
from flows.regions import get_regions
from flows.review.disclosure import Look, record_export
from flows.review.transitions import Role
from store.admin import effective_config
from store.baseline import coverage
from store.lists import SqlListStore
from store.reports import progress_report
from store.uow import SqlUnitOfWork
from ui.layout import page_setup, set_feedback_context, show_error
from ui.session import engine

STACKED = ("在办", "已办结（通过/备案）", "不予通过/备案", "已撤回")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

account = page_setup("report")
actor = account.actor
set_feedback_context(step="工作通报")
config = effective_config(engine())
regions = get_regions()
level = "各州、市、地" if actor.role == Role.PROVINCE else "各县（市、区）"
st.title("工作通报")
where = config.organ_for(actor.region_code) if actor.region_code else config.corps
st.caption(f"{where}：{level}办件进度、按时办结情况和底数覆盖情况。")

def exported(report_name: str, fmt: str, data: bytes, detail: dict[str, Any]) -> bytes:
    """The export file, handed over once its audit entry is written (which report, format, period)."""
    record_export(SqlUnitOfWork(engine()), actor, Look.EXPORT_REPORT, f"report:{report_name}",
                  {"report": report_name, "format": fmt, **detail})
    return data


def audited(report_name: str, fmt: str, make: Callable[[], bytes], detail: dict[str, Any]) -> Callable[[], bytes]:
    """A download's data: made when clicked, recorded before it is handed over."""
    return lambda: exported(report_name, fmt, make(), detail)


progress_tab, baseline_tab = st.tabs(["办件进度", "底数覆盖"])


def period() -> tuple[date, date]:
    now = today()
    chosen = st.date_input("统计期间（按首次提交日期）", value=(date(now.year, 1, 1), now), max_value=now,
                           key="report_period", format="YYYY-MM-DD")
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return chosen[0], chosen[1]
    start = chosen[0] if isinstance(chosen, tuple) and chosen else now
    assert isinstance(start, date)
    return start, start


def chart(table: list[dict[str, Any]]) -> None:
    regions_only = [r for r in table if r["地区"] != TOTAL]
    frame = pd.DataFrame(regions_only)
    order = [r["地区"] for r in regions_only]
    long = frame.melt(id_vars=["地区"], value_vars=list(STACKED), var_name="状态", value_name="件数")
    bars = alt.Chart(long).mark_bar().encode(
        y=alt.Y("地区:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("件数:Q", title="收件（件）", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("状态:N", sort=list(STACKED), title="状态",
                        scale=alt.Scale(domain=list(STACKED), range=["#f0a04b", "#4c9a5f", "#c0504d", "#9e9e9e"])),
        order=alt.Order("状态排序:Q"),
        tooltip=["地区", "状态", "件数"],
    ).transform_calculate(状态排序=f"indexof({list(STACKED)!r}, datum.状态)")
    # A triangle only where a case is overdue: one at zero read as a warning for a region with none.
    overdue = alt.Chart(frame).mark_point(shape="triangle-left", size=80, color="#b00020", filled=True).encode(
        y=alt.Y("地区:N", sort=order), x=alt.X("超期:Q"), tooltip=["地区", "超期"]).transform_filter(
        "datum['超期'] > 0")
    # No Vega ARIA texts (generated in English); the chart's description says what it shows.
    layered = (bars + overdue).properties(height=28 * len(order) + 40, description="各地区收件数（按当前状态分色）和超期件数")
    st.altair_chart(layered.configure(aria=False), width="stretch")
    st.caption("条长为收件数，按当前状态分色；红色三角标出超期件数。")


with progress_tab:
    start, end = period()
    kind_names = {k: f.short_title for k, f in all_filings().items()}
    kinds = st.multiselect("业务类型", list(kind_names), format_func=kind_names.__getitem__, key="report_kinds",
                           placeholder="全部业务")
    report = progress_report(engine(), actor, start=start, end=end, kinds=kinds or None)
    table = report.table()
    total = table[-1]
    received, open_, approved, overdue, on_time = st.columns(5)
    received.metric("收件", total["收件"])
    open_.metric("在办", total["在办"])
    approved.metric("已办结（通过/备案）", total["已办结（通过/备案）"])
    overdue.metric("超期", total["超期"])
    rate = total["按时办结率（%）"]
    on_time.metric("按时办结率", "—" if rate is None else f"{rate}%")
    chart(table)
    # A plain table: its headers wrap, so the 13 columns fit the page (a data grid scrolled sideways).
    with st.container(key="report_table"):
        frame = pd.DataFrame(table, columns=list(COLUMNS))
        st.table(frame.style.format(precision=1, na_rep="—").hide(axis="index"))
    st.caption(f"统计截至{chinese_date(report.as_of)}。收件=在办+已办结+不予通过/备案+已撤回；退回为曾退回补正的件数；"
               "超期为截至统计日仍在办且已过办结期限的件数；按时办结率=各环节均在时限内办结的件数÷已办结和不予通过/备案件数；"
               "一次办结率=未经任何退回即通过的件数÷通过件数；用时按工作日计，不含起始日。")
    stamp = f"{start:%Y%m%d}-{report.as_of:%Y%m%d}"
    note = [{"项目": "统计期间", "内容": f"{start.isoformat()} 至 {end.isoformat()}"},
            {"项目": "统计截至", "内容": report.as_of.isoformat()},
            {"项目": "业务类型", "内容": "、".join(kind_names[k] for k in kinds) or "全部"},
            {"项目": "统计单位", "内容": where}]
    excel, csv_col, _ = st.columns([1, 1, 3])
    scope = {"period": f"{start.isoformat()}/{end.isoformat()}", "kinds": list(kinds), "rows": len(table)}
    excel.download_button("导出Excel", audited("progress", "xlsx", functools.partial(
                              to_xlsx, [("工作通报", COLUMNS, table), ("说明", ("项目", "内容"), note)]), scope),
                          file_name=f"工作通报_{stamp}.xlsx", mime=XLSX, icon=":material/download:",
                          key="report_xlsx", on_click="ignore")
    csv_col.download_button("导出CSV", audited("progress", "csv", functools.partial(to_csv, COLUMNS, table), scope),
                            file_name=f"工作通报_{stamp}.csv", mime="text/csv",
                            icon=":material/download:", key="report_csv", on_click="ignore")


def baseline_import() -> None:
    with st.expander("导入底数名单", icon=":material/upload_file:"):
        st.caption("Excel（.xlsx）或CSV文件，首行为列名：单位名称、统一社会信用代码、所属地区（行政区划代码或全称），"
                   "业务类型（B或C，可留空）。按统一社会信用代码新增或更新。")
        with st.form("baseline_form", clear_on_submit=True):
            upload = st.file_uploader("底数名单文件", type=["xlsx", "csv"], key="baseline_file")
            sent = st.form_submit_button("导入")
        if sent:
            if upload is None:
                show_error("请先选择文件。")
                return
            try:
                result = import_baseline_units(SqlListStore(engine()), actor, data=upload.getvalue(),
                                               filename=upload.name)
            except DomainError as error:
                show_error(error.message)
                return
            st.success(f"已新增{result.added}家、更新{result.updated}家单位。")
            for line, message in result.errors[:20]:
                st.warning(f"第{line}行：{message}")


with baseline_tab:
    deadline = config.campaign_deadline
    left = days_to_deadline(deadline, today())
    if left >= 0:
        st.info(f"集中备案截止日期：{chinese_date(deadline)}，还有{left}天。", icon=":material/event:")
    else:
        st.warning(f"集中备案截止日期{chinese_date(deadline)}已过{-left}天，未启动的单位应督促尽快办理。",
                   icon=":material/event_busy:")
    if actor.role == Role.PROVINCE:
        baseline_import()
    found = coverage(engine(), actor)
    if not found.total.known:
        st.caption("尚未导入底数名单。")
    else:
        rows = [coverage_row(r) for r in (*found.regions, found.total)]
        st.dataframe(rows, hide_index=True, width="stretch", column_order=COVERAGE_COLUMNS, key="coverage_table")
        waiting = [{"地区": regions.full_name(u.county_code or u.prefecture_code), "单位名称": u.name,
                    "统一社会信用代码": u.credit_code, "状态": BASELINE_LABELS[u.status]} for u in found.not_started]
        st.markdown(f"**未启动备案的单位（{len(waiting)}家）**")
        if waiting:
            # Unit names come from an imported file: the grid holds them neutralised, as the export does.
            st.dataframe([{k: neutralise(v) for k, v in w.items()} for w in waiting], hide_index=True,
                         width="stretch", key="not_started_table")
        columns = ("地区", "单位名称", "统一社会信用代码", "状态")
        book = functools.partial(to_xlsx, [("底数覆盖", COVERAGE_COLUMNS, rows), ("未启动单位", columns, waiting)])
        st.download_button("导出底数覆盖情况", audited("coverage", "xlsx", book, {"rows": len(waiting)}),
                           file_name=f"底数覆盖_{today():%Y%m%d}.xlsx", mime=XLSX, icon=":material/download:",
                           key="coverage_xlsx", on_click="ignore")
