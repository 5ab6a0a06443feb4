"""忘记密码 on a real database (SQLite and PostgreSQL) with a real local HTTP SMS gateway: an applicant proves the
registered mobile and sets a new password; nobody learns whether a mobile has an account; staff are not reset by
SMS; a registration's code does not reset anything."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows import clock
from flows.errors import FieldError
from flows.identity import recovery, registration, sessions
from flows.identity.login import LoginRefused, log_in
from flows.review.transitions import Role
from store.accounts import HASHER, start_session
from store.demo import DEMO_PASSWORD
from store.identity import SqlIdentityStore
from store.models import AuditEntry, Notification, SmsChallenge
from store.outbox import HttpSmsGateway
from tests.sms_gateway import SmsGateway, running
from tests.support import World, make_world

INTERNET = frozenset({Role.APPLICANT})
NEW = "Xinmima2026"
NOBODY = "13955550077"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with running() as server:
        yield server


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def send(engine: Engine, gateway: SmsGateway, mobile: str, **kwargs: object) -> registration.SentCode:
    return recovery.send_reset_code(SqlIdentityStore(engine), HttpSmsGateway(gateway.url), mobile=mobile,
                                    address="203.0.113.9", demo=False, **kwargs)  # type: ignore[arg-type]


def reset(engine: Engine, mobile: str, challenge_id: int, code: str, new: str = NEW, **kwargs: object) -> None:
    recovery.reset_password(SqlIdentityStore(engine), HASHER, mobile=mobile, challenge_id=challenge_id, code=code,
                            new=new, scope="internet", address="203.0.113.9", **kwargs)  # type: ignore[arg-type]


def logs_in(engine: Engine, login: str, password: str) -> bool:
    try:
        log_in(SqlIdentityStore(engine), HASHER, login=login, password=password, admitted_roles=INTERNET,
               scope="internet", address="198.51.100.1")
    except LoginRefused:
        return False
    return True


def test_an_applicant_resets_the_forgotten_password_with_a_code_sent_to_the_registered_mobile(
        world: World, gateway: SmsGateway) -> None:
    mobile = world.applicant.login
    token = start_session(world.engine, world.applicant.user_id)  # a session elsewhere, e.g. a lost laptop
    sent = send(world.engine, gateway, mobile)
    assert sent.demo_code is None  # production: by SMS only
    gateway.wait_for_count(mobile, 1)
    text = gateway.texts_to(mobile)[-1]
    assert "用于重置" in text and "登录密码" in text
    reset(world.engine, mobile, sent.challenge_id, gateway.last_code(mobile))
    assert logs_in(world.engine, mobile, NEW) and not logs_in(world.engine, mobile, DEMO_PASSWORD)
    assert sessions.resume(SqlIdentityStore(world.engine), token) is None  # every session ended
    with Session(world.engine) as session:
        told = session.exec(select(Notification).where(Notification.user_id == world.applicant.user_id)).all()
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "password_reset_by_sms")).all()
    assert any("通过短信验证码重置" in n.text for n in told)
    assert [e.subject for e in entries] == [f"user:{world.applicant.user_id}"]
    assert mobile not in json.dumps([e.detail for e in entries], ensure_ascii=False)  # masked in the log
    with pytest.raises(FieldError, match="已使用过"):  # the code resets once
        reset(world.engine, mobile, sent.challenge_id, gateway.last_code(mobile), new="Another2026x")
    later = clock.now() + timedelta(minutes=2)
    again = send(world.engine, gateway, mobile, now=later)
    gateway.wait_for_count(mobile, 2)
    code = gateway.last_code(mobile)
    with pytest.raises(FieldError, match="新密码不能与原密码相同"):
        reset(world.engine, mobile, again.challenge_id, code, now=later)
    reset(world.engine, mobile, again.challenge_id, code, new="Another2026x", now=later)  # the code still good
    assert logs_in(world.engine, mobile, "Another2026x")


class CountingHasher:
    """The real argon2 hasher, counting what it is asked to do."""

    def __init__(self) -> None:
        self.calls = 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return HASHER.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.calls += 1
        return HASHER.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return HASHER.needs_rehash(password_hash)

    @property
    def dummy_hash(self) -> str:
        return HASHER.dummy_hash


def test_the_answer_does_not_wait_for_the_gateway_and_a_failed_send_can_be_asked_again(
        world: World, gateway: SmsGateway) -> None:
    """A stranger's mobile gets its answer without a gateway call; an account's must not take longer, or a
    patient prober could tell them apart by the time: the account's SMS is sent after the answer."""
    mobile = world.applicant.login
    gateway.held.clear()  # the gateway answers nothing until released
    try:
        sent = send(world.engine, gateway, mobile)  # returns though the gateway has not answered
        gateway.wait_for_requests(1)
        assert gateway.texts_to(mobile) == []
    finally:
        gateway.held.set()
    gateway.wait_for_count(mobile, 1)
    reset(world.engine, mobile, sent.challenge_id, gateway.last_code(mobile))
    assert logs_in(world.engine, mobile, NEW)
    gateway.failing = True
    later = clock.now() + timedelta(minutes=2)
    failed = send(world.engine, gateway, mobile, now=later)  # the same words: the failure is not told here
    gateway.wait_for_requests(2)
    with Session(world.engine) as session:  # the failed code is void and not counted ...
        wait_for(lambda: _expired(session, failed.challenge_id))
    gateway.failing = False
    send(world.engine, gateway, mobile, now=later)  # ... so a new one may be asked at once
    gateway.wait_for_count(mobile, 2)


