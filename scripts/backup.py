"""Back up and restore the product's data: the database and the file store, never a key.

    python scripts/backup.py backup DEST      # DEST: a new or empty folder
    python scripts/backup.py restore SRC      # into the configured, empty database and DATA_DIR
    python scripts/backup.py verify SRC       # check a backup's files against its manifest

The configuration is the app's own: DATABASE_URL (default: the SQLite file in DATA_DIR), DATA_DIR and
BLOB_DIR; on PostgreSQL also MIGRATION_DATABASE_URL, the schema owner's login, when the app logs in as a
role of its own (docs/database-roles.md). A backup folder holds:

- `database.sqlite` (SQLite's online backup API: a consistent copy while the app keeps running) or
  `database.dump` (PostgreSQL: `pg_dump --format=custom`, one consistent snapshot);
- `files/blobs/…`, every stored upload and issued document, by sha256, copied *after* the database
  snapshot so every row of the snapshot finds its file (a file is written before its row);
- `manifest.json`: row counts of every table, size and sha256 of every file, the schema revision.

A restore refuses a target that already holds data. It checks every file against the manifest
first, then loads the database (pg_restore or the backup API again), copies the files, and checks the
row counts and that the audit chain still verifies. On PostgreSQL it loads as MIGRATION_DATABASE_URL when
that is set, so the owner owns the restored tables, and grants the app's role its privileges again (a
dump holds no privileges); the checks then run as the app's own login.

No key is in a backup: the data keys, the screening key, the audit keys and the certificate signing key live
in KEYS_DIR (beside DATA_DIR, flows/key_folder.py) or the environment, and are backed up on their own
(docs/operations.md, "Keys"). A restore needs the keys of the backup's time already in place. A backup made by
an older version still holds its key files as `files/<name>`: a restore puts them into KEYS_DIR (0600) when
KEYS_DIR does not hold that key yet, and refuses, before writing anything, when it holds another one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, func, inspect, select  # noqa: E402
from sqlalchemy.engine import URL, make_url  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.dump"
FILES = "files"
BLOBS = "blobs"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class Place:
    """Where the product keeps its data, from the same settings the app reads."""

    url: str
    data_dir: Path
    blob_dir: Path
    owner_url: str | None = None  # the schema owner's login (PostgreSQL), when not the app's own

    @classmethod
    def configured(cls) -> Place:
        from store.db import data_dir, database_url

        data = data_dir()
        blob = Path(os.environ.get("BLOB_DIR") or data / BLOBS)
        return cls(database_url(), data, blob, os.environ.get("MIGRATION_DATABASE_URL") or None)

    @property
    def admin_url(self) -> str:
        """The login that creates the tables: the owner's when configured (PostgreSQL), else the app's."""
        return self.owner_url if self.owner_url and not self.is_sqlite else self.url

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        database = make_url(self.url).database
        if not database:
            raise BackupError("SQLite URL without a file")
        return Path(database)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def engine_for(place: Place) -> Engine:
    from store.db import make_engine

    return make_engine(place.url)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema (the models' tables and Alembic's own)."""
    import store.models  # noqa: F401 - registers every table on SQLModel.metadata

    present = set(inspect(engine).get_table_names())
    counts = {}
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in present:
                counts[table.name] = int(session.execute(select(func.count()).select_from(table)).scalar_one())
    return counts


def schema_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return ""
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return str(row[0]) if row else ""


def referenced_blobs(engine: Engine) -> set[str]:
    """Every sha256 a row points at (materials and documents)."""
    from store.models import CaseMaterial, Document

    with Session(engine) as session:
        found = set(session.execute(select(CaseMaterial.sha256)).scalars())  # type: ignore[call-overload]
        found |= set(session.execute(select(Document.sha256)).scalars())  # type: ignore[call-overload]
    return {str(s) for s in found}


