"""Registering: what a visitor types is kept on the server as they go (it survives a refresh), the mobile
is proven by a one-time SMS code, and only then is a password set and the account made.

The draft is keyed by the browser's visitor cookie and never holds the password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows import clock
from flows.errors import DomainError, FieldError
from flows.filing.identifiers import mask_mobile
from flows.identity import passwords
from flows.identity.ports import ChallengeRecord, IdentityStore, PasswordHasher, SmsSender
from flows.identity.sessions import token_hash
from flows.identity.units import INVITE_EXPIRED, INVITE_REVOKED, INVITE_USED, add_applicant

CODE_LIFETIME = timedelta(minutes=5)
PROOF_LIFETIME = timedelta(minutes=30)  # a proven mobile must be used for an account within this
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)
PER_MOBILE_PER_DAY = 10
PER_ADDRESS_PER_HOUR = 20
DRAFT_LIFETIME = timedelta(days=7)

NO_GATEWAY = ("短信服务暂未开通，暂时无法注册。请稍后再试，或联系县级公安机关咨询。")
SEND_FAILED = "短信发送失败，请稍后重新获取验证码。"
# Codes sent after the answer (忘记密码): a few at a time; a queue beyond them waits, never the page.
_BACKGROUND = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sms-code")
log = logging.getLogger(__name__)
CODE_WRONG = "验证码不正确，请核对短信后重新输入（还可输入{left}次）。"
CODE_LOCKED = "验证码输错次数过多，已失效，请重新获取验证码。"
CODE_EXPIRED = "验证码已过期（有效期5分钟），请重新获取验证码。"
CODE_USED = "该验证码已使用过，请重新获取验证码。"
CODE_MISSING = "请先获取短信验证码。"
PROOF_EXPIRED = "手机号码验证已失效（超过30分钟），请重新获取验证码。"


# ------------------------------------------------------------------ the draft
def _visitor_key(visitor: str) -> str:
    return token_hash(visitor)


def load_draft(store: IdentityStore, visitor: str, *, now: datetime | None = None) -> dict[str, Any]:
    """What this browser typed so far (empty when nothing, or when it is older than a week)."""
    if not visitor:
        return {}
    now = now or clock.now()
    with store:
        data = store.registration_draft(_visitor_key(visitor)) or {}
    saved = data.get("saved_at")
    if isinstance(saved, str) and now - datetime.fromisoformat(saved) > DRAFT_LIFETIME:
        return {}
    return dict(data)


def save_draft(store: IdentityStore, visitor: str, data: dict[str, Any], *, now: datetime | None = None) -> None:
    """Keep the draft (never a password: refused here)."""
    if not visitor:
        return
    if "password" in data or any("password" in str(k) for k in data.get("fields", {})):
        raise ValueError("a registration draft never holds a password")
    now = now or clock.now()
    with store:
        store.save_registration_draft(_visitor_key(visitor), {**data, "saved_at": now.isoformat()}, now)
        store.commit()


def forget_draft(store: IdentityStore, visitor: str) -> None:
    if not visitor:
        return
    with store:
        store.delete_registration_draft(_visitor_key(visitor))
        store.commit()


# ------------------------------------------------------------------ SMS codes
def _code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class SentCode:
    challenge_id: int
    demo_code: str | None  # only in the demo without a gateway: shown on screen, marked 演示环境


REGISTER_SMS = ("您的验证码为{code}，5分钟内有效，用于注册保安业务网上自助办理账号。请勿告诉他人；"
                "如非本人操作，请忽略本短信。")


def send_code(store: IdentityStore, sms: SmsSender | None, *, mobile: str, purpose: str, address: str,
              demo: bool, now: datetime | None = None, text: str = REGISTER_SMS, deliver: bool = True,
              in_background: bool = False) -> SentCode:
    """A fresh 6-digit code for the mobile, sent through the SMS gateway (`text`, with `{code}`). Without a
    gateway the demo shows it on screen and production refuses (never skip the proof). `deliver=False`: the
    code is stored and counted as sent, but neither sent nor shown (recovery: a mobile without an account).
    `in_background`: the gateway is called after this returns, so the answer takes as long whether a code is
    sent or withheld (a failed send voids the code, unseen; `store` is then used by that send: pass a fresh one)."""
    now = now or clock.now()
    if sms is None and not demo:
        raise DomainError(NO_GATEWAY)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    with store:
        recent = store.challenges_since(mobile=mobile, since=now - timedelta(days=1))
        live = [c for c in recent if c.expires_at > c.created_at]  # a failed send does not count
        last = max((c.created_at for c in live), default=None)
        if last is not None and now - last < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - last)).total_seconds()) + 1
            raise FieldError(f"验证码已发送，请{wait}秒后再重新获取。", field="sms")
        if len(live) >= PER_MOBILE_PER_DAY:
            raise FieldError("该手机号码今天获取验证码的次数过多，请明天再试。", field="sms")
        if len(store.challenges_since(address=address, since=now - timedelta(hours=1))) >= PER_ADDRESS_PER_HOUR:
            raise FieldError("获取验证码过于频繁，请稍后再试。", field="sms")
        challenge_id = store.add_challenge(purpose=purpose, mobile=mobile, code_hash=_code_hash(salt, code),
                                           salt=salt, now=now, expires_at=now + CODE_LIFETIME, address=address)
        store.audit(actor_id=None, action="sms_code_sent" if deliver else "sms_code_withheld",
                    subject=f"challenge:{challenge_id}",
                    detail={"mobile": mask_mobile(mobile), "purpose": purpose, "address": address})
        store.commit()
    if not deliver:
        return SentCode(challenge_id, demo_code=None)
    if sms is None:
        return SentCode(challenge_id, demo_code=code)
    if in_background:
        _BACKGROUND.submit(_deliver_quietly, store, sms, challenge_id, mobile, text.format(code=code), now)
        return SentCode(challenge_id, demo_code=None)
    if not _deliver(store, sms, challenge_id, mobile, text.format(code=code), now):
        raise DomainError(SEND_FAILED)
    return SentCode(challenge_id, demo_code=None)


def _deliver(store: IdentityStore, sms: SmsSender, challenge_id: int, mobile: str, text: str,
             now: datetime) -> bool:
    """Send the code's SMS; on any gateway failure the code is void (not counted: the person may ask again)."""
    try:
        sms.send_sms(mobile, text)
    except Exception:  # noqa: BLE001 - any gateway failure
        with store:
            store.update_challenge(challenge_id, expires_at=now)
            store.commit()
        return False
    return True


