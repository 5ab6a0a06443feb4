"""Streamlit's `/media/` addresses (web/media.py), tried as an attacker would: the address of a document an
officer downloaded answers that officer's live session only — not a browser without the session cookie, not
the same cookie after logging out — and a material's page pictures have no such address at all (data: URLs).
Before: a stranger's browser fetched an ID-card page and an issued decision with HTTP 200, even after logout."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from tests.e2e.conftest import AppServer
from tests.e2e.filing import app_database, file_c_case, register_unit
from tests.e2e.helpers import MAIN, download, goto, log_in, open_tab, see, wait_until
from web.cookies import SESSION_COOKIE

pytestmark = pytest.mark.e2e

PREFECTURE = "zhou650100"


@pytest.fixture
def engine(app_server: AppServer) -> Iterator[Engine]:
    with app_database(app_server.data_dir) as engine:  # uploads go into the app's blob store
        yield engine


def status(server: AppServer, path: str, cookie: str = "") -> int:
    where = urlsplit(server.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    response.read()
    return response.status


def test_a_downloaded_document_is_fetched_by_its_session_only_and_previews_have_no_address(
        app_server: AppServer, engine: Engine, new_page: Callable[[], Page]) -> None:
    applicant = register_unit(engine, unit_name="乌鲁木齐银河物业服务有限公司", seed=7373, contact="王星",
                              mobile="13877777373")
    case = file_c_case(engine, applicant)
    page = new_page()
    log_in(page, app_server.url, PREFECTURE)
    goto(page, app_server.url, f"case?id={case.id}")
    see(page, f"办件 {case.number}")

    open_tab(page, "材料")  # the legal-person proof is a photo: its preview is drawn from the page itself
    pictures = page.locator(f'{MAIN} [data-testid="stImage"] img')
    wait_until(page, lambda: pictures.count() > 0, "a material's preview")
    sources = [pictures.nth(i).get_attribute("src") or "" for i in range(pictures.count())]
    assert sources and all(s.startswith("data:image/") for s in sources), [s[:40] for s in sources]

    open_tab(page, "文书")
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    got = download(page, panel.get_by_role("button", name="下载").first)
    path = urlsplit(got.url).path
    assert path.startswith("/media/"), got.url
    cookie = next(f"{c['name']}={c['value']}" for c in page.context.cookies() if c["name"] == SESSION_COOKIE)

    assert status(app_server, path, cookie) == 200  # the officer's own session
    gone = page.context.new_page()  # a file Streamlit no longer holds, asked by the officer's own browser
    gone.goto(f"{app_server.url}/media/{'0' * 56}.pdf")
    assert gone.locator("body").inner_text().strip() == "未找到该文件，或您无权查看。"  # was "File not found"
    gone.close()
    assert status(app_server, path) == 404  # any other browser holding the address
    page.get_by_role("button", name="退出登录").click()
    see(page, "登录")
    wait_until(page, lambda: status(app_server, path, cookie) == 404, "the address closed by the logout")
