"""The app starts, serves its home page in Chinese and shows no exception."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.conftest import AppServer
from tests.e2e.helpers import app_text, assert_no_exception, goto

TITLE = "保安业务网上自助办理"


def test_home_page_loads_in_chinese(
    app_server: AppServer, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]
) -> None:
    page = new_page()
    goto(page, app_server.url)
    page.get_by_text(TITLE).first.wait_for(timeout=15_000)
    shot(page, "home")
    assert TITLE in app_text(page)
    assert_no_exception(page)
