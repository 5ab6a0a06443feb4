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


def test_a_workbook_is_read_in_a_child_process_never_in_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl  # type: ignore[import-untyped]

    def server_must_not_open(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the server process opened the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", server_must_not_open)
    data = workbook([["身份证号码", "类别"], ["11010519491231002X", "网上逃犯"]])
    assert tables.read_table(data, "名单.xlsx") == [(2, {"身份证号码": "11010519491231002X", "类别": "网上逃犯"})]


@pytest.mark.parametrize(("data", "says"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "另存为"),
])
def test_an_old_xls_list_is_refused_with_how_to_save_it(data: bytes, says: str) -> None:
    with pytest.raises(FieldError) as refused:
        tables.read_table(data, "名单.xlsx")
    assert says in refused.value.message and ".xls" in refused.value.message


def test_a_shared_string_bomb_list_is_refused_as_too_large_once_the_child_runs_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.hostile_files import shared_strings_bomb
    from flows.uploads.contained import Limits

    monkeypatch.setattr(tables, "XLSX_LIMITS", Limits(cpu_seconds=1, memory_mb=256, wall_seconds=60.0))
    plain = workbook([["身份证号码", "类别"], ["11010519491231002X", "网上逃犯"]])
    assert len(tables.read_table(plain, "名单.xlsx")) == 1  # the same limits read a real list
    bomb = shared_strings_bomb(plain, 1_500_000)  # ~300 MB to openpyxl: beyond the memory limit however fast the CPU
    with pytest.raises(FieldError) as refused:
        tables.read_table(bomb, "名单.xlsx")
    assert refused.value.message == tables.TOO_LARGE_TABLE
