"""What a ledger row says (台账), and tables exported to Excel and CSV.

The page shows exactly the rows these functions build, and the export writes the same rows, so
the file opens with the numbers on the screen. Text that a spreadsheet would run as a formula
(starting with = + - @, or a tab / carriage return) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from flows.kinds import get_filing
from flows.kinds.common import SERVICE_KINDS
from flows.regions import get_regions

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Record(Protocol):
    """The facts of one approved case (store.ledger.LedgerRecord)."""

    @property
    def number(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def credit_code(self) -> str: ...
    @property
    def prefecture_code(self) -> str: ...
    @property
    def county_code(self) -> str | None: ...
    @property
    def approved_on(self) -> date | None: ...
    @property
    def certificate(self) -> str: ...
    @property
    def answers(self) -> dict[str, Any]: ...


def region_name(prefecture: str, county: str | None) -> str:
    regions = get_regions()
    code = county or prefecture
    return regions.full_name(code) if code in regions else code


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _place(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    code = value.get("county") or value.get("prefecture") or ""
    return region_name(str(value.get("prefecture") or ""), str(code)) if code else ""


def guard_count(answers: Mapping[str, Any]) -> int:
    """The roster's size: the roster itself, or its size as counted by the store (which does not read it)."""
    guards = answers.get("guards")
    if isinstance(guards, int) and not isinstance(guards, bool):
        return guards
    return len(guards) if isinstance(guards, list) else 0


def service_period(kind: str, answers: Mapping[str, Any]) -> str:
    if kind == "B":
        return f"{_text(answers.get('contract_start'))} 至 {_text(answers.get('contract_end'))}"
    start = _text(answers.get("service_start"))
    return f"{start} 起" if start else ""


def service_area(kind: str, answers: Mapping[str, Any]) -> str:
    if kind == "B":
        kinds = "、".join(k for k in answers.get("service_kinds") or [] if k in SERVICE_KINDS)
        place = f"{_place(answers.get('service_region'))}{_text(answers.get('service_address'))}"
        return f"{place}（客户单位：{_text(answers.get('client_name'))}；{kinds}）"
    size = _text(answers.get("area_size"))
    return _text(answers.get("area_address")) + (f"（{size}）" if size else "")


CURRENT_COLUMNS = ("地区", "单位名称", "统一社会信用代码", "业务", "备案证明编号", "备案日期", "保安员人数",
                   "服务期限", "服务区域", "办件编号")
UNIT_COLUMNS = ("地区", "单位名称", "统一社会信用代码", "备案业务", "备案件数", "备案证明编号", "最近备案日期",
                "保安员人数", "服务期限", "服务区域", "办件编号")
CANCELLED_COLUMNS = ("地区", "单位名称", "统一社会信用代码", "原备案证明编号", "备案日期", "撤销日期",
                     "撤销备案证明编号", "停止服务日期", "撤销原因", "办件编号")
REPRESENTATIVE_COLUMNS = ("地区", "单位名称", "统一社会信用代码", "保安服务许可证号", "原法定代表人",
                          "新任法定代表人", "决议日期", "审核意见书编号", "审批日期", "办件编号")


def current_row(record: Record) -> dict[str, Any]:
    """A unit currently filed (kind B or C)."""
    a = record.answers
    values = (region_name(record.prefecture_code, record.county_code), record.unit_name, record.credit_code,
              get_filing(record.kind).short_title, record.certificate, _day(record.approved_on),
              guard_count(a), service_period(record.kind, a), service_area(record.kind, a), record.number)
    return dict(zip(CURRENT_COLUMNS, values, strict=True))


def _distinct(values: Sequence[str]) -> str:
    return "；".join(dict.fromkeys(v for v in values if v))


def unit_rows(records: Sequence[Record]) -> list[dict[str, Any]]:
    """One row per unit (by credit code, in the records' order) with all its current filings."""
    by_unit: dict[str, list[Record]] = {}
    for record in records:
        by_unit.setdefault(record.credit_code, []).append(record)
    return [unit_row(filings) for filings in by_unit.values()]


def unit_row(filings: Sequence[Record]) -> dict[str, Any]:
    """A unit currently filed, with each of its filings (kind B or C): guards summed over them."""
    first = filings[0]
    approved = [r.approved_on for r in filings if r.approved_on]
    values = (_distinct([region_name(r.prefecture_code, r.county_code) for r in filings]), first.unit_name,
              first.credit_code, _distinct([get_filing(r.kind).short_title for r in filings]), len(filings),
              _distinct([r.certificate for r in filings]), _day(max(approved) if approved else None),
              sum(guard_count(r.answers) for r in filings),
              _distinct([service_period(r.kind, r.answers) for r in filings]),
              _distinct([service_area(r.kind, r.answers) for r in filings]), _distinct([r.number for r in filings]))
    return dict(zip(UNIT_COLUMNS, values, strict=True))


def cancelled_row(record: Record, cancellation: Record | None) -> dict[str, Any]:
    """A filing cancelled by an approved D case."""
    c = cancellation.answers if cancellation else {}
    reason = _text(c.get("reason")) + (f"（{_text(c.get('reason_detail'))}）" if c.get("reason_detail") else "")
    values = (region_name(record.prefecture_code, record.county_code), record.unit_name, record.credit_code,
              record.certificate, _day(record.approved_on), _day(cancellation.approved_on) if cancellation else "",
              cancellation.certificate if cancellation else "", _text(c.get("stop_date")), reason,
              record.number)
    return dict(zip(CANCELLED_COLUMNS, values, strict=True))


def representative_row(record: Record) -> dict[str, Any]:
    """An approved change of legal representative (kind A): names only, no ID numbers."""
    a = record.answers
    values = (region_name(record.prefecture_code, record.county_code), record.unit_name, record.credit_code,
              _text(a.get("licence_no")), _text(a.get("current_rep_name")), _text(a.get("new_rep_name")),
              _text(a.get("resolution_date")), record.certificate, _day(record.approved_on), record.number)
    return dict(zip(REPRESENTATIVE_COLUMNS, values, strict=True))


# ------------------------------------------------------------------ export
def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


Sheet = tuple[str, Sequence[str], Sequence[Mapping[str, Any]]]  # (title, columns, rows)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook: one sheet per table, the header in row 1, every cell written as a value."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for number, row in enumerate(rows, start=2):
            sheet.append([neutralise(row.get(c)) for c in columns])
            for index in range(1, len(columns) + 1):
                cell = sheet.cell(number, index)
                if cell.data_type == "f":  # never a formula, whatever the text
                    cell.data_type = "s"
        for index, column in enumerate(columns, start=1):
            width = max([len(str(column))] + [len(str(r.get(column) or "")) for r in rows[:200]])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(60, 4 + 1.6 * width)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (so Excel reads the Chinese), formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else neutralise(row.get(c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
