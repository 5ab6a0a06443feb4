"""The database engine: SQLite file by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from store.models import json_dumps

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def data_dir() -> Path:
    """Where the SQLite file and the uploaded files live (env DATA_DIR, default data/runtime)."""
    path = Path(os.environ.get("DATA_DIR") or REPO / "data" / "runtime")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'app.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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
        engine = create_engine(url, json_serializer=json_dumps, connect_args={"check_same_thread": False,
                                                                              "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, json_serializer=json_dumps, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_FIRST_USE = threading.Lock()


@cache
def _migrated_engine() -> Engine:
    engine = make_engine()
    migrate(engine)
    return engine


def default_engine() -> Engine:
    """The process's engine for the configured database, migrated once.

    Sessions that reconnect together after a restart arrive here at once; Alembic is not
    thread-safe, so the first call is serialised."""
    with _FIRST_USE:
        return _migrated_engine()


default_engine.cache_clear = _migrated_engine.cache_clear  # type: ignore[attr-defined]
