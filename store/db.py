"""The database engine: SQLite file by default, PostgreSQL through DATABASE_URL.

On PostgreSQL the app should not log in as the schema's owner (docs/database-roles.md): DATABASE_URL is
the app's own role, MIGRATION_DATABASE_URL (optional) the owner's, used to migrate and to grant the app
role its privileges — all tables, but only SELECT and INSERT on the audit log.

    python -m store.db migrate        # as MIGRATION_DATABASE_URL (else DATABASE_URL), then grant
    python -m store.db grant ROLE     # the grants alone, to a role named here
    python -m store.db check          # as DATABASE_URL: could this login change the audit log?
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from store.models import json_dumps

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def data_dir() -> Path:
    """Where the SQLite file and the uploaded files live (env DATA_DIR, default data/runtime)."""
    path = Path(os.environ.get("DATA_DIR") or REPO / "data" / "runtime")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """The app's own login (env DATABASE_URL, default the SQLite file in DATA_DIR)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'app.db'}"


def migration_url() -> str:
    """The schema owner's login, for migrations and restores (env MIGRATION_DATABASE_URL, else the app's)."""
    return os.environ.get("MIGRATION_DATABASE_URL") or database_url()


def app_role(url: str | None = None, owner_url: str | None = None) -> str | None:
    """The PostgreSQL role to grant the app's privileges to: the app URL's user (default DATABASE_URL) when
    the owner's URL (default MIGRATION_DATABASE_URL) is set and logs in as someone else; otherwise None
    (one login does everything, nothing to grant)."""
    owner_url = owner_url or os.environ.get("MIGRATION_DATABASE_URL")
    if not owner_url:
        return None
    app, owner = make_url(url or database_url()), make_url(owner_url)
    if app.get_backend_name() != "postgresql" or not app.username or app.username == owner.username:
        return None
    return app.username


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content (an answer before its encryption, a removed row) is zeroed, not left
    # readable in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[2]]
    cursor.close()
    for name in files:  # the file and its WAL are the owner's alone (a file made before umask 077 too)
        for path in (name, f"{name}-wal", f"{name}-shm"):
            try:
                if os.stat(path).st_mode & 0o077:
                    os.chmod(path, 0o600)
            except OSError:
                pass  # not there (yet), or not ours


