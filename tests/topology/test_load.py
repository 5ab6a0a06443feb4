"""Forty applicants filing at a human pace through nginx to two replicas on one PostgreSQL; then the same
with one replica SIGKILLed in the middle: its applicants reconnect through the proxy to the other replica,
are still logged in, continue at the step they were at, and no acknowledged answer is lost."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from sqlalchemy import Engine

from deploy.topology import Topology
from flows.oversight.admin import set_email
from scripts.load import Results, register_logins
from scripts.load_ws import Target, Walk, roster_workbook, run_load, submitted_in_database, summary
from store.admin import SqlAdminStore
from store.demo import demo_pdf
from tests.topology.conftest import run

SESSIONS = 40
THINK_S = 1.0  # mean pause before each interaction: a brisk person (a real one takes 10-20 s)
STAGGER_S = 0.25
TIME_LIMIT_S = 900.0  # a safety net for a hung run only: a loaded machine is slower, never wrong
ROUTE_COOKIE = "__Host-baoan-route"


def _walk(topology: Topology) -> Walk:
    return Walk(Target.parse(topology.url, str(topology.cafile)), Results(), demo_pdf("load test material"),
                roster_workbook(), THINK_S, 60.0, reconnect=True, source_addresses=True)


def _logins(db: Engine, first: int) -> list[tuple[int, str]]:
    logins = register_logins(db, SESSIONS, first=first)
    for user_id, _token in logins:  # notifications go by e-mail, through the outbox senders
        set_email(SqlAdminStore(db), user_id, f"applicant{user_id}@example.test", actor_id=None)
    return logins


def test_forty_applicants_file_through_the_proxy(topology: Topology, db: Engine,
                                                 figures: Callable[[str, str], None]) -> None:
    w = _walk(topology)
    before = submitted_in_database(db)
    started = time.perf_counter()
    run(run_load(w, _logins(db, 0), stagger=STAGGER_S, time_limit=TIME_LIMIT_S,
                         server_pids=[app.pid for app in topology.apps]))
    text = summary(w, SESSIONS, time.perf_counter() - started, db, submitted_before=before)
    figures(f"{SESSIONS} applicants through nginx, 2 replicas, PostgreSQL (think {THINK_S:g} s)", text)
    assert w.results.errors == []
    assert w.results.completed == SESSIONS
    assert submitted_in_database(db) - before == SESSIONS
    assert w.lost == []
    routes = {session.jar.get(ROUTE_COOKIE) for session in w.sessions.values()}
    assert routes == {"r1", "r2"}, "the proxy spreads new visitors over both replicas"


async def _kill_mid_run(w: Walk, topology: Topology, logins: list[tuple[int, str]]) -> tuple[int, list[int]]:
    """Run the load; when a third of its interactions are done, SIGKILL the replica holding the most running
    sessions. Returns that replica's index and the sessions it held then."""
    load = asyncio.create_task(run_load(w, logins, stagger=STAGGER_S, time_limit=TIME_LIMIT_S,
                                        server_pids=[app.pid for app in topology.apps]))
    third = SESSIONS * 29 // 3
    while len(w.results.all()) < third and not load.done():
        await asyncio.sleep(0.05)
    holding: dict[str, list[int]] = {"r1": [], "r2": []}
    for user_id, session in w.sessions.items():
        route = session.jar.get(ROUTE_COOKIE)
        if user_id not in w.finished and route in holding:
            holding[route].append(user_id)
    route = max(holding, key=lambda r: len(holding[r]))
    victim = int(route[1:]) - 1
    await asyncio.to_thread(topology.kill_replica, victim)
    await load
    return victim, holding[route]


def test_a_replica_killed_mid_run_loses_no_acknowledged_answer(topology: Topology, db: Engine,
                                                              figures: Callable[[str, str], None]) -> None:
    w = _walk(topology)
    before = submitted_in_database(db)
    started = time.perf_counter()
    victim, held = run(_kill_mid_run(w, topology, _logins(db, SESSIONS)))
    try:
        text = summary(w, SESSIONS, time.perf_counter() - started, db, submitted_before=before)
        figures(f"{SESSIONS} applicants, replica r{victim + 1} SIGKILLed holding {len(held)} of them", text)
        assert held, "the killed replica held running sessions"
        assert w.results.errors == []
        assert w.results.completed == SESSIONS
        assert submitted_in_database(db) - before == SESSIONS
        assert w.lost == []
        assert w.reconnects >= len(held), "every session of the killed replica reconnected"
        survivor = f"r{2 - victim}"
        assert all(w.sessions[user].jar.get(ROUTE_COOKIE) == survivor for user in held), \
            "the proxy re-pinned them to the surviving replica"
    finally:
        topology.restart_replica(victim)


def test_the_uploaded_files_are_read_by_the_pre_check_worker_not_by_the_replicas(topology: Topology,
                                                                                 db: Engine) -> None:
    """Deployed, a replica serves pages and reads no uploaded file (PRECHECK_WORKER=external): the pre-check
    worker (智能预审), a process of its own, reads what an applicant uploaded."""
    assert [app.env["PRECHECK_WORKER"] for app in topology.apps] == ["external", "external"]
    assert len(topology.workers) == 1
    w = _walk(topology)
    run(run_load(w, register_logins(db, 1, first=2 * SESSIONS), stagger=0, time_limit=TIME_LIMIT_S,
                 server_pids=[app.pid for app in topology.apps]))
    assert w.results.completed == 1
    worker = topology.workers[0]
    read = re.compile(r"pre-check of material row \d+: (done|failed)")
    while not read.search(worker.log.read_text(errors="replace")):  # until it has read one (OCR: seconds)
        assert worker.running, "the pre-check worker stopped"
        time.sleep(0.2)
    for app in topology.apps:
        assert "pre-check of material row" not in app.log.read_text(errors="replace")
