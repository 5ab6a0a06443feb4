"""Issue 19, the applicant on a desktop, in Chromium: a pasted text is kept with its count (item 1),
Streamlit's own texts are Chinese and the file limit stated is the material's own (5), the question
box answers which office and what status from the product's facts (8), the check-answers page shows
everything submitted, the roster paged (3), the submitted case is shown read-only and the home page
leads to a returned case (4), and the favicon is the server's own (6)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from flows import cases, clock
from flows.config import get_config
from flows.kinds import get_filing
from flows.ports import ReturnItem
from flows.review.transitions import Act
from store.accounts import Account
from store.demo import demo_pdf
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import act, app_database, draft_until, guards, officer, register_unit
from tests.e2e.helpers import (
    MAIN,
    assert_no_exception,
    chat_log,
    click_button,
    expect_rerun,
    fill_text,
    goto,
    log_in,
    main_text,
    see,
    send_chat,
    upload,
)
from tests.e2e.ux_checks import latin_words

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐长风物业服务有限公司"
MOBILE = "13777191101"
ROSTER = 25  # more than one page of the check-answers page's roster (20 rows)


@dataclass
class Applicant:
    account: Account
    case_id: int
    engine: Engine


@pytest.fixture
def applicant(app_server: AppServer) -> Iterator[Applicant]:
    """A unit whose draft stops at 守护区域地址, its roster of 25 guards already given."""
    with app_database(app_server.data_dir) as engine:
        account = register_unit(engine, unit_name=UNIT, seed=1911, contact="古丽", mobile=MOBILE)
        draft = draft_until(engine, account, "C", "area_address")
        cases.save_answer(SqlUnitOfWork(engine), account.actor, draft.id, "guards", guards(ROSTER),
                          today=clock.today())
        yield Applicant(account, draft.id, engine)


def ask(page: Page, question: str) -> str:
    """Ask the assistant's question box; its answer (the message after the question)."""
    send_chat(page, question)
    log = chat_log(page)
    asked = max(i for i, (role, text) in enumerate(log) if role == "user" and text == question)
    return log[asked + 1][1]


def test_an_applicant_files_sees_what_was_filed_and_is_led_back_to_the_returned_case(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
        applicant: Applicant) -> None:
    url = app_server.url
    page = new_page()
    log_in(page, url, MOBILE)
    icon = page.locator('link[rel~="icon"]').first.get_attribute("href") or ""
    assert urlsplit(icon).netloc in ("", urlsplit(url).netloc), icon  # the favicon is the server's own (item 6)
    see(page, "需要您处理")
    click_button(page.locator(MAIN), "继续填写")
    see(page, "守护区域地址")

    # 8. Which office and phone, from the regions and the configuration; not the process paragraph.
    contact = get_config().contact_for("654300")
    reply = ask(page, "我们公司在阿勒泰，应该找哪个公安局？")
    assert "阿勒泰地区" in reply and contact.name in reply and contact.phone in reply, reply

    # 1. 1,300 pasted characters into a 120-character field stay in the box, with the count.
    pasted = "乌鲁木齐市天山区长风路8号" * 100
    field = page.get_by_label("守护区域地址", exact=True)
    field.fill(pasted)
    # 5. The form's own hint, shown while typing, is Chinese ("Press Enter to submit form").
    page.locator(MAIN).get_by_text("按回车键提交").first.wait_for()
    field.blur()
    click_button(page, "确定")
    text = see(page, f"您输入了{len(pasted)}个字")
    assert "最多120个字" in text
    assert page.get_by_label("守护区域地址", exact=True).input_value() == pasted
    shot(page, "pasted-text-kept")
    fill_text(page, "守护区域地址", "乌鲁木齐市天山区长风路8号")
    click_button(page, "确定")
    fill_text(page, "守护区域面积", "约2万平方米")
    click_button(page, "确定")

    # 5. An empty date shows Chinese placeholders (not yyyy-mm-dd).
    date_field = page.get_by_label("开始保安服务的日期", exact=True)
    assert date_field.inner_text().replace("\n", "") == "年-月-日"
    date_field.locator('[role="spinbutton"]').first.click()
    page.keyboard.type(clock.today().strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    click_button(page, "确定")

    # 5. The uploader in Chinese, stating the material's own limit (10 MB), not Streamlit's 20 MB.
    see(page, "请上传：法人资格证明")
    uploader = page.locator('[data-testid="stFileUploader"]').first
    assert "选择文件" in uploader.inner_text() and "每个文件不超过10MB" in uploader.inner_text()
    assert not latin_words(page), latin_words(page)
    shot(page, "uploader")
    for material in get_filing("C").materials:
        if material.required:
            upload(page, (f"{material.label}.pdf", demo_pdf(material.id), "application/pdf"))
    click_button(page, "不提供此项材料")

    # 3. Everything that will be submitted: the account's facts and every roster row, paged.
    see(page, "请核对")
    text = see(page, "保安员20")  # the roster's table is drawn after the text around it (its code loads on demand)
    for expected in ("单位名称", UNIT, "统一社会信用代码", applicant.account.credit_code or "", "联系人姓名", "古丽",
                     MOBILE, "保安员1", "保安员20", f"第1–20行，共{ROSTER}行"):
        assert expected in text, expected
    assert "保安员21" not in text
    shot(page, "check-answers")
    click_button(page, "下一页")
    assert "保安员25" in see(page, f"第21–{ROSTER}行")

    # 4. Submitted: what was submitted, read-only (answers, materials, history, documents).
    click_button(page, "确认无误，提交申请")
    see(page, "提交成功")
    for tab, expected in (("申请内容", "约2万平方米"), ("上传的材料", "法人资格证明.pdf"), ("办理记录", "提交申请"),
                          ("文书", "尚未出具文书")):
        page.get_by_role("tab", name=tab).first.click()
        see(page, expected)
    assert not page.get_by_role("button", name="修改").count()  # read-only
    shot(page, "submitted-read-only")
    # 8. Status and deadline from the applicant's own case.
    reply = ask(page, "我的申请到哪一步了？")
    assert "待县级公安机关确认" in reply and "办结期限" in reply, reply

    # 4. Returned: the home page puts it first, and its link leads to it.
    case = act(applicant.engine, officer(applicant.engine, "xian650102"), applicant.case_id, Act.CONFIRM)
    act(applicant.engine, officer(applicant.engine, "zhou650100"), case.id, Act.ACCEPT)
    act(applicant.engine, officer(applicant.engine, "zhou650100"), case.id, Act.RETURN, comment="请补正",
        items=(ReturnItem("area_size", "【填报】守护区域面积", "面积与平面图不符"),))
    goto(page, url, "")
    todo = page.locator(".st-key-needs-me-now")
    assert "已退回" in todo.inner_text() and "去补正" in todo.inner_text()
    shot(page, "home-returned-first")
    with expect_rerun(page):
        page.get_by_role("link", name="办理新业务或继续填写").click()
    text = see(page, "您的申请已被退回")
    assert "面积与平面图不符" in text and "守护区域面积" in main_text(page)
    assert_no_exception(page)
