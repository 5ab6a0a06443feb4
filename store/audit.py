"""Append-only, hash-chained audit log: each entry's hash covers the previous one."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from store.models import AuditEntry, utcnow

GENESIS = "0" * 64
# One statement, compiled once; the values come as parameters.
_INSERT = insert(AuditEntry.__table__)  # type: ignore[attr-defined]
_LAST_HASH = select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)


def _digest(prev_hash: str, at: datetime, actor_id: int | None, action: str, subject: str,
            detail: dict[str, Any]) -> str:
    # Sorted keys: PostgreSQL's JSONB does not keep the order the detail was written in.
    payload = json.dumps([prev_hash, at.isoformat(), actor_id, action, subject, detail], sort_keys=True,
                         ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(session: Session, *, actor_id: int | None, action: str, subject: str,
           detail: dict[str, Any] | None = None) -> str:
    """Add an entry chained to the last one and return its hash; never log personal data in clear
    (callers mask it). Written with a plain INSERT: an audit entry is never read back or changed."""
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; the lock ends with the transaction.
        session.execute(text("SELECT pg_advisory_xact_lock(724101)"))
    connection = session.connection()
    prev_hash = connection.execute(_LAST_HASH).scalar() or GENESIS
    at, detail = utcnow(), detail or {}
    digest = _digest(prev_hash, at, actor_id, action, subject, detail)
    connection.execute(_INSERT, {"at": at, "actor_id": actor_id, "action": action, "subject": subject,
                                           "detail": detail, "prev_hash": prev_hash, "hash": digest})
    return digest


def verify_chain(session: Session) -> int | None:
    """The id of the first entry that breaks the chain, or None if the whole log verifies."""
    previous = GENESIS
    for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
        if entry.prev_hash != previous or _digest(entry.prev_hash, entry.at, entry.actor_id, entry.action,
                                                  entry.subject, entry.detail) != entry.hash:
            return entry.id
        previous = entry.hash
    return None
