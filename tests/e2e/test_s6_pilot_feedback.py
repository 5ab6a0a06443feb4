"""S6 — pilot feedback: every page shows the pilot notice and a feedback control; an applicant's
note from step 4 of a kind-C filing reaches the province with page, step and kind, and is accepted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from flows import cases, clock
from flows.identity.accounts import Registration
from store.accounts import demo_password_hash, register_applicant
from store.db import make_engine
from store.demo import DEMO_PASSWORD, demo_answers
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.helpers import MAIN, app_text, click_button, expect_rerun, goto, log_in, main_text

pytestmark = pytest.mark.e2e

MOBILE = "13866660061"
NOTE = "这里不知道填什么"
PUBLIC_PAGES = ("", "assistant", "service_guide", "verify")


def test_s6_pilot_notice_and_feedback_from_step_4_reach_the_province(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]) -> None:
    base = app_server.url
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_applicant(engine, Registration(unit_name="乌鲁木齐晨光物业服务有限公司",
                                                        credit_code=_code(),
                                                        contact="阿依", mobile=MOBILE, password=DEMO_PASSWORD),
                                   password_hash=demo_password_hash(DEMO_PASSWORD), verified=True)
    assert applicant.unit_name and applicant.credit_code
    uow = SqlUnitOfWork(engine)
    draft = cases.start_draft(uow, applicant.actor, "C", unit_name=applicant.unit_name,
                              credit_code=applicant.credit_code, contact="阿依", mobile=MOBILE)
    cases.confirm_instructions(uow, applicant.actor, draft.id)
    for qid, value in demo_answers("C", today=clock.today()).items():
        if qid == "principal_name":
            break  # the applicant stops at the principal (S1 step 4)
        cases.save_answer(uow, applicant.actor, draft.id, qid, value, today=clock.today())

    # 1. Every page shows the pilot notice and the feedback control.
    page = new_page()
    for path in PUBLIC_PAGES:
        goto(page, base, path)
        text = app_text(page)
        assert "试运行期间" in text and "意见反馈" in text, path

    # 2. The applicant, on the principal's question, sends a note.
    log_in(page, base, MOBILE)
    goto(page, base, "assistant")
    assert "法定代表人（主要负责人）姓名" in main_text(page)
    page.get_by_role("button", name="意见反馈").click()
    page.get_by_label("您遇到的问题或建议").fill(NOTE)
    with expect_rerun(page):
        page.get_by_role("button", name="提交反馈").click()
    page.get_by_text("感谢您的反馈").wait_for()
    shot(page, "feedback-sent")

    # The province sees it with the page, the step and the kind, and marks it accepted.
    officer = new_page()
    log_in(officer, base, "ting")
    goto(officer, base, "feedback_inbox")
    item = officer.locator(MAIN).locator('[class*="st-key-feedback-"]').filter(has_text=NOTE).first
    item.wait_for()
    text = item.inner_text()
    assert "申请办理" in text or "assistant" in text
    assert "法定代表人（主要负责人）姓名" in text and "自行招用保安员单位备案" in text
    shot(officer, "inbox")
    click_button(item, "处理")
    item.get_by_label("回复提交人").fill("已收到，将在填写页增加示例。")
    item.get_by_label("处理结果", exact=True).click()  # nothing is preselected: the result is always chosen
    officer.get_by_role("option", name="已采纳", exact=True).click()
    with expect_rerun(officer):
        item.get_by_role("button", name="保存处理结果").click()
    officer.get_by_text("已标记为“已采纳”").wait_for()
    shot(officer, "accepted")


def _code() -> str:
    from stdnum.cn import uscc

    from flows.filing.identifiers import organisation_check_char

    body = "MC00061Y"
    head = "91650100" + body + organisation_check_char(body)
    return head + str(uscc.calc_check_digit(head + "0"))
