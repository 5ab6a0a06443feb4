"""The administrator's changes: officer accounts, calendar corrections and province settings.

The rules live here (who may be changed, what a login, an e-mail address, an organ's code may be); each
change is written and audited by an `AdminStore` (store/admin.py `SqlAdminStore`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Protocol

from flows.config import Pilot, get_config
from flows.errors import FieldError, refuse_too_long
from flows.identity.passwords import check_password
from flows.regions import get_regions
from flows.review.screening import NETWORK, SOURCE_LABELS
from flows.review.transitions import Role

OFFICER_LEVEL = {Role.COUNTY: "county", Role.PREFECTURE: "prefecture", Role.PROVINCE: "province"}
_LOGIN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ORGAN_CODE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{1,8}")

NAME_FIELDS = ("province_name", "department", "corps", "prefecture_organ", "prefecture_undertaker", "county_organ",
               "district_organ", "service_hall", "department_code")
ORGAN_FIELDS = ("name", "code", "seal", "undertaker")
SETTING_KEYS = {"names": "config.names", "pilot": "config.pilot", "campaign_deadline": "config.campaign_deadline",
                "organs": "config.organs"}

AUDITOR_MANAGED_ELSEWHERE = "安全审计员账号不由系统管理员管理（三权分立），请由服务器运维人员使用 python -m store.bootstrap 办理。"


class AdminStore(Protocol):
    """Writes the administrator's changes, each with its audit entry."""

    def role_of(self, user_id: int) -> Role | None: ...

    def create_officer(self, *, login: str, display_name: str, role: Role, region_code: str, password: str,
                       actor_id: int | None) -> int: ...

    def set_active(self, user_id: int, active: bool, *, actor_id: int | None) -> None:
        """Raises FieldError when there is no such account; a disabled account's sessions end."""
        ...

    def reset_credentials(self, user_id: int, *, actor_id: int | None) -> str: ...

    def set_email(self, user_id: int, email: str, *, actor_id: int | None) -> None: ...

    def set_calendar_day(self, day: date, *, is_working: bool, note: str, actor_id: int | None) -> int:
        """Returns how many running due dates moved."""
        ...

    def remove_calendar_day(self, day: date, *, actor_id: int | None) -> int: ...

    def set_year_complete(self, year: int, complete: bool, *, actor_id: int | None) -> int: ...

    def organ_settings(self) -> dict[str, dict[str, str]]: ...

    def save_setting(self, key: str, value: Any, *, actor_id: int | None) -> None:
        """Raises ValueError when the configuration with the value laid over it is not valid."""
        ...

    def checked_service_address(self, url: str) -> str:
        """The comparison service's address if the server may send ID numbers there, else `FieldError`."""
        ...

    def set_screening_source(self, source: str, url: str, *, actor_id: int | None) -> None: ...

    def send_pending_messages(self) -> SendRound:
        """One round of the outbox sender, through the channels this server is configured with."""
        ...


class SendRound(Protocol):
    """What one round of the outbox sender did."""

    claimed: int
    sent: int
    retry: int
    failed: int


def send_messages_now(store: AdminStore) -> str:
    """The administrator sends the waiting messages now instead of at the sender's next round; what it did."""
    done = store.send_pending_messages()
    return f"本轮处理{done.claimed}条：发送{done.sent}条，待重试{done.retry}条，失败{done.failed}条。"


# ------------------------------------------------------------------ accounts
def create_officer(store: AdminStore, *, login: str, display_name: str, role: Role, region_code: str,
                   password: str, actor_id: int | None) -> int:
    """An officer bound to a county, a prefecture or the province (the level must match the role); the initial
    password is a one-time one, changed at the first login, then the second factor is enrolled."""
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
    return store.create_officer(login=login, display_name=display_name.strip()[:60], role=role,
                                region_code=region_code, password=password, actor_id=actor_id)


def _not_an_auditor(store: AdminStore, user_id: int) -> None:
    """The administrator cannot take over, silence or disable the security auditor: no reset (which would hand
    the administrator a password for the auditor's account), no disabling, no change of its alert address."""
    if store.role_of(user_id) == Role.AUDITOR:
        raise FieldError(AUDITOR_MANAGED_ELSEWHERE)


def set_active(store: AdminStore, user_id: int, active: bool, *, actor_id: int | None) -> None:
    """Disable (or re-enable) an account; a disabled account cannot log in and its sessions end."""
    if user_id == actor_id and not active:
        raise FieldError("不能停用自己的账号。")
    _not_an_auditor(store, user_id)
    store.set_active(user_id, active, actor_id=actor_id)


