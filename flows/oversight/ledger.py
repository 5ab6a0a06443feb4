"""What a ledger row says (台账), and tables exported to Excel and CSV.

The page shows exactly the rows these functions build, and the export writes the same rows, so
the file opens with the numbers on the screen. Text that a spreadsheet would run as a formula
(starting with = + - @, or a tab / carriage return) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import string
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from flows.filing.places import place
from flows.filing.schema import LedgerBook, LedgerColumn
from flows.kinds import all_filings, get_filing, kinds_in
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


def ledger_value(value: Any) -> str:
    """One answer as a ledger prints it: a region by its full name, a list joined, a roster counted."""
    if value is None or isinstance(value, bool):
        return "" if value is None else ("是" if value else "否")
    if isinstance(value, dict):
        return _place(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return str(len(value))
        return "、".join(str(v) for v in value if v)
    return str(value)


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def column_text(column: LedgerColumn, answers: Mapping[str, Any]) -> str:
    """A kind's ledger column: its parts with the answers filled, a part whose answers are all empty left out."""
    values = _Values({k: ledger_value(v) for k, v in answers.items()})
    text = []
    for part in column.parts:
        names = [name for _, name, _, _ in string.Formatter().parse(part) if name]
        if names and not any(values[name] for name in names):
            continue
        if len(names) == 2 and part == f"{{{names[0]}}}{{{names[1]}}}" and isinstance(answers.get(names[0]), dict):
            # a region and the address typed after it: the region said once, as a certificate prints it
            text.append(place(answers[names[0]], values[names[1]]))
            continue
        text.append(part.format_map(values))
    return "".join(text)


def kind_columns(book: LedgerBook) -> tuple[str, ...]:
    """The columns the kinds listed in one ledger fill, in the kinds' order, each label once."""
    labels: dict[str, None] = {}
    for kind in kinds_in(book):
        entry = get_filing(kind).ledger
        assert entry is not None
        labels.update((c.label, None) for c in entry.columns)
    return tuple(labels)


def kind_values(record: Record) -> dict[str, str]:
    """What the record's kind puts in its own ledger columns."""
    entry = get_filing(record.kind).ledger
    return {c.label: column_text(c, record.answers) for c in entry.columns} if entry else {}


def guard_count(record: Record) -> int:
    """The roster's size: the roster itself, or its size as counted by the store (which does not read it)."""
    entry = get_filing(record.kind).ledger
    guards = record.answers.get(entry.headcount) if entry and entry.headcount else None
    if isinstance(guards, int) and not isinstance(guards, bool):
        return guards
    return len(guards) if isinstance(guards, list) else 0


def answers_shown() -> tuple[str, ...]:
    """The answers some ledger shows (nothing else of a case is read), rosters only counted."""
    wanted: dict[str, None] = {}
    for filing in all_filings().values():
        if filing.ledger is None:
            continue
        for column in filing.ledger.columns:
            for part in column.parts:
                wanted.update((name, None) for _, name, _, _ in string.Formatter().parse(part) if name)
    return tuple(wanted)


def rosters_counted() -> tuple[str, ...]:
    """The roster answers whose rows the current ledger counts as guards."""
    return tuple(dict.fromkeys(f.ledger.headcount for f in all_filings().values()
                               if f.ledger is not None and f.ledger.headcount))


def current_columns() -> tuple[str, ...]:
    """Each filing of the current ledger (备案明细)."""
    return ("地区", "单位名称", "统一社会信用代码", "业务", "备案证明编号", "备案日期", "保安员人数",
            *kind_columns("current"), "办件编号")


def unit_columns() -> tuple[str, ...]:
    """One row per unit of the current ledger."""
    return ("地区", "单位名称", "统一社会信用代码", "备案业务", "备案件数", "备案证明编号", "最近备案日期",
            "保安员人数", *kind_columns("current"), "办件编号")


