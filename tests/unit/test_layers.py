"""Dependencies point down only: flows/ knows no UI and no storage; store/ no UI; pages hold no SQL; the UI
(ui/, pages/, streamlit_app.py) reaches storage only through an allow-list: query functions returning plain
records and the adapters it hands to flows' use cases: every write is a use case in flows/."""

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


@pytest.mark.parametrize("path", files("flows"), ids=lambda p: str(p.relative_to(ROOT)))
def test_flows_reaches_outside_systems_only_through_its_ports(path: Path) -> None:
    """adapters/ implements flows' ports (the comparison service's HTTP client); flows/ never imports it."""
    assert "adapters" not in imported_modules(path)


@pytest.mark.parametrize("path", [*files("pages"), *files("ui"), ROOT / "streamlit_app.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_ui_reaches_outside_systems_only_through_store_and_flows(path: Path) -> None:
    assert "adapters" not in imported_modules(path)


# The shared kernel at the top of flows/; every other module lives in the package of its capability.
FLOWS_TOP = {"__init__", "cases", "clock", "config", "environment", "errors", "key_folder", "ports", "regions",
             "vocabulary"}
FLOWS_PACKAGES = {"kinds", "filing", "review", "documents", "uploads", "oversight", "identity"}


def test_flows_is_grouped_by_capability() -> None:
    """A newcomer finds a rule from the folder names: a new module goes into its capability's package."""
    top = {p.stem for p in (ROOT / "flows").glob("*.py")}
    packages = {p.name for p in (ROOT / "flows").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert top == FLOWS_TOP
    assert packages == FLOWS_PACKAGES
    for package in packages:
        assert ast.get_docstring(ast.parse((ROOT / "flows" / package / "__init__.py").read_text(encoding="utf-8")))


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


# What the UI may take from store/, by module. Reads: query functions and the plain records they return.
UI_READS: dict[str, set[str]] = {
    "store.accounts": {"Account", "session_account", "unit_people", "invitation_unit_name"},
    "store.admin": {"calendar_gaps", "calendar_overrides", "complete_years", "config_overrides", "effective_config",
                    "list_staff"},
    "store.audit": {"verify"},
    "store.audit_view": {"COLUMNS", "Filters", "action_names", "search"},
    "store.baseline": {"coverage"},
    "store.blobs": {"get", "exists"},
    "store.bootstrap": {"has_demo_data"},
    "store.demo": {"DEMO_IDS", "DEMO_TOTP_SECRET"},
    "store.feedback": {"InboxItem", "feedback_pages", "inbox", "list_feedback", "rating_for_case"},
    "store.ledger": {"Ledger", "LedgerRecord", "ledger_records", "ledger_totals", "ledger_units",
                     "ledger_version", "LedgerTotals"},
    "store.notifications": {"messages", "unread_count"},
    "store.outbox": {"failures", "outbox_counts"},
    "store.precheck": {"digest", "file_checks"},
    "store.queries": {"IssuedDocument", "WaitingCase", "applicant_todo", "home_summary", "open_work", "unit_cases"},
    "store.queue": {"DUE_LABELS", "Due", "QueueRow", "queue_counts", "queue_page", "waiting_stages"},
    "store.reports": {"progress_report", "warm_up_in_background"},
    "store.screening": {"batches", "category_counts", "configured_sources",
                        "fugitive_alerts", "get_setting", "probe_network"},
    "store.verification": {"FileCheck", "LIMITER", "MAX_FILE_BYTES", "VerificationResult", "check_file", "lookup"},
}
# The adapters the UI builds and hands to flows' use cases (the composition of ports and their storage).
UI_ADAPTERS: dict[str, set[str]] = {
    "store.uow": {"SqlUnitOfWork"},
    "store.feedback": {"SqlFeedbackStore"},
    "store.admin": {"SqlAdminStore"},
    "store.identity": {"SqlIdentityStore"},
    "store.precheck": {"SqlPrecheckStore"},
    "store.precheck_worker": {"ensure_worker"},
    "store.accounts": {"HASHER"},
    "store.db": {"default_engine"},
    "store.outbox": {"channels_from_env", "code_sms_gateway"},
    "store.lists": {"SqlListStore"},
}
# Every write a page makes is a use case in flows/ (the last ones moved on 2026-12-06): the UI takes nothing
# else from store/ than the reads and adapters above.


def store_names_used(path: Path) -> set[tuple[str, str]]:
    """(store module, name) for every name the file takes from store/: `from store.x import n`, and
    `from store import x` followed by `x.n`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used: set[tuple[str, str]] = set()
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "store":
                modules.update({alias.asname or alias.name: f"store.{alias.name}" for alias in node.names})
            elif node.module.startswith("store."):
                used.update((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("store") for alias in node.names), "import store.x: use from-imports"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            used.add((modules[node.value.id], node.attr))
    return used


def _allowed() -> set[tuple[str, str]]:
    return {(module, name) for table in (UI_READS, UI_ADAPTERS)
            for module, names in table.items() for name in names}


UI_FILES = [*files("pages"), *files("ui"), ROOT / "streamlit_app.py"]


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_ui_takes_from_store_only_what_the_allow_list_names(path: Path) -> None:
    """Never a table model (store.models), a session or a write the lists do not name."""
    assert store_names_used(path) - _allowed() == set()


def test_feedback_ratings_the_administrators_changes_and_the_lists_are_written_through_flows() -> None:
    writes = {("store.feedback", name) for name in ("add_feedback", "add_rating", "triage")} | {
        ("store.admin", name) for name in ("save_setting", "set_active", "set_email", "create_officer")} | {
        ("store.screening", name) for name in ("set_setting", "import_rows", "remove_batch")} | {
        ("store.baseline", "import_baseline"), ("store.outbox", "send_pending"),
        ("store.notifications", "mark_all_read"), ("store.audit_view", "record_export")}
    for path in UI_FILES:
        assert not store_names_used(path) & writes, path


TABLES = set(re.findall(r"^class (\w+)\(SQLModel, table=True\)", (ROOT / "store" / "models.py").read_text(encoding="utf-8"),
                        re.M))


@pytest.mark.parametrize("module", sorted(UI_READS))
def test_the_queries_the_ui_reads_return_plain_records_never_table_rows(module: str) -> None:
    """A query the UI may call, and a record it returns, names no table model (store/models.py) in its types."""
    assert {"Feedback", "Case", "WatchlistBatch"} <= TABLES
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    for node in tree.body:
        if node.__dict__.get("name") not in UI_READS[module]:
            continue
        if isinstance(node, ast.FunctionDef) and node.returns is not None:
            assert not set(re.findall(r"\w+", ast.unparse(node.returns))) & TABLES, f"{module}.{node.name}"
        if isinstance(node, ast.ClassDef):
            for field in node.body:
                if isinstance(field, ast.AnnAssign):
                    assert not set(re.findall(r"\w+", ast.unparse(field.annotation))) & TABLES, f"{module}.{node.name}"


def test_the_layer_test_would_notice_a_leak(tmp_path: Path) -> None:
    leak = tmp_path / "leak.py"
    leak.write_text("import streamlit as st\nfrom store.db import make_engine\n", encoding="utf-8")
    assert {"streamlit", "store"} <= imported_modules(leak)
    leak.write_text("from store import feedback\nfrom store.models import Feedback\nfeedback.add_feedback()\n",
                    encoding="utf-8")
    assert store_names_used(leak) - _allowed() == {("store.models", "Feedback"), ("store.feedback", "add_feedback")}


def _test_module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests.")}


@pytest.mark.parametrize("path", files("tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_share_helpers_through_support_modules_never_through_other_tests(path: Path) -> None:
    """A helper two test files need lives in tests/support.py, tests/e2e/helpers.py or a conftest."""
    assert not {m for m in _test_module_imports(path) if m.rsplit(".", 1)[-1].startswith("test_")}