def reset_password(store: AdminStore, user_id: int, *, actor_id: int | None) -> str:
    """A one-time password for the account (returned, to hand over), its second factor to enrol again, its
    sessions ended."""
    if user_id == actor_id:
        raise FieldError("不能重置自己的账号，请使用“修改密码”。")
    _not_an_auditor(store, user_id)
    return store.reset_credentials(user_id, actor_id=actor_id)


def set_email(store: AdminStore, user_id: int, email: str, *, actor_id: int | None) -> None:
    """The address notifications are e-mailed to (empty: none)."""
    email = email.strip()
    if email and not _EMAIL.fullmatch(email):
        raise FieldError("电子邮箱格式不正确。", field="email")
    _not_an_auditor(store, user_id)
    store.set_email(user_id, email, actor_id=actor_id)


# ------------------------------------------------------------------ calendar
def set_calendar_day(store: AdminStore, day: date, *, is_working: bool, note: str, actor_id: int | None) -> int:
    """Add or correct one day; every running due date is recomputed. Returns how many due dates moved."""
    return store.set_calendar_day(day, is_working=is_working, note=note.strip()[:100], actor_id=actor_id)


def remove_calendar_day(store: AdminStore, day: date, *, actor_id: int | None) -> int:
    """Drop a correction (the official calendar applies again); due dates are recomputed."""
    return store.remove_calendar_day(day, actor_id=actor_id)


def set_year_complete(store: AdminStore, year: int, complete: bool, *, actor_id: int | None) -> int:
    """Mark a year's schedule as entered in full (its due dates stop being 预计), or not."""
    if not 2000 <= year <= 2100:
        raise FieldError("年份不正确。", field="year")
    return store.set_year_complete(year, complete, actor_id=actor_id)


# ------------------------------------------------------------------ province settings
def set_names(store: AdminStore, names: dict[str, str | None], *, actor_id: int | None) -> None:
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
        store.save_setting(SETTING_KEYS["names"], cleaned, actor_id=actor_id)
    except ValueError as error:
        raise FieldError(f"名称设置无效：{error}") from None


def set_organ(store: AdminStore, region_code: str, values: dict[str, str], *, actor_id: int | None) -> None:
    """Set an organ's name, 机关代字, seal text and handling unit (the province's or a prefecture's); a field
    left empty follows the configuration file. Every document issued afterwards uses them."""
    regions = get_regions()
    if region_code != get_config().province_code and (region_code not in regions
                                                      or regions.get(region_code).level != "prefecture"):
        raise FieldError("请选择公安厅或一个州、市、地。", field="region")
    entry = {key: (values.get(key) or "").strip()[:60] for key in ORGAN_FIELDS}
    if entry["code"] and not _ORGAN_CODE.fullmatch(entry["code"]):
        raise FieldError("机关代字为1至8个汉字或字母数字，如“乌公”。", field="code")
    organs = store.organ_settings()
    organs[region_code] = {k: v for k, v in entry.items() if v}
    try:
        store.save_setting(SETTING_KEYS["organs"], organs, actor_id=actor_id)
    except ValueError as error:
        raise FieldError(f"机关设置无效：{error}") from None


PILOT_NOTICE_MAX = 300


def set_pilot(store: AdminStore, *, start: date, end: date, notice: str, actor_id: int | None) -> None:
    refuse_too_long("试运行提示", notice.strip(), PILOT_NOTICE_MAX, then="保存", field="pilot")
    try:
        Pilot(start=start, end=end, notice=notice.strip())
    except ValueError:
        raise FieldError("试运行结束日期不能早于开始日期。", field="pilot") from None
    store.save_setting(SETTING_KEYS["pilot"], {"start": start.isoformat(), "end": end.isoformat(),
                                               "notice": notice.strip()}, actor_id=actor_id)


def set_campaign_deadline(store: AdminStore, deadline: date, *, actor_id: int | None) -> None:
    store.save_setting(SETTING_KEYS["campaign_deadline"], deadline.isoformat(), actor_id=actor_id)


NETWORK_WITHOUT_ADDRESS = "选择“公安网比对服务”时，请填写比对服务地址。"


def set_screening_source(store: AdminStore, source: str, url: str, *, actor_id: int | None) -> None:
    """Which source the automatic comparison asks, and the police network service's address.

    The address is checked before anything is saved (https, an allowed host, no credentials in it: the
    request carries ID numbers); choosing the network service needs an address, or every comparison would
    end "not done"."""
    if source not in SOURCE_LABELS:
        raise FieldError("请选择比对数据来源。", field="screening_source")
    checked = store.checked_service_address(url) if url.strip() else ""
    if source == NETWORK and not checked:
        raise FieldError(NETWORK_WITHOUT_ADDRESS, field="screening_network_url")
    store.set_screening_source(source, checked, actor_id=actor_id)