def cancelled_columns() -> tuple[str, ...]:
    """The cancelled ledger: the filing, then what its cancellation says."""
    return ("地区", "单位名称", "统一社会信用代码", "原备案证明编号", "备案日期", "撤销日期", "撤销备案证明编号",
            *kind_columns("cancelled"), "办件编号")


def representative_columns() -> tuple[str, ...]:
    """The approved changes of legal representative: names only, no ID numbers."""
    return ("地区", "单位名称", "统一社会信用代码", *kind_columns("representatives"), "审核意见书编号", "审批日期",
            "办件编号")


CURRENT_COLUMNS = current_columns()
UNIT_COLUMNS = unit_columns()
CANCELLED_COLUMNS = cancelled_columns()
REPRESENTATIVE_COLUMNS = representative_columns()


def current_row(record: Record) -> dict[str, Any]:
    """A case of a kind the current ledger lists (a unit currently filed)."""
    own = kind_values(record)
    values = {"地区": region_name(record.prefecture_code, record.county_code), "单位名称": record.unit_name,
              "统一社会信用代码": record.credit_code, "业务": get_filing(record.kind).short_title,
              "备案证明编号": record.certificate, "备案日期": _day(record.approved_on),
              "保安员人数": guard_count(record), "办件编号": record.number}
    return {c: values.get(c, own.get(c, "")) for c in CURRENT_COLUMNS}


def _distinct(values: Sequence[str]) -> str:
    return "；".join(dict.fromkeys(v for v in values if v))


def unit_rows(records: Sequence[Record]) -> list[dict[str, Any]]:
    """One row per unit (by credit code, in the records' order) with all its current filings."""
    by_unit: dict[str, list[Record]] = {}
    for record in records:
        by_unit.setdefault(record.credit_code, []).append(record)
    return [unit_row(filings) for filings in by_unit.values()]


def unit_row(filings: Sequence[Record]) -> dict[str, Any]:
    """A unit currently filed, with each of its filings: guards summed over them."""
    first = filings[0]
    approved = [r.approved_on for r in filings if r.approved_on]
    own = [kind_values(r) for r in filings]
    values = {"地区": _distinct([region_name(r.prefecture_code, r.county_code) for r in filings]),
              "单位名称": first.unit_name, "统一社会信用代码": first.credit_code,
              "备案业务": _distinct([get_filing(r.kind).short_title for r in filings]), "备案件数": len(filings),
              "备案证明编号": _distinct([r.certificate for r in filings]),
              "最近备案日期": _day(max(approved) if approved else None),
              "保安员人数": sum(guard_count(r) for r in filings), "办件编号": _distinct([r.number for r in filings])}
    return {c: values[c] if c in values else _distinct([o.get(c, "") for o in own]) for c in UNIT_COLUMNS}


def cancelled_row(record: Record, cancellation: Record | None) -> dict[str, Any]:
    """A filing cancelled by an approved cancellation, and what the cancellation says."""
    own = kind_values(cancellation) if cancellation else {}
    values = {"地区": region_name(record.prefecture_code, record.county_code), "单位名称": record.unit_name,
              "统一社会信用代码": record.credit_code, "原备案证明编号": record.certificate,
              "备案日期": _day(record.approved_on),
              "撤销日期": _day(cancellation.approved_on) if cancellation else "",
              "撤销备案证明编号": cancellation.certificate if cancellation else "", "办件编号": record.number}
    return {c: values.get(c, own.get(c, "")) for c in CANCELLED_COLUMNS}


def representative_row(record: Record) -> dict[str, Any]:
    """An approved change of legal representative: names only, no ID numbers."""
    own = kind_values(record)
    values = {"地区": region_name(record.prefecture_code, record.county_code), "单位名称": record.unit_name,
              "统一社会信用代码": record.credit_code, "审核意见书编号": record.certificate,
              "审批日期": _day(record.approved_on), "办件编号": record.number}
    return {c: values.get(c, own.get(c, "")) for c in REPRESENTATIVE_COLUMNS}


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
