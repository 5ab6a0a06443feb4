"""忘记密码 in the browser: an applicant who forgot the password proves the registered mobile by an SMS code (the
test's own SMS gateway) and sets a new one; a stranger probing a mobile without an account gets the same answer
and sends nothing to that phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from flows.identity.recovery import SENT
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, register_unit
from tests.e2e.helpers import assert_no_exception, click_button, fill_text, goto, log_in, main_text, see
from tests.sms_gateway import SmsGateway

pytestmark = pytest.mark.e2e

MOBILE = "13877776262"
NOBODY = "13877776263"
NEW_PASSWORD = "Hongshan2026pass"


def test_an_applicant_resets_a_forgotten_password_by_sms_and_a_probe_learns_nothing(
        app_server: AppServer, sms_gateway: SmsGateway, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    with app_database(app_server.data_dir) as engine:
        register_unit(engine, unit_name="乌鲁木齐红山物业服务有限公司", seed=6262, contact="吴霞", mobile=MOBILE)
    page = new_page()
    goto(page, app_server.url)
    click_button(page, "忘记密码？")
    see(page, "重置登录密码")

    # A stranger probing a mobile without an account: the same words, and no SMS to that phone.
    fill_text(page, "手机号码（登录名）", NOBODY)
    click_button(page, "获取短信验证码")
    probe = see(page, SENT)
    assert sms_gateway.texts_to(NOBODY) == []
    assert "未注册" not in probe and "不存在" not in probe

    click_button(page, "更改手机号码")
    fill_text(page, "手机号码（登录名）", MOBILE)
    click_button(page, "获取短信验证码")
    see(page, SENT)
    shot(page, "code-sent")
    code = sms_gateway.last_code(MOBILE)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD + "x")
    click_button(page, "重置密码")
    see(page, "两次输入的密码不一致")  # said at the form; nothing changed
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    click_button(page, "重置密码")
    see(page, "密码已重置，请用新密码登录。")
    assert_no_exception(page)

    log_in(page, app_server.url, MOBILE, password=NEW_PASSWORD)
    assert "乌鲁木齐红山物业服务有限公司" in main_text(page) or "您好" in main_text(page)
