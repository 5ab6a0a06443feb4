"""Logins on a real database (SQLite and PostgreSQL): one answer and one argon2 verification for every
failure, delays instead of locks, the owner told, a second factor for staff, sessions that end when they should."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import clock
from flows.errors import FieldError
from flows.identity import sessions, totp
from flows.identity.login import (
    FAILED,
    FAILED_WITH_CODE,
    LoginRefused,
    LoginThrottled,
    change_password,
    confirm_enrolment,
    log_in,
    reset_credentials,
)
from flows.review.transitions import Role
from store.accounts import HASHER, Argon2Hasher, create_user, register_applicant
from store.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from store.identity import SqlIdentityStore
from store.models import AuditEntry, LoginThrottle, Notification, User, WebSession
from tests.support import make_registration, make_world

INTERNET = frozenset({Role.APPLICANT})
POLICE = frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE, Role.ADMIN})
ADDRESS = "203.0.113.7"


@dataclass
class CountingHasher:
    """The real argon2 hasher, counting which hashes it verifies."""

    real: Argon2Hasher = field(default_factory=lambda: HASHER)
    verified: list[str] = field(default_factory=list)

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return self.real.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self.real.needs_rehash(password_hash)

    @property
    def dummy_hash(self) -> str:
        return self.real.dummy_hash


def attempt(engine: Engine, login: str, password: str, *, code: str = "", roles: frozenset[Role] = INTERNET,
            scope: str = "internet", hasher: CountingHasher | None = None, now: datetime | None = None,
            address: str = ADDRESS) -> str:
    """The outcome of one login: "ok:<next>" or the message shown."""
    try:
        result = log_in(SqlIdentityStore(engine), hasher or CountingHasher(), login=login, password=password,
                        code=code, admitted_roles=roles, scope=scope, address=address, now=now)
    except (LoginRefused, LoginThrottled) as error:
        return error.message
    return f"ok:{result.next}"


def officer_row(engine: Engine, login: str) -> tuple[int, object]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.login == login)).one()
        return user.failed_logins, user.locked_until


def throttle_keys(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(LoginThrottle.key)).all())


def test_every_failure_gets_one_sentence_and_exactly_one_argon2_verification(engine: Engine) -> None:
    world = make_world(engine)
    mobile = world.applicant.mobile or ""
    create_user(engine, login="gone", password=DEMO_PASSWORD, display_name="停用", role=Role.APPLICANT)
    with SqlIdentityStore(engine) as store:
        user = store.user_by_login("gone")
        assert user is not None
        store.update_user(user.id, active=False)
        store.commit()
    cases = {"unknown login": ("13999999999", DEMO_PASSWORD), "wrong password": (mobile, "Wrong2026pass"),
             "disabled account": ("gone", DEMO_PASSWORD), "officer, right password": ("pref650100", DEMO_PASSWORD),
             "officer, wrong password": ("pref650100", "Wrong2026pass")}
    for what, (login, password) in cases.items():
        hasher = CountingHasher()
        assert attempt(engine, login, password, hasher=hasher) == FAILED, what
        assert len(hasher.verified) == 1, what  # the same work, whoever it is
        expected = None if what == "wrong password" else HASHER.dummy_hash
        if expected is not None:
            assert hasher.verified == [expected], what
    # The dummy hash is made with the very parameters of a real one: argon2 spends the same time on both.
    assert HASHER.dummy_hash.split("$")[:4] == HASHER.hash("x").split("$")[:4]
    assert attempt(engine, mobile, DEMO_PASSWORD) == "ok:done"


def test_on_the_internet_portal_an_officers_right_and_wrong_password_move_no_counter_of_the_officer(
        engine: Engine) -> None:
    make_world(engine)
    before = officer_row(engine, "pref650100")
    right = attempt(engine, "pref650100", DEMO_PASSWORD)
    wrong = attempt(engine, "pref650100", "Wrong2026pass")
    assert right == wrong == FAILED
    assert officer_row(engine, "pref650100") == before
    assert not any(key.startswith(("login:police:", "pair:police:")) for key in throttle_keys(engine))
    # Twenty such tries later (slowed down on the internet portal) the officer still logs in on the police
    # portal at once.
    outcomes = {attempt(engine, "pref650100", "Wrong2026pass") for _ in range(20)}
    assert FAILED in outcomes and any("过于频繁" in o for o in outcomes)
    with SqlIdentityStore(engine) as store:
        user = store.user_by_login("pref650100")
        assert user is not None
        store.update_user(user.id, totp_secret=DEMO_TOTP_SECRET)
        store.commit()
    code = totp.code_at(DEMO_TOTP_SECRET, clock.now())
    assert attempt(engine, "pref650100", DEMO_PASSWORD, code=code, roles=POLICE, scope="police") == "ok:done"
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry))]
    assert actions.count("portal_refused") >= 2 and "login_throttled" in actions


def test_failures_slow_down_growing_and_never_lock_and_unknown_logins_slow_down_alike(engine: Engine) -> None:
    world = make_world(engine)
    mobile = world.applicant.mobile or ""
    start = clock.now()
    for login in (mobile, "13999999999"):
        outcomes = [attempt(engine, login, "Wrong2026pass", now=start) for _ in range(6)]
        assert outcomes == [FAILED] * 6, login
        assert attempt(engine, login, DEMO_PASSWORD, now=start) == "登录尝试过于频繁，请1秒后再试。", login
        later = start + timedelta(seconds=1)
        assert attempt(engine, login, "Wrong2026pass", now=later) == FAILED, login
        assert attempt(engine, login, "Wrong2026pass", now=later) == "登录尝试过于频繁，请2秒后再试。", login
    # The delay passes: the right password works again (nothing was locked).
    assert attempt(engine, mobile, DEMO_PASSWORD, now=start + timedelta(seconds=3)) == "ok:done"
    # Another address is not slowed down by this one's failures of another login.
    assert attempt(engine, "13999999998", "Wrong2026pass", now=start, address="198.51.100.1") == FAILED


def test_the_owner_is_told_of_repeated_failures_without_the_password(engine: Engine) -> None:
    world = make_world(engine)
    start = clock.now()
    for n in range(5):
        attempt(engine, world.applicant.mobile or "", "Secret2026typo", now=start + timedelta(hours=n))
    with Session(engine) as session:
        notes = session.exec(select(Notification).where(Notification.user_id == world.applicant.user_id)).all()
        entries = session.exec(select(AuditEntry)).all()
    assert len(notes) == 1 and "连续5次登录失败" in notes[0].text
    logged = json.dumps([(e.action, e.subject, e.detail) for e in entries], ensure_ascii=False)
    assert "Secret2026typo" not in logged and DEMO_PASSWORD not in logged


def test_staff_log_in_with_a_totp_code_used_once_or_a_recovery_code_used_once(engine: Engine) -> None:
    create_user(engine, login="xian1", password=DEMO_PASSWORD, display_name="县局", role=Role.COUNTY,
                region_code="650102", totp_secret=DEMO_TOTP_SECRET)
    now = clock.now()
    code = totp.code_at(DEMO_TOTP_SECRET, now)

    def police(c: str) -> str:
        return attempt(engine, "xian1", DEMO_PASSWORD, code=c, roles=POLICE, scope="police", now=now)

    assert police("") == FAILED_WITH_CODE
    assert police("000000" if code != "000000" else "111111") == FAILED_WITH_CODE
    assert police(code) == "ok:done"
    assert police(code) == FAILED_WITH_CODE  # the same code twice: refused
    with SqlIdentityStore(engine) as store:
        user = store.user_by_login("xian1")
        assert user is not None
    codes = confirm_enrolment(SqlIdentityStore(engine), user.id, secret=DEMO_TOTP_SECRET,
                              code=totp.code_at(DEMO_TOTP_SECRET, now + timedelta(seconds=60)),
                              now=now + timedelta(seconds=60))
    assert len(codes) == 10
    assert police(codes[0].upper()) == "ok:done"
    assert police(codes[0]) == FAILED_WITH_CODE


def test_a_first_login_enrols_the_second_factor_and_a_reset_starts_over(engine: Engine) -> None:
    user_id = create_user(engine, login="zhou1", password="Kashi2026pass", display_name="支队", role=Role.PREFECTURE,
                          region_code="653100", must_change_password=True)
    store = SqlIdentityStore(engine)
    assert attempt(engine, "zhou1", "Kashi2026pass", roles=POLICE, scope="police") == "ok:change_password"
    with pytest.raises(FieldError, match="太常见"):
        change_password(store, HASHER, user_id, new="Password123", current=None)
    change_password(store, HASHER, user_id, new="Tianshan9Snow", current=None)
    assert attempt(engine, "zhou1", "Tianshan9Snow", roles=POLICE, scope="police") == "ok:enrol_totp"
    secret = totp.new_secret()
    with pytest.raises(FieldError, match="动态验证码不正确"):
        confirm_enrolment(store, user_id, secret=secret, code="123456" if totp.code_at(secret, clock.now()) != "123456"
                          else "654321")
    confirm_enrolment(store, user_id, secret=secret, code=totp.code_at(secret, clock.now()))
    token = sessions.new_token()
    with SqlIdentityStore(engine) as s:
        s.add_session(token_hash=sessions.token_hash(token), user_id=user_id, second_factor=True, address="",
                      now=clock.now())
        s.commit()
    one_time = reset_credentials(store, HASHER, user_id, actor_id=None)
    assert sessions.resume(store, token) is None  # the reset ended every session
    assert attempt(engine, "zhou1", "Tianshan9Snow", roles=POLICE, scope="police") == FAILED_WITH_CODE
    assert attempt(engine, "zhou1", one_time, roles=POLICE, scope="police") == "ok:change_password"
    with Session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None and user.totp_secret is None  # enrolled again after the change


def test_a_ticket_works_once_in_its_own_browser_and_sessions_end_idle_old_or_at_logout(engine: Engine) -> None:
    account = register_applicant(engine, make_registration(), verified=True)
    store = SqlIdentityStore(engine)
    now = clock.now()
    ticket = sessions.issue_ticket(store, account.user_id, visitor="browser-a", next_path="/assistant",
                                   second_factor=False, now=now)
    assert sessions.redeem_ticket(store, ticket, visitor="browser-b", address="", now=now) is None
    started = sessions.redeem_ticket(store, ticket, visitor="browser-a", address="", now=now)
    assert started is not None and started.next_path == "/assistant"
    assert sessions.redeem_ticket(store, ticket, visitor="browser-a", address="", now=now) is None  # used
    late = sessions.issue_ticket(store, account.user_id, visitor="browser-a", next_path="//evil.example/x",
                                 second_factor=False, now=now)
    assert sessions.redeem_ticket(store, late, visitor="browser-a", address="", now=now + timedelta(minutes=2)) is None
    token = started.token
    assert sessions.resume(store, token, now=now + timedelta(minutes=29)) is not None
    assert sessions.resume(store, token, now=now + timedelta(minutes=58)) is not None  # touched at 29
    assert sessions.resume(store, token, now=now + timedelta(hours=12, minutes=1)) is None  # lifetime
    second = sessions.redeem_ticket(store, sessions.issue_ticket(store, account.user_id, visitor="a", next_path="/",
                                                                 second_factor=False), visitor="a", address="")
    assert second is not None and second.next_path == "/"
    sessions.log_out(store, second.token)
    assert sessions.resume(store, second.token) is None
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
        live = session.exec(select(WebSession).where(col(WebSession.ended).is_(False))).all()
    assert {"login", "logout", "session_expired", "ticket_refused"} <= set(actions)
    assert live == []


def test_changing_the_password_ends_every_session_of_the_account(engine: Engine) -> None:
    account = register_applicant(engine, make_registration(), verified=True)
    store = SqlIdentityStore(engine)
    tokens = [sessions.redeem_ticket(store, sessions.issue_ticket(store, account.user_id, visitor=v, next_path="/",
                                                                  second_factor=False), visitor=v, address="")
              for v in ("phone", "office")]
    with pytest.raises(FieldError, match="当前密码不正确"):
        change_password(store, HASHER, account.user_id, new="Changed2026x", current="Wrong2026pass")
    change_password(store, HASHER, account.user_id, new="Changed2026x", current=DEMO_PASSWORD)
    assert all(t is not None and sessions.resume(store, t.token) is None for t in tokens)


def test_a_portal_of_both_kinds_names_the_second_factor_only_for_a_staff_login(engine: Engine) -> None:
    """The demo serves applicants and officers on one portal: an applicant's failed login (a mobile number) was
    told 登录名、密码或动态验证码不正确, naming a code applicants never have. Decided by what was typed, the same
    whether the account exists or not."""
    both = INTERNET | POLICE
    assert attempt(engine, "13999999998", "Wrong2026pass", roles=both, scope="demo") == FAILED
    assert attempt(engine, "zhou9", "Wrong2026pass", roles=both, scope="demo") == FAILED_WITH_CODE
