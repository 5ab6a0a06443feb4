"""A name an applicant typed is shown as typed, never as a link (an outside review's attack, replayed in Chromium).

The review registered 乌鲁木齐[请点此核验营业执照](https://phish.example.com/x)有限公司 with a contact named
张三[官方客服](https://evil.example): the county's 单位核验 page showed "请点此核验营业执照" as a link to the
phishing address, where the officer compares the name with the licence, and the unit's own 单位账号 page (its
name and the members' table) did the same. Registration now refuses "[" and "]" in a name; a name stored
before that rule (made here without the registration's checks) still shows exactly as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from flows.identity.accounts import Registration
from store.accounts import demo_password_hash, register_applicant
from store.db import make_engine
from store.demo import DEMO_PASSWORD
from tests.e2e.conftest import AppServer
from tests.e2e.filing import credit_code
from tests.e2e.helpers import MAIN, assert_no_exception, click_button, fill_text, goto, log_in, see

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐[请点此核验营业执照](https://phish.example.com/x)有限公司"
CONTACT = "张三[官方客服](https://evil.example)"
MOBILE = "13577700031"


@pytest.fixture
def engine(app_server: AppServer) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    yield engine
    engine.dispose()


def links_out(page: Page) -> list[str]:
    """Addresses of links in the main area that leave the server."""
    hrefs = page.locator(MAIN).locator("a").evaluate_all("links => links.map(a => a.getAttribute('href') || '')")
    return [h for h in hrefs if "example" in h and not h.startswith("#")]


def test_a_unit_name_with_a_link_in_it_shows_as_typed_to_the_officer_and_the_unit(
        app_server: AppServer, engine: Engine, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    code = credit_code(7731)
    stored = Registration.model_construct(unit_name=UNIT, credit_code=code, contact=CONTACT, mobile=MOBILE,
                                          password=DEMO_PASSWORD)
    register_applicant(engine, stored, password_hash=demo_password_hash(DEMO_PASSWORD), verified=False)

    county = new_page()
    log_in(county, app_server.url, "xian650102")
    goto(county, app_server.url, "units")
    fill_text(county, "统一社会信用代码（18位，以营业执照为准）", code)
    click_button(county, "查询")
    text = see(county, "待核验")
    shot(county, "units-page")
    assert "[请点此核验营业执照](https://phish.example.com/x)" in text.replace("\u2060", "")
    assert "135****0031" in text and "官方客服" not in text  # the contact masked for the officer
    assert links_out(county) == []
    assert_no_exception(county)

    unit = new_page()
    log_in(unit, app_server.url, MOBILE)
    goto(unit, app_server.url, "unit_accounts")
    text = see(unit, "本单位的账号")
    shot(unit, "unit-accounts")
    assert UNIT in text.replace("\u2060", "")
    assert CONTACT in text.replace("\u2060", "")  # the members' table
    assert links_out(unit) == []
    assert_no_exception(unit)
