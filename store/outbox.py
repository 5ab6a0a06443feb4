"""The outbox sender: delivers applicants' notifications by e-mail (SMTP) or through an SMS gateway.

Every stage change already writes a `Notification` in the case's own transaction. A sender run:
1. claims work in one short transaction: a `Delivery` row per new notification (unique per
   notification: two senders cannot both insert one), plus failed ones whose retry time has come
   and abandoned ones whose lease ran out — each claimed row gets this run's token and a lease;
2. sends each claimed message outside any transaction;
3. records the outcome only if the row still carries its token (a run whose lease expired and
   was taken over records nothing), together with `Notification.sent_at` and `attempts`.
A message is retried with growing pauses up to `max_attempts`, then marked failed. The one gap
left is inherent to SMTP: a crash after the server accepted a message and before step 3 sends
it again after the lease (at least once, never twice while the sender is alive).

Run it: `python -m store.outbox` (loops) or `python -m store.outbox --once`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from sqlalchemy import Engine, and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from flows.config import get_config
from store import log_privacy
from store.audit import verify_and_alert
from store.db import default_engine, write_session
from store.keys import owner_only
from store.models import ContactAddress, Delivery, Notification, User, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
BATCH = 50
SUBJECT = "办件进度通知"


class DeliveryFailed(Exception):
    """The channel could not deliver this time (retried later)."""


class EmailSender(Protocol):
    def send_email(self, to: str, subject: str, body: str) -> None: ...


class SmsGateway(Protocol):
    """A pluggable SMS gateway: a province plugs in its own (government SMS platform)."""

    def send_sms(self, mobile: str, text: str) -> None: ...


@dataclass
class SmtpSender:
    """E-mail through an SMTP server (STARTTLS when asked, login when a user is given)."""

    host: str
    port: int = 25
    sender: str = "noreply@localhost"
    sender_name: str = ""
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    def send_email(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP: {type(error).__name__}: {error}"[:200]) from None


@dataclass
class LoggingSmsGateway:
    """A stand-in gateway: logs (masked) and remembers what it would have sent. For demos and tests."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_times: int = 0  # fail this many calls first (to exercise retries)

    def send_sms(self, mobile: str, text: str) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise DeliveryFailed("短信网关暂不可用")
        self.sent.append((mobile, text))
        log.info("SMS to %s***%s: %s", mobile[:3], mobile[-2:], text)


