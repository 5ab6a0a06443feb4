"""忘记密码: an applicant sets a new password after proving, by an SMS code, the mobile the account was
registered with (its login). Officers and administrators are reset by an administrator (login.reset_credentials):
their second factor is not something an SMS may replace.

Whether a mobile has an account is never told: a mobile without one gets the same answer, and the same limits
count against it (a code is "issued" for it, stored and never sent, so no code typed for it can match).
"""

from __future__ import annotations

from datetime import datetime

from flows import clock
from flows.errors import FieldError
from flows.filing.identifiers import check_mobile, mask_mobile
from flows.identity import passwords
from flows.identity.ports import ChallengeRecord, IdentityStore, PasswordHasher, SmsSender, UserRecord
from flows.identity.registration import CODE_MISSING, CODE_USED, SentCode, check_code, send_code
from flows.identity.throttle import login_keys
from flows.review.transitions import Role

PURPOSE = "reset"
SENT = "如该手机号码已注册申请单位账号，验证码已发送至该手机，5分钟内有效。"
RESET_SMS = ("您的验证码为{code}，5分钟内有效，用于重置保安业务网上自助办理账号的登录密码。请勿告诉他人；"
             "如非本人操作，请忽略本短信。")


def _resettable(user: UserRecord | None) -> bool:
    return user is not None and user.active and user.role == Role.APPLICANT


def send_reset_code(store: IdentityStore, sms: SmsSender | None, *, mobile: str, address: str, demo: bool,
                    now: datetime | None = None) -> SentCode:
    """A code for resetting the password of the applicant account whose login is this mobile. The same answer
    (SENT), as fast, and the same limits whether or not there is one; only an account's code is sent (or, in
    the demo without a gateway, shown). `store` is used again by the send after this returns: a fresh one."""
    number = check_mobile(mobile)
    with store:
        account = _resettable(store.user_by_login(number))
    # Without an account the code is stored and counted, never sent: the limits (one a minute, ten a day, twenty
    # an hour from one address) and the gateway's absence answer just as they would for an account.
    # An account's code is sent after the answer, so that answer takes no longer than a stranger's.
    return send_code(store, sms, mobile=number, purpose=PURPOSE, address=address, demo=demo, now=now,
                     text=RESET_SMS, deliver=account, in_background=True)


def _reset_challenge(store: IdentityStore, challenge_id: int | None, *, mobile: str, code: str,
                     now: datetime) -> ChallengeRecord:
    """The live reset code `code` sent to `mobile`; a wrong one is counted (five end it)."""
    found = store.challenge(challenge_id) if challenge_id is not None else None
    if found is not None and found.purpose != PURPOSE:  # a registration's code does not reset a password
        found = None
    return check_code(store, found, mobile=mobile, code=code, now=now)


def reset_password(store: IdentityStore, hasher: PasswordHasher, *, mobile: str, challenge_id: int | None,
                   code: str, new: str, scope: str, address: str = "", now: datetime | None = None) -> None:
    """Set the new password once the code sent to the mobile checks: every session of the account ends, its
    login delays are lifted, and it is told (a message) in case it was not its owner."""
    now = now or clock.now()
    number = check_mobile(mobile)
    passwords.check_password(new, personal=[number])
    with store:  # the code first: a wrong one costs a lookup, never an argon2 hash
        checked = _reset_challenge(store, challenge_id, mobile=number, code=code, now=now)
        user = store.user_by_login(number)
    if user is None or not _resettable(user):  # disabled since the code was sent
        raise FieldError(CODE_MISSING, field="sms")
    if hasher.verify(user.password_hash, new):  # the code is not used up: another password may follow
        raise FieldError("新密码不能与原密码相同。", field="password")
    password_hash = hasher.hash(new)  # outside the transaction: argon2 must not hold the write lock
    with store:
        found = store.challenge(checked.id)
        if found is None or found.used_at is not None:  # the same code used meanwhile, e.g. in another tab
            raise FieldError(CODE_USED, field="sms")
        current = store.user_by_login(number)
        if current is None or current.id != user.id or not _resettable(current):
            raise FieldError(CODE_MISSING, field="sms")
        store.update_challenge(found.id, verified_at=now, used_at=now)
        store.update_user(user.id, password_hash=password_hash, must_change_password=False,
                          password_changed_at=now, failed_logins=0)
        ended = store.end_sessions_of(user.id)
        for key in login_keys(scope, number, address):  # the delays earned by the forgotten password
            if not key.startswith("address:"):
                store.clear_throttle(key)
        store.notify(user.id, f"安全提醒：您的账号（{user.login}）的登录密码已于{clock.show(now)}通过短信验证码重置。"
                              "如果不是您本人操作，请立即再次重置密码，并联系县级公安机关。", now)
        store.audit(actor_id=user.id, action="password_reset_by_sms", subject=f"user:{user.id}",
                    detail={"mobile": mask_mobile(number), "address": address, "sessions_ended": ended})
        store.commit()
