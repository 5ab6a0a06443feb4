"""The second factor: TOTP codes (RFC 6238, pyotp) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY = re.compile(r"^[a-z2-9]{5}-?[a-z2-9]{5}$")


def new_secret() -> str:
    """A fresh 160-bit secret, base32 as authenticator apps expect."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, login: str, issuer: str) -> str:
    """What the QR code carries: otpauth://totp/issuer:login?secret=…&issuer=…"""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator shows at a moment (demo hints and tests)."""
    return pyotp.TOTP(secret).at(moment)


def accepted_step(secret: str, code: str, *, last_step: int | None, now: datetime) -> int | None:
    """The time step the code belongs to (one step of clock drift either way), or None.

    A step at or before `last_step` is refused: a code that was accepted once is never accepted again."""
    digits = re.sub(r"\s", "", code)
    if not re.fullmatch(rf"\d{{{DIGITS}}}", digits):
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes of 10 characters (about 50 bits each), shown once as xxxxx-xxxxx."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def looks_like_recovery_code(code: str) -> bool:
    return bool(_RECOVERY.fullmatch(code.strip().lower()))


def recovery_hash(code: str) -> str:
    """What is kept of a recovery code (high-entropy and single use: a plain SHA-256 suffices)."""
    return hashlib.sha256(code.strip().lower().replace("-", "").encode("ascii", "replace")).hexdigest()
