"""Nothing is lost: a refresh, a second tab and a server restart all continue at the same step, logged in."""

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
from tests.e2e.helpers import (
    click_button,
    fill_text,
    goto,
    reload,
    see,
)

pytestmark = pytest.mark.e2e

MOBILE = "13855550071"


def test_refresh_second_tab_and_server_restart_continue_where_the_applicant_stopped(
        app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]) -> None:
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_applicant(engine, Registration(unit_name="乌鲁木齐恒安物业服务有限公司",
                                                        credit_code="9144030071526726XG", contact="赵娜",
                                                        mobile=MOBILE, password=DEMO_PASSWORD),
                                   password_hash=demo_password_hash(DEMO_PASSWORD), verified=True)
    assert applicant.unit_name and applicant.credit_code
    uow = SqlUnitOfWork(engine)
    draft = cases.start_draft(uow, applicant.actor, "C", unit_name=applicant.unit_name,
                              credit_code=applicant.credit_code, contact="赵娜", mobile=MOBILE)
    cases.confirm_instructions(uow, applicant.actor, draft.id)
    for qid, value in demo_answers("C", today=clock.today()).items():
        if qid == "area_address":
            break
        cases.save_answer(uow, applicant.actor, draft.id, qid, value, today=clock.today())

    page = new_page()
    goto(page, app_server.url, "")
    fill_text(page, "登录名", MOBILE)
    fill_text(page, "密码", DEMO_PASSWORD)
    click_button(page, "登录")
    see(page, "您好")  # logged in; the session cookie is set on this page
    goto(page, app_server.url, "assistant")
    assert "守护区域地址" in see(page, "欢迎回来")

    # A refresh keeps the login (session cookie) and the step.
    reload(page)
    assert "守护区域地址" in see(page, "欢迎回来")

    # A second tab of the same browser: already logged in, same step; an answer there moves both on.
    second = page.context.new_page()
    goto(second, app_server.url, "assistant")
    see(second, "守护区域地址")
    fill_text(second, "守护区域地址", "乌鲁木齐市天山区恒安路1号")
    click_button(second, "确定")
    see(second, "守护区域面积")
    reload(page)
    see(page, "守护区域面积")

    # The server restarts: the browser is still logged in and at the same step.
    app_server.restart()
    reload(page)
    text = see(page, "守护区域面积")
    assert "请先登录" not in text
    shot(page, "after-restart")
