"""Applicant text shown through `md_escape` never becomes a link in Chromium: Streamlit's Markdown links bare
addresses (https://…, www.…, a@b.c) even when every character is escaped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.conftest import REPO, _free_port
from tests.e2e.helpers import goto, see

TEXT = "详见 https://evil.example/a 、www.evil.example、见www.evil.example 或发邮件 a@evil.example"

SCRIPT = f'''
import streamlit as st
from ui.text import md_escape
st.markdown("- **说明**：" + md_escape({TEXT!r}))
st.caption(md_escape({TEXT!r}))
st.text("END")
'''


def test_bare_addresses_in_escaped_text_are_not_links(tmp_path: Path, new_page: Callable[[], Page]) -> None:
    script = tmp_path / "bare_links.py"
    script.write_text(SCRIPT, encoding="utf-8")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                               "--server.address", "127.0.0.1", "--server.port", str(port),
                               "--browser.gatherUsageStats", "false"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        page = new_page()
        for _ in range(120):
            try:
                goto(page, f"http://127.0.0.1:{port}")
                break
            except Exception:  # noqa: BLE001 - not listening yet
                page.wait_for_timeout(500)
        see(page, "END")
        shown = page.locator('[data-testid="stMarkdownContainer"]')
        assert shown.count() >= 1
        assert page.locator('[data-testid="stMarkdownContainer"] a, [data-testid="stCaptionContainer"] a').count() == 0
        visible = shown.first.inner_text().replace("\u2060", "")
        assert "https://evil.example/a" in visible and "a@evil.example" in visible  # still reads as typed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
