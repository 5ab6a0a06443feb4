"""Crashes at any moment lose nothing that was acknowledged and leave nothing half-written.

A worker process (forked, so it starts at once) works through 100 drafts: the submission and the
county's confirmation of each, and for every fourth an upload first and the prefecture's acceptance
(with its notice) last: 250 use cases, 225 of them submissions and state changes. After each use case
returns it appends an acknowledgement to a file, as a page would show "提交成功".

When to kill is decided from the work, never from the clock. The worker stops at every point worth a
crash and tells the parent over a pipe: inside a use case (a file written before its row, the case row
changed, the event written, a number drawn, an audit entry added, a document rendered, just before and
just after the commit) and between use cases (right after an acknowledgement). At each point the
parent either lets it go on or kills it there with SIGKILL (no cleanup, no rollback, no flush); now and
then it lets it go on and kills it a moment later, wherever it then is. A new worker carries on from
what the database says. The parent lands its planned number of kills however fast the machine is,
then lets the work finish and checks: every acknowledged step is in the database; every case's row
agrees with its events, audit entries, notifications and documents (nothing half-written); every file
a row names is in the file store with the right bytes; the audit chain verifies. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as day_time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from flows import cases
from flows.clock import CHINA
from flows.documents import render as documents
from flows.review.transitions import Act, Stage
from store import audit, blobs, db
from store.accounts import Account
from store.demo import demo_pdf
from store.models import Answer, AuditEntry, Case, CaseEvent, CaseMaterial, Document, Notification
from store.uow import SqlUnitOfWork
from tests.support import World, filled_draft, make_world

CASES = 100
TODAY = date(2026, 11, 27)
NOW = datetime.combine(TODAY, day_time(10, 0), tzinfo=CHINA)
PLANNED_KILLS = 100  # per database: 200 over the run
MIN_KILLS = 50
KILL_CHANCE = 0.15  # at each point; the worker passes well over a thousand points doing the work once
LATE_KILL_CHANCE = 0.25  # of the kills: let it go on, kill it a moment later wherever it is
SILENCE_LIMIT_S = 300.0  # a worker silent this long is hung (a liveness guard, not a speed check)


def _copy_drafts(engine: Engine, template: int, count: int) -> list[int]:
    """`count` drafts with the template's answers and materials (rows copied; their files are stored)."""
    made = []
    with Session(engine) as session:
        source = session.get(Case, template)
        assert source is not None
        answers = list(session.exec(select(Answer).where(Answer.case_id == template)))
        materials = list(session.exec(select(CaseMaterial).where(CaseMaterial.case_id == template,
                                                                 col(CaseMaterial.current).is_(True))))
        for _ in range(count):
            copy = Case(**source.model_dump(exclude={"id", "version", "warnings", "open_items"}))
            session.add(copy)
            session.flush()
            assert copy.id is not None
            made.append(copy.id)
            session.add_all([Answer(case_id=copy.id, question_id=a.question_id, value=a.value) for a in answers])
            session.add_all([CaseMaterial(**m.model_dump(exclude={"id", "case_id"}), case_id=copy.id)
                             for m in materials])
        session.commit()
    return [template, *made]


def _pause_at_points(conn: Connection) -> Callable[[str], None]:
    """In the worker: stop at every point worth a crash until the parent says go (or kills it there)."""

    def point(name: str) -> None:
        conn.send(name)
        conn.recv()

    def around(owner: Any, attr: str, *, before: str | None = None, after: str | None = None) -> None:
        original = getattr(owner, attr)

        def paused(*args: Any, **kwargs: Any) -> Any:
            if before:
                point(before)
            result = original(*args, **kwargs)
            if after:
                point(after)
            return result

        setattr(owner, attr, paused)

    around(blobs, "put", after="file stored, no row names it yet")
    around(audit, "append", after="audit entry added")
    around(SqlUnitOfWork, "_change_case", after="case row changed")
    around(SqlUnitOfWork, "next_number", after="document number drawn")
    around(SqlUnitOfWork, "apply", after="event, notification and audit entry written")
    around(SqlUnitOfWork, "commit", before="about to commit", after="committed, not yet acknowledged")
    return point


