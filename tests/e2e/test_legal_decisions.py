"""Legal decisions in the browser: a name the documents cannot print is refused where it is typed; a
fugitive hit alerts the officers, going on despite it needs a written reason; the applicant's pages show
no screening word and no officer's opinion."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import cases, clock
from flows.kinds import get_filing
from flows.ports import CaseView
from flows.review.screening import CATEGORY_LABELS
from store import blobs
from store.accounts import Account
from store.demo import DEMO_WATCHLIST, demo_pdf
from store.screening import configured_sources
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, draft_until, register_unit
from tests.e2e.helpers import (
    MAIN,
    act,
    assert_no_exception,
    click_button,
    expect_rerun,
    fill_text,
    goto,
    log_in,
    open_tab,
    see,
)

pytestmark = pytest.mark.e2e

FUGITIVE_ID = next(row[0] for row in DEMO_WATCHLIST if row[1] == "网上逃犯")
OPINION = "经审核认为拟任人员履历属实拟同意变更"
REPORT_REASON = "经与网上逃犯系统核对为同名同号录入错误已撤销在逃记录"
APPROVE_REASON = "公安厅核查确认在逃记录已撤销属误录"
WORDS_NEVER_SHOWN_TO_APPLICANTS = (*CATEGORY_LABELS.values(), "比中", "未比中", "逃犯", "拟同意", "拟不同意",
                                   OPINION, REPORT_REASON, APPROVE_REASON, FUGITIVE_ID, "内部意见")


@pytest.fixture
def engine(app_server: AppServer) -> Iterator[Engine]:
    with app_database(app_server.data_dir) as engine:
        yield engine


def test_a_name_in_a_script_the_documents_cannot_print_is_refused_at_the_field(
    app_server: AppServer, engine: Engine, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
) -> None:
    applicant = register_unit(engine, unit_name="乌鲁木齐䶮盛物业服务有限公司", seed=4401, contact="刘䶮",
                              mobile="13877770141")
    case_id = draft_until(engine, applicant, "C", stop_at="principal_name").id
    page = new_page()
    log_in(page, app_server.url, "13877770141")
    goto(page, app_server.url, f"assistant?case={case_id}")
    label = "法定代表人（主要负责人）姓名"
    see(page, label)
    fill_text(page, label, "ئابدۇرېھىم ئابلىمىت")  # Uyghur in Arabic script: the documents have no font for it
    click_button(page, "确定")
    refusal = see(page, "无法在证明文书中打印")
    assert "“ئ”（U+0626）" in refusal and "请用汉字" in refusal
    with SqlUnitOfWork(engine, read_only=True) as uow:
        assert "principal_name" not in uow.answers(case_id)
    shot(page, "unprintable-name-refused")
    fill_text(page, label, "阿不都热依木•阿布力米提")  # the name as the ID card writes it in Chinese, any dot
    click_button(page, "确定")
    see(page, "法定代表人（主要负责人）居民身份证号码")
    with SqlUnitOfWork(engine, read_only=True) as uow:
        assert uow.answers(case_id)["principal_name"] == "阿不都热依木·阿布力米提"
    assert_no_exception(page)


def file_a(engine: Engine, applicant: Account, new_rep_id: str) -> CaseView:
    case_id = draft_until(engine, applicant, "A", stop_at=None, new_rep_id=new_rep_id).id
    uow = SqlUnitOfWork(engine)
    for material in get_filing("A").materials:
        if material.required:
            cases.upload_material(uow, applicant.actor, case_id, material.id, filename=f"{material.label}.pdf",
                                  data=demo_pdf(material.id))
    with uow:
        version = uow.case(case_id).version
    day = clock.today() - timedelta(days=1)
    return cases.submit(uow, applicant.actor, case_id, expected_version=version,
                        now=datetime.combine(day, time(10), tzinfo=clock.CHINA), sources=configured_sources(engine))


def confirm(page: Page, label: str) -> str:
    click_button(page, "确定办理")
    return see(page, f"已办理“{label}”")


def applicant_text(page: Page) -> str:
    """Everything the page holds for the applicant, collapsed sections included (those drawn)."""
    return page.locator(MAIN).text_content() or ""


def test_a_fugitive_hit_alerts_the_officers_needs_written_reasons_and_never_reaches_the_applicant(
    app_server: AppServer, engine: Engine, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
) -> None:
    url = app_server.url
    applicant = register_unit(engine, unit_name="新疆天卫保安服务有限公司", seed=4402, contact="何平",
                              mobile="13877770142")
    case = file_a(engine, applicant, FUGITIVE_ID)

    # The officers are alerted on their home page, not only by a badge in the queue.
    prefecture, province = new_page(), new_page()
    log_in(prefecture, url, "zhou650100")
    alert = prefecture.locator(f'{MAIN} [data-testid="stAlertContentError"]').filter(has_text=str(case.number))
    alert.first.wait_for()
    assert "网上逃犯" in alert.first.inner_text() and "请立即核查" in alert.first.inner_text()
    shot(prefecture, "home-alert")
    log_in(province, url, "ting")
    province.locator(MAIN).get_by_text(f"紧急：办件{case.number}").first.wait_for()

    # The prefecture accepts; reporting favourably needs a reason; the opinion is not prefilled.
    with expect_rerun(prefecture):
        prefecture.get_by_role("link", name=f"打开办件 {case.number}").click()
    see(prefecture, f"办件 {case.number}")
    act(prefecture, "受理")
    confirm(prefecture, "受理")
    act(prefecture, "上报审核意见")
    box = prefecture.get_by_label("审核意见（报公安厅，必填）", exact=True)
    assert box.input_value() == ""
    assert not prefecture.get_by_role("radio", name="拟同意").is_checked()
    with expect_rerun(prefecture):
        prefecture.locator(MAIN).get_by_text("拟同意", exact=True).click()
    fill_text(prefecture, "审核意见（报公安厅，必填）", OPINION)
    click_button(prefecture, "确定办理")
    see(prefecture, "不能直接拟同意上报")
    fill_text(prefecture, "仍予拟同意上报的理由（必填，仅公安机关可见）", REPORT_REASON)
    confirm(prefecture, "上报审核意见")
    shot(prefecture, "reported-with-reason")

    # The province approves only with its own written reason, which the history keeps.
    goto(province, url, f"case?id={case.id}")
    see(province, f"办件 {case.number}")
    act(province, "受理")
    confirm(province, "受理")
    act(province, "通过")
    click_button(province, "确定办理")
    see(province, "不能直接通过")
    fill_text(province, "仍予通过的理由（必填，仅公安机关可见）", APPROVE_REASON)
    confirm(province, "通过")
    open_tab(province, "办理记录")
    history = see(province, APPROVE_REASON)
    assert REPORT_REASON in history and OPINION in history
    shot(province, "history-with-reasons")

    # The applicant's pages: stage names and 已完成自动比对, never a category, a result or an opinion.
    page = new_page()
    log_in(page, url, "13877770142")
    goto(page, url, "my_cases")
    card = page.locator(f".st-key-case-{case.id}")
    card.get_by_text("已办结（通过）").first.wait_for()
    # Open the case's sections (drawn only when opened; messages are open while unread).
    card.locator('[data-testid="stExpander"] summary').filter(has_text="办理记录").first.click()
    card.get_by_text("报送公安厅").first.wait_for()
    card.locator('[data-testid="stExpander"] summary').filter(has_text="查看提交的申请内容和材料").first.click()
    card.get_by_role("tab").filter(has_text="上传的材料").first.wait_for()
    shown = applicant_text(page)
    assert "已完成自动比对" in shown and "报送公安厅" in shown and str(case.number) in shown
    for word in WORDS_NEVER_SHOWN_TO_APPLICANTS:
        assert word not in shown, word
    shot(page, "applicant-my-cases")
    goto(page, url, f"assistant?case={case.id}")
    see(page, str(case.number))
    shown = applicant_text(page)
    for word in WORDS_NEVER_SHOWN_TO_APPLICANTS:
        assert word not in shown, word
    with SqlUnitOfWork(engine, read_only=True) as uow:
        documents = uow.documents(case.id)
    assert {d.doc_type for d in documents} == {"acceptance_notice", "review_document"}
    for document in documents:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(blobs.get(document.sha256))).pages)
        for word in WORDS_NEVER_SHOWN_TO_APPLICANTS:
            assert word not in re.sub(r"\s+", "", text), (document.title, word)
    assert_no_exception(page)
