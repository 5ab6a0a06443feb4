"""An error no page handled: the browser shows a Chinese message, no English, no link out of the network, and
nothing of the error itself (the reviewer's half-reloaded server showed Streamlit's English box with "Ask
Google" and "Ask ChatGPT" links). The page is a test app served the way serve.py serves the real one (the same
routes, middleware and .streamlit/config.toml), since no page of the product raises on purpose."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import REPO, AppServer, _free_port
from tests.e2e.helpers import exception_texts

SECRET = "650105197606060017"
ENTRY = """\
import streamlit as st

from store.log_privacy import install
from web.middleware import MIDDLEWARE
from web.routes import ROUTES

install()  # as serve.py does
app = st.App("failing_page.py", routes=ROUTES, middleware=MIDDLEWARE)
"""
PAGE = f"""\
import streamlit as st

st.title("办理助手")
raise RuntimeError("读取失败：{SECRET}")
"""


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    root = tmp_path_factory.mktemp("failing-app")
    (root / "app").mkdir()
    shutil.copytree(REPO / ".streamlit", root / "app" / ".streamlit")
    (root / "app" / "entry.py").write_text(ENTRY, encoding="utf-8")
    (root / "app" / "failing_page.py").write_text(PAGE, encoding="utf-8")
    (root / "data").mkdir()
    server = AppServer(root / "data", _free_port(), entry="entry.py", cwd=root / "app")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_unhandled_error_is_said_in_chinese_without_its_details_or_links_out(
        failing_app: AppServer, new_page: Callable[[], Page]) -> None:
    page = new_page()
    page.goto(failing_app.url + "/")
    box = page.locator('[data-testid="stException"]')
    box.wait_for()
    message = box.get_by_text("系统处理时出现错误")
    message.wait_for()  # translated once the box is drawn
    shown = box.inner_text()
    assert "请刷新页面后重试" in shown and "您已填写并保存的内容不会丢失" in shown
    assert not any("a" <= ch.lower() <= "z" for ch in shown), shown  # no English left (Copy, Ask Google...)
    for link in box.locator("a").all():
        assert not link.is_visible(), link.get_attribute("href")
    assert SECRET not in page.content()  # the error's own words never reach the browser
    assert exception_texts(page)  # the tests' assert_no_exception still sees such a page
    deadline = time.monotonic() + 30
    while "读取失败" not in (logged := failing_app.stderr_path.read_text(encoding="utf-8")) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    assert "读取失败：6501**********0017" in logged and SECRET not in logged  # the log has the error, masked