def _expired(session: Session, challenge_id: int) -> bool:
    session.expire_all()
    row = session.get(SmsChallenge, challenge_id)
    return row is not None and row.expires_at <= row.created_at


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true"
        time.sleep(0.05)


def test_a_wrong_code_costs_the_server_no_password_hash(world: World, gateway: SmsGateway) -> None:
    mobile = world.applicant.login
    sent = send(world.engine, gateway, mobile)
    code = gateway.last_code(mobile)  # waits for it
    hasher = CountingHasher()
    for wrong in ("000000", "111111", "222222"):
        if wrong != code:
            with pytest.raises(FieldError, match="验证码不正确"):
                recovery.reset_password(SqlIdentityStore(world.engine), hasher, mobile=mobile,
                                        challenge_id=sent.challenge_id, code=wrong, new=NEW, scope="internet")
    assert hasher.calls == 0  # an attacker guessing codes cannot make the server run argon2
    recovery.reset_password(SqlIdentityStore(world.engine), hasher, mobile=mobile, challenge_id=sent.challenge_id,
                            code=code, new=NEW, scope="internet")
    assert hasher.calls == 2 and logs_in(world.engine, mobile, NEW)  # the old one compared, the new one hashed


def test_a_mobile_without_an_account_gets_the_same_answer_and_limits_and_no_sms(world: World,
                                                                                  gateway: SmsGateway) -> None:
    now = clock.now()
    sent = send(world.engine, gateway, NOBODY, now=now)
    assert sent.demo_code is None and gateway.texts_to(NOBODY) == []  # nothing sent to a stranger's phone
    with pytest.raises(FieldError, match="请\\d+秒后再重新获取"):  # just as for an account
        send(world.engine, gateway, NOBODY, now=now)
    with pytest.raises(FieldError, match="验证码不正确"):  # no code can match
        reset(world.engine, NOBODY, sent.challenge_id, "123456", now=now)
    account = send(world.engine, gateway, world.applicant.login, now=now)
    gateway.wait_for_count(world.applicant.login, 1)  # sent after the answer: let it finish within the test
    with pytest.raises(FieldError, match="请\\d+秒后再重新获取"):
        send(world.engine, gateway, world.applicant.login, now=now)
    assert account.challenge_id != sent.challenge_id
    with Session(world.engine) as session:  # the audit log (administrators only) says which code went nowhere
        actions = {e.subject: e.action for e in session.exec(select(AuditEntry)).all()}
    assert actions[f"challenge:{sent.challenge_id}"] == "sms_code_withheld"
    assert actions[f"challenge:{account.challenge_id}"] == "sms_code_sent"


def test_staff_and_registration_codes_reset_nothing_and_wrong_codes_run_out(world: World, gateway: SmsGateway) -> None:
    officer = world.county
    assert officer.mobile is None or not officer.login.isdigit()  # staff log in by name: no SMS reset
    mobile = world.applicant.login
    signup = registration.send_code(SqlIdentityStore(world.engine), HttpSmsGateway(gateway.url), mobile=mobile,
                                    purpose="register", address="", demo=False)
    with pytest.raises(FieldError, match="请先获取短信验证码"):  # a code sent to register is not a reset code
        reset(world.engine, mobile, signup.challenge_id, gateway.last_code(mobile))
    later = clock.now() + timedelta(minutes=2)
    sent = send(world.engine, gateway, mobile, now=later)
    gateway.wait_for_count(mobile, 2)  # the registration's code, then this one
    code = gateway.last_code(mobile)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(FieldError, match="太常见"):  # checked before the code: the code is not used up by this
        reset(world.engine, mobile, sent.challenge_id, code, new="password123", now=later)
    for _ in range(5):
        with pytest.raises(FieldError):
            reset(world.engine, mobile, sent.challenge_id, wrong, now=later)
    with pytest.raises(FieldError, match="输错次数过多"):
        reset(world.engine, mobile, sent.challenge_id, code, now=later)
    assert logs_in(world.engine, mobile, DEMO_PASSWORD)
