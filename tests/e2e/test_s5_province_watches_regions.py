"""S5 — the province watches the regions: per-region figures and a chart, the ledger exported to Excel;
a prefecture officer sees only its own region. Demo data (seeded) spreads cases over the 14 prefectures."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page
from sqlalchemy import func
from sqlmodel import Session, col, select

from flows.regions import get_regions
from flows.review.transitions import Stage
from store.db import make_engine
from store.models import Case
from tests.e2e.conftest import AppServer
from tests.e2e.helpers import (
    MAIN,
    assert_no_exception,
    download,
    expect_rerun,
    log_in,
    main_text,
    wait_until,
)

pytestmark = pytest.mark.e2e

REPORT_NUMBERS = ("收件", "在办", "已办结（通过/备案）", "退回", "不予通过/备案", "已撤回", "超期")


def open_menu(page: Page, label: str) -> str:
    with expect_rerun(page):
        page.get_by_role("link", name=label).first.click()
    page.locator(MAIN).get_by_role("heading", name=label).first.wait_for()
    return main_text(page)


def grid(page: Page, has_column: str) -> list[dict[str, str]]:
    """The rows of the table (a plain table, or a data grid through its accessible table) whose header has
    `has_column`, as text."""
    page.locator(f'{MAIN} [data-testid="stDataFrame"] [role="columnheader"], {MAIN} [data-testid="stTable"] th'
                 ).first.wait_for(state="attached")
    for table in page.locator(f'{MAIN} [data-testid="stTable"] table').all():
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        if has_column in headers:
            return [dict(zip(headers, [c.strip() for c in row.locator("td").all_inner_texts()], strict=False))
                    for row in table.locator("tbody tr").all()]
    for frame in page.locator(f'{MAIN} [data-testid="stDataFrame"]').all():
        headers = frame.locator('[role="columnheader"]').all_inner_texts()
        if has_column in headers:
            return [dict(zip(headers, row.locator('[role="gridcell"]').all_inner_texts(), strict=False))
                    for row in frame.locator('[role="row"]').all()[1:]]
    raise AssertionError(f"no table with the column {has_column}")


def download_from(page: Page, scope: Locator, label: str) -> Path:
    return Path(download(page, scope.get_by_role("button", name=re.compile(label))).path())


def workbook_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    rows = list(load_workbook(io.BytesIO(path.read_bytes()))[sheet].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def as_number(text: str) -> float | None:
    text = text.strip()
    return None if text in ("", "None", "—") else float(text.replace(",", ""))


def test_s5_province_sees_regions_chart_and_exports_ledger(
    app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]
) -> None:
    url = app_server.url
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    with Session(engine) as session:
        received = dict(session.exec(select(Case.prefecture_code, func.count()).where(
            col(Case.stage) != Stage.DRAFT).group_by(col(Case.prefecture_code))).all())
    engine.dispose()
    prefectures = [p.name for p in get_regions().prefectures()]

    # 1. The province officer opens the progress report: every region with its numbers, and a chart.
    province = new_page()
    log_in(province, url, "ting")
    open_menu(province, "工作通报")
    rows = grid(province, "收件")
    assert [r["地区"] for r in rows] == [*prefectures, "合计"]
    by_code = {p.code: p.name for p in get_regions().prefectures()}
    for code, name in by_code.items():
        row = next(r for r in rows if r["地区"] == name)
        assert int(row["收件"]) == received.get(code, 0) > 0, name  # demo data in all 14 prefectures
        parts = sum(int(row[c]) for c in ("在办", "已办结（通过/备案）", "不予通过/备案", "已撤回"))
        assert parts == int(row["收件"]), name
    chart = province.locator(f'{MAIN} [data-testid="stVegaLiteChart"]')
    chart.first.wait_for()
    assert chart.count() == 1
    assert_no_exception(province)
    shot(province, "province-report")

    # The report's Excel holds the same numbers as the screen.
    report_file = download_from(province, province.locator(MAIN), "导出Excel")
    excel = workbook_rows(report_file, "工作通报")
    assert [r["地区"] for r in excel] == [r["地区"] for r in rows]
    for screen, cells in zip(rows, excel, strict=True):
        for column in (*REPORT_NUMBERS, "按时办结率（%）"):
            assert as_number(screen[column]) == cells[column], (screen["地区"], column)

    # 2. The ledger: the units filed in every region, exported to Excel with the same rows.
    text = open_menu(province, "台账")
    ledger = grid(province, "统一社会信用代码")
    assert ledger and all(any(r["地区"].startswith(p) for p in prefectures) for r in ledger)
    units = int(re.search(r"单位数\s*(\d+)", text).group(1))  # type: ignore[union-attr]
    guards = int(re.search(r"保安员人数合计\s*(\d+)", text).group(1))  # type: ignore[union-attr]
    shot(province, "province-ledger")
    ledger_file = download_from(province, province.locator(MAIN), "导出Excel")
    filed = workbook_rows(ledger_file, "在册备案单位")
    assert len(filed) == len(ledger) and len({r["统一社会信用代码"] for r in filed}) == units
    assert sum(int(str(r["保安员人数"])) for r in filed) == guards
    for screen, cells in zip(ledger, filed, strict=True):
        for column, value in screen.items():
            assert str(cells[column]) == value, (column, value)
    assert len({str(r["备案证明编号"])[:6] for r in filed}) >= 10  # filed units all over the province

    # The region picker narrows the ledger to one prefecture.
    target = next(p for p in get_regions().prefectures() if ledger[-1]["地区"].startswith(p.name))
    picker = province.get_by_label("州、市、地").first
    picker.click()
    province.keyboard.type(target.name)  # the list shows only some options at once
    with expect_rerun(province):
        province.get_by_role("option", name=target.name, exact=True).click()
    narrowed: list[dict[str, str]] = []

    def only_target() -> bool:  # a busy machine redraws the table a little after the rerun
        narrowed[:] = grid(province, "统一社会信用代码")  # a row read mid-redraw may lack its cells (r63)
        return bool(narrowed) and all(r.get("地区", "").startswith(target.name) for r in narrowed)

    wait_until(province, only_target, f"the ledger narrowing to {target.name}")
    assert len(narrowed) < len(ledger)

    # 3. A prefecture officer sees only its own region: its counties, no other prefecture.
    officer = new_page()
    log_in(officer, url, f"zhou{target.code}")
    open_menu(officer, "工作通报")
    own = grid(officer, "收件")
    counties = [c.name for c in get_regions().counties(target.code)]
    assert [r["地区"] for r in own][: len(counties)] == counties
    assert not any(name in main_text(officer) for name in prefectures if name != target.name)
    assert int(own[-1]["收件"]) == received[target.code]
    shot(officer, "prefecture-report")
    open_menu(officer, "台账")
    assert [r["单位名称"] for r in grid(officer, "统一社会信用代码")] == [r["单位名称"] for r in narrowed]
    assert officer.get_by_label("州、市、地").count() == 0  # no picker beyond its own region
    assert_no_exception(officer)
