"""Showing user-supplied text safely: Streamlit renders Markdown in most elements."""

from __future__ import annotations

import base64
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# Streamlit's Markdown turns bare addresses into links even when escaped (https://…, www.…, a@b.c: checked in
# Chromium). An invisible WORD JOINER (U+2060) after "scheme:", after "www" and before "@" stops that.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def md_escape(text: object) -> str:
    """Escape Markdown/HTML so the text shows exactly as typed, never as a link, image or markup."""
    unlinked = _AUTOLINK.sub(WORD_JOINER, str(text))
    return _MARKDOWN.sub(r"\\\1", unlinked).replace("\n", "  \n")


def inline_picture(data: bytes, mime: str = "image/png") -> str:
    """A picture as a data: URL for `st.image`: drawn from the page's own message, never stored under
    Streamlit's /media/ URLs (web/media.py), so a material's page or a QR code holding a secret has no
    address anyone could fetch later."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
