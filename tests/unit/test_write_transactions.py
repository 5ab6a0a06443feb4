"""Every write transaction that can meet another writer takes SQLite's write lock up front.

A plain `Session(engine)` begins a deferred transaction: it reads first, and when it then writes after another
connection has committed, SQLite answers "database is locked" at once; the busy timeout does not help (a CI run
failed so, in an e2e test that moved a code's time back while the app was writing). `store.db.write_session`
begins IMMEDIATE and queues instead. This looks at the code that runs beside a live app (the app itself, its
scripts, and the browser and topology tests) for a `with Session(...)` block that commits: the one form the
code base opens sessions in (a session held in a variable is not looked for)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("store", "flows", "web", "pages", "ui", "adapters", "scripts", "deploy", "tests/e2e", "tests/topology")
FILES = ("serve.py", "streamlit_app.py")


def sources() -> list[Path]:
    found = [p for folder in FOLDERS if (ROOT / folder).is_dir() for p in (ROOT / folder).rglob("*.py")]
    return sorted([*found, *(ROOT / name for name in FILES if (ROOT / name).exists())])


def committing_plain_sessions(path: Path) -> list[int]:
    """Line numbers of `with Session(...)` blocks whose body commits."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.With):
            continue
        for item in node.items:
            call = item.context_expr
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Session"
                    and any(isinstance(n, ast.Attribute) and n.attr == "commit" for s in node.body
                            for n in ast.walk(s))):
                lines.append(node.lineno)
    return lines


def test_the_check_finds_a_committing_plain_session(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(engine):\n    with Session(engine) as s:\n        s.add(1)\n        s.commit()\n\n"
                      "def g(engine):\n    with write_session(engine) as s:\n        s.commit()\n\n"
                      "def h(engine):\n    with Session(engine) as s:\n        return s.get(1)\n")
    assert committing_plain_sessions(sample) == [2]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_writes_beside_a_live_app_begin_with_the_write_lock(path: Path) -> None:
    assert committing_plain_sessions(path) == [], "use store.db.write_session for a transaction that writes"
