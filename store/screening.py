"""Screening data kept by the product (the embedded source), its imports, and the runs of each case."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, bindparam, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from adapters.screening_http import NetworkSource
from flows.errors import FieldError
from flows.filing.identifiers import check_resident_id
from flows.oversight.tables import ImportReport, Row
from flows.review.screening import (
    CATEGORIES,
    CATEGORY_ALIASES,
    EMBEDDED,
    NETWORK,
    SOURCE_LABELS,
    CategoryResult,
    Outcome,
    ScreeningSource,
    SourceFailed,
)
from flows.review.transitions import FINAL_STAGES, Actor, Role
from store import audit
from store.db import data_dir, write_session
from store.keys import keys_dir, write_new_file
from store.models import Case, ScreeningRun, Setting, WatchlistBatch, WatchlistEntry
from store.queries import visible

CHUNK = 10_000


def secret_key() -> bytes:
    """The HMAC key: env SCREENING_SECRET, else a random key made once in KEYS_DIR (store.keys), outside
    the data and its backups. A key an older version kept in DATA_DIR moves there (the list's hashes need it)."""
    configured = os.environ.get("SCREENING_SECRET")
    if configured:
        return configured.encode("utf-8")
    path = keys_dir() / "screening.key"
    if not path.exists():
        legacy = Path(data_dir()) / "screening.key"
        if legacy.exists():
            write_new_file(path, legacy.read_text())
            legacy.unlink(missing_ok=True)
        else:
            write_new_file(path, secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def id_hash(id_number: str, key: bytes) -> str:
    """Keyed hash of a normalised ID number: the number itself is never stored."""
    return hmac.new(key, id_number.strip().upper().encode("ascii", "replace"), hashlib.sha256).hexdigest()


_LOOKUP = (select(col(WatchlistEntry.category), col(WatchlistEntry.reference))
           .join(WatchlistBatch, col(WatchlistBatch.id) == col(WatchlistEntry.batch_id))
           .where(col(WatchlistEntry.id_hash) == bindparam("digest"), col(WatchlistBatch.active).is_(True)))


@dataclass
class EmbeddedSource:
    """The product's own table, filled by administrators' imports."""

    engine: Engine
    key: bytes
    name: str = SOURCE_LABELS[EMBEDDED]
    categories: tuple[str, ...] = CATEGORIES

    def check(self, id_number: str) -> list[CategoryResult]:
        digest = id_hash(id_number, self.key)
        try:
            # A plain connection and one statement compiled once: no ORM session per lookup.
            with self.engine.connect() as connection:
                rows = connection.execute(_LOOKUP, {"digest": digest}).all()
        except SQLAlchemyError:
            raise SourceFailed("本地比对库查询失败，请检查数据库连接。") from None
        hits = {category: reference for category, reference in rows}
        return [CategoryResult(c, Outcome.HIT if c in hits else Outcome.CLEAR, self.name, reference=hits.get(c, ""))
                for c in self.categories]


def get_setting(engine: Engine, key: str, default: str) -> str:
    with Session(engine) as session:
        row = session.get(Setting, key)
        return str(row.value) if row is not None and row.value is not None else default


def set_setting(engine: Engine, key: str, value: str, *, actor_id: int | None) -> None:
    with write_session(engine) as session:
        row = session.get(Setting, key) or Setting(key=key)
        row.value = value
        session.add(row)
        audit.append(session, actor_id=actor_id, action="setting", subject=key, detail={"value": value})
        session.commit()


def probe_network(engine: Engine, id_number: str) -> list[CategoryResult]:
    """Ask the configured police network service about one (demo) ID number: the administrator's test of the
    connection. Raises SourceFailed (no address saved: the message says so)."""
    url = get_setting(engine, "screening_network_url", "")
    if not url:
        raise SourceFailed("请先填写并保存比对服务地址。")
    return NetworkSource(url).check(id_number)


def configured_sources(engine: Engine) -> list[ScreeningSource]:
    """The sources switched on by the administrator (none when switched off: every category not done)."""
    choice = get_setting(engine, "screening_source", EMBEDDED)
    if choice == EMBEDDED:
        return [EmbeddedSource(engine, secret_key())]
    if choice == NETWORK:
        url = get_setting(engine, "screening_network_url", "")
        return [NetworkSource(url)] if url else []
    return []


COLUMNS = {"id_number": ("身份证号码", "居民身份证号码", "id_number"), "category": ("类别", "category"),
           "reference": ("编号", "记录编号", "reference"), "listed_on": ("日期", "列入日期", "date")}


def _field(record: dict[str, str], name: str) -> str:
    for header in COLUMNS[name]:
        if header in record:
            return record[header]
    return ""


def import_rows(engine: Engine, rows: Iterable[Row], *, name: str, actor_id: int | None,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row; import the good ones (idempotent), list the bad ones with their line numbers."""
    key = secret_key()
    with write_session(engine) as session:
        batch = WatchlistBatch(name=name[:120], imported_by=actor_id)
        session.add(batch)
        session.commit()
        assert batch.id is not None
        report = ImportReport(batch_id=batch.id)
    dialect = engine.dialect.name
    pending: list[dict[str, object]] = []
    seen = 0

    def flush() -> None:
        if not pending:
            return
        statement = (pg_insert(WatchlistEntry) if dialect == "postgresql" else
                     sqlite_insert(WatchlistEntry) if dialect == "sqlite" else insert(WatchlistEntry))
        if dialect in ("postgresql", "sqlite"):
            statement = statement.on_conflict_do_nothing()  # type: ignore[attr-defined]
        with engine.begin() as connection:
            # RETURNING gives back only the rows really inserted (rowcount is unreliable for batches).
            added = len(connection.execute(statement.returning(col(WatchlistEntry.id)), pending).all())
        report.imported += added
        report.already_known += len(pending) - added
        pending.clear()

    for line, record in rows:
        seen += 1
        try:
            number = check_resident_id(_field(record, "id_number")).number
            category = CATEGORY_ALIASES.get(_field(record, "category"))
            if category is None:
                raise FieldError(f"类别“{_field(record, 'category')}”无法识别，应为五类之一（如“网上逃犯”）")
            listed = _field(record, "listed_on")
            listed_on = date.fromisoformat(listed[:10]) if listed else None
        except (FieldError, ValueError) as error:
            message = error.message if isinstance(error, FieldError) else "日期格式应为2026-01-31"
            if len(report.errors) < 1000:
                report.errors.append((line, message))
            continue
        pending.append({"batch_id": report.batch_id, "id_hash": id_hash(number, key), "category": category,
                        "reference": _field(record, "reference")[:60], "listed_on": listed_on})
        if len(pending) >= CHUNK:
            flush()
            if progress:
                progress(seen)
    flush()
    if progress:
        progress(seen)
    with write_session(engine) as session:
        saved = session.get(WatchlistBatch, report.batch_id)
        assert saved is not None
        saved.rows = report.imported
        session.add(saved)
        audit.append(session, actor_id=actor_id, action="screening_import", subject=f"batch:{report.batch_id}",
                     detail={"imported": report.imported, "already_known": report.already_known,
                             "errors": len(report.errors)})
        session.commit()
    return report


def category_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(WatchlistEntry.category, func.count())
            .join(WatchlistBatch, col(WatchlistBatch.id) == col(WatchlistEntry.batch_id))
            .where(col(WatchlistBatch.active).is_(True)).group_by(WatchlistEntry.category)
        ).all()
        return {c: int(n) for c, n in rows}


@dataclass(frozen=True)
class BatchRecord:
    """One imported screening list, as the admin page lists it."""

    id: int
    name: str
    imported_at: datetime
    rows: int
    active: bool


def batches(engine: Engine) -> list[BatchRecord]:
    with Session(engine) as session:
        return [BatchRecord(b.id or 0, b.name, b.imported_at, b.rows, b.active)
                for b in session.exec(select(WatchlistBatch).order_by(col(WatchlistBatch.id).desc()))]


def remove_batch(engine: Engine, batch_id: int, *, actor_id: int | None) -> None:
    """Switch a batch off (its records no longer match); kept for the record."""
    with write_session(engine) as session:
        batch = session.get(WatchlistBatch, batch_id)
        if batch is None:
            return
        batch.active = False
        session.add(batch)
        audit.append(session, actor_id=actor_id, action="screening_remove_batch", subject=f"batch:{batch_id}")
        session.commit()


@dataclass(frozen=True)
class FugitiveAlert:
    """An open case whose latest comparison found the proposed person on the wanted list."""

    case_id: int
    number: str
    unit_name: str
    at: datetime


def fugitive_alerts(engine: Engine, actor: Actor, *, limit: int = 20) -> list[FugitiveAlert]:
    """The open cases in this officer's jurisdiction whose latest comparison is a 网上逃犯 hit (reviewers only)."""
    if actor.role not in (Role.PREFECTURE, Role.PROVINCE):
        return []
    latest = (select(func.max(ScreeningRun.id)).join(Case, col(Case.id) == col(ScreeningRun.case_id))
              .where(visible(actor), col(Case.stage).not_in([s.value for s in FINAL_STAGES]))
              .group_by(col(ScreeningRun.case_id)))
    with Session(engine) as session:
        rows = session.exec(select(Case.id, Case.number, Case.unit_name, ScreeningRun.at)
                            .join(ScreeningRun, col(ScreeningRun.case_id) == col(Case.id))
                            .where(col(ScreeningRun.id).in_(latest), col(ScreeningRun.fugitive_hit).is_(True))
                            .order_by(col(ScreeningRun.at).desc()).limit(limit)).all()
    return [FugitiveAlert(int(case_id or 0), number or "", unit_name, at) for case_id, number, unit_name, at in rows]
