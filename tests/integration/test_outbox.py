"""The outbox sender against a real SMTP server (aiosmtpd on 127.0.0.1): delivery, retries, no duplicates."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from deploy.postgres import free_port
from flows.clock import now as clock_now
from flows.oversight.admin import set_email
from store.admin import SqlAdminStore
from store.models import Delivery, Notification
from store.outbox import (
    LEASE,
    Channels,
    LoggingSmsGateway,
    SmtpSender,
    _finish,
    claim,
    deliver,
    outbox_counts,
    send_pending,
)
from tests.smtp import Inbox, smtp_server
from tests.support import World, make_world, submitted

DAY = date(2026, 11, 27)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))  # type: ignore[arg-type]


def notifications(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))  # type: ignore[arg-type]


def test_a_stage_change_is_emailed_once_through_a_real_smtp_server(world: World, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    set_email(SqlAdminStore(world.engine), world.applicant.user_id, "mali@example.cn", actor_id=None)
    case = submitted(world, "C", today=DAY)
    channels = Channels(email=SmtpSender(host="127.0.0.1", port=port, sender="noreply@gat.xj.example",
                                         sender_name="政务服务平台"))
    assert outbox_counts(world.engine) == {"waiting": 1}
    report = send_pending(world.engine, channels)
    assert (report.claimed, report.sent) == (1, 1)
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["mali@example.cn"]
    assert message["Subject"] == "办件进度通知"
    body = message.get_content()
    assert case.number is not None and case.number in body and "已提交" in body
    sent = notifications(world.engine)[0]
    assert sent.sent_at is not None and sent.attempts == 1
    # Nothing is sent twice.
    assert send_pending(world.engine, channels).claimed == 0
    assert len(inbox.messages) == 1
    assert outbox_counts(world.engine) == {"sent": 1, "waiting": 0}


def test_without_an_email_address_the_sms_gateway_is_used(world: World) -> None:
    gateway = LoggingSmsGateway()
    submitted(world, "C", today=DAY)
    report = send_pending(world.engine, Channels(email=None, sms=gateway))
    assert report.sent == 1
    assert gateway.sent[0][0] == world.applicant.mobile and "已提交" in gateway.sent[0][1]
    assert deliveries(world.engine)[0].channel == "sms"


def test_no_channel_at_all_is_recorded_not_retried(world: World) -> None:
    submitted(world, "C", today=DAY)
    assert send_pending(world.engine, Channels()).skipped == 1
    assert send_pending(world.engine, Channels()).claimed == 0


def test_a_failed_delivery_is_retried_later_then_given_up(world: World, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    set_email(SqlAdminStore(world.engine), world.applicant.user_id, "mali@example.cn", actor_id=None)
    submitted(world, "C", today=DAY)
    down = Channels(email=SmtpSender(host="127.0.0.1", port=free_port(), timeout=2))  # nobody listens
    start = clock_now()
    first = send_pending(world.engine, down, now=start, max_attempts=3)
    assert (first.claimed, first.retry) == (1, 1)
    row = deliveries(world.engine)[0]
    assert row.status == "retry" and row.attempts == 1 and "SMTP" in row.last_error
    assert send_pending(world.engine, down, now=start + timedelta(seconds=30)).claimed == 0  # not yet
    assert send_pending(world.engine, down, now=start + timedelta(minutes=1), max_attempts=3).retry == 1
    assert send_pending(world.engine, down, now=start + timedelta(minutes=4), max_attempts=3).failed == 1
    assert deliveries(world.engine)[0].status == "failed"
    assert send_pending(world.engine, down, now=start + timedelta(days=1)).claimed == 0
    assert inbox.messages == []

    # A later message to a server that is back goes through at once.
    world_case = submitted(world, "C", today=DAY)
    up = Channels(email=SmtpSender(host="127.0.0.1", port=port))
    assert send_pending(world.engine, up, now=start + timedelta(days=1)).sent == 1
    assert world_case.number in inbox.messages[0][1].get_content()  # type: ignore[operator]


def test_retry_after_a_gateway_hiccup_delivers_exactly_once(world: World) -> None:
    gateway = LoggingSmsGateway(fail_times=1)
    submitted(world, "C", today=DAY)
    start = clock_now()
    assert send_pending(world.engine, Channels(sms=gateway), now=start).retry == 1
    assert send_pending(world.engine, Channels(sms=gateway), now=start + timedelta(minutes=2)).sent == 1
    assert len(gateway.sent) == 1
    assert notifications(world.engine)[0].attempts == 2


def test_concurrent_senders_deliver_each_message_once(world: World, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    set_email(SqlAdminStore(world.engine), world.applicant.user_id, "mali@example.cn", actor_id=None)
    for _ in range(4):
        submitted(world, "C", today=DAY)
    channels = Channels(email=SmtpSender(host="127.0.0.1", port=port))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            send_pending(world.engine, channels, limit=3)
            send_pending(world.engine, channels, limit=3)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(inbox.messages) == 4
    bodies = sorted(m.get_content() for _, m in inbox.messages)
    assert len(set(bodies)) == 4  # four different notifications, none twice
    assert all(n.sent_at is not None for n in notifications(world.engine))


def test_an_abandoned_claim_is_taken_over_after_its_lease_and_the_late_sender_records_nothing(
        world: World) -> None:
    submitted(world, "C", today=DAY)
    start = clock_now()
    stuck = claim(world.engine, token="a" * 32, now=start)  # a sender that died before sending
    assert len(stuck) == 1
    gateway = LoggingSmsGateway()
    assert send_pending(world.engine, Channels(sms=gateway), now=start + timedelta(minutes=1)).claimed == 0
    later = start + LEASE + timedelta(seconds=1)
    assert send_pending(world.engine, Channels(sms=gateway), now=later).sent == 1
    # The first sender wakes up: its token no longer holds the row, nothing is overwritten.
    channel, error = deliver(stuck[0], Channels(sms=LoggingSmsGateway()))
    assert _finish(world.engine, stuck[0], "a" * 32, now=later, channel=channel, error=error, max_attempts=5)
    row = deliveries(world.engine)[0]
    assert row.status == "sent" and row.attempts == 1 and len(gateway.sent) == 1