def _work(url: str, world_ids: dict[str, Account], case_ids: list[int], acks: str, conn: Connection) -> None:
    """The worker: do whatever each case still needs, acknowledging each step once it returned."""
    point = _pause_at_points(conn)

    def render(spec: object) -> bytes:
        # Documents are rendered for real elsewhere; a distinct small PDF per document keeps this test fast.
        data = demo_pdf(f"document {os.urandom(8).hex()}")
        point("document rendered")
        return data

    documents.render = render
    engine = db.make_engine(url)
    world = World(engine=engine, **world_ids)
    handle = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def ack(step: str, case_id: int) -> None:
        os.write(handle, f"{step} {case_id}\n".encode())
        point("acknowledged, between use cases")

    def version(case_id: int) -> int:
        with world.uow() as uow:
            return uow.case(case_id).version

    def stage(case_id: int) -> Stage:
        with world.uow() as uow:
            return uow.case(case_id).stage

    for case_id in case_ids:
        with world.uow() as uow:
            uploaded = {m.material_id for m in uow.materials(case_id)}
        if stage(case_id) == Stage.DRAFT:
            if case_id % 4 == 0 and "other" not in uploaded:
                cases.upload_material(world.uow(), world.applicant.actor, case_id, "other",
                                      filename="补充说明.pdf", data=demo_pdf(f"extra {case_id} {os.urandom(8).hex()}"))
                ack("upload", case_id)
            cases.submit(world.uow(), world.applicant.actor, case_id, expected_version=version(case_id), now=NOW)
            ack("submit", case_id)
        if stage(case_id) == Stage.COUNTY_CONFIRM:
            cases.act_on_case(world.uow(), world.county.actor, case_id, Act.CONFIRM,
                              expected_version=version(case_id), now=NOW)
            ack("confirm", case_id)
        if case_id % 4 == 0 and stage(case_id) == Stage.PREFECTURE_ACCEPT:
            cases.act_on_case(world.uow(), world.prefecture.actor, case_id, Act.ACCEPT,
                              expected_version=version(case_id), now=NOW)
            ack("accept", case_id)
    os.close(handle)
    conn.close()


def _finished(engine: Engine, case_ids: list[int]) -> bool:
    with Session(engine) as session:
        stages = dict(session.exec(select(Case.id, Case.stage).where(col(Case.id).in_(case_ids))).all())
    return all(stages[i] == (Stage.PREFECTURE_REVIEW if i % 4 == 0 else Stage.PREFECTURE_ACCEPT) for i in case_ids)


# What each case's history must be at each stage this test reaches.
EXPECTED_ACTS = {Stage.DRAFT: [], Stage.COUNTY_CONFIRM: [Act.SUBMIT], Stage.PREFECTURE_ACCEPT: [Act.SUBMIT, Act.CONFIRM],
                 Stage.PREFECTURE_REVIEW: [Act.SUBMIT, Act.CONFIRM, Act.ACCEPT]}


