"""台账: units filed in the officer's region, cancelled filings and changes of legal representative; export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from flows.clock import today
from flows.config import get_config
from flows.kinds import get_filing, kinds_in
from flows.oversight.ledger import (
    CANCELLED_COLUMNS,
    CURRENT_COLUMNS,
    REPRESENTATIVE_COLUMNS,
    UNIT_COLUMNS,
    cancelled_row,
    current_row,
    neutralise,
    representative_row,
    to_csv,
    to_xlsx,
    unit_rows,
)
from flows.regions import get_regions
from flows.review.disclosure import Look, record_export
from flows.review.transitions import ROLE_LABELS, Role
from store.ledger import (
    Ledger,
    LedgerRecord,
    LedgerTotals,
    ledger_records,
    ledger_totals,
    ledger_units,
    ledger_version,
)
from store.uow import SqlUnitOfWork
from ui.guard_list import guard_list
from ui.kept import kept
from ui.layout import page_setup, set_feedback_context
from ui.session import engine

LEDGERS: dict[Ledger, str] = {"current": "在册备案单位", "cancelled": "已撤销备案", "representatives": "法定代表人变更"}
KINDS = {kind: get_filing(kind).short_title for kind in kinds_in("current")}
ALL = ""

account = page_setup("ledger")
actor = account.actor
set_feedback_context(step="台账")
regions = get_regions()
organ = get_config().organ_for(actor.region_code) if actor.region_code else ROLE_LABELS[actor.role]
st.title("台账")
st.caption(f"{organ}：辖区内已办结的{'、'.join(KINDS.values())}，已撤销的备案，以及法定代表人变更。")

ledger: Ledger = st.radio("台账类别", list(LEDGERS), format_func=LEDGERS.__getitem__, horizontal=True,
                          key="ledger_kind")


def region_picker() -> str | None:
    """The province picks a prefecture (then a county); a prefecture picks a county; a county has its own."""
    if actor.role == Role.COUNTY:
        return None
    names = {r.code: r.name for r in regions.prefectures()}
    prefecture = actor.region_code if actor.role == Role.PREFECTURE else None
    columns = st.columns(2 if actor.role == Role.PROVINCE else 1)
    if actor.role == Role.PROVINCE:
        prefecture = columns[0].selectbox("州、市、地", [ALL, *names], key="ledger_prefecture",
                                          format_func=lambda c: names.get(c, "全部"))
    if not prefecture:
        return None
    counties = {c.code: c.name for c in regions.counties(prefecture)}
    county = columns[-1].selectbox("县（市、区）", [ALL, *counties], key=f"ledger_county_{prefecture}",
                                   format_func=lambda c: counties.get(c, "全部"))
    return county or prefecture


filters = st.container()
with filters:
    region = region_picker()
    kinds: list[str] | None = None
    if ledger == "current":
        kind_col, search_col = st.columns([2, 3])
        chosen = kind_col.multiselect("业务类型", list(KINDS), format_func=KINDS.__getitem__, key="ledger_kinds",
                                      placeholder="全部业务")
        kinds = chosen or None
    else:
        search_col = st.container()
    search = search_col.text_input("搜索", key="ledger_search", placeholder="单位名称、统一社会信用代码或证明编号")

PER_PAGE = 100
ROW_MAKERS: dict[Ledger, Callable[[LedgerRecord], dict[str, Any]]] = {
    "cancelled": lambda r: cancelled_row(r, r.cancellation), "representatives": representative_row}
COLUMNS: dict[Ledger, tuple[str, ...]] = {
    "current": UNIT_COLUMNS, "cancelled": CANCELLED_COLUMNS, "representatives": REPRESENTATIVE_COLUMNS}
COUNT_LABELS: dict[Ledger, str] = {"current": "单位数", "cancelled": "已撤销件数", "representatives": "变更件数"}
columns = COLUMNS[ledger]
query: dict[str, Any] = {"kinds": kinds, "region": region, "search": search}


def turn_page(step: int) -> None:
    st.session_state["ledger_page"] = int(st.session_state.get("ledger_page", 1)) + step


def page_rows(offset: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of the ledger (one page, or all for the export): one per unit for the current ledger."""
    if ledger != "current":
        return [ROW_MAKERS[ledger](r) for r in ledger_records(engine(), actor, ledger, offset=offset or 0,
                                                                limit=limit, **query)]
    units = ledger_units(engine(), actor, ledger, offset=offset or 0, limit=limit, **query)
    return unit_rows(ledger_records(engine(), actor, ledger, credit_codes=units, **query)) if units else []