def _pg_command(place: Place, *, admin: bool = False) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (that goes in PGPASSWORD, not on the command line):
    the app's login, or with `admin` the schema owner's."""
    url: URL = make_url(place.admin_url if admin else place.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian package postgresql-client)")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _old_key_files(manifest: dict[str, Any], src: Path) -> dict[Path, bytes]:
    """Key files an older version's backup holds (`files/<name>`, not blobs): where each goes in KEYS_DIR and
    its bytes. Raises when KEYS_DIR already holds another key of that name (never overwrite a key)."""
    from flows.key_folder import keys_dir

    found: dict[Path, bytes] = {}
    for name in manifest["files"]:
        if name.startswith(f"{BLOBS}/"):
            continue
        if Path(name).name != name or name.startswith("."):
            raise BackupError(f"unexpected file {name!r} in the backup")
        content = (src / FILES / name).read_bytes()
        target = keys_dir() / name
        if target.exists() and target.read_bytes() != content:
            raise BackupError(f"the backup holds the key {name}, and KEYS_DIR ({target.parent}) holds another one: "
                              "restore only with the keys of the backup's time")
        found[target] = content
    return found


def backup(dest: Path, place: Place | None = None) -> dict[str, Any]:
    """Write a backup of the configured data into `dest` (new or empty); returns the manifest."""
    place = place or Place.configured()
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    engine = engine_for(place)
    try:
        # 1. The database, one consistent snapshot.
        if place.is_sqlite:
            if not place.sqlite_path.exists():
                raise BackupError(f"no database at {place.sqlite_path}")
            source = sqlite3.connect(str(place.sqlite_path))
            target = sqlite3.connect(str(dest / SQLITE_FILE))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            snapshot = engine_for(Place(f"sqlite:///{dest / SQLITE_FILE}", place.data_dir, place.blob_dir))
        else:
            conninfo, env = _pg_command(place)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dest / PG_FILE}",
                  f"--dbname={conninfo}"], env)
            snapshot = engine
        # Counts and references from the snapshot itself where we have it (SQLite); PostgreSQL's dump is
        # taken in one transaction, so rows written after it may be counted here but never missing.
        counts = table_counts(snapshot)
        needed = referenced_blobs(snapshot)
        revision = schema_revision(snapshot)
        if snapshot is not engine:
            snapshot.dispose()
        # 2. The files, after the snapshot: every row in it already has its file.
        files: dict[str, dict[str, Any]] = {}
        blob_target = dest / FILES / BLOBS
        if place.blob_dir.exists():
            for path in sorted(place.blob_dir.rglob("*")):
                if not path.is_file() or path.name.startswith(".tmp-"):
                    continue
                relative = path.relative_to(place.blob_dir)
                copy = blob_target / relative
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
                digest = sha256_of(copy)
                if digest != path.name:
                    raise BackupError(f"stored file {relative} does not match its name (sha256 {digest})")
                files[f"{BLOBS}/{relative.as_posix()}"] = {"sha256": digest, "size": copy.stat().st_size}
        missing = sorted(needed - {Path(name).name for name in files})
        if missing:
            raise BackupError(f"{len(missing)} files named by rows are missing from the file store, "
                              f"e.g. {missing[0]}")
        database_file = SQLITE_FILE if place.is_sqlite else PG_FILE
        manifest = {
            "format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "database": "sqlite" if place.is_sqlite
            else "postgresql", "database_file": database_file, "database_sha256": sha256_of(dest / database_file),
            "schema_revision": revision, "tables": counts, "files": files,
        }
        (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        return manifest
    finally:
        engine.dispose()


def verify(src: Path) -> dict[str, Any]:
    """The manifest, after checking the database file and every file against it."""
    manifest_path = src / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{src} holds no {MANIFEST}: not a backup")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')}")
    database = src / str(manifest["database_file"])
    if not database.exists() or sha256_of(database) != manifest["database_sha256"]:
        raise BackupError(f"{database.name} is missing or changed since the backup")
    for name, facts in manifest["files"].items():
        path = src / FILES / name
        if not path.exists() or sha256_of(path) != facts["sha256"]:
            raise BackupError(f"file {name} is missing or changed since the backup")
    return manifest


def _is_empty(place: Place) -> bool:
    if place.blob_dir.exists() and any(p.is_file() for p in place.blob_dir.rglob("*")):
        return False
    if place.is_sqlite:
        return not place.sqlite_path.exists() or place.sqlite_path.stat().st_size == 0
    from store.db import make_engine

    engine = make_engine(place.admin_url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(src: Path, place: Place | None = None) -> dict[str, Any]:
    """Load a backup into the configured, empty database and file store; returns the manifest."""
    place = place or Place.configured()
    manifest = verify(src)
    if not _is_empty(place):
        raise BackupError("the target already holds data: restore only into an empty database and DATA_DIR")
    if (manifest["database"] == "sqlite") != place.is_sqlite:
        raise BackupError(f"a {manifest['database']} backup cannot be restored into {make_url(place.url).drivername}")
    old_keys = _old_key_files(manifest, src)
    # Files first (a row must never point at a missing file), then the database.
    for name in manifest["files"]:
        if not name.startswith(f"{BLOBS}/"):
            continue
        source = src / FILES / name
        target = place.blob_dir / Path(name).relative_to(BLOBS)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        shutil.copy2(source, temporary)
        os.replace(temporary, target)
    for target, content in old_keys.items():
        if not target.exists():
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
    if place.is_sqlite:
        place.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        source_db = sqlite3.connect(str(src / SQLITE_FILE))
        target_db = sqlite3.connect(str(place.sqlite_path))
        try:
            source_db.backup(target_db)
        finally:
            target_db.close()
            source_db.close()
    else:
        conninfo, env = _pg_command(place, admin=True)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={conninfo}",
              str(src / PG_FILE)], env)
        _grant_app_role(place)
    check_restored(manifest, place)
    return manifest


def _grant_app_role(place: Place) -> None:
    """After a restore as the owner: the app's role gets its privileges back (store.db.grant_app_role)."""
    from store.db import app_role, grant_app_role, make_engine

    role = app_role(place.url, place.owner_url) if place.owner_url else None
    if role is None:
        return
    engine = make_engine(place.admin_url)
    try:
        with engine.begin() as connection:
            grant_app_role(connection, role)
    finally:
        engine.dispose()


