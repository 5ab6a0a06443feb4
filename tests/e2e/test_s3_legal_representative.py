"""S3 — change of legal representative with a screening hit (kind A), in headless Chromium.

The security company's filings go into the app's own database through the use cases (with the
screening sources the app has configured); everything the applicant and the officers see, and the
review document they download, goes through the browser.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import cases, clock
from flows.identity.accounts import Registration
from flows.kinds import get_filing
from flows.ports import CaseView
from flows.review.screening import EMBEDDED, OFF
from store.accounts import Account, demo_password_hash, register_applicant
from store.db import make_engine
from store.demo import DEMO_PASSWORD, DEMO_WATCHLIST, demo_answers, demo_pdf
from store.screening import configured_sources, set_setting
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import credit_code
from tests.e2e.helpers import (
    MAIN,
    act,
    assert_no_exception,
    click_button,
    download,
    fill_text,
    goto,
    log_in,
    main_text,
    open_queue,
    open_tab,
    see,
)

pytestmark = pytest.mark.e2e

UNIT = "新疆金盾卫士保安服务有限公司"
MOBILE = "13877770033"
PREFECTURE, PROVINCE = "zhou650100", "ting"
FUGITIVE = next(row for row in DEMO_WATCHLIST if row[1] == "网上逃犯")  # seeded by store/seed.py
CLEAN_ID = "650102198808080011"
HIT_WORDS = ("网上逃犯", "比中", "TX-2026", FUGITIVE[0])


@dataclass
class Company:
    engine: Engine
    account: Account

    def file_a(self, new_rep_name: str, new_rep_id: str, *, days_ago: int = 1) -> CaseView:
        """A complete kind-A filing, submitted `days_ago` days ago and screened with the app's sources."""
        uow = SqlUnitOfWork(self.engine)
        actor, account = self.account.actor, self.account
        assert account.unit_name and account.credit_code and account.mobile
        day = clock.today() - timedelta(days=days_ago)
        draft = cases.start_draft(uow, actor, "A", unit_name=account.unit_name, credit_code=account.credit_code,
                                  contact=account.display_name, mobile=account.mobile)
        cases.confirm_instructions(uow, actor, draft.id)
        answers = demo_answers("A", today=day) | {"new_rep_name": new_rep_name, "new_rep_id": new_rep_id}
        for qid, value in answers.items():
            cases.save_answer(uow, actor, draft.id, qid, value, today=day)
        for material in get_filing("A").materials:
            if material.required:
                cases.upload_material(uow, actor, draft.id, material.id, filename=f"{material.label}.pdf",
                                      data=demo_pdf(material.id))
        with uow:
            version = uow.case(draft.id).version
        case = cases.submit(uow, actor, draft.id, expected_version=version,
                            now=datetime.combine(day, time(10), tzinfo=clock.CHINA),
                            sources=configured_sources(self.engine))
        assert case.number is not None
        return case


@pytest.fixture
def company(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Company]:
    # Uploads go into the app's blob store; the watchlist's keyed hashes use the app's key.
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    account = register_applicant(engine, Registration(unit_name=UNIT, credit_code=credit_code(3303), contact="吴刚",
                                                      mobile=MOBILE, password=DEMO_PASSWORD),
                                 password_hash=demo_password_hash(DEMO_PASSWORD), verified=True)
    try:
        yield Company(engine, account)
    finally:
        set_setting(engine, "screening_source", EMBEDDED, actor_id=None)
        engine.dispose()


def open_case(page: Page, url: str, case: CaseView) -> str:
    goto(page, url, f"case?id={case.id}")
    return see(page, f"办件 {case.number}")


def do(page: Page, label: str, fill: Callable[[], None] | None = None) -> str:
    """Carry out an act from the case page: its button, what the confirmation asks, 确定办理."""
    act(page, label)
    if fill is not None:
        fill()
    click_button(page, "确定办理")
    return see(page, f"已办理“{label}”")


