"""S10 — the assistant reads an upload: another company's licence photo is caught while the clerk goes on,
the file is replaced and the warning goes; the county officer sees the machine checklist."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from bench.precheck_corpus import phone_photo
from bench.precheck_papers import Company, business_licence, random_company, rules_page
from flows import cases, clock
from store.db import make_engine
from store.demo import demo_answers
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import register_unit
from tests.e2e.helpers import assert_no_exception, click_button, click_until_seen, goto, log_in, see, upload

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐和风物业服务有限公司"
MOBILE = "13900001017"
COUNTY = "xian650102"
READ_TIMEOUT_MS = 90_000  # reading waits for the worker, on a machine shared with other tests
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shots(page: Page, shot: Callable[[Page, str], Path], name: str) -> None:
    """A screenshot on the desktop and one at a phone's size (390x844), to be looked at."""
    shot(page, name)
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def licence_photo(company: Company, seed: int) -> bytes:
    rng = random.Random(seed)
    return jpeg(phone_photo(rng, business_licence(rng, company, dpi=200)))


def sealed_rules(company: Company, seed: int) -> bytes:
    return jpeg(rules_page(random.Random(seed), company, dpi=150, sealed=True))


def test_s10_the_assistant_reads_an_upload(app_server: AppServer, new_page: Callable[[], Page],
                                           shot: Callable[[Page, str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url = app_server.url
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_unit(engine, unit_name=UNIT, seed=1017, contact="马红", mobile=MOBILE)
    assert applicant.credit_code and applicant.mobile
    ours = Company(UNIT, applicant.credit_code, "马红", "新疆乌鲁木齐市天山区和风路1号", "")
    others = random_company(random.Random(10))
    # Everything answered already (S1 shows the answering): the clerk is at the uploads.
    uow = SqlUnitOfWork(engine)
    draft = cases.start_draft(uow, applicant.actor, "C", unit_name=UNIT, credit_code=applicant.credit_code,
                              contact="马红", mobile=applicant.mobile)
    cases.confirm_instructions(uow, applicant.actor, draft.id)
    for qid, value in demo_answers("C", today=clock.today()).items():
        cases.save_answer(uow, applicant.actor, draft.id, qid, value, today=clock.today())
    engine.dispose()

    page = new_page()
    log_in(page, url, MOBILE)
    goto(page, url, "assistant")
    see(page, "请上传：法人资格证明")

    # 1. A photo of another company's licence; the clerk goes on with the next material meanwhile.
    upload(page, ("营业执照.jpg", licence_photo(others, 1), "image/jpeg"))
    see(page, "请上传：保安服务管理制度")
    upload(page, ("保安服务管理制度.jpg", sealed_rules(ours, 2), "image/jpeg"))
    see(page, "请上传：岗位责任制度")
    note = page.locator(".st-key-precheck-legal_person_proof")
    expect(note).to_contain_text(others.credit_code, timeout=READ_TIMEOUT_MS)
    text = note.inner_text()
    assert "营业执照上的统一社会信用代码是" in text and applicant.credit_code in text and "不一致" in text
    assert "第1页" in text  # where on the page it was read
    shots(page, shot, "mismatch-warning")

    # 2. They replace the file: the warning goes once the new file is read.
    click_until_seen(note, "重新上传文件", "请上传：法人资格证明")  # the notes poll while a file is read
    upload(page, ("营业执照-本单位.jpg", licence_photo(ours, 3), "image/jpeg"))
    reading = page.get_by_text("正在自动核对“法人资格证明”")
    expect(reading).to_have_count(0, timeout=READ_TIMEOUT_MS)
    expect(note).to_have_count(0)
    shots(page, shot, "warning-gone")

    # The rest of the uploads, then submit.
    for label, seed in (("岗位责任制度", 4), ("保安员管理制度", 5), ("保安员岗位职责", 6)):
        see(page, f"请上传：{label}")
        upload(page, (f"{label}.jpg", sealed_rules(ours, seed), "image/jpeg"))
    see(page, "请上传：其他材料")
    click_button(page, "不提供此项材料")
    see(page, "请核对")
    click_button(page, "确认无误，提交申请")
    see(page, "提交成功")
    assert_no_exception(page)

    # 3. The county officer sees the machine checklist on the case page.
    officer = new_page()
    log_in(officer, url, COUNTY)
    goto(officer, url, f"case?id={draft.id}")
    checklist = officer.locator(".st-key-precheck-checklist")
    expect(checklist).to_contain_text("检测到公章", timeout=READ_TIMEOUT_MS)
    text = checklist.inner_text()
    assert "代码一致" in text and "名称一致" in text and "检测到公章" in text and "未检测到公章" not in text
    shots(officer, shot, "officer-checklist")
    assert_no_exception(officer)
