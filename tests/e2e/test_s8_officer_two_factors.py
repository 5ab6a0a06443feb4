"""S8 — an officer logs in with two factors (identity issue), in headless Chromium.

1. A new officer's first login on the police portal: a new password, then the TOTP enrolment (the QR code is
   read back from the page), the recovery codes, and in. Without the second factor no case is reachable: not by
   password alone, not with a session that lacks it. A recovery code works once; after an administrator's
   reset (the bootstrap CLI) the officer enrols again.
2. On the internet portal a right and a wrong officer password get the same answer, and the officer's own
   counters do not move.
3. The session cookie: HttpOnly, Secure, SameSite=Strict, `__Host-`, never visible to page scripts; after
   logout it is gone and its token opens nothing.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.identity.login import FAILED, FAILED_WITH_CODE
from flows.oversight import admin
from flows.review.transitions import Role
from store.accounts import account_by_login, start_session
from store.admin import SqlAdminStore
from store.db import make_engine
from store.models import LoginThrottle, User
from tests.e2e.conftest import REPO, AppServer
from tests.e2e.filing import register_unit, submit_c_case
from tests.e2e.helpers import (
    MAIN,
    app_text,
    assert_no_exception,
    click_button,
    goto,
    log_in,
    main_text,
    see,
)

pytestmark = pytest.mark.e2e

OFFICER = "xian650102b"
FIRST_PASSWORD, NEW_PASSWORD, AFTER_RESET = "Tianshan2026start", "Tianshan9Snowfall", "Tianshan7Springs"
SESSION = "__Host-baoan_session"


@pytest.fixture
def engine(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    yield engine
    engine.dispose()


def session_cookie(token: str) -> Any:
    """The session cookie as /auth/session sets it (for 127.0.0.1, where every test server listens)."""
    return {"name": SESSION, "value": token, "domain": "127.0.0.1", "path": "/", "secure": True, "httpOnly": True,
            "sameSite": "Strict"}


def submit_login(page: Page, login: str, password: str, code: str | None = None) -> None:
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码", exact=True).fill(password)
    if code is not None:
        page.get_by_role("textbox", name="动态验证码").fill(code)
    click_button(page, "登录")


def qr_secret(page: Page) -> str:
    """The TOTP secret, read from the QR code on the page as an authenticator app would."""
    image = page.locator(f'{MAIN} [data-testid="stImage"] img').first
    image.wait_for()
    shot = Image.open(io.BytesIO(image.screenshot()))
    texts = [r.text for r in zxingcpp.read_barcodes(shot) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert texts and texts[0].startswith("otpauth://totp/"), texts
    return parse_qs(urlsplit(texts[0]).query)["secret"][0]


def enrol(page: Page) -> list[str]:
    """Scan, type the code, keep the recovery codes, go in."""
    secret = qr_secret(page)
    assert secret in main_text(page)  # also shown for typing in by hand
    page.get_by_label("验证器显示的6位数字").fill(pyotp.TOTP(secret).now())
    click_button(page, "完成绑定")
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", see(page, "它们只显示这一次"))
    assert len(codes) == 10
    click_button(page, "我已妥善保存恢复码，进入系统")
    see(page, "您好")
    return codes


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/$"))
    see(page, "登录")


def counters(engine: Engine, login: str) -> tuple[object, ...]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.login == login)).one()
        keys = session.exec(select(LoginThrottle.key).where(col(LoginThrottle.key).contains(":police:"))).all()
        return user.failed_logins, user.locked_until, tuple(sorted(keys))


def test_s8_an_officer_enrols_totp_and_no_case_is_reachable_without_it(
        app_server: AppServer, portal_server: Callable[[str], AppServer], engine: Engine,
        new_page: Callable[[], Page], shot: Callable[[Page, str], Path]) -> None:
    police = portal_server("police").url
    admin.create_officer(SqlAdminStore(engine), login=OFFICER, display_name="天山区分局治安大队", role=Role.COUNTY,
                         region_code="650102", password=FIRST_PASSWORD, actor_id=None)
    applicant = register_unit(engine, unit_name="乌鲁木齐双因素物业服务有限公司", seed=8801, contact="木拉提",
                              mobile="13588800001")
    case = submit_c_case(engine, applicant, days_ago=1)

    # First login: a new password, then enrolment with the QR code and the recovery codes.
    officer = new_page()
    goto(officer, police)
    submit_login(officer, OFFICER, FIRST_PASSWORD, code="")
    see(officer, "请先设置新密码")
    officer.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    officer.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    click_button(officer, "设置新密码")
    see(officer, "请用手机上的身份验证器")
    shot(officer, "enrol-qr")
    recovery = enrol(officer)
    goto(officer, police, f"case?id={case.id}")
    see(officer, f"办件 {case.number}")
    log_out(officer)

    # Without the second factor: the password alone opens nothing, and no case is reachable.
    goto(officer, police)
    submit_login(officer, OFFICER, NEW_PASSWORD, code="")
    see(officer, FAILED_WITH_CODE)
    goto(officer, police, f"case?id={case.id}")
    text = see(officer, "请先登录")
    assert str(case.number) not in text
    # A session that lacks the second factor (as one started before it was required) is no login either.
    account = account_by_login(engine, OFFICER)
    assert account is not None
    half = officer.context.browser.new_context(locale="zh-CN")  # type: ignore[union-attr]
    try:
        half.add_cookies([session_cookie(start_session(engine, account.user_id, second_factor=False))])
        page = half.new_page()
        page.goto(f"{police}/case?id={case.id}")
        page.locator(MAIN).get_by_text("请先登录").first.wait_for()
        assert "须使用动态口令登录" in app_text(page) and str(case.number) not in app_text(page)
        shot(page, "no-second-factor")
    finally:
        half.close()

    # A recovery code stands in for the phone, once.
    goto(officer, police)
    submit_login(officer, OFFICER, NEW_PASSWORD, code=recovery[0])
    see(officer, "您好")
    log_out(officer)
    submit_login(officer, OFFICER, NEW_PASSWORD, code=recovery[0])
    see(officer, FAILED_WITH_CODE)

    # An administrator's reset (the bootstrap CLI here): a one-time password, a new password, enrolment again.
    reset = subprocess.run([sys.executable, "-m", "store.bootstrap", "reset-login", OFFICER], cwd=REPO,
                           env=app_server.env, capture_output=True, text=True, timeout=120)
    assert reset.returncode == 0, reset.stderr
    one_time = re.search(r"一次性密码：(\S+)", reset.stdout)
    assert one_time
    goto(officer, police)
    submit_login(officer, OFFICER, NEW_PASSWORD, code="123456")
    see(officer, FAILED_WITH_CODE)  # the old password is gone
    submit_login(officer, OFFICER, one_time.group(1), code="")
    officer.get_by_label("新密码", exact=True).fill(AFTER_RESET)
    officer.get_by_label("再次输入新密码").fill(AFTER_RESET)
    click_button(officer, "设置新密码")
    enrol(officer)
    assert_no_exception(officer)


def test_s8_on_the_internet_portal_an_officers_right_and_wrong_password_read_the_same(
        portal_server: Callable[[str], AppServer], engine: Engine, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    internet = portal_server("internet").url
    before = counters(engine, "zhou650100")
    answers = []
    for password in ("Demo2026abc", "Wrong2026pass"):
        page = new_page()
        goto(page, internet)
        submit_login(page, "zhou650100", password)
        answers.append(see(page, FAILED))
        assert "动态验证码" not in main_text(page)  # the internet form has no code field
        assert "公安网入口" in main_text(page)  # said always, to everyone: not a reaction to the login
    assert answers[0] == answers[1]
    shot(page, "internet-refusal")
    assert counters(engine, "zhou650100") == before


def test_s8_the_session_cookie_is_http_only_secure_strict_and_dies_at_logout(
        app_server: AppServer, new_page: Callable[[], Page]) -> None:
    page = new_page()
    log_in(page, app_server.url, "13800000001")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies[SESSION]
    assert (session["httpOnly"], session["secure"], session["sameSite"], session["path"]) == (True, True, "Strict", "/")
    token = session["value"]
    assert token not in page.evaluate("document.cookie") and SESSION not in page.evaluate("document.cookie")
    log_out(page)
    assert SESSION not in {c["name"] for c in page.context.cookies()}
    # The old token, put back by hand, opens nothing: the session ended on the server.
    again = new_page()
    again.context.add_cookies([session_cookie(token)])
    goto(again, app_server.url, "my_cases")
    see(again, "请先登录")
