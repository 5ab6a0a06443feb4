"""S2 in full — a kind-C case travels county → prefecture, is returned once with two items, corrected
by the applicant in the assistant, filed; the applicant downloads the certificate, the public page
verifies it from its QR code, and the applicant rates the service (S6 step 3), which the province
sees. Officers and the applicant each in their own browser context, in headless Chromium.

The case is filed into the app's own database through the use cases (S1 drives the assistant's
first filing); the correction, every officer act and everything seen go through the browser.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import clock
from store.accounts import Account
from store.db import make_engine
from store.demo import demo_pdf
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import register_unit, submit_c_case
from tests.e2e.helpers import (
    MAIN,
    act,
    assert_no_exception,
    click_button,
    download,
    expect_rerun,
    fill_text,
    goto,
    log_in,
    main_text,
    open_from_queue,
    open_queue,
    pick,
    see,
    upload,
)
from tests.support import decode_qr, qr_images

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐雪莲物业服务有限公司"
MOBILE = "13877770052"
COUNTY, PREFECTURE, PROVINCE = "xian650102", "zhou650100", "ting"
MATERIAL, FIELD = "【材料】保安员管理制度", "【填报】守护区域面积"
MATERIAL_REASON, FIELD_REASON = "未加盖单位公章", "与平面图标注的面积不符"
COMMENT = "请一并改正后重新提交"
NEW_AREA = "约3.1万平方米"
RATING_TEXT = "退回时一次讲清楚了要改什么，改完很快就备案了"


@dataclass
class Filed:
    case_id: int
    number: str
    due_on: date
    engine: Engine
    account: Account


@pytest.fixture
def filed(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Filed]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # uploads go into the app's blob store
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_unit(engine, unit_name=UNIT, seed=5252, contact="艾力", mobile=MOBILE)
    case = submit_c_case(engine, applicant, days_ago=10)
    assert case.number is not None and case.due_on is not None
    yield Filed(case.id, case.number, case.due_on, engine, applicant)
    engine.dispose()


# ------------------------------------------------------------------ helpers
def do(page: Page, label: str) -> str:
    act(page, label)
    click_button(page, "确定办理")
    return see(page, f"已办理“{label}”")


def document(filed: Filed, doc_type: str) -> tuple[int, str]:
    """(id, number) of the newest document of this type on the case (ids only to find its button)."""
    with SqlUnitOfWork(filed.engine) as uow:
        doc = [d for d in uow.documents(filed.case_id) if d.doc_type == doc_type][-1]
    return doc.id, doc.number


def download_document(page: Page, doc_id: int, expected_name: str) -> bytes:
    caught = download(page, page.locator(f".st-key-doc-{doc_id} button"))
    assert caught.suggested_filename == expected_name
    return Path(caught.path()).read_bytes()


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def my_case(page: Page, url: str, filed: Filed, wait_for: str) -> str:
    goto(page, url, "my_cases")
    box = page.locator(f".st-key-case-{filed.case_id}")
    box.get_by_text(wait_for).first.wait_for()
    return box.inner_text()


def county_confirms(page: Page, number: str) -> None:
    open_queue(page)
    open_from_queue(page, number)
    text = do(page, "确认")
    assert "待州、市、地公安机关受理" in text


# ------------------------------------------------------------------ the scenario
def test_s2_returned_once_corrected_filed_verified_and_rated(
    app_server: AppServer, filed: Filed, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]
) -> None:
    url, number = app_server.url, filed.number
    assert filed.due_on < clock.today()  # the first clock, from ten days ago, has run out

    # 1. The county confirms.
    county = new_page()
    log_in(county, url, COUNTY)
    county_confirms(county, number)

    # 2. The prefecture accepts, then returns it: one material, one field, a comment, in one notice.
    prefecture = new_page()
    log_in(prefecture, url, PREFECTURE)
    open_queue(prefecture)
    open_from_queue(prefecture, number)
    do(prefecture, "受理")
    act(prefecture, "退回补正")
    items_label = "需要补正的事项"
    pick(prefecture, items_label, MATERIAL)
    pick(prefecture, items_label, FIELD)
    fill_text(prefecture, f"{MATERIAL}：存在的问题和补正要求（必填）", MATERIAL_REASON)
    fill_text(prefecture, f"{FIELD}：存在的问题和补正要求（必填）", FIELD_REASON)
    fill_text(prefecture, "其他说明（告知申请单位，可不填）", COMMENT)
    click_button(prefecture, "确定办理")
    assert "已退回，待补正" in see(prefecture, "已办理“退回补正”")

    # 3. The applicant (logged in by mobile) sees the returned case with the two items ...
    applicant = new_page()
    log_in(applicant, url, MOBILE)
    text = my_case(applicant, url, filed, "补正告知")
    assert "已退回，待补正" in text
    for expected in ("保安员管理制度", MATERIAL_REASON, "守护区域面积", FIELD_REASON, COMMENT):
        assert expected in text, expected
    shot(applicant, "returned-case")

    # ... and downloads the correction notice.
    notice_id, notice_number = document(filed, "correction_notice")
    notice = pdf_text(download_document(applicant, notice_id, f"{number}-补正材料告知书.pdf"))
    assert "补正材料告知书" in notice and notice_number in notice and number in notice and UNIT in notice
    assert f"保安员管理制度：{MATERIAL_REASON}" in notice and f"守护区域面积：{FIELD_REASON}" in notice
    assert COMMENT in notice and "一次性告知" in notice

    # It clicks 去补正 and fixes exactly those two items in the assistant, then resubmits.
    with expect_rerun(applicant):
        applicant.locator(f".st-key-case-{filed.case_id}").get_by_role("button", name="去补正").click()
    see(applicant, "您的申请已被退回")
    shot(applicant, "assistant-correction")
    for _ in range(2):
        text = main_text(applicant)
        if "请上传：保安员管理制度" in text:
            upload(applicant, ("保安员管理制度-盖章.pdf", demo_pdf("guards-stamped"), "application/pdf"))
            see(applicant, "（已补正）")
        else:
            fill_text(applicant, "守护区域面积", NEW_AREA)
            click_button(applicant, "确定")
    text = see(applicant, "需要补正的事项已全部修改")
    assert NEW_AREA in text and "保安员管理制度-盖章.pdf" in text
    assert applicant.locator(f"{MAIN} .st-key-edit-unit_address button").count() == 0  # nothing else editable
    shot(applicant, "correction-summary")
    click_button(applicant, "确认无误，重新提交")
    text = see(applicant, "提交成功")
    due = re.search(r"办结期限：最迟于(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    assert due is not None, text
    restarted = date(*map(int, due.groups()))
    assert restarted > clock.today() > filed.due_on  # the deadline restarted from the resubmission
    assert "待县级公安机关确认" in text
    shot(applicant, "resubmitted")

    # 4. The county confirms again; the prefecture accepts and files it.
    county_confirms(county, number)
    open_queue(prefecture)
    open_from_queue(prefecture, number)
    do(prefecture, "受理")
    assert "已办结（通过）" in do(prefecture, "通过")
    assert_no_exception(prefecture)
    shot(prefecture, "filed")

    # 5. The applicant downloads the filing certificate: Chinese text, case data, number, code, QR code.
    text = my_case(applicant, url, filed, "已办结（通过）")
    cert_id, cert_number = document(filed, "filing_certificate")
    assert "备案证明" in text and cert_number in text
    pdf = download_document(applicant, cert_id, f"{number}-备案证明.pdf")
    text = pdf_text(pdf)
    for expected in ("备案证明", cert_number, UNIT, filed.account.credit_code or "", number, "自行招用保安员单位备案",
                     "乌鲁木齐市公安局", NEW_AREA, "保安员人数3人", "验证码："):
        assert expected in text, expected
    code = re.search(r"验证码：([A-Z2-7]{26})", text)
    assert code is not None
    (image,) = qr_images(pdf)
    decoded = decode_qr(image)  # zxing-cpp; without it the printed link stands in (no signature then)
    link = decoded[0] if decoded else f"{url}/verify?code={code.group(1)}"
    query = parse_qs(urlsplit(link).query)
    assert link.startswith(f"{url}/verify?") and query["code"] == [code.group(1)]
    assert not decoded or len(query["sig"][0]) == 86
    shot(applicant, "certificate-listed")

    # 6. The public page (no login) from the QR code: genuine and valid; one character changed: not found.
    public = new_page()
    goto(public, url, link.removeprefix(url))
    text = see(public, "真实有效")
    assert cert_number in text and UNIT in text and "已撤销" not in text
    assert "二维码签名有效" in text or not decoded
    assert_no_exception(public)
    shot(public, "verified-from-qr")
    genuine = code.group(1)
    changed = genuine[:13] + ("A" if genuine[13] != "A" else "B") + genuine[14:]
    goto(public, url, f"verify?code={changed}")
    text = see(public, "未找到该证明")
    assert "真实有效" not in text and cert_number not in text
    shot(public, "changed-code")

    # The downloaded file itself, compared with the archive: as issued it matches; edited it does not.
    public.get_by_text("持有PDF文件？上传文件与存档原件逐字节比对").click()
    upload(public, ("备案证明.pdf", pdf, "application/pdf"), label="证明PDF文件")
    click_button(public, "比对文件")
    text = see(public, "文件与存档一致")
    assert cert_number in text and "真实有效" in text
    edited = pdf + b"\n% edited after issue\n"
    if not public.get_by_role("button", name="比对文件", exact=True).is_visible():
        public.get_by_text("持有PDF文件？上传文件与存档原件逐字节比对").click()
    upload(public, ("备案证明-改.pdf", edited, "application/pdf"), label="证明PDF文件")
    click_button(public, "比对文件")
    text = see(public, "与存档不一致")
    assert "文件与存档一致" not in text and cert_number in text
    shot(public, "edited-file-refused")

    # S6 step 3: the applicant rates the service 满意 with a comment ...
    goto(applicant, url, "my_cases")
    form = applicant.locator(f".st-key-case-{filed.case_id}")
    form.get_by_text("满意", exact=True).click()
    # A pasted comment over the limit is refused in words and kept to be shortened (it was dropped whole).
    form.get_by_label("评价意见（可选）").fill("很" * 800)
    click_button(form, "提交评价")
    see(applicant, "评价意见最多500个字，您填写了800个字")
    assert form.get_by_label("评价意见（可选）").input_value() == "很" * 800
    form.get_by_label("评价意见（可选）").fill(RATING_TEXT)
    click_button(form, "提交评价")
    see(applicant, "感谢您的评价")
    text = applicant.locator(f".st-key-case-{filed.case_id}").inner_text()
    assert "您的评价" in text and "满意" in text and RATING_TEXT in text
    shot(applicant, "rated")

    # ... and the province sees it in the feedback inbox.
    province = new_page()
    log_in(province, url, PROVINCE)
    goto(province, url, "feedback_inbox")
    item = province.locator(MAIN).locator('[class*="st-key-feedback-"]').filter(has_text=RATING_TEXT).first
    item.wait_for()
    text = item.inner_text()
    assert "服务评价" in text and "满意" in text and "自行招用保安员单位备案" in text
    assert_no_exception(province)
    shot(province, "rating-in-inbox")
