"""Every page walked as a visitor, an applicant, a county, a prefecture, the province and the
administrator, on a desktop and on a 390×844 phone (issue 19, "done when"): no Latin word outside the
allow-list (code values, file types), no request to another host, no element covering a button at the
end of the page, no Streamlit exception. One server, one browser; each role logs in once per viewport.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from flows import clock
from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, draft_until, file_c_case, register_unit, submit_c_case
from tests.e2e.helpers import MAIN, click_button, expect_rerun, goto, log_in, see, track_runs
from tests.e2e.ux_checks import Hosts, check_page

pytestmark = pytest.mark.e2e

VIEWPORTS: dict[str, dict[str, object]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
LOGINS = {"visitor": None, "applicant": "", "county": "xian650102", "prefecture": "zhou650100",
          "province": "ting", "admin": "admin"}


@dataclass(frozen=True)
class Walker:
    """The applicant walked on one viewport: a filed case, one waiting for 天山区, a draft at a date."""

    mobile: str
    waiting_case: int


@pytest.fixture(scope="module")
def walkers(app_server: AppServer) -> Iterator[dict[str, Walker]]:
    with app_database(app_server.data_dir) as engine:
        found = {}
        for n, name in enumerate(VIEWPORTS):
            mobile = f"137771900{n:02d}"
            applicant = register_unit(engine, unit_name=f"乌鲁木齐巡看{'甲乙'[n]}物业服务有限公司", seed=1901 + n,
                                      contact="古丽", mobile=mobile)
            file_c_case(engine, applicant)
            waiting = submit_c_case(engine, applicant, days_ago=1)
            draft_until(engine, applicant, "C", "service_start")  # the assistant asks a date next
            found[name] = Walker(mobile, waiting.id)
        yield found


Step = Callable[[Page, str, Walker], str]  # does something on the page; returns what to call the page


def visit(path: str) -> Step:
    def step(page: Page, url: str, walker: Walker) -> str:
        goto(page, url, path)
        return path or "home"
    return step


def open_case_from_queue(page: Page, url: str, walker: Walker) -> str:
    goto(page, url, "queue")
    buttons = page.locator(MAIN).get_by_role("link", name="办理", exact=True)
    if buttons.count():
        with expect_rerun(page):
            buttons.first.click()
        see(page, "办件 ")
    return "case (from the queue)"


def county_case_with_confirm_panel(page: Page, url: str, walker: Walker) -> str:
    goto(page, url, f"case?id={walker.waiting_case}")
    click_button(page, "确认")
    see(page, "办理前请确认")
    return "case, 确认 panel open"


def applicant_date_then_roster(page: Page, url: str, walker: Walker) -> str:
    goto(page, url, "assistant")
    see(page, "开始保安服务的日期")
    return "assistant at a date question"


def applicant_roster(page: Page, url: str, walker: Walker) -> str:
    field = page.get_by_label("开始保安服务的日期", exact=True)
    field.locator('[role="spinbutton"]').first.click()
    page.keyboard.type(clock.today().strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    click_button(page, "确定")
    see(page, "保安员名单")
    return "assistant at the roster"


STEPS: dict[str, tuple[Step, ...]] = {
    "visitor": (visit(""), visit("assistant"), visit("service_guide"), visit("verify")),
    "applicant": (visit(""), applicant_date_then_roster, applicant_roster, visit("my_cases"),
                  visit("unit_accounts"), visit("password"), visit("service_guide"), visit("verify")),
    "county": (visit(""), visit("queue"), county_case_with_confirm_panel, visit("ledger"), visit("units"),
               visit("password")),
    "prefecture": (visit(""), visit("queue"), open_case_from_queue, visit("ledger"), visit("report"),
                   visit("feedback_inbox"), visit("units")),
    "province": (visit(""), visit("queue"), open_case_from_queue, visit("ledger"), visit("report"),
                 visit("feedback_inbox"), visit("units")),
    "admin": (visit(""), visit("admin"), visit("password")),
}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_is_chinese_local_uncovered_and_without_errors(
        app_server: AppServer, browser: Browser, walkers: dict[str, Walker], shot: Callable[[Page, str], Path],
        role: str, viewport: str) -> None:
    walker = walkers[viewport]
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.set_default_timeout(30_000)
    hosts = Hosts(context, app_server.url)
    page = context.new_page()
    track_runs(page)
    try:
        login = LOGINS[role]
        if login is not None:
            log_in(page, app_server.url, login or walker.mobile)
        for step in STEPS[role]:
            where = f"{role} on {viewport}: {step(page, app_server.url, walker)}"
            try:
                check_page(page, hosts, where)
            except AssertionError:
                shot(page, where)
                raise
    finally:
        context.close()
