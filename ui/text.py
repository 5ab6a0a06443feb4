"""Showing user-supplied text safely: Streamlit renders Markdown in most elements."""

from __future__ import annotations

import base64
import re
from typing import Any

import pandas as pd

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# Streamlit's Markdown turns bare addresses into links even when escaped (https://…, www.…, a@b.c: checked in
# Chromium). An invisible WORD JOINER (U+2060) after "scheme:", after "www" and before "@" stops that.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def md_escape(text: object) -> str:
    """Escape Markdown/HTML so the text shows exactly as typed, never as a link, image or markup."""
    unlinked = _AUTOLINK.sub(WORD_JOINER, str(text))
    return _MARKDOWN.sub(r"\\\1", unlinked).replace("\n", "  \n")


def plain_cells(rows: Any) -> Any:
    """Table rows (a list of dicts or a DataFrame) with every text cell escaped: `st.table` renders Markdown in
    its cells, so a name typed as "[请点此](https://…)" would show as a link."""
    if isinstance(rows, pd.DataFrame):
        return rows.map(lambda v: md_escape(v) if isinstance(v, str) else v)
    return [{k: md_escape(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]


def inline_picture(data: bytes, mime: str = "image/png") -> str:
    """A picture as a data: URL for `st.image`: drawn from the page's own message, never stored under
    Streamlit's /media/ URLs (web/media.py), so a material's page or a QR code holding a secret has no
    address anyone could fetch later."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
