"""Accounts: registration, login with lock-out, and browser sessions that survive a refresh."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows.accounts import Registration
from flows.errors import DomainError, FieldError
from flows.review import Actor, Role
from store import audit
from store.db import write_session
from store.models import Unit, User, WebSession, utcnow

HASHER = PasswordHasher()
MAX_FAILED = 5
LOCK_MINUTES = 15
SESSION_IDLE = timedelta(minutes=30)


@dataclass(frozen=True)
class Account:
    """What the pages know about the person logged in."""

    user_id: int
    login: str
    display_name: str
    role: Role
    region_code: str | None
    unit_id: int | None
    unit_name: str | None
    credit_code: str | None
    mobile: str | None

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, region_code=self.region_code, unit_id=self.unit_id,
                     name=self.display_name)


def _account(session: Session, user: User) -> Account:
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    assert user.id is not None
    return Account(user_id=user.id, login=user.login, display_name=user.display_name, role=Role(user.role),
                   region_code=user.region_code, unit_id=user.unit_id, unit_name=unit.name if unit else None,
                   credit_code=unit.credit_code if unit else None, mobile=user.mobile)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


@cache
def demo_password_hash(password: str) -> str:
    """One salted hash reused for many demo or test accounts sharing a password (hashing costs ~0.1-0.4 s)."""
    return hash_password(password)


def register_applicant(engine: Engine, reg: Registration, *, password_hash: str | None = None) -> Account:
    """Create the unit (or join an existing one by credit code) and its first user; login is the mobile."""
    with write_session(engine) as session:
        if session.exec(select(User).where(User.login == reg.mobile)).first():
            raise FieldError("该手机号码已注册，请直接登录。", field="mobile")
        unit = session.exec(select(Unit).where(Unit.credit_code == reg.credit_code)).first()
        if unit is None:
            unit = Unit(name=reg.unit_name, credit_code=reg.credit_code)
            session.add(unit)
            session.flush()
        elif unit.name != reg.unit_name:
            raise FieldError(f"该统一社会信用代码已由“{unit.name}”注册，单位名称不一致，请核对。",
                             field="unit_name")
        user = User(login=reg.mobile, display_name=reg.contact, role=Role.APPLICANT, unit_id=unit.id,
                    mobile=reg.mobile, password_hash=password_hash or hash_password(reg.password))
        session.add(user)
        session.flush()
        audit.append(session, actor_id=user.id, action="register", subject=f"unit:{unit.id}")
        session.commit()
        return _account(session, user)


def create_user(engine: Engine, *, login: str, password: str, display_name: str, role: Role,
                region_code: str | None = None, unit_id: int | None = None, mobile: str | None = None,
                actor_id: int | None = None, password_hash: str | None = None) -> int:
    """An officer or administrator account bound to its jurisdiction (used by the seed and the admin)."""
    with write_session(engine) as session:
        if session.exec(select(User).where(User.login == login)).first():
            raise FieldError("该登录名已存在。", field="login")
        user = User(login=login, display_name=display_name, role=role, region_code=region_code, unit_id=unit_id,
                    mobile=mobile, password_hash=password_hash or hash_password(password))
        session.add(user)
        session.flush()
        assert user.id is not None
        audit.append(session, actor_id=actor_id, action="create_user", subject=f"user:{user.id}",
                     detail={"role": str(role), "region": region_code})
        session.commit()
        return user.id


def authenticate(engine: Engine, login: str, password: str, *, now: datetime | None = None) -> Account:
    """Check the password; five failures lock the account for 15 minutes."""
    now = now or utcnow()
    refusal = DomainError("登录名或密码不正确。")
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.login == login.strip())).first()
        if user is None or not user.active:
            raise refusal
        if user.locked_until and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise DomainError(f"密码连续输错{MAX_FAILED}次，账号已锁定，请{minutes}分钟后再试。")
        try:
            HASHER.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            user.failed_logins += 1
            left = MAX_FAILED - user.failed_logins
            if left <= 0:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
                audit.append(session, actor_id=user.id, action="lock", subject=f"user:{user.id}")
                session.commit()
                raise DomainError(f"密码连续输错{MAX_FAILED}次，账号已锁定{LOCK_MINUTES}分钟。") from None
            session.commit()
            raise DomainError(f"登录名或密码不正确，再错{left}次账号将被锁定{LOCK_MINUTES}分钟。") from None
        user.failed_logins = 0
        user.locked_until = None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        session.commit()
        return _account(session, user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(engine: Engine, user_id: int) -> str:
    """A new random token for the browser's cookie; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    with write_session(engine) as session:
        session.add(WebSession(token_hash=_token_hash(token), user_id=user_id))
        session.commit()
    return token


def resume_session(engine: Engine, token: str, *, now: datetime | None = None) -> Account | None:
    """The account behind a cookie token, if the session is live; touching it extends it."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    with write_session(engine) as session:
        web = session.get(WebSession, _token_hash(token))
        if web is None or web.ended or now - web.last_seen > SESSION_IDLE:
            return None
        user = session.get(User, web.user_id)
        if user is None or not user.active:
            return None
        if (now - web.last_seen).total_seconds() > 30:
            web.last_seen = now
            session.commit()
        return _account(session, user)


def end_session(engine: Engine, token: str) -> None:
    with write_session(engine) as session:
        web = session.get(WebSession, _token_hash(token))
        if web is not None:
            web.ended = True
            session.commit()


def get_account(engine: Engine, user_id: int) -> Account | None:
    with Session(engine) as session:
        user = session.get(User, user_id)
        return _account(session, user) if user else None
