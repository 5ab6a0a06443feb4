"""S7 — a company is claimed once (identity issue), in headless Chromium against the running app.

1. A new clerk registers 乌鲁木齐某物业服务有限公司 with its credit code, proves the mobile with an SMS code
   (sent to the test's own HTTP SMS gateway) and becomes the unit's administrator; what was typed survives a
   refresh; the unit shows as 待核验 until the county's confirmation of its first case checks the licence.
2. A stranger tries the same credit code (the takeover of the security review, replayed): refused, learning
   nothing about the unit, told how to ask the county; the rightful clerk keeps working.
3. The administrator invites a colleague by a single-use invitation; the colleague joins, files, and is later
   removed; the invitation cannot be used again. Wrong and expired codes and invitations are told plainly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows import cases, clock
from flows.cases import LICENCE_LINE, LICENCE_MISSING
from flows.identity import registration, units
from flows.identity.login import FAILED
from flows.kinds import get_filing
from store.accounts import account_by_login
from store.db import make_engine, write_session
from store.demo import demo_answers, demo_pdf
from store.models import Case, Invitation, SmsChallenge
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import credit_code, register_unit
from tests.e2e.helpers import (
    MAIN,
    assert_no_exception,
    click_button,
    expect_rerun,
    fill_text,
    goto,
    log_in,
    main_text,
    see,
    wait_for_app,
)
from tests.sms_gateway import SmsGateway

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐某物业服务有限公司"
CODE = credit_code(7701)
CLERK, CLERK_MOBILE, CLERK_PASSWORD = "古丽娜", "13577700001", "Gulina2026yes"
COLLEAGUE, COLLEAGUE_MOBILE, COLLEAGUE_PASSWORD = "王建军", "13577700002", "Jianjun2026ok"
STRANGER_MOBILE = "13577700009"
COUNTY = "xian650102"


@pytest.fixture
def engine(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # uploads go into the app's blob store
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    yield engine
    engine.dispose()


def answer(page: Page, label: str, value: str) -> None:
    fill_text(page, label, value)
    click_button(page, "确定")


def choose_business_and_read(page: Page, url: str) -> None:
    goto(page, url, "assistant")
    click_button(page, "办理：自行招用保安员单位备案")
    with expect_rerun(page):
        page.get_by_text("我已阅读并知晓以上须知").click()
    click_button(page, "开始办理")
    see(page, "办理前需要一个单位账号")


def choose_mode(page: Page, label: str) -> None:
    """One of 首次使用 / 有邀请码 / 已有账号 (a segmented control)."""
    with expect_rerun(page):
        page.locator(MAIN).get_by_text(label, exact=True).click()


def prove_mobile(page: Page, gateway: SmsGateway, mobile: str) -> None:
    count = len(gateway.texts_to(mobile))
    click_button(page, "获取短信验证码")
    gateway.wait_for_count(mobile, count + 1)
    answer(page, "短信验证码", gateway.last_code(mobile))


def set_password(page: Page, password: str) -> None:
    page.get_by_label("登录密码", exact=True).fill(password)
    page.get_by_label("再次输入密码", exact=True).fill(password)
    click_button(page, "确定")


def expire(engine: Engine, table: type[SmsChallenge] | type[Invitation], *, by: timedelta) -> None:
    """Time passes (`by`, longer than the validity): every code of this kind issued so far is older by that much."""
    with write_session(engine) as session:  # the app writes too: take the write lock first, then read
        for row in session.exec(select(table)):
            row.created_at -= by
            row.expires_at -= by
            session.add(row)
        session.commit()


def fill_the_rest(engine: Engine, mobile: str) -> int:
    """The unit's open draft, answered and with its materials, as a colleague would after joining (through the
    use cases, so the browser only has to check and submit it)."""
    account = account_by_login(engine, mobile)
    assert account is not None and account.unit_id is not None
    with Session(engine) as session:
        draft = session.exec(select(Case).where(Case.unit_id == account.unit_id, Case.stage == "draft")).one()
    assert draft.id is not None
    uow = SqlUnitOfWork(engine)
    for qid, value in demo_answers("C", today=clock.today()).items():
        cases.save_answer(uow, account.actor, draft.id, qid, value, today=clock.today())
    for material in get_filing("C").materials:
        if material.required:
            cases.upload_material(uow, account.actor, draft.id, material.id, filename=f"{material.label}.pdf",
                                  data=demo_pdf(material.id))
        else:
            cases.skip_material(uow, account.actor, draft.id, material.id)
    return draft.id


def test_s7_a_company_is_claimed_once_proven_by_sms_and_shared_only_by_invitation(
        app_server: AppServer, engine: Engine, sms_gateway: SmsGateway, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    url = app_server.url

    # 1. The clerk registers; a refresh in the middle loses nothing; a wrong and an expired code are told plainly.
    clerk = new_page()
    choose_business_and_read(clerk, url)
    answer(clerk, "单位名称", UNIT)
    answer(clerk, "统一社会信用代码", CODE)
    answer(clerk, "联系人姓名", CLERK)
    clerk.reload()
    wait_for_app(clerk)
    text = see(clerk, "请输入联系人手机号码")
    assert UNIT in text and CODE in text and CLERK in text  # nothing typed was lost
    answer(clerk, "联系人手机号码", CLERK_MOBILE)
    click_button(clerk, "获取短信验证码")
    code = sms_gateway.last_code(CLERK_MOBILE)
    answer(clerk, "短信验证码", "000000" if code != "000000" else "111111")
    see(clerk, "验证码不正确，请核对短信后重新输入（还可输入4次）。")
    expire(engine, SmsChallenge, by=timedelta(minutes=6))
    answer(clerk, "短信验证码", code)
    see(clerk, registration.CODE_EXPIRED)
    shot(clerk, "expired-code")
    click_button(clerk, "重新获取验证码")
    sms_gateway.wait_for_count(CLERK_MOBILE, 2)
    answer(clerk, "短信验证码", sms_gateway.last_code(CLERK_MOBILE))
    see(clerk, "最后，请设置登录密码")
    clerk.reload()
    wait_for_app(clerk)
    see(clerk, "最后，请设置登录密码")  # the proven mobile survives a refresh too (the password never is kept)
    set_password(clerk, CLERK_PASSWORD)
    see(clerk, "单位类型")  # logged in, the filing begins
    shot(clerk, "registered")
    goto(clerk, url, "unit_accounts")
    text = see(clerk, "待核验")
    assert "单位账号管理员" in text and CLERK in text

    # 2. A stranger tries the same company: refused, told nothing about it, shown the way to the county.
    stranger = new_page()
    choose_business_and_read(stranger, url)
    answer(stranger, "单位名称", UNIT)
    answer(stranger, "统一社会信用代码", CODE)
    text = see(stranger, "请联系县级公安机关核验")
    assert units.CLAIMED in text
    for secret in (CLERK, CLERK_MOBILE, CLERK_MOBILE[-4:], "古丽"):
        assert secret not in text
    assert "请输入联系人姓名" not in text  # not one step further
    shot(stranger, "stranger-refused")
    choose_mode(stranger, "有邀请码，加入本单位")
    answer(stranger, "邀请码", "ABCDE-FGHJK")
    see(stranger, units.INVITE_WRONG)
    choose_mode(stranger, "已有账号，登录")
    stranger.get_by_label("登录名（注册时的手机号码）").fill(CLERK_MOBILE)
    stranger.get_by_label("密码", exact=True).fill("Guess2026pass")
    click_button(stranger, "登录")
    see(stranger, FAILED)  # a mobile number is an applicant's login: no 动态验证码 named
    # The rightful clerk is untouched and works on.
    goto(clerk, url, "assistant")
    click_button(clerk, "物业服务企业")
    see(clerk, "州、市、地")

    # 3. The administrator invites a colleague; the colleague joins with the code once, and files.
    goto(clerk, url, "unit_accounts")
    fill_text(clerk, "同事姓名", COLLEAGUE)
    fill_text(clerk, "同事手机号码", COLLEAGUE_MOBILE)
    click_button(clerk, "生成邀请码")
    found = re.search(r"邀请码：([A-Z2-9]{5}-[A-Z2-9]{5})", see(clerk, "只显示这一次"))
    assert found
    invitation = found.group(1)
    colleague = new_page()
    choose_business_and_read(colleague, url)
    choose_mode(colleague, "有邀请码，加入本单位")
    answer(colleague, "邀请码", invitation)
    answer(colleague, "联系人姓名", COLLEAGUE)
    answer(colleague, "联系人手机号码", STRANGER_MOBILE)  # not the number the invitation was made for
    see(colleague, "此邀请码不是发给这个手机号码的")
    answer(colleague, "联系人手机号码", COLLEAGUE_MOBILE)
    prove_mobile(colleague, sms_gateway, COLLEAGUE_MOBILE)
    see(colleague, f"您将以经办人身份加入：{UNIT}")
    set_password(colleague, COLLEAGUE_PASSWORD)
    see(colleague, "欢迎回来")  # the unit's open filing, started by the clerk
    case_id = fill_the_rest(engine, COLLEAGUE_MOBILE)
    goto(colleague, url, "assistant")
    see(colleague, "请核对")
    click_button(colleague, "确认无误，提交申请")
    see(colleague, "提交成功")
    shot(colleague, "colleague-filed")

    # The invitation cannot be used again; an expired one is told as such.
    late = new_page()
    choose_business_and_read(late, url)
    choose_mode(late, "有邀请码，加入本单位")
    answer(late, "邀请码", invitation)
    see(late, units.INVITE_USED)
    goto(clerk, url, "unit_accounts")
    fill_text(clerk, "同事姓名", "李四")
    fill_text(clerk, "同事手机号码", "13577700003")
    click_button(clerk, "生成邀请码")
    second = re.search(r"邀请码：([A-Z2-9]{5}-[A-Z2-9]{5})", see(clerk, "只显示这一次"))
    assert second
    expire(engine, Invitation, by=timedelta(hours=73))
    answer(late, "邀请码", second.group(1))
    see(late, units.INVITE_EXPIRED)
    for shown in (main_text(late),):
        assert UNIT not in shown and CLERK not in shown

    # The county confirms the unit's first case: the licence line is asked for, then the unit is verified.
    county = new_page()
    log_in(county, url, COUNTY)
    goto(county, url, f"case?id={case_id}")
    see(county, "待核验")
    click_button(county.locator(MAIN), "确认")
    see(county, LICENCE_LINE)
    click_button(county, "确定办理")
    see(county, LICENCE_MISSING)
    with expect_rerun(county):
        county.get_by_text(LICENCE_LINE).click()
    click_button(county, "确定办理")
    see(county, "已办理“确认”")
    shot(county, "licence-checked")
    goto(clerk, url, "unit_accounts")
    see(clerk, "已核验")

    # The colleague is removed: logged out at once, and cannot log in again.
    with expect_rerun(clerk):
        clerk.get_by_text("确认移除该账号").click()
    click_button(clerk, "移除")
    see(clerk, f"已移除{COLLEAGUE}的账号")
    goto(colleague, url, "my_cases")
    see(colleague, "请先登录")
    log_in_fails = new_page()
    goto(log_in_fails, url)
    log_in_fails.get_by_label("登录名").fill(COLLEAGUE_MOBILE)
    log_in_fails.get_by_label("密码", exact=True).fill(COLLEAGUE_PASSWORD)
    click_button(log_in_fails, "登录")
    see(log_in_fails, FAILED)
    for page in (clerk, stranger, colleague, county):
        assert_no_exception(page)


def test_s7_the_county_hands_a_taken_unit_to_its_rightful_owner(
        app_server: AppServer, engine: Engine, sms_gateway: SmsGateway, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    """The way out of the refusal: the company shows its licence at the county; the officer hands the unit over;
    the one who took it is out at once and the owner sets up the unit's administrator account."""
    url = app_server.url
    taken = register_unit(engine, unit_name="乌鲁木齐被冒用物业服务有限公司", seed=7702, contact="冒用人",
                          mobile="13577700011", verified=False)
    impostor = new_page()
    log_in(impostor, url, "13577700011")

    county = new_page()
    log_in(county, url, COUNTY)
    goto(county, url, "units")
    fill_text(county, "统一社会信用代码（18位，以营业执照为准）", str(taken.credit_code))
    click_button(county, "查询")
    text = see(county, "乌鲁木齐被冒用物业服务有限公司")
    assert "待核验" in text and "135****0011" in text and "13577700011" not in text  # masked
    with expect_rerun(county):
        county.get_by_role("tab", name="转交给合法单位").click()
    fill_text(county, "转交后的单位名称（以营业执照为准）", "乌鲁木齐真正物业服务有限公司")
    fill_text(county, "新账号管理员姓名", "阿依古丽")
    fill_text(county, "新账号管理员手机号码", "13577700012")
    fill_text(county, "转交原因", "他人冒用本单位信用代码注册，已核对营业执照原件和法定代表人身份证")
    for box in ("已核对营业执照（或登记证书）原件", "已核对法定代表人（主要负责人）身份证件，或其授权委托书和经办人身份证件",
                "确认转交：停用该单位现有全部账号"):
        county.locator(MAIN).get_by_text(box, exact=True).last.click()
    click_button(county, "转交单位账号")
    found = re.search(r"转交码：([A-Z2-9]{5}-[A-Z2-9]{5})", see(county, "原有账号已全部停用"))
    assert found
    shot(county, "transferred")

    goto(impostor, url, "my_cases")
    see(impostor, "请先登录")  # logged out at once

    owner = new_page()
    choose_business_and_read(owner, url)
    choose_mode(owner, "有邀请码，加入本单位")
    answer(owner, "邀请码", found.group(1))
    answer(owner, "联系人姓名", "阿依古丽")
    answer(owner, "联系人手机号码", "13577700012")
    prove_mobile(owner, sms_gateway, "13577700012")
    see(owner, "您将以单位账号管理员身份加入：乌鲁木齐真正物业服务有限公司")
    set_password(owner, "Ayiguli2026own")
    see(owner, "单位类型")
    goto(owner, url, "unit_accounts")
    text = see(owner, "已核验")
    assert "阿依古丽" in text and "单位账号管理员" in text
    for page in (county, owner):
        assert_no_exception(page)
