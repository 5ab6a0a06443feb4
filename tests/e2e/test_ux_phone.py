"""Issue 19 item 7, on a 390×844 phone in Chromium: the way in on the first screen, the pilot notice
without 「左侧栏」 and its feedback control reachable, the unit types in their order, the guards entered
one card at a time with the same checks, and nothing covering the roster's 确定 at the end of the page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from flows import cases, clock
from flows.kinds import get_filing
from store.demo import demo_answers
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, draft_until, register_unit, resident_id
from tests.e2e.helpers import MAIN, click_button, expect_rerun, goto, log_in, see, track_runs
from tests.e2e.ux_checks import covered_buttons

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MOBILE = "13777191201"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(30_000)
    page = context.new_page()
    track_runs(page)
    yield page
    context.close()


def on_first_screen(page: Page, name: str, *, role: str = "link") -> bool:
    box = page.get_by_role(role, name=name).first.bounding_box()  # type: ignore[arg-type]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844


def test_on_a_phone_the_way_in_feedback_choices_and_roster_cards_work(
        app_server: AppServer, phone: Page, shot: Callable[[Page, str], Path]) -> None:
    url, page = app_server.url, phone
    goto(page, url, "")
    assert on_first_screen(page, "开始办理（首次使用可在办理过程中注册）")
    notice = page.locator(MAIN).locator('[data-testid="stAlert"]').first.inner_text()
    assert "试运行" in notice and "左侧栏" not in notice
    # The demo mark wraps: before, a phone showed it cut off before "请勿录入真实个人信息".
    mark = page.locator(".st-key-demo-mark")
    assert "请勿录入真实个人信息" in mark.inner_text()
    assert mark.evaluate("m => [...m.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)")
    shot(page, "home-first-screen")

    # The feedback control is in the page itself (the sidebar is folded away on a phone).
    assert on_first_screen(page, "意见反馈", role="button")
    page.get_by_role("button", name="意见反馈").click()
    page.get_by_label("您遇到的问题或建议").fill("手机上按钮太小")
    with expect_rerun(page):
        page.get_by_role("button", name="提交反馈").click()
    page.get_by_text("感谢您的反馈").wait_for()
    page.keyboard.press("Escape")

    # The unit types keep their order when the columns stack.
    with app_database(app_server.data_dir) as engine:
        applicant = register_unit(engine, unit_name="乌鲁木齐晨光物业服务有限公司", seed=1912, contact="阿依",
                                  mobile=MOBILE)
        draft = draft_until(engine, applicant, "C", "unit_type")
    log_in(page, url, MOBILE)
    goto(page, url, "assistant")
    see(page, "单位类型")
    options = get_filing("C").question("unit_type").options
    tops = [page.locator(MAIN).get_by_role("button", name=o, exact=True).bounding_box()["y"]  # type: ignore[index]
            for o in options]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), tops  # one under the other, in order
    shot(page, "unit-types-in-order")

    # The guards, one card at a time: a wrong ID number is named on its card, the same check as the grid.
    today = clock.today()
    answers = demo_answers("C", today=today)
    with app_database(app_server.data_dir) as engine:
        for question in get_filing("C").questions:
            if question.id != "guards" and question.prefill is None and question.id in answers:
                cases.save_answer(SqlUnitOfWork(engine), applicant.actor, draft.id, question.id,
                                  answers[question.id], today=today)
    goto(page, url, "assistant")
    see(page, "填写第1行")
    assert not page.locator('[data-testid="stDataFrame"]').first.is_visible()  # no 2.5-column grid
    card = page.locator(MAIN).locator('[data-testid="stForm"]').filter(has_text="填写第1行")
    card.get_by_label("姓名", exact=True).fill("王军")
    card.get_by_label("居民身份证号码", exact=True).fill(resident_id(1)[:-1] + ("0" if resident_id(1)[-1] != "0" else "1"))
    card.get_by_label("手机号码", exact=True).fill("13899100001")
    click_button(card, "添加这一行")
    see(page, "校验码有误")
    shot(page, "card-refused")
    card.get_by_label("居民身份证号码", exact=True).fill(resident_id(1))
    click_button(card, "添加这一行")
    see(page, "填写第2行")
    assert "1. 姓名：王军" in page.locator(MAIN).inner_text()
    assert not covered_buttons(page), covered_buttons(page)  # the question box leaves 确定 free
    shot(page, "card-added")
    click_button(page, "确定（共1行）")
    see(page, "请上传：法人资格证明")
