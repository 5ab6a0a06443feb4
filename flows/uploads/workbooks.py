"""Excel workbooks people bring (an applicant's roster, an officer's list): refused at the door when they are not
a plain .xlsx or would unpack to too much, then read in a limited child process (flows.uploads.contained), never
in the server.

An .xlsx is a zip of XML: a few hundred kilobytes can unpack to a hundred megabytes, and openpyxl reads a
workbook's whole shared-string table when it opens it (a 350 KB upload cost a server process 46 s of CPU and
1.1 GB). The door reads only the zip's directory; whatever then reads the cells does so under the child's limits.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from flows.errors import FieldError
from flows.uploads import contained

OLD_OR_LOCKED = ("这是旧版Excel（.xls）文件或设置了密码的Excel文件，无法读取。"
                 "请在Excel中取消密码，并“另存为”“Excel工作簿（*.xlsx）”后重新上传。")
DAMAGED = "文件已损坏，无法打开。请在Excel中重新保存后上传。"
MACROS = "文件中含有宏（.xlsm），为安全起见不能上传。请在Excel中“另存为”“Excel工作簿（*.xlsx）”后重新上传。"


def refuse_unsafe(data: bytes, *, max_unpacked: int, not_xlsx: str, too_large: str, damaged: str = DAMAGED) -> None:
    """Raise `FieldError` unless `data` is a plain .xlsx (no macros) that unpacks to at most `max_unpacked` bytes.
    Only the zip's directory and its content-type list are read."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FieldError(OLD_OR_LOCKED)
    if not data.startswith(b"PK\x03\x04"):
        raise FieldError(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if sum(entry.file_size for entry in entries) > max_unpacked:
                raise FieldError(too_large)
            if "[Content_Types].xml" not in names:
                raise FieldError(not_xlsx)
            if archive.getinfo("[Content_Types].xml").file_size > 1024 * 1024:
                raise FieldError(too_large)
            types = archive.read("[Content_Types].xml").decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError):
        raise FieldError(damaged) from None
    if "macroEnabled" in types or any(name.lower().endswith("vbaproject.bin") for name in names):
        raise FieldError(MACROS)
    if "spreadsheetml.sheet.main+xml" not in types:
        raise FieldError(not_xlsx)


def read_contained(task: str, data: bytes, args: dict[str, Any], limits: contained.Limits, *,
                   too_large: str, damaged: str = DAMAGED) -> dict[str, Any]:
    """Run the reading `task` on the workbook in a limited child; its answer, or `FieldError` in Chinese:
    the task's own refusal, `too_large` when a limit ended it, `damaged` when it broke, busy when no child."""
    try:
        answer, _ = contained.run(task, [data], args, limits)
    except contained.Refused as refusal:
        raise FieldError(refusal.message) from None
    except contained.Unavailable:
        raise FieldError(contained.BUSY) from None
    except contained.Failed as failure:
        raise FieldError(too_large if failure.limit else damaged) from None
    return answer