@dataclass
class HttpSmsGateway:
    """An HTTP SMS gateway (a government SMS platform's HTTP interface, or the tests' local one):
    POST {"mobile": …, "text": …} as JSON to `url`; any 2xx answer means accepted for delivery."""

    url: str
    token: str = ""  # sent as "Authorization: Bearer …" when set (SMS_GATEWAY_TOKEN)
    timeout: float = 10.0

    def send_sms(self, mobile: str, text: str) -> None:
        body = json.dumps({"mobile": mobile, "text": text}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - configured URL
                if not 200 <= answer.status < 300:
                    raise DeliveryFailed(f"SMS gateway answered {answer.status}")
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryFailed(f"SMS gateway: {type(error).__name__}: {error}"[:200]) from None


def sms_gateway_from_env() -> SmsGateway | None:
    """SMS_GATEWAY: an http(s) URL (HttpSmsGateway, with SMS_GATEWAY_TOKEN), `log` (LoggingSmsGateway), or unset."""
    setting = os.environ.get("SMS_GATEWAY", "").strip()
    if setting.startswith(("http://", "https://")):
        return HttpSmsGateway(url=setting, token=os.environ.get("SMS_GATEWAY_TOKEN", ""))
    if setting == "log":
        return LoggingSmsGateway()
    return None


def code_sms_gateway() -> SmsGateway | None:
    """The gateway one-time codes go through: a real one only (the logging stand-in would write codes to the
    log). None: the demo shows the code on screen, production refuses to register."""
    gateway = sms_gateway_from_env()
    return None if isinstance(gateway, LoggingSmsGateway) else gateway


@dataclass
class Channels:
    email: EmailSender | None = None
    sms: SmsGateway | None = None


def channels_from_env() -> Channels:
    """SMTP from SMTP_HOST (+ SMTP_PORT, SMTP_FROM, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS=1).

    SMS through sms_gateway_from_env (an HTTP gateway URL, or `log` for the logging stand-in in demos).
    Without any channel a message is recorded as not sent (no channel), never as sent.
    """
    email = None
    host = os.environ.get("SMTP_HOST")
    if host:
        email = SmtpSender(host=host, port=int(os.environ.get("SMTP_PORT", "25")),
                           sender=os.environ.get("SMTP_FROM", "noreply@localhost"),
                           sender_name=get_config().service_hall, username=os.environ.get("SMTP_USER", ""),
                           password=os.environ.get("SMTP_PASSWORD", ""),
                           starttls=os.environ.get("SMTP_STARTTLS") == "1")
    return Channels(email=email, sms=sms_gateway_from_env())


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the n-th failure, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    notification_id: int
    text: str
    email: str
    mobile: str
    attempts: int


def claim(engine: Engine, *, token: str, now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Take up to `limit` messages for this run (see the module's docstring)."""
    lease = now + LEASE
    with write_session(engine) as session:
        fresh = session.exec(select(Notification.id).join(
            Delivery, col(Delivery.notification_id) == col(Notification.id), isouter=True)
            .where(col(Delivery.id).is_(None)).order_by(col(Notification.id)).limit(limit)).all()
        if fresh:
            insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
            statement = insert(Delivery).on_conflict_do_nothing(index_elements=["notification_id"])
            session.execute(statement, [
                {"notification_id": n, "status": "sending", "claim": token, "lease_until": lease, "attempts": 0,
                 "channel": "", "last_error": "", "updated_at": now} for n in fresh])
        due = or_(and_(col(Delivery.status) == "retry", col(Delivery.next_attempt_at) <= now),
                  and_(col(Delivery.status) == "sending", col(Delivery.lease_until) < now))
        again = session.exec(select(Delivery.id).where(due).order_by(col(Delivery.id)).limit(limit)).all()
        if again:
            session.execute(update(Delivery).where(col(Delivery.id).in_(again), due)
                            .values(status="sending", claim=token, lease_until=lease, updated_at=now))
        rows = session.exec(
            select(Delivery, Notification, User, ContactAddress.email)
            .join(Notification, col(Notification.id) == col(Delivery.notification_id))
            .join(User, col(User.id) == col(Notification.user_id))
            .join(ContactAddress, col(ContactAddress.user_id) == col(User.id), isouter=True)
            .where(col(Delivery.claim) == token, col(Delivery.status) == "sending")
            .order_by(col(Delivery.id))).all()
        claimed = [Claimed(d.id or 0, n.id or 0, n.text, email or "", user.mobile or "", d.attempts)
                   for d, n, user, email in rows]
        session.commit()
    return claimed


def _finish(engine: Engine, item: Claimed, token: str, *, now: datetime, channel: str, error: str | None,
            max_attempts: int) -> str:
    attempts = item.attempts + 1
    if error is None:
        status = "skipped" if channel == "none" else "sent"
    else:
        status = "failed" if attempts >= max_attempts else "retry"
    with write_session(engine) as session:
        result = session.execute(update(Delivery).where(
            col(Delivery.id) == item.delivery_id, col(Delivery.claim) == token, col(Delivery.status) == "sending")
            .values(status=status, channel=channel, attempts=attempts, last_error=(error or "")[:200],
                    sent_at=now if status == "sent" else None, lease_until=None, updated_at=now,
                    next_attempt_at=now + retry_delay(attempts) if status == "retry" else None))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(update(Notification).where(col(Notification.id) == item.notification_id).values(
                attempts=attempts, sent_at=now if status == "sent" else None))
        session.commit()
    return status


def deliver(item: Claimed, channels: Channels) -> tuple[str, str | None]:
    """Send one message by the first channel the user can be reached on: (channel, error or None)."""
    try:
        if item.email and channels.email is not None:
            channels.email.send_email(item.email, SUBJECT, f"{item.text}\n\n{get_config().service_hall}")
            return "email", None
        if item.mobile and channels.sms is not None:
            channels.sms.send_sms(item.mobile, item.text)
            return "sms", None
    except DeliveryFailed as error:
        return ("email" if item.email and channels.email else "sms"), str(error)
    return "none", None


@dataclass
class RunReport:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0


def send_pending(engine: Engine, channels: Channels, *, now: datetime | None = None,
                 max_attempts: int = MAX_ATTEMPTS, limit: int = BATCH) -> RunReport:
    """One sender run: claim, send, record. Safe to run in several processes at once."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    report = RunReport()
    for item in claim(engine, token=token, now=now, limit=limit):
        report.claimed += 1
        channel, error = deliver(item, channels)
        status = _finish(engine, item, token, now=now, channel=channel, error=error, max_attempts=max_attempts)
        setattr(report, status, getattr(report, status) + 1)
        if error:
            log.warning("notification %s not delivered (%s): %s", item.notification_id, status, error)
    return report


def outbox_counts(engine: Engine) -> dict[str, int]:
    """How many messages are waiting, sent, being retried, failed or had no address (for the admin)."""
    with Session(engine) as session:
        counts = {str(s): int(n) for s, n in session.exec(
            select(Delivery.status, func.count()).group_by(col(Delivery.status))).all()}
        # Each delivery belongs to exactly one notification (unique, foreign key) and neither is ever
        # deleted: the ones waiting are the difference, without joining every message ever sent.
        total = int(session.exec(select(func.count()).select_from(Notification)).one())
        counts["waiting"] = total - sum(counts.values())
    return counts


@dataclass(frozen=True)
class FailedDelivery:
    """A notification the sender could not deliver (yet), as the admin page lists it."""

    notification_id: int
    channel: str
    status: str
    attempts: int
    last_error: str
    updated_at: datetime


def failures(engine: Engine, limit: int = 20) -> list[FailedDelivery]:
    with Session(engine) as session:
        return [FailedDelivery(d.notification_id, d.channel, d.status, d.attempts, d.last_error, d.updated_at)
                for d in session.exec(select(Delivery).where(col(Delivery.status).in_(["retry", "failed"]))
                                      .order_by(col(Delivery.updated_at).desc()).limit(limit))]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="发送办件进度通知（邮件/短信）")
    parser.add_argument("--once", action="store_true", help="发送一轮后退出")
    parser.add_argument("--interval", type=float, default=30.0, help="两轮之间的秒数")
    parser.add_argument("--verify-every", type=float, default=3600.0,
                        help="每隔多少秒校验一次审计日志（失败时告知系统管理员和安全审计员；0为不校验）")
    args = parser.parse_args(argv)
    owner_only()
    log_privacy.install()
    logging.basicConfig(level=logging.INFO)
    engine, channels = default_engine(), channels_from_env()
    verified_at: float | None = None
    while True:
        if args.verify_every > 0 and (verified_at is None or time.monotonic() - verified_at >= args.verify_every):
            verify_and_alert(engine)  # its alert is a notification: this very run delivers it
            verified_at = time.monotonic()
        report = send_pending(engine, channels)
        log.info("outbox run: %s", report)
        if args.once:
            return
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
