"""Issue 19 for the prefecture and the province, in Chromium: the ledger has one row per unit and a
per-unit guard list, masked, whose export is audited (item 15); the report's table fits the page (16);
a prefecture sees the feedback about its own region and triage preselects nothing (14); Streamlit's
dropdowns, table toolbars and calendar speak Chinese (5)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.accounts import Account
from store.feedback import add_feedback
from store.models import AuditEntry
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, file_c_case, register_unit, submit_c_case
from tests.e2e.helpers import MAIN, choose, click_button, download, goto, log_in, see
from tests.e2e.ux_checks import latin_words

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐双塔物业服务有限公司"


@dataclass
class Oversight:
    unit: Account
    engine: Engine


@pytest.fixture(scope="module")
def oversight(app_server: AppServer) -> Iterator[Oversight]:
    """A unit filed twice in 天山区; feedback on a case of 乌鲁木齐市 and on one of 克拉玛依市."""
    with app_database(app_server.data_dir) as engine:
        unit = register_unit(engine, unit_name=UNIT, seed=1914, contact="李娜", mobile="13777191401")
        first = file_c_case(engine, unit)
        file_c_case(engine, unit)
        add_feedback(engine, user_id=unit.user_id, page="my_cases", step="办件评价", kind="C",
                     text="天山区办得很快", rating="满意", case_id=first.id, category="rating")
        other = register_unit(engine, unit_name="克拉玛依某物业服务有限公司", seed=1915, contact="王五",
                              mobile="13777191501")
        elsewhere = submit_c_case(engine, other, days_ago=1, unit_region={"prefecture": "650200", "county": "650202"})
        add_feedback(engine, user_id=other.user_id, page="assistant", step="核对并提交", kind="C",
                     text="克拉玛依的意见", case_id=elsewhere.id)
        yield Oversight(unit, engine)


def grid_rows(page: Page) -> list[dict[str, str]]:
    """The rows of the page's first data grid, as text (from its accessible table)."""
    frame = page.locator(f'{MAIN} [data-testid="stDataFrame"]').first
    frame.locator('[role="columnheader"]').first.wait_for(state="attached")
    headers = frame.locator('[role="columnheader"]').all_inner_texts()
    return [dict(zip(headers, row.locator('[role="gridcell"]').all_inner_texts(), strict=False))
            for row in frame.locator('[role="row"]').all()[1:]]


def test_ledger_rows_per_unit_a_masked_guard_list_with_an_audited_export_and_chinese_widgets(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
        oversight: Oversight) -> None:
    url, code = app_server.url, oversight.unit.credit_code or ""
    page = new_page()
    log_in(page, url, "zhou650100")

    # 5. A multiselect's dropdown and a table's toolbar speak Chinese.
    goto(page, url, "queue")
    page.get_by_label("业务类型", exact=True).click()
    page.get_by_role("option").first.wait_for()
    assert not latin_words(page), latin_words(page)
    page.keyboard.press("Escape")

    # 15. One row per unit, with both its filings.
    goto(page, url, "ledger")
    rows = [r for r in grid_rows(page) if r.get("统一社会信用代码") == code]
    assert len(rows) == 1, rows
    assert rows[0]["备案件数"] == "2"  # (the grid draws only the columns in view)
    units = int(page.locator('[data-testid="stMetric"]').filter(has_text="单位数")
                .locator('[data-testid="stMetricValue"]').inner_text())
    assert units == len(grid_rows(page))  # 「单位数」 counts the rows it sits above
    page.locator(f'{MAIN} [data-testid="stDataFrame"]').first.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    toolbar.wait_for()
    shown = [b.get_attribute("aria-label") for b in toolbar.get_by_role("button").all() if b.is_visible()]
    assert "在表格中搜索" in shown and "下载为CSV文件" not in shown  # exports only through 导出Excel / 导出CSV
    assert not latin_words(page), latin_words(page)

    # The unit's guards: masked on the screen, exported in full, the export audited.
    choose(page, "选择单位", f"{UNIT}（{code}）")
    # The table is drawn after the text around it (its code loads on demand): wait for it.
    page.locator('.st-key-guard-list [data-testid="stTable"]').wait_for()
    guards = page.locator(".st-key-guard-list").inner_text()
    assert "共6人，来自2件备案" in guards and "1101**********002X" in guards and "11010519491231002X" not in guards
    shot(page, "guard-list")
    roster = download(page, page.get_by_role("button", name="导出该单位保安员名单（Excel，含完整身份证号码）"))
    sheet = load_workbook(io.BytesIO(Path(roster.path()).read_bytes())).worksheets[0]
    numbers = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(numbers) == 6 and "11010519491231002X" in numbers
    with Session(oversight.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "export_guards",
                                                      AuditEntry.subject == f"unit:{code}")
                             .order_by(col(AuditEntry.id).desc())).first()
    assert entry is not None and entry.detail["rows"] == 6

    # 16. The report's table fits the page; 5. its calendar speaks Chinese.
    goto(page, url, "report")
    table = page.locator(".st-key-report_table")
    table.locator("table").wait_for()
    widths = table.evaluate("""(t) => [t.querySelector('table').getBoundingClientRect().width,
        t.getBoundingClientRect().width, t.scrollWidth, t.clientWidth]""")
    assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, widths
    page.locator('[data-testid="stDateInput"]').first.get_by_role("button").first.click()
    page.get_by_role("grid").first.wait_for()
    assert not latin_words(page), latin_words(page)
    shot(page, "report-fits")

    # 14. The prefecture sees what is about its own region's service, read-only.
    page.keyboard.press("Escape")
    goto(page, url, "feedback_inbox")
    text = see(page, "天山区办得很快")
    assert "克拉玛依的意见" not in text
    assert not page.get_by_role("button", name="保存处理结果").count()


def test_triage_preselects_no_result(app_server: AppServer, new_page: Callable[[], Page],
                                     oversight: Oversight) -> None:
    page = new_page()
    log_in(page, app_server.url, "ting")
    goto(page, app_server.url, "feedback_inbox")
    item = page.locator(MAIN).locator('[class*="st-key-feedback-"]').filter(has_text="克拉玛依的意见").first
    click_button(item, "处理")
    # The selectbox is drawn after the text around it (its code loads on demand): wait for it.
    choice = item.locator('[data-testid="stSelectbox"]')
    choice.wait_for()
    shown = item.inner_text()
    assert not any(status in shown for status in ("已采纳", "已完成", "未采纳"))  # nothing preselected
    assert choice.get_by_placeholder("请选择处理结果").count() or "请选择处理结果" in choice.inner_text()
    click_button(item, "保存处理结果")
    see(page, "请先选择处理结果")
