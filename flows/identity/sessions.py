"""Sessions kept on the server: a finished login becomes a single-use ticket, which the HTTP route
`/auth/session` (web/auth.py) exchanges for a session token in an HttpOnly `__Host-` cookie.

A session ends after 30 minutes without activity, 12 hours after it began whatever happens, at logout,
and whenever its account's password is changed or reset. Only hashes of tickets and tokens are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows import clock
from flows.identity.ports import IdentityStore, UserRecord

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
TICKET_LIFETIME = timedelta(minutes=1)
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is written at most this often
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9_\-/]*(\?[A-Za-z0-9_=&%\-.]*)?$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def safe_next(path: str | None) -> str:
    """Where to go after login: a path of this site only (never `//host` or a full URL)."""
    if path and _SAFE_PATH.fullmatch(path) and not path.startswith("//") and len(path) <= 200:
        return path
    return "/"


def issue_ticket(store: IdentityStore, user_id: int, *, visitor: str, next_path: str, second_factor: bool,
                 now: datetime | None = None) -> str:
    """A ticket for this browser (its visitor cookie) to start a session with, within a minute, once."""
    if not visitor:
        raise ValueError("a login ticket is bound to the browser's visitor cookie")
    now = now or clock.now()
    ticket = new_token()
    with store:
        store.add_ticket(token_hash=token_hash(ticket), user_id=user_id, visitor_hash=token_hash(visitor),
                         next_path=safe_next(next_path), second_factor=second_factor, now=now,
                         expires_at=now + TICKET_LIFETIME)
        store.commit()
    return ticket


@dataclass(frozen=True)
class StartedSession:
    token: str
    next_path: str
    user_id: int


def redeem_ticket(store: IdentityStore, ticket: str, *, visitor: str, address: str,
                  now: datetime | None = None) -> StartedSession | None:
    """Exchange a ticket for a new session token; None for an unknown, used, expired or foreign ticket."""
    if not ticket or len(ticket) > 100 or not visitor:
        return None
    now = now or clock.now()
    with store:
        found = store.ticket(token_hash(ticket))
        if found is None or found.used_at is not None or found.expires_at <= now:
            return None
        if not hmac.compare_digest(found.visitor_hash, token_hash(visitor)):
            store.audit(actor_id=None, action="ticket_refused", subject=f"user:{found.user_id}",
                        detail={"address": address})
            store.commit()
            return None
        user = store.user(found.user_id)
        if user is None or not user.active or not store.use_ticket(found.token_hash, now):
            return None
        token = new_token()
        store.add_session(token_hash=token_hash(token), user_id=user.id, second_factor=found.second_factor,
                          address=address, now=now)
        store.audit(actor_id=user.id, action="login", subject=f"user:{user.id}",
                    detail={"address": address, "second_factor": found.second_factor})
        store.commit()
        return StartedSession(token=token, next_path=found.next_path, user_id=user.id)


@dataclass(frozen=True)
class LiveSession:
    user: UserRecord
    second_factor: bool


def resume(store: IdentityStore, token: str, *, now: datetime | None = None) -> LiveSession | None:
    """The account behind a session token while the session lives; an expired one is ended (and audited)."""
    if not token or len(token) > 100:
        return None
    now = now or clock.now()
    digest = token_hash(token)
    with store:
        found = store.session(digest)
        if found is None or found.ended:
            return None
        user = store.user(found.user_id)
        idle, old = now - found.last_seen > IDLE, now - found.created_at > LIFETIME
        if idle or old or user is None or not user.active:
            if store.end_session(digest):
                store.audit(actor_id=found.user_id, action="session_expired", subject=f"user:{found.user_id}",
                            detail={"reason": "idle" if idle else "lifetime" if old else "account"})
            store.commit()
            return None
        if now - found.last_seen > TOUCH_EVERY:
            store.touch_session(digest, now)
            store.commit()
        return LiveSession(user=user, second_factor=found.second_factor)


def log_out(store: IdentityStore, token: str) -> None:
    """End the session behind a token (nothing happens for an unknown or ended one)."""
    if not token or len(token) > 100:
        return
    with store:
        found = store.session(token_hash(token))
        if found is not None and store.end_session(found.token_hash):
            store.audit(actor_id=found.user_id, action="logout", subject=f"user:{found.user_id}")
        store.commit()
