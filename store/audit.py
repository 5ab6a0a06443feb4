"""Append-only, hash-chained audit log: each entry's hash covers the previous one."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from store.models import AuditEntry, utcnow

GENESIS = "0" * 64


def _digest(entry: AuditEntry) -> str:
    # Sorted keys: PostgreSQL's JSONB does not keep the order the detail was written in.
    payload = json.dumps([entry.prev_hash, entry.at.isoformat(), entry.actor_id, entry.action, entry.subject,
                          entry.detail], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(session: Session, *, actor_id: int | None, action: str, subject: str,
           detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add an entry chained to the last one; never log personal data in clear (callers mask it)."""
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; the lock ends with the transaction.
        session.execute(text("SELECT pg_advisory_xact_lock(724101)"))
    last = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)).first()
    entry = AuditEntry(at=utcnow(), actor_id=actor_id, action=action, subject=subject, detail=detail or {},
                       prev_hash=last.hash if last else GENESIS, hash="")
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> int | None:
    """The id of the first entry that breaks the chain, or None if the whole log verifies."""
    previous = GENESIS
    for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
        if entry.prev_hash != previous or _digest(entry) != entry.hash:
            return entry.id
        previous = entry.hash
    return None
