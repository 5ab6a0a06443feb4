"""台账: units filed in the officer's region, cancelled filings and changes of legal representative; export."""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

from flows.clock import today
from flows.config import get_config
from flows.ledger import (
    CANCELLED_COLUMNS,
    CURRENT_COLUMNS,
    REPRESENTATIVE_COLUMNS,
    cancelled_row,
    current_row,
    representative_row,
    to_csv,
    to_xlsx,
)
from flows.regions import get_regions
from flows.review import OFFICER_ROLES, ROLE_LABELS, Role
from store.ledger import Ledger, ledger_records
from ui.layout import page_setup, set_feedback_context
from ui.session import engine

LEDGERS: dict[Ledger, str] = {"current": "在册备案单位", "cancelled": "已撤销备案", "representatives": "法定代表人变更"}
KINDS = {"B": "跨省提供服务备案", "C": "自行招用保安员单位备案"}
ALL = ""

account = page_setup("台账", page_id="ledger", roles=OFFICER_ROLES)
assert account is not None
actor = account.actor
set_feedback_context(step="台账")
regions = get_regions()
organ = get_config().organ_for(actor.region_code) if actor.region_code else ROLE_LABELS[actor.role]
st.title("台账")
st.caption(f"{organ}：辖区内已备案的跨省服务保安服务公司和自行招用保安员单位，已撤销的备案，以及法定代表人变更。")

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

records = ledger_records(engine(), actor, ledger, kinds=kinds, region=region, search=search)
columns: tuple[str, ...]
rows: list[dict[str, Any]]
if ledger == "current":
    columns, rows = CURRENT_COLUMNS, [current_row(r) for r in records]
elif ledger == "cancelled":
    columns, rows = CANCELLED_COLUMNS, [cancelled_row(r, r.cancellation) for r in records]
else:
    columns, rows = REPRESENTATIVE_COLUMNS, [representative_row(r) for r in records]

COUNT_LABELS: dict[Ledger, str] = {"current": "单位数", "cancelled": "已撤销件数", "representatives": "变更件数"}
units, guards = st.columns(2)
units.metric(COUNT_LABELS[ledger], len({r["统一社会信用代码"] for r in rows}) if ledger == "current" else len(rows))
if ledger == "current":
    guards.metric("保安员人数合计", sum(int(r["保安员人数"]) for r in rows))

if not rows:
    st.info("没有符合条件的记录。")
else:
    st.dataframe(rows, hide_index=True, width="stretch", column_order=columns, key="ledger_table",
                 height=min(35 * (len(rows) + 1) + 3, 743))

title = LEDGERS[ledger]
stamp = today().strftime("%Y%m%d")
excel, csv_col, _ = st.columns([1, 1, 3])
# The files are made when the button is clicked, not on every rerun of the page.
excel.download_button("导出Excel", functools.partial(to_xlsx, [(title, columns, rows)]), file_name=f"台账_{title}_{stamp}.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/download:", key="ledger_xlsx", on_click="ignore")
csv_col.download_button("导出CSV", functools.partial(to_csv, columns, rows), file_name=f"台账_{title}_{stamp}.csv", mime="text/csv",
                        icon=":material/download:", key="ledger_csv", on_click="ignore")
