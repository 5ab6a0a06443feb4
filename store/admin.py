"""The administrator's changes: officer accounts, calendar corrections and province settings; each audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from flows.config import Pilot, ProvinceConfig, get_config, with_overrides
from flows.errors import FieldError
from flows.identity.login import reset_credentials
from flows.identity.passwords import check_password
from flows.regions import get_regions
from flows.review import Role
from store import audit
from store.accounts import HASHER, create_user
from store.db import write_session
from store.identity import SqlIdentityStore
from store.models import CalendarOverride, Case, ContactAddress, Setting, User, utcnow
from store.uow import COMPLETE_YEARS_KEY, load_calendar, recompute_due_dates

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
    """Officer and administrator accounts (applicants register themselves; auditors are not the
    administrator's: separation of duties, see `_not_an_auditor`)."""
    with Session(engine) as session:
        rows = session.exec(select(User, ContactAddress.email)
                            .join(ContactAddress, col(ContactAddress.user_id) == col(User.id), isouter=True)
                            .where(col(User.role).notin_([Role.APPLICANT, Role.AUDITOR])).order_by(col(User.role), col(User.login))).all()
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
    check_password(password, personal=[login])
    # The initial password is a one-time one: changed at the first login, then the second factor is enrolled.
    return create_user(engine, login=login, password=password, display_name=display_name.strip()[:60],
                       role=role, region_code=region_code, actor_id=actor_id, must_change_password=True)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise FieldError("账号不存在。")
    return user


AUDITOR_MANAGED_ELSEWHERE = "安全审计员账号不由系统管理员管理（三权分立），请由服务器运维人员使用 python -m store.bootstrap 办理。"


def _not_an_auditor(engine: Engine, user_id: int) -> None:
    """The administrator cannot take over, silence or disable the security auditor: no reset (which would hand
    the administrator a password for the auditor's account), no disabling, no change of its alert address."""
    with Session(engine) as session:
        user = session.get(User, user_id)
        if user is not None and user.role == Role.AUDITOR:
            raise FieldError(AUDITOR_MANAGED_ELSEWHERE)


def set_active(engine: Engine, user_id: int, active: bool, *, actor_id: int | None) -> None:
    """Disable (or re-enable) an account; a disabled account cannot log in and its sessions end."""
    if user_id == actor_id and not active:
        raise FieldError("不能停用自己的账号。")
    _not_an_auditor(engine, user_id)
    with SqlIdentityStore(engine) as store:
        if store.user(user_id) is None:
            raise FieldError("账号不存在。")
        store.update_user(user_id, active=active)
        if not active:
            store.end_sessions_of(user_id)
        store.audit(actor_id=actor_id, action="enable_user" if active else "disable_user", subject=f"user:{user_id}")
        store.commit()


def reset_password(engine: Engine, user_id: int, *, actor_id: int | None) -> str:
    """A one-time password for the account (returned, to hand over), its second factor to enrol again, its
    sessions ended (flows.identity.login.reset_credentials)."""
    if user_id == actor_id:
        raise FieldError("不能重置自己的账号，请使用“修改密码”。")
    _not_an_auditor(engine, user_id)
    return reset_credentials(SqlIdentityStore(engine), HASHER, user_id, actor_id=actor_id)


def set_email(engine: Engine, user_id: int, email: str, *, actor_id: int | None) -> None:
    """The address notifications are e-mailed to (empty: none)."""
    email = email.strip()
    if email and not _EMAIL.fullmatch(email):
        raise FieldError("电子邮箱格式不正确。", field="email")
    _not_an_auditor(engine, user_id)
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


def complete_years(engine: Engine) -> list[int]:
    """Years (not covered by the calendar package) whose schedule an administrator marked complete."""
    with Session(engine) as session:
        return sorted(load_calendar(session).complete_years)


def set_year_complete(engine: Engine, year: int, complete: bool, *, actor_id: int | None) -> int:
    """Mark a year's schedule as entered in full (its due dates stop being 预计), or not; audited.

    Returns how many running due dates moved (none should: only the 预计 mark changes)."""
    if not 2000 <= year <= 2100:
        raise FieldError("年份不正确。", field="year")
    with write_session(engine) as session:
        row = session.get(Setting, COMPLETE_YEARS_KEY) or Setting(key=COMPLETE_YEARS_KEY, value=[])
        before = sorted(int(y) for y in (row.value or []))
        after = sorted(set(before) | {year}) if complete else [y for y in before if y != year]
        row.value = after
        row.updated_at = utcnow()
        session.add(row)
        audit.append(session, actor_id=actor_id, action="calendar_year", subject=f"year:{year}",
                      detail={"complete": complete, "before": before})
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
NAME_FIELDS = ("province_name", "department", "corps", "prefecture_organ", "prefecture_undertaker", "county_organ",
               "district_organ", "service_hall", "department_code")
ORGAN_FIELDS = ("name", "code", "seal", "undertaker")
SETTING_KEYS = {"names": "config.names", "pilot": "config.pilot", "campaign_deadline": "config.campaign_deadline",
                "organs": "config.organs"}


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
    if key == SETTING_KEYS["organs"]:
        return {"organs": value}
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


def set_organ(engine: Engine, region_code: str, values: dict[str, str], *, actor_id: int | None) -> None:
    """Set an organ's name, 机关代字, seal text and handling unit (the province's or a prefecture's); a field
    left empty follows the configuration file. Every document issued afterwards uses them; audited."""
    regions = get_regions()
    config = get_config()
    if region_code != config.province_code and (region_code not in regions
                                                or regions.get(region_code).level != "prefecture"):
        raise FieldError("请选择公安厅或一个州、市、地。", field="region")
    entry = {key: (values.get(key) or "").strip()[:60] for key in ORGAN_FIELDS}
    if entry["code"] and not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]{1,8}", entry["code"]):
        raise FieldError("机关代字为1至8个汉字或字母数字，如“乌公”。", field="code")
    with Session(engine) as session:
        row = session.get(Setting, SETTING_KEYS["organs"])
        current = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    current[region_code] = {k: v for k, v in entry.items() if v}
    try:
        _save(engine, SETTING_KEYS["organs"], current, actor_id=actor_id)
    except ValueError as error:
        raise FieldError(f"机关设置无效：{error}") from None


def set_pilot(engine: Engine, *, start: date, end: date, notice: str, actor_id: int | None) -> None:
    try:
        Pilot(start=start, end=end, notice=notice.strip())
    except ValueError:
        raise FieldError("试运行结束日期不能早于开始日期。", field="pilot") from None
    _save(engine, SETTING_KEYS["pilot"], {"start": start.isoformat(), "end": end.isoformat(),
                                          "notice": notice.strip()[:300]}, actor_id=actor_id)


def set_campaign_deadline(engine: Engine, deadline: date, *, actor_id: int | None) -> None:
    _save(engine, SETTING_KEYS["campaign_deadline"], deadline.isoformat(), actor_id=actor_id)
