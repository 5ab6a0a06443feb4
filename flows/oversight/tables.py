"""Lists officers and the administrator bring as files: the screening list (比对数据) and the baseline of
known units (底数名单). Reading a CSV (UTF-8 with or without BOM, or GBK) or Excel file with a header row, and
what an import reports back, and the use cases that import them (each row's rules are checked by the store
that keeps the list)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from flows.errors import ActRefused, FieldError
from flows.review.transitions import Actor, Role
from flows.uploads import workbooks
from flows.uploads.contained import Limits

Row = tuple[int, dict[str, str]]  # (line number in the file, fields by column name)

UNREADABLE_TABLE = "文件无法读取，请上传Excel或CSV文件（首行为列名）。"
TOO_LARGE_TABLE = "文件解压后过大，无法读取。请拆分为多个文件，或另存为CSV后上传。"
MAX_XLSX_UNPACKED = 512 * 1024 * 1024  # bytes an .xlsx may unpack to (a 20 MB workbook of text: ~200 MB)
# A list of a few hundred thousand rows reads within these; a workbook that needs more is refused (CSV is read
# as it streams, in the server: it cannot unpack to more than it is).
XLSX_LIMITS = Limits(cpu_seconds=120, memory_mb=2048, wall_seconds=300.0)
EMPTY_TABLE = "文件中没有数据行（首行应为列名，其下每行一条记录）。"


@dataclass
class ImportReport:
    """A screening list imported: its batch, rows new and already known, and the bad rows with their lines."""

    batch_id: int
    imported: int = 0
    already_known: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class BaselineImport:
    """The baseline imported: units added and updated by credit code, and the bad rows with their lines."""

    added: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_rows(data: bytes, filename: str) -> Iterator[Row]:
    """Rows of a CSV (UTF-8, with or without BOM, or GBK) or Excel file with a header row. An Excel file is
    read in a limited child process (flows.uploads.workbooks), never in the server."""
    if filename.lower().endswith(".xlsx"):
        workbooks.refuse_unsafe(data, max_unpacked=MAX_XLSX_UNPACKED, not_xlsx=UNREADABLE_TABLE,
                                too_large=TOO_LARGE_TABLE, damaged=UNREADABLE_TABLE)
        answer = workbooks.read_contained("table_xlsx", data, {}, XLSX_LIMITS, too_large=TOO_LARGE_TABLE,
                                          damaged=UNREADABLE_TABLE)
        for number, fields in answer["rows"]:
            yield int(number), {str(k): str(v) for k, v in fields.items()}
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gbk", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    for number, record in enumerate(reader, start=2):
        yield number, {str(k or "").strip(): str(v or "").strip() for k, v in record.items()}


def xlsx_rows_task(_args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """In the worker process (flows.uploads.contained): the first sheet's rows under its header row."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(blobs[0]), read_only=True, data_only=True)
    lines = book.worksheets[0].iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(lines, ())]
    rows = [(number, {h: ("" if v is None else str(v)).strip() for h, v in zip(header, values, strict=False)})
            for number, values in enumerate(lines, start=2)]
    return {"rows": rows}, b""


def read_table(data: bytes, filename: str) -> list[Row]:
    """Every row of the file, or a `FieldError` in Chinese when it cannot be read or holds no row."""
    try:
        rows = list(read_rows(data, filename))
    except FieldError:
        raise
    except Exception:  # noqa: BLE001 - whatever a damaged or crafted file makes the readers raise
        raise FieldError(UNREADABLE_TABLE) from None
    if not rows:
        raise FieldError(EMPTY_TABLE)
    return rows


class ListStore(Protocol):
    """Keeps the lists, each import and removal with its audit entry (store/lists.py `SqlListStore`)."""

    def import_screening_rows(self, rows: list[Row], *, name: str, actor_id: int,
                              progress: Callable[[int], None] | None) -> ImportReport:
        """Checks each row (an ID number, a category); imports the good ones once, lists the bad ones."""
        ...

    def remove_screening_batch(self, batch_id: int, *, actor_id: int) -> None: ...

    def import_baseline(self, rows: list[Row], *, actor_id: int) -> BaselineImport:
        """Checks each row (name, credit code, region, kind); adds or updates by credit code."""
        ...


def import_screening_list(store: ListStore, actor: Actor, *, data: bytes, filename: str, name: str,
                          progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """The administrator imports a screening list (比对数据) from a file; the batch is named, or after the file.
    `progress(rows done, rows in all)` is called as the rows go in."""
    if actor.role != Role.ADMIN:
        raise ActRefused("只有系统管理员可以导入比对数据。")
    rows = read_table(data, filename)
    return store.import_screening_rows(rows, name=(name.strip() or filename)[:120], actor_id=actor.user_id,
                                       progress=(lambda seen: progress(seen, len(rows))) if progress else None)


def remove_screening_batch(store: ListStore, actor: Actor, batch_id: int) -> None:
    """The administrator switches a batch off: its records no longer match, and are kept for the record."""
    if actor.role != Role.ADMIN:
        raise ActRefused("只有系统管理员可以移除比对数据。")
    store.remove_screening_batch(batch_id, actor_id=actor.user_id)


def import_baseline_units(store: ListStore, actor: Actor, *, data: bytes, filename: str) -> BaselineImport:
    """The province officer imports the baseline of known units (底数名单) the coverage report counts against."""
    if actor.role != Role.PROVINCE:
        raise ActRefused("只有省级审核人员可以导入底数名单。")
    return store.import_baseline(read_table(data, filename), actor_id=actor.user_id)
