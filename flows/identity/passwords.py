"""The password rules (GB/T 22239: complexity, no common passwords, periodic change for staff)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from flows.errors import FieldError

MIN_LENGTH = 8
MAX_LENGTH = 128
DENYLIST_FILE = Path(__file__).resolve().parents[2] / "data" / "passwords" / "common-passwords.txt"
# Officers and administrators change their password at least this often (applicants are not forced to).
STAFF_PASSWORD_AGE = timedelta(days=90)
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped denylist, lower-cased."""
    lines = DENYLIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_typed_twice(password: str, again: str) -> None:
    """The password typed twice alike (a typo in a hidden field is otherwise found only at the next login)."""
    if password != again:
        raise FieldError("两次输入的密码不一致，请重新输入。", field="password")


def check_password(value: str, *, personal: Iterable[str] = ()) -> str:
    """At least 8 characters with letters and digits, no spaces, not a common password and not built on the
    person's own login, mobile or credit code. FieldError(field="password") says what to change."""
    if len(value) < MIN_LENGTH:
        raise FieldError(f"密码至少{MIN_LENGTH}位，您输入了{len(value)}位。", field="password")
    if len(value) > MAX_LENGTH:
        raise FieldError(f"密码过长，请不超过{MAX_LENGTH}位。", field="password")
    if any(ch.isspace() for ch in value):
        raise FieldError("密码不能包含空格。", field="password")
    if not any(ch.isdigit() for ch in value) or not any(ch.isalpha() for ch in value):
        raise FieldError("密码须同时包含字母和数字。", field="password")
    lowered = value.lower()
    if lowered in common_passwords():
        raise FieldError("这个密码太常见，很容易被猜到，请换一个不常见的密码。", field="password")
    for item in personal:
        item = item.strip().lower()
        if len(item) >= 5 and item in lowered:
            raise FieldError("密码不能包含您的手机号码、登录名或统一社会信用代码，请换一个。", field="password")
    return value


def password_expired(changed_at: datetime | None, now: datetime) -> bool:
    """Whether a staff password is older than STAFF_PASSWORD_AGE (or of unknown age)."""
    return changed_at is None or now - changed_at > STAFF_PASSWORD_AGE


def one_time_password() -> str:
    """A random password for an administrator's reset or the bootstrap: 3 groups of 4, letters and digits."""
    while True:
        raw = "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(12))
        candidate = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw):
            return candidate
