"""A PostgreSQL server in a folder of its own (Debian's `postgresql` binaries): the tests' throwaway
database and the local cluster of `python -m deploy up`.

Run as the `postgres` user when we are root (the server refuses to run as root), as ourselves otherwise.
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
from pathlib import Path

PG_USER = "postgres"


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (with initdb and pg_ctl), or None."""

    def version(p: str) -> tuple[int, ...]:
        m = re.search(r"/postgresql/([\d.]+)/bin/", p)
        return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    for initdb in reversed(found):
        bindir = Path(initdb).parent
        if os.access(initdb, os.X_OK) and os.access(bindir / "pg_ctl", os.X_OK):
            return bindir
    return None


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"(no log: {e})"


class PgCluster:
    """A PostgreSQL cluster in `root` (default: a new temporary folder), listening on 127.0.0.1:port.

    `durable=False` (tests) turns fsync off; the local deployment keeps PostgreSQL's defaults."""

    def __init__(self, bindir: Path, root: Path | None = None, *, durable: bool = False,
                 max_connections: int = 200) -> None:
        self.bindir = bindir
        self.root = root or Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.owns_root = root is None
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.logfile = self.root / "postgres.log"
        self.port = free_port()
        self.durable = durable
        self.max_connections = max_connections
        self.as_user: list[str] = []
        self.started = False

        self.sockdir.mkdir(exist_ok=True)
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
        return subprocess.run([*self.as_user, *args], cwd=self.root, env=env, capture_output=True, text=True,
                              timeout=timeout)

    def _check(self, what: str, r: subprocess.CompletedProcess[str]) -> None:
        if r.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL {what} failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}\n"
                f"--- {self.logfile} (tail) ---\n{tail(self.logfile)}"
            )

    def start(self) -> None:
        if not (self.datadir / "PG_VERSION").exists():
            r = self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", PG_USER,
                          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            self._check("initdb", r)
        opts = (f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
                f"-c max_connections={self.max_connections}")
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        r = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", opts, "-l", str(self.logfile),
                      "-w", "-t", "60", "start")
        self._check("start (pg_ctl)", r)
        self.started = True

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")
            self.started = False
        if self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        """`postgresql+psycopg://postgres@127.0.0.1:PORT/` (append a database name)."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/"

    def create_database(self, name: str) -> str:
        """Create database `name` (ours: letters, digits, underscores) and return its URL."""
        import psycopg

        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={PG_USER} dbname=postgres",
                             autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url + name
