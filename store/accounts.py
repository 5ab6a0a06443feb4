"""Accounts as the pages see them, the argon2 password hasher, and builders for the demo seed and tests.

Logins, sessions, registration and units are use cases in flows/identity, run on store.identity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import clock
from flows.errors import FieldError
from flows.filing.identifiers import mask_mobile
from flows.identity import sessions, units
from flows.identity.accounts import Registration
from flows.identity.ports import UnitRole
from flows.review.transitions import Actor, Role
from store.identity import SqlIdentityStore
from store.models import Invitation, Unit, User


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
    unit_role: UnitRole | None = None
    unit_verified: bool = False
    second_factor: bool = False  # this session's login passed a TOTP or recovery code

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, region_code=self.region_code, unit_id=self.unit_id,
                     name=self.display_name)

    @property
    def unit_admin(self) -> bool:
        return self.role == Role.APPLICANT and self.unit_role == UnitRole.ADMIN


def _account(session: Session, user: User) -> Account:
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    assert user.id is not None
    return Account(user_id=user.id, login=user.login, display_name=user.display_name, role=Role(user.role),
                   region_code=user.region_code, unit_id=user.unit_id, unit_name=unit.name if unit else None,
                   credit_code=unit.credit_code if unit else None, mobile=user.mobile,
                   unit_role=UnitRole(user.unit_role) if user.unit_role else None,
                   unit_verified=unit is not None and unit.verified_at is not None)


class Argon2Hasher:
    """flows.identity.ports.PasswordHasher with argon2-cffi's defaults."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    @cached_property
    def dummy_hash(self) -> str:
        return self._hasher.hash("not-a-password-anyone-has")


HASHER = Argon2Hasher()


def hash_password(password: str) -> str:
    return HASHER.hash(password)


@cache
def demo_password_hash(password: str) -> str:
    """One salted hash reused for many demo or test accounts sharing a password (hashing costs ~0.1-0.4 s)."""
    return hash_password(password)


# ------------------------------------------------------------------ reading
def get_account(engine: Engine, user_id: int) -> Account | None:
    with Session(engine) as session:
        user = session.get(User, user_id)
        return _account(session, user) if user else None


def account_by_login(engine: Engine, login: str) -> Account | None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.login == login)).first()
        return _account(session, user) if user else None


def session_account(engine: Engine, token: str) -> Account | None:
    """The account behind a session cookie's token while the session lives (touching it keeps it alive)."""
    live = sessions.resume(SqlIdentityStore(engine), token)
    if live is None:
        return None
    account = get_account(engine, live.user.id)
    return replace(account, second_factor=live.second_factor) if account else None


# ------------------------------------------------------------------ builders (demo seed, tests, load scripts)
def register_applicant(engine: Engine, reg: Registration, *, password_hash: str | None = None,
                       verified: bool = False) -> Account:
    """A unit and its administrator account as if registered with a proven mobile (made-up demo and test data);
    `verified`: as if an officer had checked its licence already."""
    now = clock.now()
    user_id = units.create_applicant(SqlIdentityStore(engine), unit_name=reg.unit_name, credit_code=reg.credit_code,
                                     contact=reg.contact, mobile=reg.mobile,
                                     password_hash=password_hash or hash_password(reg.password), now=now)
    account = get_account(engine, user_id)
    assert account is not None and account.unit_id is not None
    if verified:
        with SqlIdentityStore(engine) as store:
            store.update_unit(account.unit_id, verified_at=now)
            store.commit()
        account = replace(account, unit_verified=True)
    return account


def create_user(engine: Engine, *, login: str, password: str, display_name: str, role: Role,
                region_code: str | None = None, unit_id: int | None = None, mobile: str | None = None,
                actor_id: int | None = None, password_hash: str | None = None, must_change_password: bool = False,
                totp_secret: str | None = None, unit_role: UnitRole | None = None) -> int:
    """An officer or administrator account bound to its jurisdiction (the seed, the admin and tests)."""
    now = clock.now()
    with SqlIdentityStore(engine) as store:
        if store.user_by_login(login) is not None:
            raise FieldError("该登录名已存在。", field="login")
        user_id = store.add_user(login=login, display_name=display_name, role=role, region_code=region_code,
                                 unit_id=unit_id, unit_role=unit_role, mobile=mobile, now=now,
                                 password_hash=password_hash or hash_password(password),
                                 must_change_password=must_change_password)
        if totp_secret:
            store.update_user(user_id, totp_secret=totp_secret, totp_enrolled_at=now)
        store.audit(actor_id=actor_id, action="create_user", subject=f"user:{user_id}",
                    detail={"role": str(role), "region": region_code})
        store.commit()
        return user_id


def start_session(engine: Engine, user_id: int, *, second_factor: bool = False, address: str = "") -> str:
    """A session token as a finished login leaves behind (the test and load harnesses; real logins go through
    flows.identity.sessions.redeem_ticket)."""
    token = sessions.new_token()
    with SqlIdentityStore(engine) as store:
        store.add_session(token_hash=sessions.token_hash(token), user_id=user_id, second_factor=second_factor,
                          address=address, now=clock.now())
        store.commit()
    return token


def invitation_unit_name(engine: Engine, code_hash: str) -> str | None:
    """The name of the unit an open invitation leads to (shown to the invitee once the mobile is proven)."""
    with Session(engine) as session:
        invitation = session.exec(select(Invitation).where(Invitation.code_hash == code_hash)).first()
        if invitation is None or invitation.used_at is not None or invitation.revoked_at is not None:
            return None
        unit = session.get(Unit, invitation.unit_id)
        return unit.name if unit else None


@dataclass(frozen=True)
class Person:
    user_id: int
    display_name: str
    mobile: str  # masked
    unit_role: UnitRole | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class OpenInvitation:
    invitation_id: int
    contact: str
    mobile: str  # masked
    expires_at: datetime


@dataclass(frozen=True)
class UnitPeople:
    """A unit as its own people see it: its status, its accounts and the invitations still open."""

    name: str
    credit_code: str
    verified_at: datetime | None
    people: list[Person]
    invitations: list[OpenInvitation]


def unit_people(engine: Engine, unit_id: int) -> UnitPeople | None:
    now = clock.now()
    with Session(engine) as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return None
        users = session.exec(select(User).where(User.unit_id == unit_id).order_by(col(User.id))).all()
        invitations = session.exec(select(Invitation).where(
            Invitation.unit_id == unit_id, Invitation.purpose == "invite", col(Invitation.used_at).is_(None),
            col(Invitation.revoked_at).is_(None), col(Invitation.expires_at) > now).order_by(col(Invitation.id))).all()
        return UnitPeople(
            name=unit.name, credit_code=unit.credit_code, verified_at=unit.verified_at,
            people=[Person(u.id or 0, u.display_name, mask_mobile(u.mobile or ""),
                           UnitRole(u.unit_role) if u.unit_role else None, u.active, u.created_at) for u in users],
            invitations=[OpenInvitation(i.id or 0, i.contact, mask_mobile(i.mobile), i.expires_at) for i in invitations])
