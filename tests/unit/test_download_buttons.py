"""Every download button leaves the page alone when clicked (on_click="ignore").

A button whose file is made on the click (a callable as `data`) asks the server for it while, by default,
the click also reruns the page. In Streamlit 1.67 a run that starts while the file's answer waits in the
session's outgoing queue clears that queue (AppSession._clear_queue keeps only lifecycle messages): the
answer is lost and the button spins, disabled, for three minutes (the client's request timeout) before it
gives up. It happened to the auditor's 导出CSV in CI. Nothing on our pages changes after a download, so no
button reruns the page.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted([*(ROOT / "pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), ROOT / "streamlit_app.py"])


def download_buttons(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "download_button"]


def on_click(call: ast.Call) -> object:
    for keyword in call.keywords:
        if keyword.arg == "on_click":
            return keyword.value.value if isinstance(keyword.value, ast.Constant) else ast.unparse(keyword.value)
    return None


def test_the_app_has_download_buttons_to_check() -> None:
    assert sum(len(download_buttons(path)) for path in UI_FILES) >= 10


@pytest.mark.parametrize("path", [p for p in UI_FILES if download_buttons(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_download_button_reruns_the_page(path: Path) -> None:
    rerunning = [f"line {call.lineno}: on_click={on_click(call)!r}" for call in download_buttons(path)
                 if on_click(call) != "ignore"]
    assert not rerunning, f"{path.name}: download buttons that rerun the page: {rerunning}"
