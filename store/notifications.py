"""A user's messages about their cases (站内消息): list and count unread (marked read by flows.cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from store.models import Notification


@dataclass(frozen=True)
class Message:
    id: int
    case_id: int | None
    text: str
    created_at: datetime
    read: bool


def _message(row: Notification) -> Message:
    assert row.id is not None
    return Message(id=row.id, case_id=row.case_id, text=row.text, created_at=row.created_at,
                   read=row.read_at is not None)


def unread_count(engine: Engine, *, user_id: int) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
        return int(session.exec(query).one())


def messages(engine: Engine, *, user_id: int, unread_only: bool = False, limit: int = 50) -> list[Message]:
    """The user's messages, newest first."""
    with Session(engine) as session:
        query = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(col(Notification.read_at).is_(None))
        rows = session.exec(query.order_by(col(Notification.id).desc()).limit(limit))
        return [_message(r) for r in rows]
