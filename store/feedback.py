"""Pilot feedback and service ratings: the storage behind flows/oversight/feedback.py (`SqlFeedbackStore`) and the
inbox's queries, which return plain records (`FeedbackRecord`), never table rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, or_
from sqlmodel import Session, col, select

from flows.errors import DomainError
from flows.oversight.feedback import RATINGS, STATUSES, FeedbackRecord, NewFeedback
from flows.regions import get_regions
from store import audit
from store.db import write_session
from store.models import Case, Feedback, Unit, User

__all__ = ["RATINGS", "STATUSES", "FeedbackRecord", "SqlFeedbackStore"]


def record(row: Feedback) -> FeedbackRecord:
    assert row.id is not None
    return FeedbackRecord(id=row.id, created_at=row.created_at, user_id=row.user_id, case_id=row.case_id,
                          page=row.page, step=row.step, kind=row.kind, category=row.category, rating=row.rating,
                          text=row.text, status=row.status, reply=row.reply)


class SqlFeedbackStore:
    """flows.oversight.feedback.FeedbackStore on the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, entry: NewFeedback) -> int:
        if entry.category == "rating":
            assert entry.user_id is not None and entry.case_id is not None and entry.rating is not None
            return add_rating(self.engine, user_id=entry.user_id, case_id=entry.case_id, kind=entry.kind,
                              rating=entry.rating, text=entry.text)
        return add_feedback(self.engine, user_id=entry.user_id, page=entry.page, step=entry.step, kind=entry.kind,
                            text=entry.text, rating=entry.rating, case_id=entry.case_id, category=entry.category)

    def set_status(self, feedback_id: int, *, status: str, reply: str, actor_id: int) -> None:
        triage(self.engine, feedback_id, status=status, reply=reply, actor_id=actor_id)


def add_feedback(engine: Engine, *, user_id: int | None, page: str, step: str, kind: str, text: str,
                 rating: str | None = None, case_id: int | None = None, category: str = "feedback") -> int:
    with write_session(engine) as session:
        row = Feedback(user_id=user_id, page=page[:40], step=step[:80], kind=kind[:1], text=text[:2000],
                       rating=rating, case_id=case_id, category=category)
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.append(session, actor_id=user_id, action=f"add_{category}", subject=f"feedback:{row.id}")
        session.commit()
        return row.id


def list_feedback(engine: Engine, *, category: str | None = None, status: str | None = None,
                  page: str | None = None, rating: str | None = None, user_id: int | None = None,
                  limit: int = 200) -> list[FeedbackRecord]:
    with Session(engine) as session:
        query = select(Feedback).order_by(col(Feedback.id).desc()).limit(limit)
        if category:
            query = query.where(Feedback.category == category)
        if status:
            query = query.where(Feedback.status == status)
        if page:
            query = query.where(Feedback.page == page)
        if rating:
            query = query.where(Feedback.rating == rating)
        if user_id is not None:
            query = query.where(Feedback.user_id == user_id)
        return [record(row) for row in session.exec(query)]


@dataclass(frozen=True)
class InboxItem:
    """One feedback entry as the inbox shows it, with who sent it and the case's number."""

    feedback: FeedbackRecord
    sender: str
    case_number: str


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _sender(name: str | None, unit: str | None, has_user: bool) -> str:
    if not has_user:
        return "未登录访客"
    if name is None:
        return "—"
    return f"{unit}（{name}）" if unit else name


def _about_prefecture(prefecture: str) -> ColumnElement[bool]:
    """Feedback about one prefecture's service: on a case placed there, or sent by one of its officers."""
    regions = get_regions()
    codes = [prefecture, *(c.code for c in regions.counties(prefecture))] if prefecture in regions else [prefecture]
    return or_(col(Case.prefecture_code) == prefecture, col(User.region_code).in_(codes))


def inbox(engine: Engine, *, category: str | None = None, status: str | None = None, page: str | None = None,
          rating: str | None = None, prefecture: str | None = None, number: int = 1,
          per_page: int = 20) -> InboxPage:
    """One page of the inbox, newest first (`prefecture`: only what is about that prefecture's service);
    two queries whatever the page holds."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in ((Feedback.category, category), (Feedback.status, status), (Feedback.page, page),
                          (Feedback.rating, rating)):
        if value:
            conditions.append(col(column) == value)
    if prefecture:
        conditions.append(_about_prefecture(prefecture))

    def joined(query: Any) -> Any:
        return (query.outerjoin(User, col(User.id) == col(Feedback.user_id))
                .outerjoin(Unit, col(Unit.id) == col(User.unit_id))
                .outerjoin(Case, col(Case.id) == col(Feedback.case_id)).where(*conditions))

    with Session(engine) as session:
        total = session.exec(joined(select(func.count()).select_from(Feedback))).one()
        pages = max(1, -(-total // per_page))
        number = min(max(1, number), pages)
        rows = session.exec(
            joined(select(Feedback, User.display_name, Unit.name, Case.number))
            .order_by(col(Feedback.id).desc()).offset((number - 1) * per_page).limit(per_page)).all()
        items = [InboxItem(record(feedback), _sender(name, unit, feedback.user_id is not None),
                           "" if feedback.case_id is None else case_no or f"（草稿{feedback.case_id}）")
                 for feedback, name, unit, case_no in rows]
    return InboxPage(items, total, number, per_page)


def feedback_pages(engine: Engine) -> list[str]:
    """The pages feedback has come from."""
    with Session(engine) as session:
        return sorted(p for p in session.exec(select(Feedback.page).distinct()) if p)


def triage(engine: Engine, feedback_id: int, *, status: str, reply: str, actor_id: int) -> None:
    if status not in STATUSES:
        raise ValueError(status)
    with write_session(engine) as session:
        row = session.get(Feedback, feedback_id)
        if row is None:
            return
        row.status = status
        row.reply = reply[:1000]
        session.add(row)
        audit.append(session, actor_id=actor_id, action="triage", subject=f"feedback:{feedback_id}",
                     detail={"status": status})
        session.commit()


def rating_for_case(engine: Engine, case_id: int) -> FeedbackRecord | None:
    with Session(engine) as session:
        row = session.exec(select(Feedback).where(Feedback.case_id == case_id,
                                                  Feedback.category == "rating")).first()
        return record(row) if row is not None else None


def add_rating(engine: Engine, *, user_id: int, case_id: int, kind: str, rating: str, text: str) -> int:
    """The unit's one rating of an ended case; checked and written in one write transaction."""
    if rating not in RATINGS:
        raise DomainError("请选择评价等级。")
    with write_session(engine) as session:
        exists = session.exec(select(Feedback).where(Feedback.case_id == case_id,
                                                     Feedback.category == "rating")).first()
        if exists is not None:
            raise DomainError("该办件已评价，每个办件只能评价一次。")
        row = Feedback(user_id=user_id, page="my_cases", step="办件评价", kind=kind[:1], text=text[:2000],
                       rating=rating, case_id=case_id, category="rating")
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.append(session, actor_id=user_id, action="add_rating", subject=f"feedback:{row.id}")
        session.commit()
        return row.id
