"""Two processes, one database: two officers on different replicas act on one case at once (exactly one
wins, the other is told someone else acted), and an outbox sender beside each replica never sends a
message twice."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from deploy.topology import Topology
from flows import clock
from flows.oversight.admin import set_email
from flows.review.transitions import ACT_LABELS, Act, Role
from scripts.load_ws import Session, Target
from store.accounts import create_user, demo_password_hash, start_session
from store.admin import SqlAdminStore
from store.demo import DEMO_PASSWORD
from tests.smtp import Inbox
from tests.support import World, make_world, submitted
from tests.topology.conftest import run, wait_until

STALE = "此办件已被他人处理"
SUBMISSIONS = 20


async def _race(sessions: list[Session]) -> list[str]:
    for session in sessions:
        await session.open()
        await session.click(ACT_LABELS[Act.CONFIRM])  # opens the act's confirmation panel
    await asyncio.gather(*(session.click("确定办理") for session in sessions))
    outcomes = []
    for session in sessions:
        shown = session.text()
        won = f"已办理“{ACT_LABELS[Act.CONFIRM]}”" in shown
        outcomes.append("lost" if STALE in shown else "won" if won else shown[-300:])
        await session.close()
    return outcomes


@pytest.fixture(scope="module")
def world(db: Engine) -> World:
    return make_world(db)


def test_two_officers_on_different_replicas_acting_at_once_one_wins(topology: Topology, db: Engine,
                                                                   world: World, data_dir: Path) -> None:
    case = submitted(world, "C", today=clock.today())
    colleague = create_user(db, login="county650102-2", password=DEMO_PASSWORD, display_name="同一县的另一位民警",
                            password_hash=demo_password_hash(DEMO_PASSWORD), role=Role.COUNTY, region_code="650102")
    sessions = [Session(Target.parse(topology.replica_url(index)), start_session(db, officer, second_factor=True),
                        60.0, page="case", query=f"id={case.id}")
                for index, officer in enumerate((world.county.user_id, colleague))]

    outcomes = run(_race(sessions))

    assert sorted(outcomes) == ["lost", "won"], outcomes
    with db.connect() as connection:
        confirmations = connection.execute(text(
            "SELECT count(*) FROM caseevent WHERE case_id = :case AND act = 'confirm'"), {"case": case.id}).scalar_one()
        stage = connection.execute(text('SELECT stage FROM "case" WHERE id = :case'), {"case": case.id}).scalar_one()
    assert confirmations == 1
    assert stage == "prefecture_accept"


def _sent_by(log: Path) -> int:
    return sum(int(n) for n in re.findall(r"RunReport\(claimed=\d+, sent=(\d+)", log.read_text(errors="replace")))


def test_an_outbox_sender_beside_each_replica_never_sends_a_message_twice(
        topology: Topology, db: Engine, world: World, data_dir: Path, inbox: tuple[Inbox, int],
        figures: Callable[[str, str], None]) -> None:
    mail, _port = inbox
    for applicant in (world.applicant, world.other_applicant):
        set_email(SqlAdminStore(db), applicant.user_id, f"unit{applicant.user_id}@example.test", actor_id=None)
    for n in range(SUBMISSIONS):  # each submission notifies its applicant, while both senders poll
        submitted(world, "C", today=clock.today(), applicant=(world.applicant, world.other_applicant)[n % 2])
    with db.connect() as connection:
        notifications = connection.execute(text("SELECT count(*) FROM notification")).scalar_one()

    def delivered() -> bool:
        with db.connect() as connection:
            settled = connection.execute(text(
                "SELECT count(*) FROM delivery WHERE status IN ('sent', 'skipped', 'failed')")).scalar_one()
        return bool(settled >= notifications)

    wait_until(delivered, 120, "every notification to be delivered")
    with db.connect() as connection:
        sent = dict(connection.execute(text(
            "SELECT d.notification_id, d.attempts FROM delivery d WHERE d.status = 'sent'")).all())
    with mail.lock:
        received = Counter((tuple(to), message.get_content()) for to, message in mail.messages)
    per_sender = [_sent_by(sender.log) for sender in topology.senders]
    figures("outbox", f"{notifications} notifications, {len(sent)} e-mailed, {sum(received.values())} "
                      f"received by the SMTP server; sent per sender: {per_sender}")
    assert len(sent) >= SUBMISSIONS
    assert sum(received.values()) == len(sent) == sum(per_sender)
    assert all(count == 1 for count in received.values()), "no message arrived twice"
    assert set(sent.values()) == {1}, "each message went out in one attempt"
