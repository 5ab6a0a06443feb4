"""Public pages in Chromium: certificate verification (S2 step 6) and the service guide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from flows import cases, clock
from flows.filing.identifiers import organisation_check_char
from flows.identity.accounts import Registration
from flows.kinds import get_filing
from flows.ports import CaseView
from flows.regions import get_regions
from flows.review.transitions import Act
from store.accounts import Account, account_by_login, demo_password_hash, register_applicant
from store.db import make_engine
from store.demo import DEMO_PASSWORD, demo_answers, demo_pdf
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.helpers import assert_no_exception, click_button, fill_text, goto, main_text

PREFECTURE = "650500"  # 哈密市: its second county has seeded officers and no demo cases


def _credit_code(seed: int) -> str:
    """A valid unified social credit code of a unit that exists only in this test."""
    from stdnum.cn import uscc

    body = f"MB{seed:05d}Y"[:8]
    head = "91650500" + body + organisation_check_char(body)
    return head + str(uscc.calc_check_digit(head + "0"))


def _filed_case(engine: Engine) -> CaseView:
    """A kind-C case filed through the use cases: submitted, confirmed, accepted, approved."""
    county = get_regions().counties(PREFECTURE)[1].code
    applicant: Account = register_applicant(
        engine, Registration(unit_name="哈密核验示范物业有限公司", credit_code=_credit_code(731), contact="韩梅",
                             mobile="13800000731", password=DEMO_PASSWORD),
        password_hash=demo_password_hash(DEMO_PASSWORD), verified=True)
    county_officer = account_by_login(engine, f"xian{county}")
    prefecture_officer = account_by_login(engine, f"zhou{PREFECTURE}")
    assert county_officer is not None and prefecture_officer is not None
    assert applicant.unit_name and applicant.credit_code and applicant.mobile

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    today = clock.today()
    draft = cases.start_draft(uow(), applicant.actor, "C", unit_name=applicant.unit_name,
                              credit_code=applicant.credit_code, contact=applicant.display_name,
                              mobile=applicant.mobile)
    cases.confirm_instructions(uow(), applicant.actor, draft.id)
    for qid, value in demo_answers("C", today=today, prefecture=PREFECTURE, county=county).items():
        cases.save_answer(uow(), applicant.actor, draft.id, qid, value, today=today)
    for material in get_filing("C").materials:
        if material.required:
            cases.upload_material(uow(), applicant.actor, draft.id, material.id, filename=f"{material.id}.pdf",
                                  data=demo_pdf(material.id))
    with uow() as work:
        version = work.case(draft.id).version
    case = cases.submit(uow(), applicant.actor, draft.id, expected_version=version,
                        now=datetime.combine(today, time(9, 30), tzinfo=clock.CHINA))
    for officer, act in ((county_officer, Act.CONFIRM), (prefecture_officer, Act.ACCEPT),
                         (prefecture_officer, Act.APPROVE)):
        case = cases.act_on_case(uow(), officer.actor, case.id, act, expected_version=case.version)
    return case


@pytest.fixture
def certificate(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """(certificate number, verification code) of a case filed in the running app's own database."""
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # the blobs go where the app reads them
    monkeypatch.setenv("APP_BASE_URL", app_server.url)
    engine = make_engine(f"sqlite:///{app_server.data_dir / 'app.db'}")
    try:
        case = _filed_case(engine)
        with SqlUnitOfWork(engine) as uow:
            doc = next(d for d in uow.documents(case.id) if d.verification_code)
    finally:
        engine.dispose()
    assert doc.verification_code is not None
    return doc.number, doc.verification_code


def _changed(code: str) -> str:
    index = len(code) // 2
    return code[:index] + ("A" if code[index] != "A" else "B") + code[index + 1:]


def test_s2_step6_verification_page_genuine_and_changed_code(
    app_server: AppServer, certificate: tuple[str, str], new_page: Callable[[], Page],
    shot: Callable[[Page, str], Path],
) -> None:
    number, code = certificate
    page = new_page()

    # Typed by hand, the way a person reads it off the paper: grouped, lower case.
    goto(page, app_server.url, "verify")
    assert "证书核验" in main_text(page)
    fill_text(page, "验证码", " ".join(code[i:i + 4] for i in range(0, len(code), 4)).lower())
    click_button(page, "核验")
    shot(page, "genuine")
    text = main_text(page)
    assert "真实有效" in text
    assert number in text and "哈密核验示范物业有限公司" in text and "自行招用保安员单位备案" in text
    assert "有效" in text and "已撤销" not in text
    assert_no_exception(page)

    # One character changed, opened from a (forged) QR link.
    other = new_page()
    goto(other, app_server.url, f"verify?code={_changed(code)}")
    shot(other, "changed-code")
    text = main_text(other)
    assert "未找到该证明，请核对验证码" in text
    assert "真实有效" not in text and number not in text
    assert_no_exception(other)

    # The genuine QR link itself.
    goto(other, app_server.url, f"verify?code={code}")
    shot(other, "qr-link")
    assert "真实有效" in main_text(other)


def test_the_service_guide_opens_without_login(
    app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
) -> None:
    page = new_page()
    goto(page, app_server.url, "service_guide?kind=C")
    page.get_by_text("保安员岗位职责").first.wait_for()
    # The contacts' table is drawn last: read the page once it is there (r69 read it before, without the phone).
    page.get_by_text("0991-5586122").first.wait_for()
    shot(page, "guide-C")
    text = main_text(page)
    assert "请先登录" not in text
    assert "开始保安服务之日起30日内" in text and "法人资格证明" in text and "0991-5586122" in text
    assert_no_exception(page)
