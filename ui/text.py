"""Showing user-supplied text safely: Streamlit renders Markdown in most elements."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def md_escape(text: object) -> str:
    """Escape Markdown/HTML so the text shows exactly as typed, never as a link, image or markup."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", "  \n")