def check_restored(manifest: dict[str, Any], place: Place) -> None:
    """Row counts as in the manifest, every referenced file present and intact, the audit chain whole."""
    from store.audit import verify_chain

    engine = engine_for(place)
    try:
        counts = table_counts(engine)
        expected = {k: int(v) for k, v in manifest["tables"].items()}
        if place.is_sqlite and counts != expected:
            raise BackupError(f"row counts differ after restore: {counts} != {expected}")
        for table, n in expected.items():
            if counts.get(table, 0) < n:
                raise BackupError(f"table {table}: {counts.get(table, 0)} rows restored, {n} backed up")
        for sha in referenced_blobs(engine):
            path = place.blob_dir / sha[:2] / sha
            if not path.exists() or sha256_of(path) != sha:
                raise BackupError(f"file {sha} is missing or damaged after restore")
        with Session(engine) as session:
            broken = verify_chain(session)
        if broken is not None:
            raise BackupError(f"the audit chain breaks at entry {broken} after restore")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/backup.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup", help="write a backup into a new or empty folder").add_argument("dest", type=Path)
    commands.add_parser("restore", help="restore into the configured, empty database and DATA_DIR") \
        .add_argument("src", type=Path)
    commands.add_parser("verify", help="check a backup's files against its manifest").add_argument("src", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            manifest = backup(args.dest)
            what = "backed up"
        elif args.command == "restore":
            manifest = restore(args.src)
            what = "restored"
        else:
            manifest = verify(args.src)
            what = "verified"
    except BackupError as error:
        print(f"backup.py: {error}", file=sys.stderr)
        return 1
    rows = sum(manifest["tables"].values())
    print(f"{what}: {manifest['database']} database, {len(manifest['tables'])} tables, {rows:,} rows, "
          f"{len(manifest['files']):,} files (schema {manifest['schema_revision'] or '?'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
