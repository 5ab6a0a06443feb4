"""The administrator's changes as storage: `SqlAdminStore` writes and audits what flows/oversight/admin.py decided;
the admin page's queries (staff, calendar corrections, settings) return plain records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from adapters.screening_http import Transport, check_address
from flows.config import ProvinceConfig, get_config, with_overrides
from flows.errors import FieldError
from flows.identity.login import reset_credentials
from flows.oversight.admin import NAME_FIELDS, SETTING_KEYS
from flows.review.transitions import Role
from store import audit, screening
from store.accounts import HASHER, create_user
from store.db import write_session
from store.identity import SqlIdentityStore
from store.models import CalendarOverride, Case, ContactAddress, Setting, User, utcnow
from store.outbox import RunReport, channels_from_env, send_pending
from store.uow import COMPLETE_YEARS_KEY, load_calendar, recompute_due_dates


# ------------------------------------------------------------------ accounts
@dataclass(frozen=True)
class AccountRow:
    user_id: int
    login: str
    display_name: str
    role: Role
    region_code: str | None
    active: bool
    email: str


def list_staff(engine: Engine) -> list[AccountRow]:
    """Officer and administrator accounts (applicants register themselves; auditors are not the
    administrator's: separation of duties, see `_not_an_auditor`)."""
    with Session(engine) as session:
        rows = session.exec(select(User, ContactAddress.email)
                            .join(ContactAddress, col(ContactAddress.user_id) == col(User.id), isouter=True)
                            .where(col(User.role).notin_([Role.APPLICANT, Role.AUDITOR])).order_by(col(User.role), col(User.login))).all()
        return [AccountRow(u.id or 0, u.login, u.display_name, Role(u.role), u.region_code, u.active, email or "")
                for u, email in rows]


# ------------------------------------------------------------------ calendar
@dataclass(frozen=True)
class CalendarDay:
    """An administrator's correction of the official calendar, as the admin page lists it."""

    day: date
    is_working: bool
    note: str
    updated_at: datetime


def calendar_overrides(engine: Engine) -> list[CalendarDay]:
    with Session(engine) as session:
        return [CalendarDay(row.day, row.is_working, row.note, row.updated_at)
                for row in session.exec(select(CalendarOverride).order_by(col(CalendarOverride.day)))]


def complete_years(engine: Engine) -> list[int]:
    """Years (not covered by the calendar package) whose schedule an administrator marked complete."""
    with Session(engine) as session:
        return sorted(load_calendar(session).complete_years)


def calendar_gaps(engine: Engine, today: date) -> list[int]:
    """Years without an official schedule in which a running due date falls (from this year on)."""
    with Session(engine) as session:
        calendar = load_calendar(session)
        latest = session.exec(select(func.max(Case.due_on)).where(col(Case.due_on).is_not(None))).one()
    if latest is None or latest.year < today.year:
        return []
    return calendar.missing_years(date(today.year, 1, 1), latest)


# ------------------------------------------------------------------ province settings


def _overrides(session: Session) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for row in session.exec(select(Setting).where(col(Setting.key).in_(list(SETTING_KEYS.values())))):
        if row.key == SETTING_KEYS["names"] and isinstance(row.value, dict):
            found.update({k: v for k, v in row.value.items() if k in NAME_FIELDS})
        elif row.key == SETTING_KEYS["pilot"] and isinstance(row.value, dict):
            found["pilot"] = row.value
        elif row.key == SETTING_KEYS["campaign_deadline"] and row.value:
            found["campaign_deadline"] = row.value
        elif row.key == SETTING_KEYS["organs"] and isinstance(row.value, dict):
            found["organs"] = row.value
    return found


def config_overrides(engine: Engine) -> dict[str, Any]:
    """The administrator's settings, as fields of the province configuration."""
    with Session(engine) as session:
        return _overrides(session)


def merged_config(base: ProvinceConfig, overrides: dict[str, Any]) -> ProvinceConfig:
    """The configuration file with the administrator's settings on top (validated as a whole)."""
    return with_overrides(base, overrides)


def effective_config(engine: Engine) -> ProvinceConfig:
    return merged_config(get_config(), config_overrides(engine))


# ------------------------------------------------------------------ the writes (flows.oversight.admin.AdminStore)
class SqlAdminStore:
    """flows.oversight.admin.AdminStore on the database: each change written with its audit entry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def checked_service_address(self, url: str) -> str:
        return check_address(url, Transport.from_environment())

    def send_pending_messages(self) -> RunReport:
        return send_pending(self.engine, channels_from_env())

    def set_screening_source(self, source: str, url: str, *, actor_id: int | None) -> None:
        screening.set_setting(self.engine, "screening_source", source, actor_id=actor_id)
        screening.set_setting(self.engine, "screening_network_url", url, actor_id=actor_id)

    def role_of(self, user_id: int) -> Role | None:
        with Session(self.engine) as session:
            user = session.get(User, user_id)
            return Role(user.role) if user is not None else None

    def create_officer(self, *, login: str, display_name: str, role: Role, region_code: str, password: str,
                       actor_id: int | None) -> int:
        return create_user(self.engine, login=login, password=password, display_name=display_name, role=role,
                           region_code=region_code, actor_id=actor_id, must_change_password=True)

    def set_active(self, user_id: int, active: bool, *, actor_id: int | None) -> None:
        with SqlIdentityStore(self.engine) as store:
            if store.user(user_id) is None:
                raise FieldError("账号不存在。")
            store.update_user(user_id, active=active)
            if not active:
                store.end_sessions_of(user_id)
            store.audit(actor_id=actor_id, action="enable_user" if active else "disable_user",
                        subject=f"user:{user_id}")
            store.commit()

    def reset_credentials(self, user_id: int, *, actor_id: int | None) -> str:
        return reset_credentials(SqlIdentityStore(self.engine), HASHER, user_id, actor_id=actor_id)

    def set_email(self, user_id: int, email: str, *, actor_id: int | None) -> None:
        with write_session(self.engine) as session:
            if session.get(User, user_id) is None:
                raise FieldError("账号不存在。")
            row = session.get(ContactAddress, user_id) or ContactAddress(user_id=user_id)
            row.email = email
            row.updated_at = utcnow()
            session.add(row)
            audit.append(session, actor_id=actor_id, action="set_email", subject=f"user:{user_id}",
                         detail={"set": bool(email)})
            session.commit()

    def set_calendar_day(self, day: date, *, is_working: bool, note: str, actor_id: int | None) -> int:
        with write_session(self.engine) as session:
            existing = session.get(CalendarOverride, day)
            before = existing.is_working if existing is not None else None
            row = existing or CalendarOverride(day=day, is_working=is_working)
            row.is_working = is_working
            row.note = note[:100]
            row.updated_by = actor_id
            row.updated_at = utcnow()
            session.add(row)
            audit.append(session, actor_id=actor_id, action="calendar_day", subject=f"day:{day.isoformat()}",
                         detail={"working": is_working, "before": before, "note": row.note})
            session.commit()
        return recompute_due_dates(self.engine)

    def remove_calendar_day(self, day: date, *, actor_id: int | None) -> int:
        with write_session(self.engine) as session:
            row = session.get(CalendarOverride, day)
            if row is None:
                return 0
            session.delete(row)
            audit.append(session, actor_id=actor_id, action="calendar_day_removed",
                         subject=f"day:{day.isoformat()}", detail={"working": row.is_working})
            session.commit()
        return recompute_due_dates(self.engine)

    def set_year_complete(self, year: int, complete: bool, *, actor_id: int | None) -> int:
        with write_session(self.engine) as session:
            row = session.get(Setting, COMPLETE_YEARS_KEY) or Setting(key=COMPLETE_YEARS_KEY, value=[])
            before = sorted(int(y) for y in (row.value or []))
            after = sorted(set(before) | {year}) if complete else [y for y in before if y != year]
            row.value = after
            row.updated_at = utcnow()
            session.add(row)
            audit.append(session, actor_id=actor_id, action="calendar_year", subject=f"year:{year}",
                         detail={"complete": complete, "before": before})
            session.commit()
        return recompute_due_dates(self.engine)

    def organ_settings(self) -> dict[str, dict[str, str]]:
        with Session(self.engine) as session:
            row = session.get(Setting, SETTING_KEYS["organs"])
            return dict(row.value) if row is not None and isinstance(row.value, dict) else {}

    def save_setting(self, key: str, value: Any, *, actor_id: int | None) -> None:
        with write_session(self.engine) as session:
            row = session.get(Setting, key) or Setting(key=key)
            before = row.value
            merged = merged_config(get_config(), {**_overrides(session), **_as_fields(key, value)})
            del merged  # validated: a bad value raises before anything is written
            row.value = value
            row.updated_at = utcnow()
            session.add(row)
            audit.append(session, actor_id=actor_id, action="setting", subject=key,
                         detail={"before": before, "after": value})
            session.commit()


def _as_fields(key: str, value: Any) -> dict[str, Any]:
    if key == SETTING_KEYS["names"]:
        return dict(value)
    if key == SETTING_KEYS["pilot"]:
        return {"pilot": value}
    if key == SETTING_KEYS["organs"]:
        return {"organs": value}
    return {"campaign_deadline": value}