def export_sheets() -> list[tuple[str, tuple[str, ...], list[dict[str, Any]]]]:
    """What the export holds: the rows on the screen (all pages); the current ledger also each filing."""
    sheets = [(LEDGERS[ledger], columns, page_rows())]
    if ledger == "current":
        sheets.append(("备案明细", CURRENT_COLUMNS, [current_row(r) for r in ledger_records(engine(), actor, ledger,
                                                                                            **query)]))
    return sheets


def exported(fmt: str, make: Callable[[], tuple[bytes, int]]) -> bytes:
    """The export file, its audit entry written first (which ledger, filters, format, how many rows)."""
    data, count = make()
    record_export(SqlUnitOfWork(engine()), actor, Look.EXPORT_LEDGER, f"ledger:{ledger}",
                  {"format": fmt, "ledger": ledger, "region": region or actor.region_code or "",
                   "kinds": list(kinds or ()), "filtered": bool(search), "rows": count})
    return data


def xlsx_file() -> tuple[bytes, int]:
    sheets = export_sheets()
    return to_xlsx(sheets), len(sheets[0][2])


def csv_file() -> tuple[bytes, int]:
    rows = page_rows()
    return to_csv(columns, rows), len(rows)


# A change of ledger or filter starts again at the first page.
shown_query = (ledger, tuple(kinds or ()), region, search)
if st.session_state.get("ledger_query") != shown_query:
    st.session_state["ledger_query"] = shown_query
    st.session_state["ledger_page"] = 1


def counted(totals: LedgerTotals) -> tuple[int, int]:
    """What the ledger counts (units for the current one, rows for the others) and in how many pages."""
    count = totals.units if ledger == "current" else totals.rows
    return count, max(1, -(-count // PER_PAGE))


def shown_page(requested: int) -> tuple[LedgerTotals, int, list[dict[str, Any]]]:
    """The totals, the page number (within the pages there are) and its rows."""
    totals = ledger_totals(engine(), actor, ledger, **query)
    page = min(max(1, requested), counted(totals)[1])
    return totals, page, page_rows((page - 1) * PER_PAGE, PER_PAGE)


# Kept between runs while no act changed a case (a click on the page, the guard list, a download, re-reads
# nothing); the version is read on every run.
requested = int(st.session_state.get("ledger_page", 1))
totals, page, rows = kept("ledger", (actor.user_id, shown_query, requested, ledger_version(engine())),
                          lambda: shown_page(requested))
count, pages = counted(totals)
st.session_state["ledger_page"] = page

units_col, filings_col, guards_col = st.columns(3)
units_col.metric(COUNT_LABELS[ledger], count)
if ledger == "current":
    filings_col.metric("备案件数", totals.rows)
    guards_col.metric("保安员人数合计", totals.guards)

if not rows:
    st.info("没有符合条件的记录。")
else:
    # What the grid holds is neutralised like the export (its toolbar's CSV download is hidden, web/assets/app.css):
    # a unit name "=HYPERLINK(…)" shows and copies as the text it is, never as a formula.
    shown = [{k: neutralise(v) for k, v in r.items()} for r in rows]
    st.dataframe(shown, hide_index=True, width="stretch", column_order=columns, key="ledger_table",
                 height=min(35 * (len(rows) + 1) + 3, 743))
    if pages > 1:
        back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
        back.button("上一页", key="ledger_prev", disabled=page <= 1, on_click=turn_page, args=(-1,))
        where.caption(f"第{page}页，共{pages}页，{count}条（导出包含全部记录）")
        forward.button("下一页", key="ledger_next", disabled=page >= pages, on_click=turn_page, args=(1,))

title = LEDGERS[ledger]
stamp = today().strftime("%Y%m%d")
excel, csv_col, _ = st.columns([1, 1, 3])
# The files are made when the button is clicked (with every row), not on every rerun of the page.
excel.download_button("导出Excel", lambda: exported("xlsx", xlsx_file),
                      file_name=f"台账_{title}_{stamp}.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/download:", key="ledger_xlsx", on_click="ignore")
csv_col.download_button("导出CSV", lambda: exported("csv", csv_file), file_name=f"台账_{title}_{stamp}.csv",
                        mime="text/csv", icon=":material/download:", key="ledger_csv", on_click="ignore")

if ledger == "current" and rows:
    guard_list([(str(r["统一社会信用代码"]), str(r["单位名称"])) for r in rows], actor)
