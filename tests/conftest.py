"""Shared fixtures: a throwaway PostgreSQL server, a database per test on SQLite and PostgreSQL,
a migrated engine, and a private DATA_DIR.

Every test runs with env DATABASE_URL unset and DATA_DIR pointing at its own temporary folder, so
no test can touch a developer's database or the repository's data/runtime by accident.

The PostgreSQL tests need the Debian `postgresql` package (scripts/system-deps.sh installs it).
They fail when it is missing (deselect them with `-m "not pg"` where PostgreSQL cannot be had).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from deploy.postgres import PgCluster, pg_bindir

if TYPE_CHECKING:
    import sqlalchemy


# ------------------------------------------------------------------ figures a test prints
@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`figures(title, text)`: measured figures (load, kills, deliveries) shown at the end of the run, under
    "figures", whether the test ran in this process or on a pytest-xdist worker (whose output is not shown)."""

    def record(title: str, text: str) -> None:
        request.node.user_properties.append(("figures", f"{title}\n{text}"))

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    shown = False
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", ()):
                if name != "figures":
                    continue
                if not shown:
                    terminalreporter.write_sep("-", "figures")
                    shown = True
                terminalreporter.write_line(f"[{report.nodeid}] {value}")


# ------------------------------------------------------------------ the longest files first
# With pytest-xdist (`make test`: --dist loadfile) a worker takes the next whole file when it is free: the files
# that take minutes start first and the thousands of short ones fill in behind them, so no worker is left with a
# long file at the end while the other idles. Within a folder, the few longest files lead; the rest keep their
# order. (Collection order only: no test depends on another's having run.) xdist would otherwise reorder the
# files by how many tests each holds (e2e files, a few long tests each, then came last): `make test` passes
# --no-loadscope-reorder.
FOLDERS_LONGEST_FIRST = ("topology", "e2e", "integration", "app", "unit")
FILES_LONGEST_FIRST = ("test_load.py", "test_walk.py", "test_faults.py", "test_s7_company_claimed_once.py",
                       "test_backup.py", "test_s8_officer_two_factors.py", "test_s2_full_route.py",
                       "test_s3_legal_representative.py", "test_legal_decisions.py", "test_kind_e.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> tuple[int, int]:
        path = Path(str(item.path))
        folder = path.parent.name
        where = FOLDERS_LONGEST_FIRST.index(folder) if folder in FOLDERS_LONGEST_FIRST else len(FOLDERS_LONGEST_FIRST)
        long = FILES_LONGEST_FIRST.index(path.name) if path.name in FILES_LONGEST_FIRST else len(FILES_LONGEST_FIRST)
        return where, long

    items.sort(key=rank)  # stable: a file's tests keep their order, and files of equal rank theirs


# ------------------------------------------------------------------ environment isolation
@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MIGRATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    # No pre-check worker thread (and OCR child process) inside the test process: tests that need one
    # start a store.precheck_worker.Worker themselves; the browser tests' app server runs its own.
    monkeypatch.setenv("PRECHECK_WORKER", "off")
    from flows.identity import abuse

    abuse.reset_all()  # per-address abuse counters live in the process: each test starts from a quiet server


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path / "data"` (created), with env DATA_DIR pointing at it."""
    d = tmp_path / "data"
    d.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DATA_DIR", str(d))
    return d


# ------------------------------------------------------------------ throwaway PostgreSQL
@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the whole session.

    Yields its base URL `postgresql+psycopg://postgres@127.0.0.1:PORT/` (append a database name).
    Fails when the server cannot be started (deselect the PostgreSQL variants with `-m "not pg"`).
    """
    bindir = pg_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run "
            "scripts/system-deps.sh (or deselect the PostgreSQL tests with -m 'not pg')",
            pytrace=False,
        )
    cluster: PgCluster | None = None
    try:
        cluster = PgCluster(bindir)
        cluster.start()
    except Exception as e:
        if cluster is not None:
            cluster.stop()
        pytest.fail(f"could not start the throwaway PostgreSQL server: {e}", pytrace=False)
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _pg_admin_conninfo(base_url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(base_url)
    return f"host={u.host} port={u.port} user={u.username} dbname=postgres"


# ------------------------------------------------------------------ databases and engines
# Each test gets a database already at the newest schema: a copy of one migrated once per session (per xdist
# worker). Migrating per test cost ~1 s on SQLite and ~3-4 s on PostgreSQL (CREATE DATABASE, eleven revisions,
# DROP) under the suite's load, over ~140 tests each.
PG_TEMPLATE = "t_template"


def _migrate_once(url: str, data_dir: Path) -> None:
    from store import db

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATA_DIR", str(data_dir))  # a migration may read the keys: never the repository's data/
        eng = db.make_engine(url)
        try:
            db.migrate(eng)
        finally:
            eng.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database file migrated to head, copied for each test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    _migrate_once(f"sqlite:///{path}", folder / "data")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL database migrated to head, the template of each test's database (nothing stays connected
    to it: CREATE DATABASE … TEMPLATE needs it idle)."""
    import psycopg

    with psycopg.connect(_pg_admin_conninfo(pg_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{PG_TEMPLATE}"')
    _migrate_once(pg_server + PG_TEMPLATE, tmp_path_factory.mktemp("pg-template") / "data")
    return PG_TEMPLATE


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A database at the newest schema and empty of rows, once on SQLite and once on PostgreSQL (a fresh one per
    test, copied from the session's migrated template).

    Env DATABASE_URL is set to it for the test, so code that calls `make_engine()` finds it.
    """
    if request.param == "sqlite":
        import shutil

        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "app.db")
        url = f"sqlite:///{tmp_path}/app.db"
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        return

    import psycopg

    base: str = request.getfixturevalue("pg_server")
    template: str = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex}"
    conninfo = _pg_admin_conninfo(base)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')  # names are ours: t_<hex>
    url = base + name
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(database_url: str, data_dir: Path) -> Iterator[sqlalchemy.Engine]:
    """`store.db.make_engine(database_url)` (at the newest schema: a copy of the migrated template); disposed
    afterwards."""
    from store import db

    eng = db.make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()
