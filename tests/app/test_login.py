"""Logging in and registering as the pages do it (AppTest): the demo marker, the production guards, a first
staff login through its new password and TOTP enrolment to a ticket, a staff session without a second factor,
and the SMS step of registration without a gateway (demo: shown and marked; production: refused)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from flows import clock
from flows.identity import registration, sessions, totp
from flows.review.transitions import Role
from store.accounts import create_user, get_account, start_session
from store.bootstrap import mark_demo_data
from store.demo import DEMO_PASSWORD
from store.identity import SqlIdentityStore
from store.models import WebSession
from tests.app.conftest import ROOT, open_page, texts
from tests.support import World
from ui.session import signed_in_state

PAGES = ("streamlit_app.py", "pages/assistant.py", "pages/verify.py", "pages/service_guide.py")


def _home() -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    return at


def _field(at: AppTest, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def test_every_page_of_the_demo_says_demo_and_production_says_nothing(app_world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for page in PAGES:
        assert "演示环境" in texts(open_page(page, None)), page
    monkeypatch.setenv("APP_ENV", "production")
    for page in PAGES:
        assert "演示环境" not in texts(open_page(page, None)), page


def test_production_refuses_a_database_that_holds_the_demo_seed(app_world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    assert "您好" in texts(open_page("streamlit_app.py", app_world.applicant))
    mark_demo_data(app_world.engine)
    at = open_page("streamlit_app.py", app_world.applicant)
    assert "此数据库含演示数据" in texts(at) and "您好" not in texts(at)


def test_a_first_staff_login_sets_a_password_enrols_totp_and_gets_a_ticket(app_world: World) -> None:
    user_id = create_user(app_world.engine, login="zhou653100", password="Kashi2026start", display_name="喀什支队",
                          role=Role.PREFECTURE, region_code="653100", must_change_password=True)
    at = _home()
    _field(at, "登录名").input("zhou653100")
    _field(at, "密码").input("Kashi2026start")
    _button(at, "登录").click().run()
    assert "请先设置新密码" in texts(at)
    _field(at, "新密码").input("Kashi9Poplar")
    _field(at, "再次输入新密码").input("Kashi9Poplar")
    _button(at, "设置新密码").click().run()
    assert "请用手机上的身份验证器" in texts(at)  # the QR code itself is read back in Chromium (S8)
    secret = str(at.session_state["totp_secret"])
    assert secret in str([c.value for c in at.code])
    _field(at, "验证器显示的6位数字").input(totp.code_at(secret, clock.now()))
    _button(at, "完成绑定").click().run()
    codes = [line for c in at.code for line in str(c.value).splitlines() if totp.looks_like_recovery_code(line)]
    assert len(codes) == 10 and "只显示这一次" in texts(at)
    _button(at, "我已妥善保存恢复码，进入系统").click().run()
    ticket = str(at.session_state["login_ticket"])  # a browser posts it to /auth/session
    started = sessions.redeem_ticket(SqlIdentityStore(app_world.engine), ticket,
                                     visitor=str(at.session_state["visitor_fallback"]), address="")
    assert started is not None and started.user_id == user_id
    with Session(app_world.engine) as session:
        assert session.exec(select(WebSession).where(WebSession.user_id == user_id)).one().second_factor


def test_a_staff_session_without_its_second_factor_reaches_no_page(app_world: World) -> None:
    officer = app_world.county
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    token = start_session(app_world.engine, officer.user_id, second_factor=False)
    for key, value in signed_in_state(officer, token).items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/queue.py").run()
    shown = texts(at)
    assert "请先登录" in shown and "须使用动态口令登录" in shown and "等待您办理的办件" not in shown


def _register_up_to_sms(mobile: str) -> AppTest:
    at = open_page("pages/assistant.py", None)
    at.button(key="kind-C").click().run()
    at.checkbox(key="read-C").check().run()
    at.button(key="start-C").click().run()
    for key, value in (("unit_name", "喀什胡杨物业服务有限公司"), ("credit_code", "91650100MA77TEB291"),
                       ("contact", "热依拉"), ("mobile", mobile)):
        at.text_input(key=f"reg-input-{key}").input(value)
        _button(at, "确定").click().run()
    assert "请获取并输入6位短信验证码" in texts(at), texts(at)
    return at


def test_without_a_gateway_the_demo_shows_the_code_marked_and_production_refuses(
        app_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMS_GATEWAY", raising=False)
    demo = _register_up_to_sms("13966660001")
    _button(demo, "获取短信验证码").click().run()
    shown = texts(demo)
    assert "演示环境：本演示未接入短信平台，验证码为" in shown
    found = re.search(r"验证码为 \*\*(\d{6})\*\*", shown)
    assert found, shown
    code = found.group(1)
    _field(demo, "短信验证码").input(code)
    _button(demo, "确定").click().run()
    assert "请设置登录密码" in texts(demo)

    monkeypatch.setenv("APP_ENV", "production")
    production = _register_up_to_sms("13966660002")
    _button(production, "获取短信验证码").click().run()
    assert registration.NO_GATEWAY in texts(production)
    assert "验证码为" not in texts(production)


def test_a_registered_account_is_its_units_administrator(app_world: World) -> None:
    account = get_account(app_world.engine, app_world.applicant.user_id)
    assert account is not None and account.unit_admin


def test_everyone_changes_their_password_on_its_page_and_every_other_session_ends(app_world: World) -> None:
    elsewhere = start_session(app_world.engine, app_world.applicant.user_id)
    at = open_page("pages/password.py", app_world.applicant)
    _field(at, "当前密码").input("Wrong2026pass")
    _field(at, "新密码").input("Xingfu2026new")
    _field(at, "再次输入新密码").input("Xingfu2026new")
    _button(at, "修改密码").click().run()
    assert "当前密码不正确" in texts(at)
    _field(at, "当前密码").input(DEMO_PASSWORD)
    _field(at, "新密码").input("Xingfu2026new")
    _field(at, "再次输入新密码").input("Xingfu2026nwe")
    _button(at, "修改密码").click().run()
    assert "两次输入的密码不一致，请重新输入。" in texts(at)
    assert sessions.resume(SqlIdentityStore(app_world.engine), elsewhere) is not None  # nothing changed
    _field(at, "当前密码").input(DEMO_PASSWORD)
    _field(at, "新密码").input("Xingfu2026new")
    _field(at, "再次输入新密码").input("Xingfu2026new")
    _button(at, "修改密码").click().run()
    assert "login_ticket" in at.session_state  # this browser goes on with a fresh session
    assert sessions.resume(SqlIdentityStore(app_world.engine), elsewhere) is None


def test_an_officer_renews_the_recovery_codes(app_world: World) -> None:
    with SqlIdentityStore(app_world.engine) as store:
        store.update_user(app_world.county.user_id, totp_secret=totp.new_secret())
        store.commit()
    at = open_page("pages/password.py", app_world.county)
    _button(at, "重新生成恢复码").click().run()
    codes = [line for c in at.code for line in str(c.value).splitlines() if totp.looks_like_recovery_code(line)]
    assert len(codes) == 10
