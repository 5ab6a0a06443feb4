"""S4 — cancellation (kind D): the unit cancels its filing, choosing it from its filed cases; after the
county confirms and the prefecture files it in the browser, the ledger shows the unit as cancelled and
the public verification page shows the old certificate as cancelled.

The unit's filing and its cancellation request are made in the app's database through the use cases
(the applicant's side of a filing is driven in S1/S2); the officers' steps and everything seen go
through the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlmodel import Session, select

from flows import cases, clock
from flows.kinds import get_filing
from flows.review.transitions import Act
from store.accounts import Account, get_account
from store.db import make_engine
from store.demo import demo_answers, demo_pdf
from store.models import User
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import register_unit, submit_c_case
from tests.e2e.helpers import (
    MAIN,
    act,
    assert_no_exception,
    click_button,
    expect_rerun,
    fill_text,
    goto,
    log_in,
    main_text,
    open_from_queue,
    open_queue,
    see,
    wait_until,
)

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐长风物业服务有限公司"
MOBILE = "13877770044"


@dataclass
class Cancellation:
    filing_number: str  # the C case, filed
    certificate: str  # its filing certificate's number
    code: str  # its verification code
    request_number: str  # the D case, submitted, waiting on the county


def officer(engine: object, login: str) -> Account:
    with Session(engine) as session:  # type: ignore[arg-type]
        user = session.exec(select(User).where(User.login == login)).one()
    account = get_account(engine, user.id)  # type: ignore[arg-type]
    assert account is not None
    return account


@pytest.fixture
def cancellation(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cancellation]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # uploads go into the app's blob store
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_unit(engine, unit_name=UNIT, seed=4444, contact="王芳", mobile=MOBILE)
    filing = submit_c_case(engine, applicant, days_ago=1)
    uow = SqlUnitOfWork(engine)
    for login, what in (("xian650102", Act.CONFIRM), ("zhou650100", Act.ACCEPT), ("zhou650100", Act.APPROVE)):
        with uow:
            version = uow.case(filing.id).version
        cases.act_on_case(uow, officer(engine, login).actor, filing.id, what, expected_version=version)
    with uow:
        certificate = next(d for d in uow.documents(filing.id) if d.doc_type == "filing_certificate")
    assert certificate.verification_code is not None

    # The unit starts a cancellation and chooses the filing from its filed cases.
    actor = applicant.actor
    assert applicant.unit_name and applicant.credit_code and applicant.mobile
    choices = cases.filing_choices(uow, actor)
    chosen = next(c for c in choices if c.number == filing.number)
    draft = cases.start_draft(uow, actor, "D", unit_name=applicant.unit_name, credit_code=applicant.credit_code,
                              contact=applicant.display_name, mobile=applicant.mobile)
    cases.confirm_instructions(uow, actor, draft.id)
    day = clock.today()
    for qid, value in demo_answers("D", today=day, filing_ref={"case_id": chosen.case_id}).items():
        cases.save_answer(uow, actor, draft.id, qid, value, today=day)
    for material in get_filing("D").materials:
        if material.required:
            cases.upload_material(uow, actor, draft.id, material.id, filename=f"{material.label}.pdf",
                                  data=demo_pdf(material.id))
    with uow:
        version = uow.case(draft.id).version
    request = cases.submit(uow, actor, draft.id, expected_version=version)
    assert request.number is not None
    assert cases.filing_choices(uow, actor) == []  # a filing being cancelled cannot be chosen twice
    yield Cancellation(filing.number, certificate.number, certificate.verification_code, request.number)
    engine.dispose()


def do(page: Page, label: str) -> str:
    act(page, label)
    click_button(page, "确定办理")
    return see(page, f"已办理“{label}”")


def open_ledger(page: Page, which: str, search: str) -> tuple[str, list[list[str]]]:
    """Open one ledger, search it, and return its text and rows once the table shows the search."""
    with expect_rerun(page):
        page.get_by_role("link", name="台账").first.click()
    see(page, "台账类别")
    with expect_rerun(page):
        page.locator(MAIN).get_by_text(which, exact=True).click()
    fill_text(page, "搜索", search)
    # The rerun that applies the search may start late on a busy machine, and the grid draws its
    # cells after its rows: wait until every row has its cells and all of them match the search.
    found: list[tuple[str, list[list[str]]]] = []

    def narrowed() -> bool:
        text = main_text(page)
        if "没有符合条件的记录。" in text:
            found.append((text, []))
            return True
        rows = grid_rows(page)
        if rows and all(len(r) > 1 and r[1] == search for r in rows):
            found.append((text, rows))
            return True
        return False

    wait_until(page, narrowed, f"the ledger narrowing to {search}")
    return found[-1]


def grid_rows(page: Page) -> list[list[str]]:
    """The data rows of the main area's table, each as its cells' texts (empty while not drawn)."""
    frame = page.locator(f'{MAIN} [data-testid="stDataFrame"]').first
    if page.locator(f'{MAIN} [data-testid="stDataFrame"] [role="row"]').count() < 2:
        return []
    return [row.locator('[role="gridcell"]').all_inner_texts() for row in frame.locator('[role="row"]').all()[1:]]


def test_s4_cancellation_shows_in_ledger_and_verification(
    app_server: AppServer, cancellation: Cancellation, new_page: Callable[[], Page],
    shot: Callable[[Page, str], Path]
) -> None:
    url, number = app_server.url, cancellation.request_number

    # Before: the unit is in the ledger of filed units, its certificate valid.
    prefecture = new_page()
    log_in(prefecture, url, "zhou650100")
    _, rows = open_ledger(prefecture, "在册备案单位", UNIT)
    assert [r[1] for r in rows] == [UNIT]

    # The county confirms the cancellation request ...
    county = new_page()
    log_in(county, url, "xian650102")
    assert number in open_queue(county)
    text = open_from_queue(county, number)
    assert "撤销" in text and "待县级公安机关确认" in text
    do(county, "确认")
    assert_no_exception(county)
    shot(county, "county-confirmed")

    # ... and the prefecture accepts and files it.
    open_queue(prefecture)
    open_from_queue(prefecture, number)
    do(prefecture, "受理")
    assert "已办结（通过）" in do(prefecture, "通过")
    assert_no_exception(prefecture)
    shot(prefecture, "prefecture-filed")

    # The ledger shows the unit as cancelled, and no longer among the filed units.
    _, rows = open_ledger(prefecture, "已撤销备案", UNIT)
    assert len(rows) == 1 and rows[0][1] == UNIT
    assert rows[0][3] == cancellation.certificate  # the original certificate's number
    shot(prefecture, "ledger-cancelled")
    text, rows = open_ledger(prefecture, "在册备案单位", UNIT)
    assert "没有符合条件的记录。" in text and rows == []

    # The public verification page shows the old certificate as cancelled.
    public = new_page()
    goto(public, url, f"verify?code={cancellation.code}")
    text = see(public, "已撤销")
    assert cancellation.certificate in text and UNIT in text
    assert "真实有效" not in text
    assert_no_exception(public)
    shot(public, "verification-cancelled")
