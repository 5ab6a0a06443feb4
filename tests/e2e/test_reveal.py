"""Need-to-know display in the browser (issue 14): a county officer opens a case and sees ID numbers and
mobiles masked; 显示完整号码 shows them in full with the sex and birth date they give, and the audit log
records the open, the reveal and the merged-dossier download (who and which case, never the number)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.accounts import account_by_login
from store.db import make_engine
from store.models import AuditEntry
from tests.e2e.conftest import AppServer
from tests.e2e.filing import register_unit, submit_c_case
from tests.e2e.helpers import MAIN, assert_no_exception, click_button, download, goto, log_in, main_text, see

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐月华物业服务有限公司"
COUNTY = "xian650102"
PRINCIPAL_ID = "650105197606060017"  # the demo C filing's principal
GUARD_ID = "11010519491231002X"  # the first guard of its roster


@pytest.fixture
def engine(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # uploads go into the app's blob store
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    yield engine
    engine.dispose()


def looks(engine: Engine, user_id: int, subject: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.actor_id == user_id,
                                                          AuditEntry.subject == subject)
                                 .order_by(col(AuditEntry.id))))


def wait_for_look(engine: Engine, user_id: int, subject: str, action: str) -> list[AuditEntry]:
    """The entries once `action` is among them (the download's entry is written as the file is asked for)."""
    deadline = time.monotonic() + 30
    while True:
        found = looks(engine, user_id, subject)
        if any(e.action == action for e in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_county_officer_sees_masked_numbers_and_a_reveal_is_recorded(
        app_server: AppServer, engine: Engine, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    applicant = register_unit(engine, unit_name=UNIT, seed=5151, contact="周月", mobile="13877775151")
    case = submit_c_case(engine, applicant, days_ago=1)
    officer = account_by_login(engine, COUNTY)
    assert officer is not None and case.number
    subject = f"case:{case.id}"

    page = new_page()
    log_in(page, app_server.url, COUNTY)
    goto(page, app_server.url, f"case?id={case.id}")
    see(page, f"办件 {case.number}")
    text = see(page, "6501**********0017")
    assert PRINCIPAL_ID not in text and "1976-06-06" not in text  # no number, no birth date
    assert "1101**********002X" in text and GUARD_ID not in text  # the roster too
    assert "139****0006" in text and "13999100006" not in text
    roster = page.locator(f'{MAIN} [data-testid="stTable"]').filter(has_text="居民身份证号码")
    assert roster.count() >= 1  # a plain table: no toolbar to export it around the product's buttons
    assert page.locator(f'{MAIN} [data-testid="stDataFrame"]').filter(has_text="居民身份证号码").count() == 0
    shot(page, "case-masked")

    click_button(page, "显示完整号码")
    text = see(page, f"{PRINCIPAL_ID}（男，1976-06-06出生）")
    assert GUARD_ID in text and "13999100006" in text and "已显示完整号码" in text
    assert_no_exception(page)
    shot(page, "case-revealed")

    # The merged dossier is handed over once its download is recorded.
    page.get_by_role("tab", name=re.compile("^材料")).click()
    dossier = download(page, page.get_by_role("link", name=re.compile("下载全部材料")))
    assert Path(dossier.path()).stat().st_size > 0
    entries = wait_for_look(engine, officer.user_id, subject, "download_dossier")
    actions = [e.action for e in entries]
    assert actions.count("open_case") == 1 and actions.count("reveal_personal_data") == 1
    assert "download_dossier" in actions and "preview_material" in actions
    assert actions.index("open_case") < actions.index("reveal_personal_data")
    assert not any(PRINCIPAL_ID in str(e.detail) or GUARD_ID in str(e.detail) for e in entries)

    # The reveal lasts for this case in this browser session only: a new session sees masks again.
    other = new_page()
    log_in(other, app_server.url, COUNTY)
    goto(other, app_server.url, f"case?id={case.id}")
    text = see(other, "6501**********0017")
    assert PRINCIPAL_ID not in text
    expect(other.get_by_role("button", name="显示完整号码", exact=True)).to_be_visible()
    assert "已显示完整号码" not in main_text(other)
