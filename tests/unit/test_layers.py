"""Dependencies point down only: flows/ knows no UI and no storage; store/ no UI; pages hold no SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", files("flows"), ids=lambda p: str(p.relative_to(ROOT)))
def test_flows_imports_neither_streamlit_nor_storage(path: Path) -> None:
    assert not imported_modules(path) & {"streamlit", "sqlmodel", "sqlalchemy", "store", "ui", "pages"}


@pytest.mark.parametrize("path", files("store"), ids=lambda p: str(p.relative_to(ROOT)))
def test_store_imports_no_streamlit(path: Path) -> None:
    assert not imported_modules(path) & {"streamlit", "ui", "pages"}


SQL = re.compile(r"(from sqlmodel import .*select|session\.exec\(|\bSELECT\b|\bUPDATE\b .* SET |from sqlalchemy import .*\b(select|text|insert|update|delete)\b)")


@pytest.mark.parametrize("path", files("web"), ids=lambda p: str(p.relative_to(ROOT)))
def test_web_imports_no_pages_and_no_ui(path: Path) -> None:
    assert not imported_modules(path) & {"ui", "pages"}


@pytest.mark.parametrize("path", [*files("pages"), *files("ui"), *files("web"), ROOT / "streamlit_app.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_and_ui_hold_no_sql(path: Path) -> None:
    assert not SQL.search(path.read_text(encoding="utf-8"))


def test_the_layer_test_would_notice_a_leak(tmp_path: Path) -> None:
    leak = tmp_path / "leak.py"
    leak.write_text("import streamlit as st\nfrom store.db import make_engine\n", encoding="utf-8")
    assert {"streamlit", "store"} <= imported_modules(leak)


def _test_module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests.")}


@pytest.mark.parametrize("path", files("tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_share_helpers_through_support_modules_never_through_other_tests(path: Path) -> None:
    """A helper two test files need lives in tests/support.py, tests/e2e/helpers.py or a conftest."""
    assert not {m for m in _test_module_imports(path) if m.rsplit(".", 1)[-1].startswith("test_")}
