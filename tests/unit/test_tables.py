"""Lists brought as files (flows/oversight/tables.py): read, or refused in Chinese before they cost the server."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from flows.errors import FieldError
from flows.oversight import tables


def workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_and_a_gbk_csv_are_read_with_their_line_numbers() -> None:
    data = workbook([["单位名称", "统一社会信用代码"], ["甲公司", "91650100MA77TEB291"]])
    assert tables.read_table(data, "底数.xlsx") == [(2, {"单位名称": "甲公司", "统一社会信用代码": "91650100MA77TEB291"})]
    csv = "身份证号码,类别\n11010519491231002X,网上逃犯\n".encode("gbk")
    assert tables.read_table(csv, "名单.csv") == [(2, {"身份证号码": "11010519491231002X", "类别": "网上逃犯"})]


def test_a_workbook_that_unpacks_beyond_the_cap_is_refused_before_it_is_parsed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = workbook([["单位名称"], *([f"单位{n}"] for n in range(200))])
    monkeypatch.setattr(tables, "MAX_XLSX_UNPACKED", len(data))  # what it unpacks to is more than its own size
    with pytest.raises(FieldError) as refused:
        tables.read_table(data, "底数.xlsx")
    assert refused.value.message == tables.TOO_LARGE_TABLE


@pytest.mark.parametrize(("name", "data", "says"), [
    ("名单.xlsx", b"PK\x03\x04 not a workbook", tables.UNREADABLE_TABLE),
    ("名单.xlsx", b"%PDF-1.4", tables.UNREADABLE_TABLE),
    ("名单.csv", "身份证号码,类别\n".encode(), tables.EMPTY_TABLE),
])
def test_a_damaged_or_empty_file_is_refused_in_chinese(name: str, data: bytes, says: str) -> None:
    with pytest.raises(FieldError) as refused:
        tables.read_table(data, name)
    assert refused.value.message == says
