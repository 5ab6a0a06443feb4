"""Excel (.xlsx) template and import for roster questions: many guards at once instead of typing each row.

`template` builds a workbook whose first sheet has the column labels as header row (ID numbers
formatted as text so Excel keeps all 18 digits) and a second sheet "填写说明". `parse` reads
a filled workbook back into row dicts keyed by column id, in the shape `check_roster` takes.
It refuses what cannot be trusted (not an .xlsx, macros, formulas, numbers that lost digits)
with plain-Chinese messages that name the Excel row number, but leaves the checking of IDs,
mobiles and dates to `flows.filing.answers.check_roster`.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.comments import Comment  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

from flows.errors import FieldError
from flows.filing.schema import ColType, Column, QType, Question
from flows.uploads import workbooks
from flows.uploads.contained import Limits

GUIDE_SHEET = "填写说明"
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # a "zip bomb" is refused before openpyxl opens it
HEADER_SEARCH_ROWS = 20  # the header row may sit below a title row or two
MAX_READ_COLUMNS = 60
EMPTY_RUN_LIMIT = 1000  # stop reading after this many empty rows in a row (formatted but unused rows)
MAX_LISTED_PROBLEMS = 30
TEMPLATE_FORMATTED_ROWS = 1000  # cells formatted (text, date, 是/否 list) in the template
EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number; more are lost

_TEXT_FORMAT = "@"
_DATE_FORMAT = "yyyy-mm-dd"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_PLACEHOLDERS = frozenset({"-", "--", "—", "——", "－", "/"})  # "nothing here", written by hand
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_ROW_REF = re.compile(r"第(\d+)行")


@dataclass(frozen=True)
class ImportedRoster:
    """Rows read from a workbook, with the Excel row number each came from."""

    rows: list[dict[str, object]]
    excel_rows: tuple[int, ...]
    sheet: str

    def in_excel_terms(self, message: str) -> str:
        """Rewrite check_roster's "第N行" (N-th data row) as the Excel row the applicant sees."""

        def swap(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if 1 <= index <= len(self.excel_rows):
                return f"Excel表第{self.excel_rows[index - 1]}行"
            return match.group(0)

        return _ROW_REF.sub(swap, message)


# ---------------------------------------------------------------------------------------------
# Template


def _column_rule(column: Column) -> str:
    """What goes into a column, in one or two sentences."""
    if column.type == ColType.ID_NUMBER:
        rule = ("18位居民身份证号码，最后一位可能是X。本列已设为文本格式，请直接输入或粘贴完整号码；"
                "不要把本列改成数字格式，否则Excel会把最后几位变成0。")
    elif column.type == ColType.MOBILE:
        rule = "11位手机号码。"
    elif column.type == ColType.DATE:
        rule = "日期，按2026-01-31的格式填写。"
    elif column.type == ColType.YES_NO:
        rule = "填写“是”或“否”（可从下拉列表中选择）。"
    else:
        rule = f"文字，最多{column.max_length}个字。"
    hint = column.hint
    if hint and not hint.endswith("。"):
        hint += "。"
    return rule + hint


def _sheet_title(text: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "", text).strip() or "名单"
    return cleaned[:31]


def template(question: Question) -> bytes:
    """An .xlsx to fill in: header row of column labels, formatted columns, and a "填写说明" sheet."""
    if question.type != QType.ROSTER:
        raise ValueError(f"question {question.id} is not a roster")
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(question.label)
    last_row = 1 + min(question.max_rows, TEMPLATE_FORMATTED_ROWS)
    for index, column in enumerate(question.columns, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index, value=column.label)
        head.font = Font(bold=True)
        head.fill = _HEADER_FILL
        head.alignment = Alignment(horizontal="center", vertical="center")
        head.comment = Comment(("必填。" if column.required else "选填。") + _column_rule(column), "填写说明")
        width = {ColType.ID_NUMBER: 24, ColType.MOBILE: 16, ColType.DATE: 14, ColType.YES_NO: 14}.get(
            column.type, max(14, min(40, column.max_length // 2))
        )
        sheet.column_dimensions[letter].width = max(width, 2 * len(column.label) + 4)
        number_format = _DATE_FORMAT if column.type == ColType.DATE else _TEXT_FORMAT
        sheet.column_dimensions[letter].number_format = number_format
        for row in range(2, last_row + 1):
            sheet.cell(row=row, column=index).number_format = number_format
        if column.type == ColType.YES_NO:
            choice = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                                    errorTitle="请填写“是”或“否”", error="本列只能填写“是”或“否”。")
            choice.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(choice)
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 22
    _write_guide(book.create_sheet(GUIDE_SHEET), question, sheet.title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_guide(guide: Any, question: Question, sheet_title: str) -> None:
    notes = [
        f"请在第一张表“{sheet_title}”中填写：第一行是列名，请勿修改或删除；从第二行起每行填写一条。",
        f"最多填写{question.max_rows}行" + (f"，至少{question.min_rows}行。" if question.min_rows else "。"),
        "请直接填写文字，不要使用公式（以“=”开头的内容）。",
        "身份证号码等长数字请保持文本格式，否则Excel会把最后几位变成0，无法还原。",
        "填好后保存为“Excel工作簿（*.xlsx）”，在办理页面上传；系统会逐行检查并指出有问题的行。",
    ]
    if question.unique_column:
        unique = next(c.label for c in question.columns if c.id == question.unique_column)
        notes.insert(2, f"同一“{unique}”不能重复填写。")
    guide.cell(row=1, column=1, value=f"{question.label}填写说明").font = Font(bold=True, size=14)
    row = 2
    # The question's hint, without what it says about the template: this workbook is the template.
    hint = "".join(f"{part}。" for part in question.hint.split("。") if part.strip() and "模板" not in part)
    if hint:
        guide.cell(row=row, column=1, value=hint)
        row += 1
    for number, note in enumerate(notes, start=1):
        guide.cell(row=row, column=1, value=f"{number}. {note}")
        row += 1
    row += 1
    for index, title in enumerate(("列名", "是否必填", "填写要求"), start=1):
        guide.cell(row=row, column=index, value=title).font = Font(bold=True)
    for column in question.columns:
        row += 1
        guide.cell(row=row, column=1, value=column.label)
        guide.cell(row=row, column=2, value="必填" if column.required else "选填")
        guide.cell(row=row, column=3, value=_column_rule(column)).alignment = Alignment(wrap_text=True)
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 80


# ---------------------------------------------------------------------------------------------
# Import


def parse(question: Question, data: bytes, *, max_rows: int = 2000) -> list[dict[str, object]]:
    """The rows of a filled workbook as {column id: value}; FieldError (field = question id) if refused.

    Text stays text, numbers become their digits as text, date cells become "2026-01-31",
    是/否 and TRUE/FALSE stay as they are. Fully empty rows are skipped. Validation of the
    values is the caller's: run `flows.filing.answers.check_roster` on the result.
    """
    return import_roster(question, data, max_rows=max_rows).rows


def import_roster(question: Question, data: bytes, *, max_rows: int = 2000) -> ImportedRoster:
    """As `parse`, also telling which Excel row each row came from."""
    if question.type != QType.ROSTER:
        raise ValueError(f"question {question.id} is not a roster")
    try:
        return _import(question, data, max_rows)
    except FieldError as error:
        if error.field is None:
            error.field = question.id
        raise


NOT_XLSX = "上传的文件不是Excel表格（.xlsx）。请下载模板，填好后直接上传。"
TOO_LARGE = "文件内容过大，无法读取。请只保留名单后重新上传。"
_DAMAGED = "无法读取这个Excel文件，文件可能已损坏。请在Excel中重新保存后上传。"
# A roster of 2,000 rows reads in well under a second: a workbook that needs more is refused, not waited for.
LIMITS = Limits(cpu_seconds=5, memory_mb=512, wall_seconds=30.0)


def _import(question: Question, data: bytes, max_rows: int) -> ImportedRoster:
    if not data:
        raise FieldError("上传的文件是空的，请选择填好的Excel文件。")
    if len(data) > MAX_FILE_BYTES:
        raise FieldError(f"文件超过{MAX_FILE_BYTES // (1024 * 1024)}MB，请删除多余内容（如图片）后重新上传。")
    workbooks.refuse_unsafe(data, max_unpacked=MAX_UNZIPPED_BYTES, not_xlsx=NOT_XLSX, too_large=TOO_LARGE)
    answer = workbooks.read_contained(
        "roster_excel", data, {"question": question.model_dump(mode="json"), "max_rows": max_rows}, LIMITS,
        too_large=TOO_LARGE, damaged=_DAMAGED)
    return ImportedRoster(rows=list(answer["rows"]), excel_rows=tuple(int(n) for n in answer["excel_rows"]),
                          sheet=str(answer["sheet"]))


def import_task(args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """In the worker process (flows.uploads.contained): the workbook's rows, or its refusal."""
    question = Question.model_validate(args["question"])
    roster = _read_workbook(question, blobs[0], int(args["max_rows"]))
    return {"rows": roster.rows, "excel_rows": list(roster.excel_rows), "sheet": roster.sheet}, b""


def _read_workbook(question: Question, data: bytes, max_rows: int) -> ImportedRoster:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops (e.g. extensions)
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds of error on a damaged file
        raise FieldError(_DAMAGED) from None
    try:
        return _read_book(question, book.worksheets, max_rows)
    except FieldError:
        raise
    except Exception:  # read-only mode parses each sheet lazily: damage shows only now
        raise FieldError(_DAMAGED) from None
    finally:
        book.close()


def _label_key(text: object) -> str:
    """A header cell or label compared loosely: width, spaces, "*" and （必填） do not matter."""
    key = unicodedata.normalize("NFKC", str(text))
    key = re.sub(r"\s+", "", key).replace("*", "")
    return re.sub(r"\((必填|选填)\)$", "", key)


def _rows(sheet: Any) -> Any:
    return sheet.iter_rows(min_row=1, max_col=MAX_READ_COLUMNS, values_only=True)


def _find_header(question: Question, sheet: Any) -> tuple[int, dict[str, int]]:
    """(Excel row number, {column id: 0-based position}) of the best header row; (0, {}) if none."""
    wanted = {_label_key(c.label): c.id for c in question.columns}
    best: tuple[int, dict[str, int]] = (0, {})
    for number, values in enumerate(_rows(sheet), start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        found: dict[str, int] = {}
        for position, value in enumerate(values):
            if isinstance(value, str):
                column_id = wanted.get(_label_key(value))
                if column_id is not None and column_id not in found:
                    found[column_id] = position
        if len(found) > len(best[1]):
            best = (number, found)
        if len(found) == len(wanted):
            break
    return best


def _read_book(question: Question, sheets: Sequence[Any], max_rows: int) -> ImportedRoster:
    if not sheets:
        raise FieldError("Excel文件中没有工作表。请使用下载的模板填写。")
    required = [c for c in question.columns if c.required]
    first: tuple[Any, int, dict[str, int]] | None = None
    for sheet in sheets:
        number, positions = _find_header(question, sheet)
        if first is None:
            first = (sheet, number, positions)
        if positions and all(c.id in positions for c in required):
            return _read_sheet(question, sheet, number, positions, max_rows)
    assert first is not None
    sheet, number, positions = first
    labels = "、".join(f"“{c.label}”" for c in question.columns)
    if not positions:
        raise FieldError(f"在表格中没有找到列名（{labels}）。请使用下载的模板填写，不要修改第一行的列名。")
    missing = "、".join(f"“{c.label}”" for c in required if c.id not in positions)
    raise FieldError(f"表格第{number}行中缺少{missing}列。请使用下载的模板填写，不要修改或删除列名。")


def _read_sheet(
    question: Question, sheet: Any, header_row: int, positions: dict[str, int], max_rows: int
) -> ImportedRoster:
    rows: list[dict[str, object]] = []
    excel_rows: list[int] = []
    problems: list[str] = []
    empty_run = 0
    for number, values in enumerate(_rows(sheet), start=1):
        if number <= header_row:
            continue
        known = len(problems)
        row = {
            c.id: _cell_value(c, values[positions[c.id]], number, problems) if c.id in positions else ""
            for c in question.columns
        }
        # Empty as check_roster sees it (a lone "-" or FALSE too), so its row numbers match ours.
        if len(problems) == known and all(v in ("", False) for v in row.values()):
            empty_run += 1
            if empty_run > EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        if len(rows) >= max_rows:
            raise FieldError(f"表格中的名单超过{max_rows}行，请删除多余的行，或分成几个文件办理。")
        rows.append(row)
        excel_rows.append(number)
    if problems:
        shown = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"……另有{len(problems) - len(shown)}处问题未列出，请按上面的说明一并修改。")
        raise FieldError("\n".join(shown))
    return ImportedRoster(rows, tuple(excel_rows), str(sheet.title))


def _cell_value(column: Column, value: object, row: int, problems: list[str]) -> object:
    """One cell as the value check_roster takes; a problem is appended (and "" returned) if refused."""
    where = f"第{row}行“{column.label}”"
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(f"{where}不是有效内容，请重新填写。")
            return ""
        if value.is_integer() and abs(value) >= 10**EXACT_DIGITS:
            problems.append(
                f"{where}被Excel存成了数字，超过15位的数字最后几位已经丢失（显示为{value:.5E}一类），无法还原。"
                "请把这一列设置为“文本”格式后重新输入完整号码，或使用下载的模板填写。"
            )
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if not isinstance(value, str):
        return str(value)
    text = value.strip()
    if not text:
        return ""
    if text.startswith("="):
        problems.append(f"{where}是公式，请填写文字。")
        return ""
    if text in _PLACEHOLDERS:
        return ""
    if column.type == ColType.TEXT and text[0] in "+-@":
        problems.append(f"{where}不能以“{text[0]}”开头，请删除开头的符号。")
        return ""
    if column.type == ColType.DATE:
        match = _DATE_TEXT.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups())).isoformat()
            except ValueError:
                return text  # check_roster says the date is not valid
    return text
