"""The administrator's changes: officer accounts, calendar corrections and province settings; each audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from flows.accounts import check_password
from flows.config import Pilot, ProvinceConfig, get_config
from flows.errors import FieldError
from flows.regions import get_regions
from flows.review import Role
from store import audit
from store.accounts import create_user, hash_password
from store.db import write_session
from store.models import CalendarOverride, Case, ContactAddress, Setting, User, utcnow
from store.uow import load_calendar, recompute_due_dates

OFFICER_LEVEL = {Role.COUNTY: "county", Role.PREFECTURE: "prefecture", Role.PROVINCE: "province"}
_LOGIN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


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
    """Officer and administrator accounts (applicants register themselves)."""
    with Session(engine) as session:
        rows = session.exec(select(User, ContactAddress.email)
                            .join(ContactAddress, col(ContactAddress.user_id) == col(User.id), isouter=True)
                            .where(col(User.role) != Role.APPLICANT).order_by(col(User.role), col(User.login))).all()
        return [AccountRow(u.id or 0, u.login, u.display_name, Role(u.role), u.region_code, u.active, email or "")
                for u, email in rows]


def create_officer(engine: Engine, *, login: str, display_name: str, role: Role, region_code: str,
                   password: str, actor_id: int | None) -> int:
    """An officer bound to a county, a prefecture or the province (the level must match the role)."""
    login = login.strip()
    if not _LOGIN.fullmatch(login):
        raise FieldError("登录名须为3至40位字母、数字或 _ . -。", field="login")
    if not display_name.strip():
        raise FieldError("请填写机关或人员名称。", field="display_name")
    if role not in OFFICER_LEVEL:
        raise FieldError("只能创建县级、州市地或公安厅的民警账号。", field="role")
    regions = get_regions()
    if region_code not in regions:
        raise FieldError("请选择所属行政区划。", field="region")
    if regions.get(region_code).level != OFFICER_LEVEL[role]:
        raise FieldError("所属行政区划与账号级别不一致。", field="region")
    check_password(password)
    return create_user(engine, login=login, password=password, display_name=display_name.strip()[:60],
                       role=role, region_code=region_code, actor_id=actor_id)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise FieldError("账号不存在。")
    return user


def set_active(engine: Engine, user_id: int, active: bool, *, actor_id: int | None) -> None:
    """Disable (or re-enable) an account; a disabled account cannot log in and its sessions end."""
    if user_id == actor_id and not active:
        raise FieldError("不能停用自己的账号。")
    with write_session(engine) as session:
        user = _user(session, user_id)
        user.active = active
        session.add(user)
        audit.append(session, actor_id=actor_id, action="enable_user" if active else "disable_user",
                     subject=f"user:{user_id}")
        session.commit()


def reset_password(engine: Engine, user_id: int, password: str, *, actor_id: int | None) -> None:
    """Set a new password and lift any lock-out."""
    check_password(password)
    with write_session(engine) as session:
        user = _user(session, user_id)
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        session.add(user)
        audit.append(session, actor_id=actor_id, action="reset_password", subject=f"user:{user_id}")
        session.commit()


def set_email(engine: Engine, user_id: int, email: str, *, actor_id: int | None) -> None:
    """The address notifications are e-mailed to (empty: none)."""
    email = email.strip()
    if email and not _EMAIL.fullmatch(email):
        raise FieldError("电子邮箱格式不正确。", field="email")
    with write_session(engine) as session:
        _user(session, user_id)
        row = session.get(ContactAddress, user_id) or ContactAddress(user_id=user_id)
        row.email = email
        row.updated_at = utcnow()
        session.add(row)
        audit.append(session, actor_id=actor_id, action="set_email", subject=f"user:{user_id}",
                     detail={"set": bool(email)})
        session.commit()


# ------------------------------------------------------------------ calendar
def calendar_overrides(engine: Engine) -> list[CalendarOverride]:
    with Session(engine) as session:
        return list(session.exec(select(CalendarOverride).order_by(col(CalendarOverride.day))))


def set_calendar_day(engine: Engine, day: date, *, is_working: bool, note: str, actor_id: int | None) -> int:
    """Add or correct one day; every running due date is recomputed. Returns how many due dates moved."""
    with write_session(engine) as session:
        existing = session.get(CalendarOverride, day)
        before = existing.is_working if existing is not None else None
        row = existing or CalendarOverride(day=day, is_working=is_working)
        row.is_working = is_working
        row.note = note.strip()[:100]
        row.updated_by = actor_id
        row.updated_at = utcnow()
        session.add(row)
        audit.append(session, actor_id=actor_id, action="calendar_day", subject=f"day:{day.isoformat()}",
                     detail={"working": is_working, "before": before, "note": row.note})
        session.commit()
    return recompute_due_dates(engine)


def remove_calendar_day(engine: Engine, day: date, *, actor_id: int | None) -> int:
    """Drop a correction (the official calendar applies again); due dates are recomputed."""
    with write_session(engine) as session:
        row = session.get(CalendarOverride, day)
        if row is None:
            return 0
        session.delete(row)
        audit.append(session, actor_id=actor_id, action="calendar_day_removed", subject=f"day:{day.isoformat()}",
                     detail={"working": row.is_working})
        session.commit()
    return recompute_due_dates(engine)


def calendar_gaps(engine: Engine, today: date) -> list[int]:
    """Years without an official schedule in which a running due date falls (from this year on)."""
    with Session(engine) as session:
        calendar = load_calendar(session)
        latest = session.exec(select(func.max(Case.due_on)).where(col(Case.due_on).is_not(None))).one()
    if latest is None or latest.year < today.year:
        return []
    return calendar.missing_years(date(today.year, 1, 1), latest)


# ------------------------------------------------------------------ province settings
NAME_FIELDS = ("province_name", "department", "corps", "prefecture_organ", "county_organ", "district_organ",
               "service_hall")
SETTING_KEYS = {"names": "config.names", "pilot": "config.pilot", "campaign_deadline": "config.campaign_deadline"}


def _overrides(session: Session) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for row in session.exec(select(Setting).where(col(Setting.key).in_(list(SETTING_KEYS.values())))):
        if row.key == SETTING_KEYS["names"] and isinstance(row.value, dict):
            found.update({k: v for k, v in row.value.items() if k in NAME_FIELDS})
        elif row.key == SETTING_KEYS["pilot"] and isinstance(row.value, dict):
            found["pilot"] = row.value
        elif row.key == SETTING_KEYS["campaign_deadline"] and row.value:
            found["campaign_deadline"] = row.value
    return found


def config_overrides(engine: Engine) -> dict[str, Any]:
    """The administrator's settings, as fields of the province configuration."""
    with Session(engine) as session:
        return _overrides(session)


