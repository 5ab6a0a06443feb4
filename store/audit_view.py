"""The auditor's read-only view of the audit log: search by person, subject, action and time; export.

Nothing here changes an entry; the only write is the audit entry that records an export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from flows.clock import CHINA
from flows.oversight.audit_words import action_label, detail_text
from store.models import AuditEntry, Case, User

COLUMNS = ("编号", "时间", "操作人", "登录名", "操作", "对象", "详情")
LIMIT = 2000


@dataclass(frozen=True)
class Filters:
    person: str = ""  # a login or a part of a display name
    subject: str = ""  # a part of the subject: "case:12", "user:3", "feedback"
    actions: tuple[str, ...] = ()
    since: date | None = None  # China dates, both ends included
    until: date | None = None

    def described(self) -> dict[str, Any]:
        """The filters as an export's audit entry records them."""
        return {"person": self.person, "subject": self.subject, "actions": list(self.actions),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def action_names(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(AuditEntry.action).distinct()).all())


def search(engine: Engine, filters: Filters, *, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The entries that match, newest first, as rows of COLUMNS (at most `limit`)."""
    query = select(AuditEntry, User).join(User, col(User.id) == col(AuditEntry.actor_id), isouter=True)
    person = filters.person.strip()
    if person:
        pattern = f"%{_escape_like(person)}%"
        query = query.where(or_(col(User.login) == person, col(User.display_name).like(pattern, escape="\\")))
    subject = filters.subject.strip()
    case_id = None
    if subject and not subject.startswith("case:"):  # a case number (C2026…) stands for its case
        with Session(engine) as session:
            case_id = session.exec(select(Case.id).where(Case.number == subject)).first()
    if case_id is not None:
        query = query.where(col(AuditEntry.subject) == f"case:{case_id}")
    elif subject:
        query = query.where(col(AuditEntry.subject).like(f"%{_escape_like(subject)}%", escape="\\"))
    if filters.actions:
        query = query.where(col(AuditEntry.action).in_(filters.actions))
    if filters.since:
        query = query.where(col(AuditEntry.at) >= datetime.combine(filters.since, time(0), tzinfo=CHINA))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(0), tzinfo=CHINA)
        query = query.where(col(AuditEntry.at) < end)
    rows: list[dict[str, Any]] = []
    with Session(engine) as session:
        found = session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all()
        numbers = _case_numbers(session, [entry.subject for entry, _ in found])
        for entry, user in found:
            rows.append(dict(zip(COLUMNS, (
                entry.id, _china(entry.at), user.display_name if user else ("系统" if entry.actor_id is None else
                                                                     f"用户{entry.actor_id}"),
                user.login if user else "", action_label(entry.action, entry.detail),
                f"{entry.subject}（{numbers[entry.subject]}）" if entry.subject in numbers else entry.subject,
                detail_text(entry.detail)), strict=True)))
    return rows


def _case_numbers(session: Session, subjects: list[str]) -> dict[str, str]:
    """The case number of each `case:<id>` subject that has one (a draft has none)."""
    ids = {int(s[5:]) for s in subjects if s.startswith("case:") and s[5:].isdigit()}
    if not ids:
        return {}
    rows = session.exec(select(Case.id, Case.number).where(col(Case.id).in_(ids))).all()
    return {f"case:{case_id}": number for case_id, number in rows if number}


def _china(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")