def _sqlite_begin(connection: Any) -> None:
    # Writers take the lock at the start (see write_session): a deferred transaction that reads,
    # then writes after another commit, fails at once with "database is locked" instead of waiting.
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def write_session(engine: Engine) -> Session:
    """A session for a transaction that will write: on SQLite it queues for the write lock up front."""
    return Session(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL (or the configured one), with SQLite made safe for concurrent use."""
    url = url or database_url()
    if url.startswith("sqlite"):
        if sqlite3.sqlite_version_info < (3, 35):  # acts change a case with UPDATE … RETURNING (store/uow.py)
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old: 3.35 or newer is needed")
        engine = create_engine(url, json_serializer=json_dumps, connect_args={"check_same_thread": False,
                                                                              "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, json_serializer=json_dumps, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine, *, grant_to: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision; on PostgreSQL then grant `grant_to` the app's
    privileges (grant_app_role), in the same transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One migration at a time (replicas starting together): the later one then finds the schema at
            # head, and concurrent GRANTs do not fail with "tuple concurrently updated".
            connection.execute(text("SELECT pg_advisory_xact_lock(724102)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if grant_to and connection.dialect.name == "postgresql":
            grant_app_role(connection, grant_to)


# Tables the app only ever appends to: triggers refuse UPDATE, DELETE and TRUNCATE (migrations 0006,
# 0007) and the app's own PostgreSQL login holds no UPDATE or DELETE on them.
APPEND_ONLY_TABLES = ("auditentry", "caseevent")


def grant_sql(role: str, schema: str = "public", audit_sequence: str = "auditentry_id_seq") -> list[str]:
    """The statements that give `role` what the app needs in `schema` and no more (docs/database-roles.md).

    Every table: SELECT, INSERT, UPDATE, DELETE — except the append-only audit log and case history
    (SELECT, INSERT) and Alembic's version table (SELECT). Every sequence: USAGE, SELECT, UPDATE — the audit log's USAGE, SELECT.
    Tables and sequences the same owner creates later get the general grants by default. Whatever else
    the role held on them is revoked first, so running this again repairs a widened grant. Names are
    quoted here; run it as the tables' owner."""
    role, schema = _quote(role), _quote(schema)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM {role}",
        *(f"REVOKE UPDATE, DELETE ON {schema}.{table} FROM {role}" for table in APPEND_ONLY_TABLES),
        f"REVOKE UPDATE ON SEQUENCE {schema}.{_quote(audit_sequence)} FROM {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_app_role(connection: Connection, role: str) -> None:
    """Apply grant_sql for `role` in the connection's schema (PostgreSQL; run as the tables' owner).

    Idempotent: `migrate` runs it after every upgrade, so tables added by later migrations are covered."""
    if connection.dialect.name != "postgresql":
        raise ValueError("database roles are a PostgreSQL feature; SQLite has none")
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    sequence = connection.execute(text("SELECT pg_get_serial_sequence('auditentry', 'id')")).scalar_one()
    if not schema or not sequence:
        raise RuntimeError("no auditentry table in the current schema: migrate first")
    owner_itself = connection.execute(text("SELECT pg_has_role(:role, current_user, 'MEMBER')"),
                                      {"role": role}).scalar_one()
    if owner_itself:  # and REVOKE ALL would take the owner's own rights away
        raise ValueError(f"{role} is the tables' owner (or a member of it): the app needs a role of its own")
    audit_sequence = str(sequence).rsplit(".", 1)[-1].strip('"')
    for statement in grant_sql(role, str(schema), audit_sequence):
        connection.execute(text(statement))


def audit_log_exposure(engine: Engine) -> list[str]:
    """Why this engine's login could change or remove audit entries or case events; empty when it cannot.

    On SQLite only the triggers are checked (anyone with the file can do anything)."""
    problems = []
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            names = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            for table in APPEND_ONLY_TABLES:
                for name in (f"{table}_no_update", f"{table}_no_delete"):
                    if name not in names:
                        problems.append(f"trigger {name} is missing (migrate)")
            return problems
        for table in APPEND_ONLY_TABLES:
            problems += _pg_table_exposure(connection, table)
    return list(dict.fromkeys(problems))  # "is a superuser" once, not once per table


def _pg_table_exposure(connection: Connection, table: str) -> list[str]:
    problems = []
    row = connection.execute(text(
        "SELECT current_user, r.rolsuper, t.tableowner, pg_has_role(current_user, t.tableowner, 'MEMBER'),"
        " has_table_privilege(quote_ident(t.schemaname) || '.' || quote_ident(t.tablename), 'UPDATE'),"
        " has_table_privilege(quote_ident(t.schemaname) || '.' || quote_ident(t.tablename), 'DELETE'),"
        " has_table_privilege(quote_ident(t.schemaname) || '.' || quote_ident(t.tablename), 'TRUNCATE'),"
        " has_table_privilege(quote_ident(t.schemaname) || '.' || quote_ident(t.tablename), 'TRIGGER')"
        " FROM pg_tables t, pg_roles r WHERE t.tablename = :table"
        " AND t.schemaname = current_schema() AND r.rolname = current_user"), {"table": table}).first()
    if row is None:
        return [f"no {table} table in the current schema (migrate)"]
    user, superuser, owner, member, *rights = row
    if superuser:
        problems.append(f"{user} is a superuser")
    if member:
        problems.append(f"{user} is (or is a member of) {owner}, the owner of {table}: it can drop the "
                        "triggers (docs/database-roles.md: log in as a separate app role)")
    for right, held in zip(("UPDATE", "DELETE", "TRUNCATE", "TRIGGER"), rights, strict=True):
        if held:
            problems.append(f"{user} holds {right} on {table} (python -m store.db grant {user})")
    enabled = set(connection.execute(text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:table)"
        " AND NOT tgisinternal AND tgenabled <> 'D'"), {"table": table}).scalars())
    for name in (f"{table}_no_update_delete", f"{table}_no_truncate"):
        if name not in enabled:
            problems.append(f"trigger {name} is missing or disabled (migrate)")
    return problems


_FIRST_USE = threading.Lock()


@cache
def _migrated_engine() -> Engine:
    engine = make_engine()
    if os.environ.get("MIGRATION_DATABASE_URL"):
        owner = make_engine(migration_url())
        try:
            migrate(owner, grant_to=app_role())
        finally:
            owner.dispose()
    else:
        # At head this only reads alembic_version, which the app role may; a pending migration then fails
        # for want of privileges, as it should: run `python -m store.db migrate` as the owner.
        migrate(engine)
    return engine


def default_engine() -> Engine:
    """The process's engine for the configured database, migrated once.

    Sessions that reconnect together after a restart arrive here at once; Alembic is not
    thread-safe, so the first call is serialised."""
    with _FIRST_USE:
        return _migrated_engine()


default_engine.cache_clear = _migrated_engine.cache_clear  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store.db", description="Schema and database roles.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade to head as MIGRATION_DATABASE_URL (else DATABASE_URL), "
                                        "then grant DATABASE_URL's role its privileges")
    commands.add_parser("grant", help="grant a role the app's privileges, as MIGRATION_DATABASE_URL") \
        .add_argument("role")
    commands.add_parser("check", help="as DATABASE_URL: report whether this login could change the audit log")
    args = parser.parse_args(argv)
    if args.command == "check":
        engine = make_engine()
    else:
        engine = make_engine(migration_url())
    try:
        if args.command == "migrate":
            role = app_role()
            migrate(engine, grant_to=role)
            print(f"migrated to head{f'; granted {role} the app privileges' if role else ''}")
        elif args.command == "grant":
            with engine.begin() as connection:
                grant_app_role(connection, args.role)
            print(f"granted {args.role} the app privileges")
        else:
            problems = audit_log_exposure(engine)
            for problem in problems:
                print(f"audit log or case history exposed: {problem}", file=sys.stderr)
            if problems:
                return 1
            print("audit log and case history protected: " + ("triggers in place (SQLite has no logins: whoever can write the "
                                             "file can change it)" if engine.dialect.name == "sqlite"
                                             else "this login can only read and append"))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
