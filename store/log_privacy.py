"""Personal data kept out of the logs, whoever writes them.

The app never logs an ID number or a mobile number itself, but others print what they are given: Streamlit
logs an error no page handled with its message and traceback ("Uncaught app execution"), and an error's
message may quote the input that caused it (a pydantic error quotes the value, a crafted upload names its
contents). `install()` masks every log record of the process as it is made, before any handler or formatter
sees it: ID numbers as "6501**********0017", mobile numbers as "139****0006", in the message, its arguments,
the traceback and the stack.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

from flows.filing.identifiers import mask_id, mask_mobile

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
_MARK = "masks_personal_data"


def mask_personal(text: str) -> str:
    """`text` with every ID number and mobile number in it masked."""
    text = ID_NUMBER.sub(lambda found: mask_id(found.group()), text)
    return MOBILE.sub(lambda found: mask_mobile(found.group()), text)


def _masked(value: Any) -> Any:
    """A number stays a number (for "%d"); anything else becomes its text, masked (an exception as "%s")."""
    if value is None or isinstance(value, (int, float)):
        return value
    return mask_personal(value if isinstance(value, str) else str(value))


def _mask_record(record: logging.LogRecord) -> None:
    record.msg = _masked(record.msg)
    if isinstance(record.args, tuple):  # kept a tuple: some formatters unpack it (an access log's fields)
        record.args = tuple(_masked(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _masked(value) for key, value in record.args.items()}
    if record.exc_info and record.exc_info[1] is not None:
        # What logging.Formatter.formatException would print, masked: formatters use exc_text when it is set.
        record.exc_text = mask_personal("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    if record.stack_info:
        record.stack_info = mask_personal(record.stack_info)


def install() -> None:
    """Mask every log record this process makes from now on (a second call changes nothing)."""
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask_record(record)
        return record

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)
