"""Kind E — a security company files its new branch office (保安服务公司设立分公司备案): the company answers
the branch's questions and uploads the materials in the assistant and submits; the branch's county
confirms, the prefecture accepts and files it in the browser; the company downloads the certificate,
which names this business and the branch, and the prefecture's ledger lists the branch.

The head office's part of the answers is saved through the use cases before the browser opens (S1 drives
every answer of a filing); the branch's own answers, the uploads, the submission, every officer act and
everything seen go through the browser.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import cases, clock
from flows.kinds import get_filing
from flows.oversight.ledger import current_row
from store.accounts import Account
from store.demo import demo_answers, demo_pdf
from store.ledger import ledger_records
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, officer, register_unit
from tests.e2e.helpers import (
    act,
    assert_no_exception,
    click_button,
    download,
    fill_text,
    goto,
    log_in,
    main_text,
    open_from_queue,
    open_queue,
    see,
    upload,
)

pytestmark = pytest.mark.e2e

KIND = "E"
COMPANY = "新疆天盾保安服务有限公司"
MOBILE = "13877770512"
COUNTY, PREFECTURE = "xian650102", "zhou650100"
BRANCH = "新疆天盾保安服务有限公司天山分公司"
ADDRESS = "乌鲁木齐市天山区红山路26号"
HEAD, HEAD_ID, HEAD_MOBILE = "马建新", "650104198807070017", "13999100512"
# Asked in the browser: the branch's name and address and its head; the rest is saved beforehand.
ASKED = ("branch_name", "branch_address", "head_name", "head_id", "head_mobile")


@pytest.fixture
def engine(app_server: AppServer) -> Iterator[Engine]:
    with app_database(app_server.data_dir) as engine:
        yield engine


def started(engine: Engine, company: Account) -> int:
    """The company's E draft, instructions read, every answer but the branch's own (ASKED) saved."""
    assert company.unit_name and company.credit_code and company.mobile
    uow = SqlUnitOfWork(engine)
    draft = cases.start_draft(uow, company.actor, KIND, unit_name=company.unit_name,
                              credit_code=company.credit_code, contact=company.display_name, mobile=company.mobile)
    cases.confirm_instructions(uow, company.actor, draft.id)
    today = clock.today()
    for qid, value in demo_answers(KIND, today=today).items():
        if qid not in ASKED:
            cases.save_answer(uow, company.actor, draft.id, qid, value, today=today)
    return draft.id


def answer(page: Page, label: str, value: str) -> None:
    see(page, label)
    fill_text(page, label, value)
    click_button(page, "确定")


def do(page: Page, label: str) -> str:
    act(page, label)
    click_button(page, "确定办理")
    return see(page, f"已办理“{label}”")


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def test_kind_e_a_branch_office_filed_from_the_assistant_to_its_certificate_and_ledger_row(
        app_server: AppServer, engine: Engine, new_page: Callable[[], Page],
        shot: Callable[[Page, str], Path]) -> None:
    url = app_server.url
    company = register_unit(engine, unit_name=COMPANY, seed=6512, contact="韩冬", mobile=MOBILE)
    case_id = started(engine, company)
    filing = get_filing(KIND)

    # 1. The company answers the branch's questions in the assistant, uploads, and submits.
    applicant = new_page()
    log_in(applicant, url, MOBILE)
    goto(applicant, url, f"assistant?case={case_id}")
    answer(applicant, "分公司名称", BRANCH)
    answer(applicant, "分公司详细地址", ADDRESS)
    answer(applicant, "分公司负责人姓名", HEAD)
    answer(applicant, "分公司负责人居民身份证号码", "650104198807070018")  # a wrong check digit is refused
    see(applicant, "第18位校验码有误")
    answer(applicant, "分公司负责人居民身份证号码", HEAD_ID)
    answer(applicant, "分公司负责人手机号码", HEAD_MOBILE)
    for material in filing.materials:
        see(applicant, f"请上传：{material.label}")
        if material.required:
            upload(applicant, (f"{material.label}.pdf", demo_pdf(material.id), "application/pdf"))
        else:
            click_button(applicant, "不提供此项材料")
    text = see(applicant, "请核对")
    for expected in (BRANCH, ADDRESS, HEAD, "共3人"):
        assert expected in text, expected
    shot(applicant, "branch-review")
    click_button(applicant, "确认无误，提交申请")
    text = see(applicant, "提交成功")
    assert "待县级公安机关确认" in text
    with SqlUnitOfWork(engine, read_only=True) as uow:
        number = uow.case(case_id).number
        answers = uow.answers(case_id)
    assert number is not None and answers["branch_name"] == BRANCH and answers["head_id"] == HEAD_ID

    # 2. The branch's county confirms; the prefecture accepts and files it.
    county = new_page()
    log_in(county, url, COUNTY)
    open_queue(county)
    open_from_queue(county, number)
    assert "保安服务公司设立分公司备案" in main_text(county)
    assert "待州、市、地公安机关受理" in do(county, "确认")
    prefecture = new_page()
    log_in(prefecture, url, PREFECTURE)
    open_queue(prefecture)
    open_from_queue(prefecture, number)
    do(prefecture, "受理")
    assert "已办结（通过）" in do(prefecture, "通过")
    assert_no_exception(prefecture)

    # 3. The company downloads the certificate: this business, this branch, issued by 乌鲁木齐市公安局.
    with SqlUnitOfWork(engine, read_only=True) as uow:
        certificate = [d for d in uow.documents(case_id) if d.doc_type == "filing_certificate"][-1]
    goto(applicant, url, "my_cases")
    box = applicant.locator(f".st-key-case-{case_id}")
    box.get_by_text("已办结（通过）").first.wait_for()
    assert certificate.number in box.inner_text()
    caught = download(applicant, applicant.locator(f".st-key-doc-{certificate.id} button"))
    assert caught.suggested_filename == f"{number}-备案证明.pdf"
    text = pdf_text(Path(caught.path()).read_bytes())
    for expected in ("备案证明", certificate.number, COMPANY, "保安服务公司设立分公司备案",
                     f"{COMPANY}设立分公司（{BRANCH}）的备案材料收悉", "第十二条第二款", f"分公司负责人{HEAD}",
                     "分公司地址乌鲁木齐市天山区红山路26号", "分公司保安员人数3人", "乌鲁木齐市公安局", number):
        assert expected in text, expected
    for other in ("自行招用", "跨省", "法定代表人变更"):
        assert other not in text, other
    shot(applicant, "certificate-listed")

    # 4. The prefecture's ledger lists the branch as a current filing of the company.
    (record,) = [r for r in ledger_records(engine, officer(engine, PREFECTURE).actor, "current", kinds=[KIND])
                 if r.case_id == case_id]
    row = current_row(record)
    assert row["业务"] == "设立分公司备案" and row["备案证明编号"] == certificate.number
    assert row["地区"] == "乌鲁木齐市天山区" and row["保安员人数"] == 3
    assert row["服务区域"] == f"{ADDRESS}（门卫、巡逻、守护）" and row["分公司名称"] == BRANCH
    goto(prefecture, url, "ledger")
    fill_text(prefecture, "搜索", company.credit_code or "")
    see(prefecture, "单位数")
    exported = download(prefecture, prefecture.get_by_role("button", name="导出CSV", exact=True))
    (listed,) = csv.DictReader(io.StringIO(Path(exported.path()).read_text(encoding="utf-8-sig")))
    assert listed["单位名称"] == COMPANY and listed["备案业务"] == "设立分公司备案"
    assert listed["备案证明编号"] == certificate.number and listed["保安员人数"] == "3"
    assert listed["服务区域"] == row["服务区域"] and listed["办件编号"] == number
    assert listed["分公司名称"] == BRANCH and listed["分公司成立日期"] == row["分公司成立日期"] != ""
    assert_no_exception(prefecture)
    shot(prefecture, "ledger-row")
