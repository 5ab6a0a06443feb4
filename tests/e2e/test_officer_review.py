"""S2 steps 1-2 — the officers' side: the county confirms, the prefecture accepts and returns with
two itemised deficiencies; in headless Chromium against the running app.

The case is filed into the app's own database through the use cases (the applicant's side of S2
is driven in its own test); everything the officers do and see goes through the browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import Engine

from flows.kinds import get_filing
from store.db import make_engine
from tests.e2e.conftest import AppServer
from tests.e2e.filing import register_unit, submit_c_case
from tests.e2e.helpers import (
    MAIN,
    act,
    assert_no_exception,
    click_button,
    download,
    fill_text,
    goto,
    log_in,
    main_text,
    open_from_queue,
    open_queue,
    open_tab,
    pick,
    see,
)

pytestmark = pytest.mark.e2e

UNIT = "乌鲁木齐明月物业服务有限公司"
MOBILE = "13877770042"
COUNTY, SIBLING, PREFECTURE = "xian650102", "xian650103", "zhou650100"
NOT_FOUND = "未找到该办件，或您无权查看。"


@dataclass
class Filed:
    case_id: int
    number: str
    engine: Engine


@pytest.fixture
def filed(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Filed]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # uploads go into the app's blob store
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_unit(engine, unit_name=UNIT, seed=4242, contact="周明", mobile=MOBILE)
    case = submit_c_case(engine, applicant, days_ago=1)
    assert case.number is not None
    yield Filed(case.id, case.number, engine)
    engine.dispose()


# ------------------------------------------------------------------ browser steps


# ------------------------------------------------------------------ the scenario
def test_s2_county_confirms_and_prefecture_returns_with_two_items(
    app_server: AppServer, filed: Filed, new_page: Callable[[], Page], shot: Callable[[Page, str], Path]
) -> None:
    url, number = app_server.url, filed.number

    # Step 1: the county officer sees the case in the queue with its deadline ...
    county = new_page()
    log_in(county, url, COUNTY)
    queue = open_queue(county)
    assert number in queue and UNIT in queue
    assert re.search(r"剩余\d个工作日|今天到期", queue)
    shot(county, "county-queue")

    # ... opens it, previews the materials, and confirms it.
    page_text = open_from_queue(county, number)
    assert "待县级公安机关确认" in page_text
    open_tab(county, "材料")
    see(county, "法人资格证明")
    images = county.locator(f'{MAIN} [data-testid="stImage"] img')
    images.nth(1).wait_for()  # the photo and the first page of a PDF, drawn in the page
    assert "第1页 / 共1页" in main_text(county)
    merged = PdfReader(download(county, county.get_by_role("link", name=re.compile("下载全部材料"))).path())
    assert len(merged.pages) == len([m for m in get_filing("C").materials if m.required])
    shot(county, "county-materials")
    act(county, "确认")
    click_button(county, "确定办理")
    text = see(county, "已办理“确认”")
    assert "待州、市、地公安机关受理" in text
    assert_no_exception(county)
    shot(county, "county-confirmed")

    # An officer of another county does not see it at all: not in the queue, not by URL.
    sibling = new_page()
    log_in(sibling, url, SIBLING)
    assert number not in open_queue(sibling)
    goto(sibling, url, f"case?id={filed.case_id}")
    text = see(sibling, NOT_FOUND)
    assert number not in text and UNIT not in text

    # Step 2: the prefecture officer accepts it ...
    prefecture = new_page()
    log_in(prefecture, url, PREFECTURE)
    open_queue(prefecture)
    open_from_queue(prefecture, number)
    act(prefecture, "受理")
    click_button(prefecture, "确定办理")
    see(prefecture, "已办理“受理”")
    see(prefecture, "州、市、地公安机关审核中")

    # ... then returns it: one material and one field, each with its reason, and a comment, in one notice.
    act(prefecture, "退回补正")
    items_label = "需要补正的事项"
    pick(prefecture, items_label, "【材料】保安员管理制度")
    pick(prefecture, items_label, "【填报】守护区域面积")
    fill_text(prefecture, "【材料】保安员管理制度：存在的问题和补正要求（必填）", "未加盖单位公章")
    fill_text(prefecture, "【填报】守护区域面积：存在的问题和补正要求（必填）", "与平面图标注的面积不符")
    fill_text(prefecture, "其他说明（告知申请单位，可不填）", "请一并改正后重新提交")
    fill_text(prefecture, "内部意见（仅公安机关内部可见，可不填）", "面积与现场核查不符")
    shot(prefecture, "prefecture-return-form")
    click_button(prefecture, "确定办理")

    # The case shows as returned, with both items and the comment in its history.
    text = see(prefecture, "已办理“退回补正”")
    assert "已退回，待补正" in text
    open_tab(prefecture, "办理记录")
    history = see(prefecture, "需要补正的事项")
    for expected in ("保安员管理制度", "未加盖单位公章", "守护区域面积", "与平面图标注的面积不符",
                     "请一并改正后重新提交", "面积与现场核查不符"):
        assert expected in history, expected
    assert_no_exception(prefecture)
    shot(prefecture, "prefecture-returned")

    # The queue no longer holds it: it now waits on the applicant.
    assert number not in open_queue(prefecture)


def test_a_megabyte_pasted_into_an_acts_comment_is_refused_in_words_and_nothing_is_done(
    app_server: AppServer, new_page: Callable[[], Page], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attacker's (or a careless) paste of a megabyte into the internal comment: the act is not done, the
    officer is told the limit and the length, the text stays in the form to be shortened, the case is unchanged."""
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    applicant = register_unit(engine, unit_name="乌鲁木齐长篇物业服务有限公司", seed=4343, contact="孙长",
                              mobile="13877770043")
    case = submit_c_case(engine, applicant, days_ago=1)
    engine.dispose()
    assert case.number is not None
    filed = Filed(case.id, case.number, engine)
    county = new_page()
    log_in(county, app_server.url, COUNTY)
    open_queue(county)
    open_from_queue(county, filed.number)
    act(county, "确认")
    label = "内部意见（仅公安机关内部可见，可不填）"
    fill_text(county, label, "查" * 1_000_000)
    click_button(county, "确定办理")
    text = see(county, "内部意见最多1000个字，您填写了1000000个字，请精简后再办理。")
    assert "已办理“确认”" not in text
    assert_no_exception(county)
    assert len(county.get_by_label(label, exact=True).input_value()) == 1_000_000
    goto(county, app_server.url, f"case?id={filed.case_id}")
    assert "待县级公安机关确认" in see(county, filed.number)
