"""Exports only through the product's own buttons (issue 14, item 5), in Chromium: the ledger grid's toolbar
offers no CSV download of its own; the product's 导出CSV neutralises a unit name written as a spreadsheet
formula and the export is written to the audit log."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.accounts import account_by_login
from store.models import AuditEntry
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, file_c_case, register_unit
from tests.e2e.helpers import MAIN, download, fill_text, goto, log_in, see

pytestmark = pytest.mark.e2e

HOSTILE = '=HYPERLINK("http://evil.example","点我")物业'
PREFECTURE = "zhou650100"


def test_the_ledger_exports_only_through_its_buttons_neutralised_and_audited(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]) -> None:
    with app_database(app_server.data_dir) as engine:
        unit = register_unit(engine, unit_name=HOSTILE, seed=1416, contact="赵六", mobile="13777141601")
        file_c_case(engine, unit)
        officer = account_by_login(engine, PREFECTURE)
        assert officer is not None and unit.credit_code

        page = new_page()
        log_in(page, app_server.url, PREFECTURE)
        goto(page, app_server.url, "ledger")
        fill_text(page, "搜索", unit.credit_code)
        see(page, "单位数")
        grid = page.locator(f'{MAIN} [data-testid="stDataFrame"]').first
        grid.hover()
        toolbar = page.locator('[data-testid="stElementToolbar"]').first
        toolbar.wait_for()
        expect(toolbar.get_by_role("button").first).to_be_visible()  # search, full screen: still there
        assert not [b for b in toolbar.get_by_role("button").all()
                    if b.is_visible() and b.get_attribute("aria-label") in ("下载为CSV文件", "Download as CSV")]
        shot(page, "ledger-toolbar")

        exported = download(page, page.get_by_role("button", name="导出CSV", exact=True))
        rows = list(csv.DictReader(io.StringIO(Path(exported.path()).read_text(encoding="utf-8-sig"))))
        assert [r["单位名称"] for r in rows] == ["'" + HOSTILE]  # text, never a formula

        exports = recorded(engine, "export_ledger", officer.user_id)
        assert exports and exports[-1].detail["format"] == "csv" and exports[-1].detail["rows"] == 1
        assert exports[-1].detail["filtered"] is True and HOSTILE not in str(exports[-1].detail)

        # The progress report's export is recorded the same way.
        goto(page, app_server.url, "report")
        see(page, "按时办结率")
        download(page, page.get_by_role("button", name="导出Excel", exact=True))
        reports = recorded(engine, "export_report", officer.user_id)
        assert reports and reports[-1].subject == "report:progress" and reports[-1].detail["format"] == "xlsx"


def recorded(engine: Engine, action: str, user_id: int) -> list[AuditEntry]:
    """The officer's entries of `action`, once there is one (written as the file is asked for)."""
    deadline = time.monotonic() + 30
    while True:
        with Session(engine) as session:
            found = list(session.exec(select(AuditEntry).where(AuditEntry.action == action,
                                                               AuditEntry.actor_id == user_id)
                                      .order_by(col(AuditEntry.id))))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
