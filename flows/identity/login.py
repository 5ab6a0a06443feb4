"""Logging in: one answer for every failure, the same argon2 work on every path, growing delays instead of
locks, and a second factor for everyone but applicants.

`log_in` checks, in this order and inside one transaction:
1. the throttles (throttle.py): while one is running nothing else is looked at, whoever the login names;
2. whether the login names an active account of a role this portal admits — and whatever the answer,
3. exactly one argon2 verification: of the account's hash, or of a dummy hash made with the same parameters
   (an unknown login, a disabled account and a role the portal refuses cost the same time and read the same);
4. for officers and administrators, the TOTP code or a recovery code (no code yet: enrolment comes next).
A failure at 2, 3 or 4 is answered with the same sentence and counted on the same throttles; only an
admitted account's own counter moves, so the internet portal cannot wear down an officer's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows import clock
from flows.errors import DomainError, FieldError
from flows.identity import passwords, totp
from flows.identity.ports import IdentityStore, PasswordHasher, UserRecord
from flows.identity.throttle import after_failure, login_keys, wait_seconds
from flows.review.transitions import Role

# Everyone but applicants logs in with a second factor (GB/T 22239 level 3: two factors for privileged users).
SECOND_FACTOR_ROLES = frozenset(set(Role) - {Role.APPLICANT})
FAILED = "登录名或密码不正确。"
FAILED_WITH_CODE = "登录名、密码或动态验证码不正确。"
NOTIFY_AT = 5  # failures in a row after which (and every 10 more) the owner is told


class LoginRefused(DomainError):
    """Any failed login: the same words whatever went wrong."""


class LoginThrottled(DomainError):
    def __init__(self, seconds: int) -> None:
        wait = f"{seconds}秒" if seconds < 120 else f"{(seconds + 59) // 60}分钟"
        super().__init__(f"登录尝试过于频繁，请{wait}后再试。")
        self.seconds = seconds


class Next(StrEnum):
    """What the person must do before the login becomes a session."""

    DONE = "done"
    CHANGE_PASSWORD = "change_password"
    ENROL_TOTP = "enrol_totp"


@dataclass(frozen=True)
class LoginResult:
    user_id: int
    next: Next
    second_factor: bool


def failure_message(admitted_roles: frozenset[Role], login: str = "") -> str:
    """The one sentence a portal answers every failed login with. A login of digits is a mobile number, an
    applicant's (staff logins are names): no second factor is asked of it, so none is named. Told by what was
    typed, never by whether the account exists."""
    if login.strip().isdigit():
        return FAILED
    return FAILED_WITH_CODE if admitted_roles & SECOND_FACTOR_ROLES else FAILED


def next_step(user: UserRecord, now: datetime) -> Next:
    staff = user.role in SECOND_FACTOR_ROLES
    if user.must_change_password or (staff and passwords.password_expired(user.password_changed_at, now)):
        return Next.CHANGE_PASSWORD
    if staff and not user.totp_secret:
        return Next.ENROL_TOTP
    return Next.DONE


def step_after_password(store: IdentityStore, user_id: int, *, now: datetime | None = None) -> Next | None:
    """What a checked login still needs now (None: the account is gone or disabled meanwhile)."""
    with store:
        user = store.user(user_id)
    if user is None or not user.active:
        return None
    return next_step(user, now or clock.now())


def regenerate_recovery_codes(store: IdentityStore, user_id: int, *, now: datetime | None = None) -> list[str]:
    """New recovery codes (the unused old ones stop working); returned to show once."""
    now = now or clock.now()
    codes = totp.new_recovery_codes()
    with store:
        user = store.user(user_id)
        if user is None or not user.totp_secret:
            raise DomainError("此账号未绑定动态口令。")
        store.replace_recovery_codes(user_id, [totp.recovery_hash(c) for c in codes], now)
        store.audit(actor_id=user_id, action="recovery_codes_renewed", subject=f"user:{user_id}")
        store.commit()
    return codes


def _second_factor(store: IdentityStore, user: UserRecord, code: str, now: datetime) -> bool:
    """A TOTP code of a step not used before, or an unused recovery code (used up by this)."""
    assert user.totp_secret is not None
    step = totp.accepted_step(user.totp_secret, code, last_step=user.totp_last_step, now=now)
    if step is not None:
        store.update_user(user.id, totp_last_step=step)
        return True
    if totp.looks_like_recovery_code(code):
        code_id = store.recovery_code_ids(user.id).get(totp.recovery_hash(code))
        if code_id is not None and store.use_recovery_code(code_id, now):
            store.audit(actor_id=user.id, action="recovery_code_used", subject=f"user:{user.id}")
            return True
    return False


def log_in(store: IdentityStore, hasher: PasswordHasher, *, login: str, password: str, code: str = "",
           admitted_roles: frozenset[Role], scope: str, address: str, now: datetime | None = None) -> LoginResult:
    """Check a login (see the module's docstring); LoginRefused or LoginThrottled when it fails."""
    now = now or clock.now()
    name = login.strip()
    keys = login_keys(scope, name, address)
    with store:
        states = {key: store.throttle(key) for key in keys}
        wait = max(wait_seconds(state, now) for state in states.values())
        if wait:
            store.audit(actor_id=None, action="login_throttled", subject="login", detail={"address": address,
                                                                                           "portal": scope})
            store.commit()
            raise LoginThrottled(wait)
        user = store.user_by_login(name) if 0 < len(name) <= 40 else None
        admitted = user is not None and user.active and user.role in admitted_roles
        checked = user.password_hash if admitted and user is not None else hasher.dummy_hash
        ok = hasher.verify(checked, password) and admitted  # one argon2 verification, whoever it is
        second = False
        if ok and user is not None and user.role in SECOND_FACTOR_ROLES and user.totp_secret:
            second = _second_factor(store, user, code, now)
            ok = second
        if not ok or user is None:
            for key, limits in keys.items():
                store.save_throttle(after_failure(states[key], key, limits, now))
            if admitted and user is not None:
                _count_failure(store, user, now)
            refused_role = user is not None and user.active and not admitted
            store.audit(actor_id=None, action="portal_refused" if refused_role else "login_failed",
                        subject=f"user:{user.id}" if user is not None else "login:unknown",
                        detail={"address": address, "portal": scope})
            store.commit()
            raise LoginRefused(failure_message(admitted_roles, name))
        for key in keys:
            if not key.startswith("address:"):
                store.clear_throttle(key)
        changes: dict[str, object] = {"failed_logins": 0}
        if hasher.needs_rehash(user.password_hash):
            changes["password_hash"] = hasher.hash(password)
        store.update_user(user.id, **changes)
        step = next_step(user, now)
        store.audit(actor_id=user.id, action="login_checked", subject=f"user:{user.id}",
                    detail={"address": address, "portal": scope, "second_factor": second, "next": str(step)})
        store.commit()
        return LoginResult(user_id=user.id, next=step, second_factor=second)


def _count_failure(store: IdentityStore, user: UserRecord, now: datetime) -> None:
    failures = user.failed_logins + 1
    store.update_user(user.id, failed_logins=failures)
    if failures == NOTIFY_AT or (failures > NOTIFY_AT and (failures - NOTIFY_AT) % 10 == 0):
        store.notify(user.id, f"安全提醒：您的账号（{user.login}）已连续{failures}次登录失败（最近一次{clock.show(now)}）。"
                              "如果不是您本人在尝试，请登录后修改密码；如有疑问请联系系统管理员。", now)
        store.audit(actor_id=None, action="failures_notified", subject=f"user:{user.id}",
                    detail={"failures": failures})


def change_password(store: IdentityStore, hasher: PasswordHasher, user_id: int, *, new: str,
                    current: str | None, now: datetime | None = None) -> None:
    """Set a new password. `current` is checked unless the caller has just checked it (the login's forced
    change). Every session of the account ends (the caller starts a fresh one for this browser)."""
    now = now or clock.now()
    with store:
        user = store.user(user_id)
        if user is None or not user.active:
            raise DomainError("账号不存在或已停用。")
        if current is not None and not hasher.verify(user.password_hash, current):
            raise FieldError("当前密码不正确。", field="current")
        passwords.check_password(new, personal=[user.login, user.mobile or ""])
        if hasher.verify(user.password_hash, new):
            raise FieldError("新密码不能与原密码相同。", field="password")
        store.update_user(user_id, password_hash=hasher.hash(new), must_change_password=False,
                          password_changed_at=now, failed_logins=0)
        ended = store.end_sessions_of(user_id)
        store.audit(actor_id=user_id, action="password_changed", subject=f"user:{user_id}",
                    detail={"sessions_ended": ended})
        store.commit()


def confirm_enrolment(store: IdentityStore, user_id: int, *, secret: str, code: str,
                      now: datetime | None = None) -> list[str]:
    """Keep the new TOTP secret once a code from it checks; returns the recovery codes to show once."""
    now = now or clock.now()
    step = totp.accepted_step(secret, code, last_step=None, now=now)
    if step is None:
        raise FieldError("动态验证码不正确。请确认手机时间准确，输入身份验证器中当前显示的6位数字。", field="code")
    codes = totp.new_recovery_codes()
    with store:
        user = store.user(user_id)
        if user is None or not user.active:
            raise DomainError("账号不存在或已停用。")
        store.update_user(user_id, totp_secret=secret, totp_enrolled_at=now, totp_last_step=step)
        store.replace_recovery_codes(user_id, [totp.recovery_hash(c) for c in codes], now)
        store.audit(actor_id=user_id, action="totp_enrolled", subject=f"user:{user_id}")
        store.commit()
    return codes


def reset_credentials(store: IdentityStore, hasher: PasswordHasher, user_id: int, *, actor_id: int | None,
                      now: datetime | None = None) -> str:
    """An administrator's reset: a one-time password (changed at the next login), the second factor enrolled
    again, every session ended, the account's delays lifted. Returns the one-time password to hand over."""
    now = now or clock.now()
    password = passwords.one_time_password()
    with store:
        user = store.user(user_id)
        if user is None:
            raise DomainError("账号不存在。")
        store.update_user(user_id, password_hash=hasher.hash(password), must_change_password=True,
                          password_changed_at=now, totp_secret=None, totp_enrolled_at=None, totp_last_step=None,
                          failed_logins=0)
        store.replace_recovery_codes(user_id, [], now)
        ended = store.end_sessions_of(user_id)
        store.audit(actor_id=actor_id, action="password_reset", subject=f"user:{user_id}",
                    detail={"second_factor_reset": True, "sessions_ended": ended})
        store.commit()
    return password
