"""单位核验 within the officer's area (an outside review's attack, replayed in Chromium).

The review logged in as 天山区's county officer, looked up a 克拉玛依 unit that was verified already, and handed it
to a name and mobile of its choosing: every account of the unit was disabled, and a transfer code given out.
Now an organ acts only for a unit belonging within its area (the authority that registered it, characters 3–8
of its credit code, and the places of its cases), and a verified unit is handed over only by a prefecture or the
province. Here: 克拉玛依's prefecture officer sees a 乌鲁木齐 unit and no form to act on it; 天山区's officer
corrects the unit's name from its licence while verifying it, and then may no longer hand it over.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from flows.identity.accounts import Registration
from store.accounts import demo_password_hash, register_applicant
from store.demo import DEMO_PASSWORD
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, credit_code
from tests.e2e.helpers import assert_no_exception, click_button, fill_text, goto, log_in, see

pytestmark = pytest.mark.e2e

NAME = "乌鲁木齐雪莲物业服务有限公司"
CORRECTED = "乌鲁木齐雪莲物业服务股份有限公司"
CODE_LABEL = "统一社会信用代码（18位，以营业执照为准）"


def look_up(page: Page, url: str, code: str) -> str:
    goto(page, url, "units")
    fill_text(page, CODE_LABEL, code)
    click_button(page, "查询")
    return see(page, "统一社会信用代码：")


def test_an_officer_acts_only_for_units_of_its_own_area(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]) -> None:
    code = credit_code(7741)  # 91650100…: registered by 乌鲁木齐市's authority
    with app_database(app_server.data_dir) as engine:
        register_applicant(engine, Registration(unit_name=NAME, credit_code=code, contact="古丽",
                                                mobile="13577700041", password=DEMO_PASSWORD),
                           password_hash=demo_password_hash(DEMO_PASSWORD), verified=False)

    stranger = new_page()
    log_in(stranger, app_server.url, "zhou650200")  # 克拉玛依市
    look_up(stranger, app_server.url, code)
    text = see(stranger, "不在本机关辖区")
    shot(stranger, "out-of-area")
    assert stranger.get_by_role("button", name="核验通过").count() == 0
    assert stranger.get_by_role("button", name="转交单位账号").count() == 0
    assert "转交给合法单位" not in text
    assert_no_exception(stranger)

    county = new_page()
    log_in(county, app_server.url, "xian650102")  # 天山区, a district of 乌鲁木齐市
    look_up(county, app_server.url, code)
    see(county, "待核验")
    county.get_by_label("营业执照上的单位名称").fill(CORRECTED)
    county.get_by_text("已核对营业执照（或登记证书）原件").first.click()
    county.get_by_text("已核对法定代表人（主要负责人）身份证件").first.click()
    click_button(county, "核验通过")
    see(county, f"单位名称已按营业执照更正为“{CORRECTED}”")
    shot(county, "renamed")
    county.get_by_role("tab", name="转交给合法单位").click()
    see(county, "转交须由州、市、地公安机关或自治区公安厅办理")
    assert county.get_by_role("button", name="转交单位账号").count() == 0
    assert_no_exception(county)
