"""The roster Excel template and its import, on workbooks filled here with openpyxl as a user would."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from flows.errors import FieldError
from flows.filing import roster_excel
from flows.filing.answers import check_roster
from flows.filing.roster_excel import GUIDE_SHEET, import_roster, parse, template
from flows.filing.schema import Question
from flows.kinds import get_filing

TODAY = date(2026, 11, 2)
ID_1 = "11010519491231002X"
ID_2 = "650102198503150015"
GUARDS: Question = get_filing("C").question("guards")
HISTORY: Question = get_filing("A").question("new_rep_history")


def filled(question: Question, rows: list[list[object]], *, start_row: int = 2) -> bytes:
    """The template with `rows` typed in from `start_row`, saved again."""
    book = load_workbook(io.BytesIO(template(question)))
    sheet = book.worksheets[0]
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=start_row + offset, column=column, value=value)
    return save(book)


def save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plain_book(rows: list[list[object]]) -> bytes:
    """A workbook made from scratch (no template): rows as given, from row 1."""
    book = Workbook()
    sheet = book.active
    for values in rows:
        sheet.append(values)
    return save(book)


def refusal(question: Question, data: bytes, **kwargs: int) -> str:
    with pytest.raises(FieldError) as caught:
        parse(question, data, **kwargs)
    assert caught.value.field == question.id
    return caught.value.message


# ---------------------------------------------------------------------------------------------
# Template


def test_the_template_has_the_column_labels_as_a_bold_header_row() -> None:
    book = load_workbook(io.BytesIO(template(GUARDS)))
    sheet = book.worksheets[0]
    assert sheet.title == "保安员名单"
    assert [c.value for c in sheet[1]] == ["姓名", "居民身份证号码", "保安员证编号", "手机号码"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["B"].width >= 20  # 18 digits fit
    assert sheet.freeze_panes == "A2"


def test_the_id_number_column_is_formatted_as_text_so_excel_keeps_all_18_digits() -> None:
    sheet = load_workbook(io.BytesIO(template(GUARDS))).worksheets[0]
    assert sheet["B2"].number_format == "@"
    assert sheet["B500"].number_format == "@"


def test_the_template_explains_every_column_on_a_second_sheet() -> None:
    book = load_workbook(io.BytesIO(template(HISTORY)))
    assert book.sheetnames[1] == GUIDE_SHEET
    text = "\n".join(str(v) for row in book[GUIDE_SHEET].iter_rows(values_only=True) for v in row if v)
    for column in HISTORY.columns:
        assert column.label in text
    assert "2026-01-31" in text  # dates
    assert "“是”或“否”" in text  # yes/no column
    assert "至今的填今天的日期" in text  # the column's own hint
    assert "公式" in text


def test_the_guide_of_the_guard_roster_says_ids_must_stay_text_and_must_not_repeat() -> None:
    book = load_workbook(io.BytesIO(template(GUARDS)))
    text = "\n".join(str(v) for row in book[GUIDE_SHEET].iter_rows(values_only=True) for v in row if v)
    assert "文本格式" in text
    assert "同一“居民身份证号码”不能重复" in text
    assert "尚未取得保安员证的可不填" in text
    assert "每行一名保安员" in text and "下载Excel模板" not in text  # the reader holds the template already


def test_the_yes_no_column_offers_a_drop_down_of_yes_and_no() -> None:
    sheet = load_workbook(io.BytesIO(template(HISTORY))).worksheets[0]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == '"是,否"'
    assert "E2" in validation.sqref


def test_a_template_is_only_for_a_roster() -> None:
    with pytest.raises(ValueError):
        template(get_filing("C").question("unit_name"))


# ---------------------------------------------------------------------------------------------
# Round trip


def test_a_filled_template_reads_back_and_check_roster_accepts_it() -> None:
    data = filled(GUARDS, [["张三", ID_1, "", "13912345678"], ["李四", ID_2, "新保安证001", "13812345678"]])
    rows = parse(GUARDS, data)
    assert rows == [
        {"name": "张三", "id_number": ID_1, "certificate_no": "", "mobile": "13912345678"},
        {"name": "李四", "id_number": ID_2, "certificate_no": "新保安证001", "mobile": "13812345678"},
    ]
    checked = check_roster(GUARDS, rows, TODAY)
    assert [r["id_number"] for r in checked.value] == [ID_1, ID_2]


def test_a_work_history_with_date_cells_and_yes_no_reads_back_as_iso_dates() -> None:
    data = filled(HISTORY, [
        [datetime(2015, 3, 1), datetime(2021, 6, 30), "某市公安局", "民警", "是"],
        [date(2021, 7, 1), datetime(2026, 10, 31), "某保安服务公司", "副总经理", "否"],
    ])
    rows = parse(HISTORY, data)
    assert rows[0] == {"start": "2015-03-01", "end": "2021-06-30", "employer": "某市公安局", "post": "民警",
                       "qualifying": "是"}
    assert rows[1]["start"] == "2021-07-01"
    checked = check_roster(HISTORY, rows, TODAY)
    assert [r["qualifying"] for r in checked.value] == [True, False]
    assert checked.warnings == ()  # more than 5 qualifying years


def test_dates_typed_as_text_in_chinese_styles_become_iso_dates() -> None:
    data = filled(HISTORY, [["2015/3/1", "2021年6月30日", "某市公安局", "民警", True]])
    (row,) = parse(HISTORY, data)
    assert (row["start"], row["end"], row["qualifying"]) == ("2015-03-01", "2021-06-30", True)


def test_mobiles_stored_as_numbers_come_back_as_their_digits() -> None:
    data = plain_book([["姓名", "居民身份证号码", "手机号码"], ["张三", ID_1, 13912345678], ["李四", ID_2, 13812345678.0]])
    assert [r["mobile"] for r in parse(GUARDS, data)] == ["13912345678", "13812345678"]


# ---------------------------------------------------------------------------------------------
# ID numbers typed as numbers


def test_an_id_number_that_excel_turned_into_a_number_is_refused_with_its_excel_row() -> None:
    data = filled(GUARDS, [["张三", ID_1, "", "13912345678"], ["李四", 6.50102198503150e17, "", "13812345678"]])
    message = refusal(GUARDS, data)
    assert message.startswith("第3行“居民身份证号码”被Excel存成了数字")
    assert "最后几位已经丢失" in message
    assert "6.50102E+17" in message
    assert "文本" in message


def rewrite_first_sheet(data: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook with bytes of its first sheet's XML replaced, as another program might have written it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in content
                content = content.replace(old, new)
            archive.writestr(item, content)
    return out.getvalue()


def test_an_id_number_stored_as_a_whole_18_digit_integer_is_read_as_text() -> None:
    # openpyxl itself would write a float; some programs write the exact integer.
    typed = filled(GUARDS, [["李四", 123456789, "", "13812345678"]])
    data = rewrite_first_sheet(typed, b"<v>123456789</v>", f"<v>{ID_2}</v>".encode())
    (row,) = parse(GUARDS, data)
    assert row["id_number"] == ID_2
    assert check_roster(GUARDS, [row], TODAY).value[0]["id_number"] == ID_2


# ---------------------------------------------------------------------------------------------
# Finding the header, skipping empty rows, row numbers


def test_columns_in_another_order_with_spaces_and_a_title_row_above_are_understood() -> None:
    data = plain_book([
        ["某某物业公司保安员名单"],
        ["序号", " 手机号码 ", "姓　名", "居民身份证 号码*"],
        [1, "13912345678", "张三", ID_1],
        [2, "13812345678", "李四", ID_2],
    ])
    imported = import_roster(GUARDS, data)
    assert [r["name"] for r in imported.rows] == ["张三", "李四"]
    assert imported.rows[0] == {"name": "张三", "id_number": ID_1, "certificate_no": "", "mobile": "13912345678"}
    assert imported.excel_rows == (3, 4)


def test_empty_rows_are_skipped_and_messages_name_the_row_the_user_sees_in_excel() -> None:
    data = filled(GUARDS, [
        ["张三", ID_1, "", "13912345678"],
        [None, None, None, None],
        ["", " ", None, ""],
        ["王五", ID_1, "", "1381234567"],
    ])
    imported = import_roster(GUARDS, data)
    assert imported.excel_rows == (2, 5)
    with pytest.raises(FieldError) as caught:
        check_roster(GUARDS, imported.rows, TODAY)
    assert imported.in_excel_terms(caught.value.message) == (
        "Excel表第5行：手机号码应为11位数字，您填写了10位。\n"
        "Excel表第5行：居民身份证号码与Excel表第2行重复。"
    )


def test_a_row_numbered_in_an_unlabelled_column_only_still_counts_as_empty() -> None:
    data = plain_book([["序号", "姓名", "居民身份证号码", "手机号码"], [1, "张三", ID_1, "13912345678"], [2], [3]])
    assert len(parse(GUARDS, data)) == 1


def test_a_dash_written_for_nothing_is_read_as_an_empty_cell() -> None:
    (row,) = parse(GUARDS, filled(GUARDS, [["张三", ID_1, "-", "13912345678"]]))
    assert row["certificate_no"] == ""


def test_the_roster_may_be_on_a_later_sheet_if_the_guide_was_moved_first() -> None:
    book = load_workbook(io.BytesIO(filled(GUARDS, [["张三", ID_1, "", "13912345678"]])))
    book.move_sheet(GUIDE_SHEET, offset=-1)
    assert book.sheetnames[0] == GUIDE_SHEET
    assert parse(GUARDS, save(book))[0]["name"] == "张三"


def test_a_missing_required_column_is_named() -> None:
    data = plain_book([["姓名", "手机号码"], ["张三", "13912345678"]])
    message = refusal(GUARDS, data)
    assert "缺少“居民身份证号码”列" in message


def test_a_sheet_without_any_known_column_asks_for_the_template() -> None:
    message = refusal(GUARDS, plain_book([["a", "b"], [1, 2]]))
    assert "没有找到列名" in message and "模板" in message


def test_more_rows_than_allowed_are_refused() -> None:
    rows: list[list[object]] = [["姓名", "居民身份证号码", "手机号码"]]
    rows += [[f"保安{n}", ID_1, "13912345678"] for n in range(6)]
    assert len(parse(GUARDS, plain_book(rows), max_rows=6)) == 6
    message = refusal(GUARDS, plain_book(rows), max_rows=5)
    assert "超过5行" in message


# ---------------------------------------------------------------------------------------------
# Formulas and injection


def test_a_formula_is_refused_with_its_row_and_column() -> None:
    data = filled(GUARDS, [["张三", ID_1, "", "13912345678"], ['=HYPERLINK("http://x","点我")', ID_2, "", "13812345678"]])
    assert refusal(GUARDS, data) == "第3行“姓名”是公式，请填写文字。"


def test_text_starting_with_a_formula_sign_is_refused_in_a_text_column() -> None:
    data = filled(GUARDS, [["@SUM(1+1)", ID_1, "", "13912345678"]])
    assert refusal(GUARDS, data) == "第2行“姓名”不能以“@”开头，请删除开头的符号。"


def test_every_refused_cell_is_listed_at_once() -> None:
    data = filled(GUARDS, [["=A1", 6.5e17, "", "13912345678"], ["李四", ID_2, "", "=B1"]])
    lines = refusal(GUARDS, data).split("\n")
    assert [line[:8] for line in lines] == ["第2行“姓名”是", "第2行“居民身份", "第3行“手机号码"]


# ---------------------------------------------------------------------------------------------
# Files that are not a plain .xlsx


def test_a_pdf_is_refused_as_not_an_excel_file() -> None:
    assert "不是Excel表格" in refusal(GUARDS, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")


def test_an_old_xls_or_password_protected_file_is_refused_with_how_to_save_it() -> None:
    message = refusal(GUARDS, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert ".xls" in message and "另存为" in message


def test_an_empty_upload_is_refused() -> None:
    assert "空" in refusal(GUARDS, b"")


def test_a_truncated_workbook_is_refused_as_damaged() -> None:
    data = filled(GUARDS, [["张三", ID_1, "", "13912345678"]])
    assert "损坏" in refusal(GUARDS, data[: len(data) // 2])


def test_a_word_document_is_not_taken_for_a_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<Types><Override ContentType="application/vnd.openxmlformats-'
                                                'officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
    assert "不是Excel表格" in refusal(GUARDS, out.getvalue())


def macro_enabled(data: bytes) -> bytes:
    """The same workbook declared as .xlsm with a VBA project inside."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
            archive.writestr(item, content)
        archive.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def test_a_workbook_with_macros_is_refused() -> None:
    data = macro_enabled(filled(GUARDS, [["张三", ID_1, "", "13912345678"]]))
    message = refusal(GUARDS, data)
    assert "宏" in message and "Excel工作簿（*.xlsx）" in message


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_excel, "MAX_UNZIPPED_BYTES", 1000)
    assert "过大" in refusal(GUARDS, filled(GUARDS, [["张三", ID_1, "", "13912345678"]]))


