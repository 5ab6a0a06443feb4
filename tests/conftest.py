"""Shared fixtures: a throwaway PostgreSQL server, a database per test on SQLite and PostgreSQL,
a migrated engine, and a private DATA_DIR.

Every test runs with env DATABASE_URL unset and DATA_DIR pointing at its own temporary folder, so
no test can touch a developer's database or the repository's data/runtime by accident.

The PostgreSQL tests need the Debian `postgresql` package (scripts/system-deps.sh installs it).
They fail when it is missing (deselect them with `-m "not pg"` where PostgreSQL cannot be had).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import sqlalchemy

PG_USER = "postgres"


# ------------------------------------------------------------------ environment isolation
@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MIGRATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path / "data"` (created), with env DATA_DIR pointing at it."""
    d = tmp_path / "data"
    d.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DATA_DIR", str(d))
    return d


# ------------------------------------------------------------------ throwaway PostgreSQL
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bindir() -> Path | None:
    def version(p: str) -> tuple[int, ...]:
        m = re.search(r"/postgresql/([\d.]+)/bin/", p)
        return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    for initdb in reversed(found):
        bindir = Path(initdb).parent
        if os.access(initdb, os.X_OK) and os.access(bindir / "pg_ctl", os.X_OK):
            return bindir
    return None


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"(no log: {e})"


class _PgCluster:
    """A PostgreSQL cluster in a temporary folder, run as the `postgres` user when we are root
    (the server refuses to run as root) or as ourselves otherwise."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.logfile = self.root / "postgres.log"
        self.port = _free_port()
        self.as_user: list[str] = []
        self.started = False

        self.sockdir.mkdir()
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam(PG_USER)
            except KeyError:
                raise RuntimeError(
                    f"running as root but there is no '{PG_USER}' user: install Debian's "
                    "postgresql package (scripts/system-deps.sh)"
                ) from None
            for p in (self.root, self.sockdir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            runuser = shutil.which("runuser")
            if not runuser:
                raise RuntimeError("running as root and `runuser` is missing (util-linux)")
            self.as_user = [runuser, "-u", PG_USER, "--"]

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("PGDATA", None)
        return subprocess.run(
            [*self.as_user, *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def _check(self, what: str, r: subprocess.CompletedProcess[str]) -> None:
        if r.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL {what} failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}\n"
                f"--- {self.logfile} (tail) ---\n{_tail(self.logfile)}"
            )

    def start(self) -> None:
        r = self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.datadir),
            "-A", "trust",
            "-U", PG_USER,
            "-E", "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        self._check("initdb", r)
        opts = (
            f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        r = self._run(
            str(self.bindir / "pg_ctl"),
            "-D", str(self.datadir),
            "-o", opts,
            "-l", str(self.logfile),
            "-w", "-t", "60",
            "start",
        )  # fmt: skip
        self._check("start (pg_ctl)", r)
        self.started = True

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the whole session.

    Yields its base URL `postgresql+psycopg://postgres@127.0.0.1:PORT/` (append a database name).
    Fails when the server cannot be started (deselect the PostgreSQL variants with `-m "not pg"`).
    """
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run "
            "scripts/system-deps.sh (or deselect the PostgreSQL tests with -m 'not pg')",
            pytrace=False,
        )
    cluster: _PgCluster | None = None
    try:
        cluster = _PgCluster(bindir)
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
@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL (a fresh database per test).

    Env DATABASE_URL is set to it for the test, so code that calls `make_engine()` finds it.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/app.db"
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        return

    import psycopg

    base: str = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex}"
    conninfo = _pg_admin_conninfo(base)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name is ours: t_<hex>
    url = base + name
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(database_url: str, data_dir: Path) -> Iterator[sqlalchemy.Engine]:
    """`store.db.make_engine(database_url)` migrated to head (Alembic); disposed afterwards."""
    from store import db

    eng = db.make_engine(database_url)
    try:
        db.migrate(eng)
        yield eng
    finally:
        eng.dispose()
