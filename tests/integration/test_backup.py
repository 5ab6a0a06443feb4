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
from flows.review.transitions import Act
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
    for name in ("BLOB_DIR", "KEYS_DIR", "CERT_SIGNING_KEY_FILE"):
        env.pop(name, None)  # the keys in their default place: `keys` beside DATA_DIR
    return env


def private_keys_in(folder: Path) -> list[str]:
    """Every file under `folder` holding a private key (PEM) or a key file's name."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
                  and (b"PRIVATE KEY" in p.read_bytes() or p.name.endswith((".key", ".keys", ".pem"))))


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
    assert [p.name for p in target_data.iterdir() if p.is_file() and not p.name.startswith("app.db")] == []
    assert private_keys_in(backup_dir) == []  # no key went into the backup, none comes out of it

    # A second restore into the now full place is refused; a damaged backup is refused before anything is written.
    again = _script("restore", str(backup_dir), env=_env(target_url, target_data))
    assert again.returncode == 1 and "already holds data" in again.stderr
    blob = next((backup_dir / "files" / "blobs").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.write_bytes(b"tampered")
    checked = _script("verify", str(backup_dir), env=_env(target_url, target_data))
    assert checked.returncode == 1 and "changed since the backup" in checked.stderr


def test_after_the_demo_seed_issued_certificates_a_backup_holds_no_private_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = _env(f"sqlite:///{data / 'app.db'}", data)
    env.pop("DATABASE_URL")
    env.pop("APP_ENV", None)
    seeded = subprocess.run([sys.executable, "-m", "store.seed"], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    engine = db.make_engine(f"sqlite:///{data / 'app.db'}")
    try:
        with Session(engine) as session:
            signed = session.execute(text("SELECT count(*) FROM document WHERE verification_code IS NOT NULL")) \
                .scalar_one()
    finally:
        engine.dispose()
    assert signed > 0  # the seed's approvals issued signed certificates

    key = tmp_path / "keys" / "certificate-signing.pem"
    assert b"PRIVATE KEY" in key.read_bytes() and key.stat().st_mode & 0o777 == 0o600
    assert private_keys_in(data) == []  # the signing key is beside the data, not in it

    done = _script("backup", str(tmp_path / "backup"), env=env)
    assert done.returncode == 0, done.stderr
    assert private_keys_in(tmp_path / "backup") == []


def test_restoring_an_older_backup_puts_its_keys_into_the_keys_folder_never_over_another_key(
        engine: Engine, database_url: str, data_dir: Path, tmp_path: Path, empty_target: tuple[str, Path]) -> None:
    """A backup an older version made still holds the key files it kept in DATA_DIR (`files/<name>`)."""
    import json

    _fill(engine)
    backup_dir = tmp_path / "backup"
    done = _script("backup", str(backup_dir), env=_env(database_url, data_dir))
    assert done.returncode == 0, done.stderr
    old_key = b"-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----\n"
    (backup_dir / "files" / "certificate-signing.pem").write_bytes(old_key)
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["certificate-signing.pem"] = {"sha256": hashlib.sha256(old_key).hexdigest(),
                                                    "size": len(old_key)}
    (backup_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    target_url, target_data = empty_target
    keys_dir = target_data.parent / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    (keys_dir / "certificate-signing.pem").write_bytes(b"another key")
    refused = _script("restore", str(backup_dir), env=_env(target_url, target_data))
    assert refused.returncode == 1 and "holds another one" in refused.stderr
    assert not target_data.exists() or not any(target_data.rglob("*"))  # refused before writing anything

    (keys_dir / "certificate-signing.pem").unlink()
    done = _script("restore", str(backup_dir), env=_env(target_url, target_data))
    assert done.returncode == 0, done.stderr
    restored = keys_dir / "certificate-signing.pem"
    assert restored.read_bytes() == old_key and restored.stat().st_mode & 0o777 == 0o600
    assert private_keys_in(target_data) == []


def test_backup_refuses_a_folder_that_is_not_empty(data_dir: Path, tmp_path: Path) -> None:
    # The folder is checked before the database is touched: one database is enough.
    database_url = f"sqlite:///{tmp_path}/app.db"
    db.migrate(db.make_engine(database_url))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    done = _script("backup", str(tmp_path / "full"), env=_env(database_url, data_dir))
    assert done.returncode == 1 and "not empty" in done.stderr
