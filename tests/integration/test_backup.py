"""scripts/backup.py: a backup restored into an empty place has the same rows, the same files, a whole audit
chain and a working product (SQLite always; PostgreSQL when pg_dump and pg_restore are installed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from flows import cases
from flows.clock import CHINA
from flows.review import Act
from store import audit, db
from tests.support import make_world, submitted

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "backup.py"
TODAY = date(2026, 11, 27)
NOW = datetime.combine(TODAY, time(11, 0), tzinfo=CHINA)


def _fill(engine: Engine) -> None:
    """Accounts, cases with uploads, an accepted case with its notice: rows, files and audit entries."""
    world = make_world(engine)
    for kind in ("C", "B"):
        case = submitted(world, kind, today=TODAY)
    cases.act_on_case(world.uow(), world.county.actor, case.id, Act.CONFIRM, expected_version=case.version, now=NOW)
    with world.uow() as uow:
        version = uow.case(case.id).version
    cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT, expected_version=version, now=NOW)


def _script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _env(url: str, data: Path) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    env.pop("BLOB_DIR", None)
    return env


def _snapshot(engine: Engine) -> dict[str, object]:
    """What must survive: every case row, every file named by a row with its bytes' hash, the audit log."""
    with Session(engine) as session:
        rows = [tuple(r) for r in session.execute(text(
            'SELECT id, number, stage, version, due_on FROM "case" ORDER BY id'))]
        named = sorted({str(s) for s in session.execute(text(
            "SELECT sha256 FROM casematerial UNION SELECT sha256 FROM document")).scalars()})
        chain = list(session.execute(text("SELECT hash FROM auditentry ORDER BY id")).scalars())
        broken = audit.verify_chain(session)
    return {"cases": rows, "files": named, "audit": chain, "broken": broken}


def _file_hashes(data: Path, names: list[str]) -> dict[str, str]:
    return {n: hashlib.sha256((data / "blobs" / n[:2] / n).read_bytes()).hexdigest() for n in names}


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A second, empty database of the same kind and an empty DATA_DIR to restore into."""
    data = tmp_path / "restored"
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{data / 'app.db'}", data
        return
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump / pg_restore missing: scripts/system-deps.sh installs PostgreSQL")
    import psycopg

    url = make_url(database_url)
    admin = f"host={url.host} port={url.port} user={url.username} dbname=postgres"
    name = f"r_{uuid.uuid4().hex}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name is ours: r_<hex>
    try:
        yield url.set(database=name).render_as_string(hide_password=False), data
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_an_empty_place_has_the_same_rows_files_and_audit_chain(
        engine: Engine, database_url: str, data_dir: Path, tmp_path: Path, empty_target: tuple[str, Path]) -> None:
    if not database_url.startswith("sqlite") and not shutil.which("pg_dump"):
        pytest.fail("pg_dump missing: scripts/system-deps.sh installs PostgreSQL")
    _fill(engine)
    before = _snapshot(engine)
    assert before["broken"] is None and before["files"] and before["cases"]
    keys_before = sorted(p.name for p in data_dir.iterdir() if p.is_file() and not p.name.startswith("app.db"))

    backup_dir = tmp_path / "backup"
    done = _script("backup", str(backup_dir), env=_env(database_url, data_dir))
    assert done.returncode == 0, done.stderr
    assert "backed up" in done.stdout

    target_url, target_data = empty_target
    done = _script("restore", str(backup_dir), env=_env(target_url, target_data))
    assert done.returncode == 0, done.stderr

    restored = db.make_engine(target_url)
    try:
        after = _snapshot(restored)
    finally:
        restored.dispose()
    assert after == before
    names = [str(n) for n in before["files"]]  # type: ignore[attr-defined]
    assert _file_hashes(target_data, names) == {n: n for n in names}
    assert sorted(p.name for p in target_data.iterdir() if p.is_file() and not p.name.startswith("app.db")) \
        == keys_before  # the screening and signing keys came back too

    # A second restore into the now full place is refused; a damaged backup is refused before anything is written.
    again = _script("restore", str(backup_dir), env=_env(target_url, target_data))
    assert again.returncode == 1 and "already holds data" in again.stderr
    blob = next((backup_dir / "files" / "blobs").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.write_bytes(b"tampered")
    checked = _script("verify", str(backup_dir), env=_env(target_url, target_data))
    assert checked.returncode == 1 and "changed since the backup" in checked.stderr


def test_backup_refuses_a_folder_that_is_not_empty(data_dir: Path, tmp_path: Path) -> None:
    # The folder is checked before the database is touched: one database is enough.
    database_url = f"sqlite:///{tmp_path}/app.db"
    db.migrate(db.make_engine(database_url))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    done = _script("backup", str(tmp_path / "full"), env=_env(database_url, data_dir))
    assert done.returncode == 1 and "not empty" in done.stderr