def test_an_oversized_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_excel, "MAX_FILE_BYTES", 1024)
    assert "超过" in refusal(GUARDS, filled(GUARDS, [["张三", ID_1, "", "13912345678"]]))


def test_a_workbook_whose_sheet_is_damaged_inside_is_refused_as_damaged() -> None:
    typed = filled(GUARDS, [["张三", ID_1, "", "13912345678"]])
    data = rewrite_first_sheet(typed, b"<sheetData>", b"<sheetData><row r=")
    assert "损坏" in refusal(GUARDS, data)


# ---------------------------------------------------------------------------------------------
# A crafted workbook costs a limited child process, never the server


def test_the_workbook_is_read_in_a_child_process_never_in_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def server_must_not_open(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the server process opened the workbook")

    monkeypatch.setattr(roster_excel, "load_workbook", server_must_not_open)
    rows = parse(GUARDS, filled(GUARDS, [["张三", ID_1, "", "13912345678"]]))
    assert rows == [{"name": "张三", "id_number": ID_1, "certificate_no": "", "mobile": "13912345678"}]


def test_a_shared_string_bomb_is_refused_as_too_large_once_the_child_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: 350 KB unpacking to 90 MB of shared strings cost the server process 46 s of CPU and 1.1 GB, while
    every other session of that process waited."""
    from bench.hostile_files import shared_strings_bomb
    from flows.uploads.contained import Limits

    monkeypatch.setattr(roster_excel, "LIMITS", Limits(cpu_seconds=1, memory_mb=256, wall_seconds=60.0))
    plain = filled(GUARDS, [["张三", ID_1, "", "13912345678"]])
    assert parse(GUARDS, plain)[0]["name"] == "张三"  # the same limits read a real roster
    bomb = shared_strings_bomb(plain, 1_500_000)  # ~300 MB to openpyxl: beyond the memory limit however fast the CPU
    assert len(bomb) < roster_excel.MAX_FILE_BYTES
    assert refusal(GUARDS, bomb) == roster_excel.TOO_LARGE