def test_s3_screening_hit_not_done_rerun_and_the_route_to_the_review_document(
    app_server: AppServer, company: Company, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
) -> None:
    url = app_server.url

    # 1. The company files a change of legal representative; the proposed person is a fugitive.
    hit = company.file_a("钱有为", FUGITIVE[0])

    # 2. The applicant never sees the hit ...
    applicant = new_page()
    log_in(applicant, url, MOBILE)
    goto(applicant, url, "my_cases")
    text = see(applicant, str(hit.number))
    assert UNIT in text and "州、市、地公安机关" in text
    for word in HIT_WORDS:
        assert word not in text, word
    shot(applicant, "applicant-no-hit")

    # ... the prefecture officer sees it flagged at the top of the case: category, source, time.
    prefecture = new_page()
    log_in(prefecture, url, PREFECTURE)
    queue = open_queue(prefecture)
    assert str(hit.number) in queue
    shot(prefecture, "queue-with-fugitive")
    text = open_case(prefecture, url, hit)
    flag = prefecture.locator(f'{MAIN} [data-testid="stAlertContentError"]').filter(has_text="自动比对比中").first
    flag.wait_for()
    flagged = flag.inner_text()
    assert "网上逃犯" in flagged and "本地比对库" in flagged and FUGITIVE[2] in flagged
    assert re.search(r"比对时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}", flagged), flagged
    acts = prefecture.get_by_role("button", name="受理", exact=True)
    assert flag.bounding_box()["y"] < acts.bounding_box()["y"]  # type: ignore[index]  # above the acts
    assert text.index("自动比对比中") < text.index("申请内容")
    assert_no_exception(prefecture)
    shot(prefecture, "case-flagged")

    # 3. With the watchlist source switched off, a new filing shows the comparison as not done ...
    set_setting(company.engine, "screening_source", OFF, actor_id=None)
    clean = company.file_a("孙正清", CLEAN_ID)
    text = open_case(prefecture, url, clean)
    assert "自动比对未完成" in text and "均未比中" not in text
    shot(prefecture, "not-done")
    # ... and once the source is back, the officer re-runs it from the case page.
    set_setting(company.engine, "screening_source", EMBEDDED, actor_id=None)
    click_button(prefecture, "重新比对")
    text = see(prefecture, "已重新比对")
    assert "比对已完成" in text and "五类均未比中" in text and "自动比对未完成" not in text
    shot(prefecture, "re-run-clear")

    # 4. The clean case: prefecture accepts and reports its opinion ...
    do(prefecture, "受理")
    text = do(prefecture, "上报审核意见")
    assert "待公安厅受理" in text

    # ... the province accepts, then returns it to the prefecture with a reason ...
    province = new_page()
    log_in(province, url, PROVINCE)
    assert str(clean.number) in open_queue(province)
    open_case(province, url, clean)
    do(province, "受理")
    reason = "拟任法定代表人从业经历证明不完整，请核实后重新上报"
    do(province, "退回州、市、地公安机关",
       lambda: fill_text(province, "退回理由（告知州、市、地公安机关，必填）", reason))
    shot(province, "returned-to-prefecture")

    # ... which sees it again, with the reason.
    assert str(clean.number) in open_queue(prefecture)
    text = open_case(prefecture, url, clean)
    assert "州、市、地公安机关审核中" in text
    open_tab(prefecture, "办理记录")
    history = see(prefecture, reason)
    assert "退回州、市、地公安机关" in history
    shot(prefecture, "back-at-prefecture")
    do(prefecture, "上报审核意见")

    # The province accepts again and approves.
    open_case(province, url, clean)
    do(province, "受理")
    text = do(province, "通过")
    assert "已办结（通过）" in text
    assert_no_exception(province)
    shot(province, "approved")

    # 5. The applicant downloads the review document from My cases.
    with SqlUnitOfWork(company.engine) as uow:
        review = next(d for d in uow.documents(clean.id) if d.doc_type == "review_document")
    goto(applicant, url, "my_cases")
    card = applicant.locator(f".st-key-case-{clean.id}")
    card.get_by_text("已办结（通过）").first.wait_for()
    card_text = card.inner_text()
    assert "审核意见书" in card_text and review.number in card_text
    for word in HIT_WORDS:
        assert word not in main_text(applicant), word
    shot(applicant, "applicant-documents")
    caught = download(applicant, applicant.locator(f".st-key-doc-{review.id} button"))
    assert caught.suggested_filename == f"{clean.number}-审核意见书.pdf"
    pdf = Path(caught.path()).read_bytes()
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "保安服务公司变更法定代表人审核意见书" in text
    assert review.number in text and UNIT in text and "孙正清" in text and "同意变更" in text
    assert "新疆维吾尔自治区公安厅" in text