def _deliver_quietly(store: IdentityStore, sms: SmsSender, challenge_id: int, mobile: str, text: str,
                     now: datetime) -> None:
    if not _deliver(store, sms, challenge_id, mobile, text, now):
        log.warning("SMS code %s not delivered (gateway failure); the code is void", challenge_id)


def verify_code(store: IdentityStore, challenge_id: int | None, *, mobile: str, code: str,
                now: datetime | None = None) -> None:
    """The code typed matches the one sent to this mobile: the mobile is proven (the code is used up)."""
    now = now or clock.now()
    with store:
        found = check_code(store, store.challenge(challenge_id) if challenge_id is not None else None,
                           mobile=mobile, code=code, now=now)
        store.update_challenge(found.id, verified_at=now)
        store.commit()


def check_code(store: IdentityStore, found: ChallengeRecord | None, *, mobile: str, code: str,
               now: datetime) -> ChallengeRecord:
    """`found`, if `code` is its live, unused code sent to `mobile`; else FieldError at the SMS field (a wrong
    code is counted, committed: five end the code)."""
    if found is None or found.mobile != mobile:
        raise FieldError(CODE_MISSING, field="sms")
    if found.verified_at is not None or found.used_at is not None:
        raise FieldError(CODE_USED, field="sms")
    if found.attempts >= MAX_TRIES:
        raise FieldError(CODE_LOCKED, field="sms")
    if found.expires_at <= now:
        raise FieldError(CODE_EXPIRED, field="sms")
    typed = "".join(ch for ch in code if not ch.isspace())
    if not hmac.compare_digest(found.code_hash, _code_hash(found.salt, typed)):
        attempts = found.attempts + 1
        store.update_challenge(found.id, attempts=attempts)
        store.commit()
        left = MAX_TRIES - attempts
        raise FieldError(CODE_WRONG.format(left=left) if left > 0 else CODE_LOCKED, field="sms")
    return found


# ------------------------------------------------------------------ the account
def register(store: IdentityStore, hasher: PasswordHasher, *, draft: dict[str, Any], password: str,
             address: str = "", now: datetime | None = None) -> int:
    """Make the account the draft describes (a new unit, or joining one by invitation), its mobile proven by
    the draft's SMS code within 30 minutes. Returns the new account's id."""
    now = now or clock.now()
    fields = dict(draft.get("fields") or {})
    mobile = str(fields.get("mobile", ""))
    passwords.check_password(password, personal=[mobile, str(fields.get("credit_code", ""))])
    password_hash = hasher.hash(password)  # before the transaction: argon2 must not hold the write lock
    with store:
        challenge = store.challenge(int(draft["challenge_id"])) if draft.get("challenge_id") else None
        if challenge is None or challenge.mobile != mobile or challenge.verified_at is None:
            raise FieldError(CODE_MISSING, field="sms")
        if challenge.used_at is not None:
            raise FieldError(CODE_USED, field="sms")
        if now - challenge.verified_at > PROOF_LIFETIME:
            raise FieldError(PROOF_EXPIRED, field="sms")
        invitation = None
        if draft.get("invitation_hash"):
            invitation = store.invitation_by_hash(str(draft["invitation_hash"]))
            if invitation is None or invitation.mobile != mobile:
                raise FieldError("邀请码与手机号码不符，请重新输入邀请码。", field="invitation")
            for problem, message in ((invitation.used_at, INVITE_USED), (invitation.revoked_at, INVITE_REVOKED)):
                if problem is not None:
                    raise FieldError(message, field="invitation")
            if invitation.expires_at <= now:
                raise FieldError(INVITE_EXPIRED, field="invitation")
        user_id = add_applicant(store, unit_name=str(fields.get("unit_name", "")),
                                credit_code=str(fields.get("credit_code", "")), contact=str(fields.get("contact", "")),
                                mobile=mobile, password_hash=password_hash, now=now, invitation=invitation,
                                address=address)
        store.update_challenge(challenge.id, used_at=now)
        store.commit()
        return user_id