def _check_store(engine: Engine, case_ids: list[int], acknowledged: list[tuple[str, int]]) -> None:
    with Session(engine) as session:
        rows = {int(c.id or 0): c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
        events: dict[int, list[CaseEvent]] = {i: [] for i in case_ids}
        for event in session.exec(select(CaseEvent).order_by(col(CaseEvent.id))):
            events[event.case_id].append(event)
        audited = Counter(int(e.detail.get("event", 0)) for e in session.exec(select(AuditEntry))
                          if e.subject.startswith("case:") and "event" in e.detail)
        notified = Counter(int(n.case_id or 0) for n in session.exec(select(Notification)))
        docs = list(session.exec(select(Document)))
        materials = list(session.exec(select(CaseMaterial)))
        broken = audit.verify_chain(session)

    # Every acknowledged step is there.
    reached = {"submit": Stage.COUNTY_CONFIRM, "confirm": Stage.PREFECTURE_ACCEPT, "accept": Stage.PREFECTURE_REVIEW}
    order = list(EXPECTED_ACTS)
    for step, case_id in acknowledged:
        if step == "upload":
            assert any(m.case_id == case_id and m.material_id == "other" for m in materials), (step, case_id)
        else:
            assert order.index(Stage(rows[case_id].stage)) >= order.index(reached[step]), (step, case_id)

    # Nothing half-written: the row, its events, their audit entries and notifications, its documents agree.
    for case_id, case in rows.items():
        stage = Stage(case.stage)
        acts = [Act(e.act) for e in events[case_id]]
        assert acts == EXPECTED_ACTS[stage], (case_id, stage, acts)
        assert (case.number is not None) == (stage != Stage.DRAFT), case_id
        for event in events[case_id]:
            assert event.id is not None
            assert audited[event.id] == 1, f"event {event.id} of case {case_id} has {audited[event.id]} audit entries"
        assert notified[case_id] == len(acts), (case_id, notified[case_id], acts)
        notices = [d for d in docs if d.case_id == case_id]
        assert len(notices) == (1 if stage == Stage.PREFECTURE_REVIEW else 0), (case_id, notices)
        current = Counter(m.material_id for m in materials if m.case_id == case_id and m.current)
        assert all(n == 1 for n in current.values()), (case_id, current)

    # Every file a row names is stored, with the right bytes.
    for sha in {m.sha256 for m in materials} | {d.sha256 for d in docs}:
        assert blobs.exists(sha), f"a row names file {sha}, which is not in the file store"
        assert hashlib.sha256(blobs.get(sha)).hexdigest() == sha
    assert broken is None, f"audit chain breaks at entry {broken}"


class Killer:
    """The parent's side: runs workers until the work is done, killing them at points the work reports."""

    def __init__(self, database_url: str, accounts: dict[str, Account], case_ids: list[int], acks: str) -> None:
        self.args = (database_url, accounts, case_ids, acks)
        self.context = multiprocessing.get_context("fork")
        self.rng = random.Random(int.from_bytes(os.urandom(4), "big"))
        self.kills: Counter[str] = Counter()  # where each kill landed
        self.points = 0

    @property
    def landed(self) -> int:
        return sum(self.kills.values())

    def run_one(self) -> None:
        """One worker, from start to its end: the work finished, or a kill."""
        parent_end, child_end = self.context.Pipe()
        worker = self.context.Process(target=_work, args=(*self.args, child_end), daemon=True)
        worker.start()
        child_end.close()
        try:
            while True:
                assert parent_end.poll(SILENCE_LIMIT_S), f"the worker said nothing for {SILENCE_LIMIT_S:.0f} s: hung"
                try:
                    where = parent_end.recv()
                except EOFError:
                    break  # the worker ended on its own
                self.points += 1
                if self.landed < PLANNED_KILLS and self.rng.random() < KILL_CHANCE:
                    if self.rng.random() < LATE_KILL_CHANCE:
                        parent_end.send("go")  # and kill it a moment later, wherever it is by then
                        os.sched_yield()
                        where = f"shortly after: {where}"
                    worker.kill()  # SIGKILL: no cleanup, no rollback, no flush
                    self.kills[where] += 1
                    break
                parent_end.send("go")
        finally:
            parent_end.close()
            worker.join()
        assert worker.exitcode in (0, -9), f"the worker failed (exit code {worker.exitcode}); see its output"


def test_kills_at_any_point_lose_no_acknowledged_step_and_leave_nothing_half_written(
        engine: Engine, database_url: str, tmp_path: Path, figures: Callable[[str, str], None]) -> None:
    world = make_world(engine)
    template = filled_draft(world, "C", today=TODAY)
    case_ids = _copy_drafts(engine, template.id, CASES - 1)
    accounts = {k: getattr(world, k) for k in ("applicant", "other_applicant", "county", "sibling_county",
                                               "prefecture", "other_prefecture", "province")}
    acks = str(tmp_path / "acks.txt")
    killer = Killer(database_url, accounts, case_ids, acks)
    while not _finished(engine, case_ids):
        engine.dispose()  # no connection of ours is inherited by the child
        killer.run_one()
    figures("kills", f"{killer.landed} kills over {killer.points} points: {dict(killer.kills.most_common())}")
    with open(acks, encoding="utf-8") as handle:
        acknowledged = [(step, int(case_id)) for step, case_id in (line.split() for line in handle if line.strip())]
    assert killer.landed >= MIN_KILLS, f"only {killer.landed} kills landed over {killer.points} points"
    assert len(killer.kills) >= 8, f"kills landed at too few kinds of points: {dict(killer.kills)}"
    assert Counter(step for step, _ in acknowledged)["submit"] >= CASES - killer.landed
    _check_store(engine, case_ids, acknowledged)
    with engine.connect() as connection:  # the store still takes writes after all this
        connection.execute(text("SELECT 1"))
