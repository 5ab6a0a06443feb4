"""Issue 14, item 4, in Chromium: the demo's security auditor logs in with the second factor, filters the audit log by
person and case, exports it (the export is recorded); the system administrator cannot open the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlmodel import Session, col, select

from store import audit
from store.db import write_session
from store.models import AuditEntry, User
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database
from tests.e2e.helpers import MAIN, click_button, download, fill_text, goto, log_in, see, wait_until

pytestmark = pytest.mark.e2e

PROBE = "case:914001"


def _table_rows(page: Page) -> list[list[str]]:
    table = page.locator(f'{MAIN} [data-testid="stTable"]').first
    return [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]


def _layout(page: Page) -> dict[str, int] | None:
    """How the log's table sits: px it is wider than its box, and the most lines a 编号 or 操作 cell takes."""
    found: dict[str, int] | None = page.evaluate("""() => {
        const table = document.querySelector('.st-key-audit-table table');
        if (!table || !table.querySelector('tbody tr')) return null;
        const lines = (cell) => { const p = cell.querySelector('p') || cell;
            return Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)); };
        const column = (n) => [...table.querySelectorAll(`tr > :nth-child(${n})`)].map(lines);
        return {overflow: table.parentElement.scrollWidth - table.parentElement.clientWidth,
                number: Math.max(...column(1)), action: Math.max(...column(5))}; }""")
    return found


def test_the_auditor_filters_and_exports_the_log_and_the_administrator_cannot_open_it(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]) -> None:
    url = app_server.url
    with app_database(app_server.data_dir) as engine:
        with Session(engine) as session:
            county = session.exec(select(User).where(User.login == "xian650102")).one()
            province = session.exec(select(User).where(User.login == "ting")).one()
        with write_session(engine) as session:  # two entries about the same case, by two officers
            audit.append(session, actor_id=county.id, action="e2e_probe", subject=PROBE)
            audit.append(session, actor_id=province.id, action="e2e_probe", subject=PROBE)
            session.commit()

        page = new_page()
        log_in(page, url, "shenji")
        goto(page, url, "audit")
        see(page, "完整性校验")
        # The whole log fits the page (a digest in 详情 once pushed it 60 px past the edge, cut off), and the
        # 编号 and 操作 columns keep to one line (登录（密码核对） stood in three).
        wait_until(page, lambda: _layout(page) == {"overflow": 0, "number": 1, "action": 1},
                   "the log fitting the page with 编号 and 操作 on one line")
        fill_text(page, "对象", PROBE)
        click_button(page, "查询")
        wait_until(page, lambda: len(_table_rows(page)) == 2, "both entries about the case")
        fill_text(page, "操作人", "xian650102")
        click_button(page, "查询")
        wait_until(page, lambda: len(_table_rows(page)) == 1, "only the county officer's entry")
        (row,) = _table_rows(page)
        assert "xian650102" in row and PROBE in row and "e2e_probe" in row
        shot(page, "audit-viewer")
        exported_file = download(page, page.get_by_role("button", name="导出CSV"))
        exported = list(csv.DictReader(io.StringIO(Path(exported_file.path()).read_text(encoding="utf-8-sig"))))
        assert [(r["登录名"], r["对象"]) for r in exported] == [("xian650102", PROBE)]
        with Session(engine) as session:
            auditor = session.exec(select(User).where(User.login == "shenji")).one()

            def recorded() -> AuditEntry | None:
                session.expire_all()
                return session.exec(select(AuditEntry).where(col(AuditEntry.action) == "audit_export")
                                    .order_by(col(AuditEntry.id).desc())).first()

            wait_until(page, lambda: recorded() is not None, "the export's audit entry")
            entry = recorded()
            assert entry is not None and entry.actor_id == auditor.id
            assert entry.detail["subject"] == PROBE and entry.detail["rows"] == 1
        click_button(page, "校验审计日志")
        see(page, "审计日志校验通过")

    admin = new_page()
    log_in(admin, url, "admin")
    assert "审计日志" not in admin.locator('[data-testid="stSidebar"]').inner_text()
    goto(admin, url, "audit")
    text = see(admin, "您无权访问此页面。")
    assert PROBE not in text
