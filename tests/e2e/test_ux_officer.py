"""Issue 19, the officer's side in Chromium: a resubmitted case shows what changed, old → new, and keeps
its first submission time (item 10); the page speaks to officers and each act has a checklist (12);
what an officer typed is kept when a colleague acts first (13)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from flows import cases, clock
from flows.ports import ReturnItem
from flows.review.transitions import Act, Role
from store.accounts import create_user, demo_password_hash
from store.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_pdf
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import act, app_database, officer, register_unit, submit_c_case
from tests.e2e.helpers import MAIN, click_button, goto, log_in, pick, see

pytestmark = pytest.mark.e2e

COLLEAGUE = "xian650102ux"  # a second officer of 天山区


@dataclass
class Resubmitted:
    case_id: int
    number: str
    engine: Engine


@pytest.fixture
def resubmitted(app_server: AppServer) -> Iterator[Resubmitted]:
    """A late filing (service started 48 days before), returned for two items, corrected and resubmitted."""
    with app_database(app_server.data_dir) as engine:
        applicant = register_unit(engine, unit_name="乌鲁木齐远航物业服务有限公司", seed=1913, contact="周明",
                                  mobile="13777191301")
        late = (clock.today() - timedelta(days=48)).isoformat()
        case = submit_c_case(engine, applicant, days_ago=3, service_start=late)
        act(engine, officer(engine, "xian650102"), case.id, Act.CONFIRM)
        act(engine, officer(engine, "zhou650100"), case.id, Act.ACCEPT)
        act(engine, officer(engine, "zhou650100"), case.id, Act.RETURN, comment="请补正后重新提交",
            items=(ReturnItem("area_size", "【填报】守护区域面积", "面积与平面图不符"),
                   ReturnItem("legal_person_proof", "【材料】法人资格证明", "照片不清晰")))
        cases.save_answer(SqlUnitOfWork(engine), applicant.actor, case.id, "area_size", "约4万平方米",
                          today=clock.today())
        cases.upload_material(SqlUnitOfWork(engine), applicant.actor, case.id, "legal_person_proof",
                              filename="营业执照清晰版.pdf", data=demo_pdf("licence"))
        with SqlUnitOfWork(engine) as work:
            version = work.case(case.id).version
        cases.submit(SqlUnitOfWork(engine), applicant.actor, case.id, expected_version=version)
        create_user(engine, login=COLLEAGUE, password=DEMO_PASSWORD, display_name="天山区分局同事", role=Role.COUNTY,
                    region_code="650102", password_hash=demo_password_hash(DEMO_PASSWORD),
                    totp_secret=DEMO_TOTP_SECRET)  # enrolled as the demo officers are (log_in types its code)
        assert case.number is not None
        yield Resubmitted(case.id, case.number, engine)


def test_the_county_sees_what_changed_an_officers_checklist_and_keeps_its_text_when_a_colleague_acts_first(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path],
        resubmitted: Resubmitted) -> None:
    url = app_server.url
    page = new_page()
    log_in(page, url, "xian650102")
    goto(page, url, f"case?id={resubmitted.case_id}")

    # 10. The returned items with old → new values and the replaced file, at the top; both submission times.
    changes = page.locator(".st-key-corrections").inner_text()
    for expected in ("本次重新提交的补正内容", "守护区域面积", "面积与平面图不符", "原内容：约3.5万平方米",
                     "现内容：约4万平方米", "法人资格证明", "原文件：营业执照.jpg", "现文件：营业执照清晰版.pdf"):
        assert expected in changes, expected
    text = page.locator(MAIN).inner_text()
    assert "首次提交" in text and "最近提交" in text
    # 12. Worded for the officer: the lateness counted from the first submission, no 「您…」.
    assert "逾期申报" in text and "您已超过30日" not in text and "审核人员会看到" not in text
    shot(page, "changes-at-the-top")
    click_button(page, "确认")
    checklist = see(page, "办理前请确认")
    assert "本县（市、区）辖区内" in checklist and "法人资格证明" in checklist
    shot(page, "confirm-checklist")

    # 13. The officer starts a return and types; a colleague confirms first; the text stays.
    click_button(page, "退回补正")
    pick(page, "需要补正的事项（从本办件的填报项和材料中选择）", "【材料】保安员岗位职责")
    shot(page, "return-item-chosen")
    reason = "岗位职责未写明巡逻路线和交接班要求"
    field = page.get_by_label("【材料】保安员岗位职责：存在的问题和补正要求（必填）", exact=True)
    field.fill(reason)
    field.blur()
    colleague = new_page()
    log_in(colleague, url, COLLEAGUE)
    goto(colleague, url, f"case?id={resubmitted.case_id}")
    click_button(colleague, "确认")
    click_button(colleague, "确定办理")
    see(colleague, "已办理“确认”")
    click_button(page, "确定办理")
    text = see(page, "此办件已被他人处理")
    kept = page.locator(".st-key-kept-inputs").inner_text()
    assert "您此前填写的内容已保留" in kept and reason in kept and "保安员岗位职责" in kept
    assert "待州、市、地公安机关受理" in text  # the colleague's act stands
    shot(page, "text-kept")