def merged_config(base: ProvinceConfig, overrides: dict[str, Any]) -> ProvinceConfig:
    """The configuration file with the administrator's settings on top (validated as a whole)."""
    data = base.model_dump()
    data.update(overrides)
    return ProvinceConfig.model_validate(data)


def effective_config(engine: Engine) -> ProvinceConfig:
    return merged_config(get_config(), config_overrides(engine))


def _save(engine: Engine, key: str, value: Any, *, actor_id: int | None) -> None:
    with write_session(engine) as session:
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
    return {"campaign_deadline": value}


def set_names(engine: Engine, names: dict[str, str | None], *, actor_id: int | None) -> None:
    """Override the province's and organs' names (templates may use {name}, {prefecture}, {full_name})."""
    cleaned: dict[str, str | None] = {}
    for key, value in names.items():
        if key not in NAME_FIELDS:
            raise FieldError(f"未知的名称项：{key}")
        text = (value or "").strip()
        if not text and key != "district_organ":
            raise FieldError("名称不能为空。", field=key)
        cleaned[key] = text or None
    try:
        _save(engine, SETTING_KEYS["names"], cleaned, actor_id=actor_id)
    except ValueError as error:
        raise FieldError(f"名称设置无效：{error}") from None


def set_pilot(engine: Engine, *, start: date, end: date, notice: str, actor_id: int | None) -> None:
    try:
        Pilot(start=start, end=end, notice=notice.strip())
    except ValueError:
        raise FieldError("试运行结束日期不能早于开始日期。", field="pilot") from None
    _save(engine, SETTING_KEYS["pilot"], {"start": start.isoformat(), "end": end.isoformat(),
                                          "notice": notice.strip()[:300]}, actor_id=actor_id)


def set_campaign_deadline(engine: Engine, deadline: date, *, actor_id: int | None) -> None:
    _save(engine, SETTING_KEYS["campaign_deadline"], deadline.isoformat(), actor_id=actor_id)
