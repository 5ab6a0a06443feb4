"""State changes per second: a county's confirmation through `flows.cases.act_on_case` in a
`store.uow.SqlUnitOfWork` (case row with its version check, event, hash-chained audit entry, the
applicant's notification, one transaction each), on the 100,000-case data set.

Baseline: the same rows written by hand on a raw sqlite3 connection, one `BEGIN IMMEDIATE ... COMMIT`
per change (update the case, insert the event, the notification and an audit entry whose hash covers
the previous one), on other cases waiting at the same stage.

Besides: an acceptance, which also renders and stores the acceptance notice (a PDF) — rendered before
its write transaction, which only checks the case and the document number and writes the rows — measured
as the service runs it (one process per core, as deploy/ runs one replica per core, all acting at once on
the one database, each taking the next case of one shared list as requests reach whichever replica is
free; each process warm, as a serving process is) and in one process alone; and the longest
time any write transaction of this section held SQLite's write lock (BEGIN IMMEDIATE to COMMIT or
ROLLBACK, measured on each process's connections).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue
import sqlite3
import sys
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event

from bench.common import Figure
from bench.dataset import Dataset
from flows import cases
from flows.config import get_config
from flows.documents.render import prepare_fonts
from flows.documents.seal import seal_png
from flows.review.transitions import Act, Actor, Role
from store.db import make_engine
from store.uow import SqlUnitOfWork

CHANGES = 1_000
ACCEPTS = 20
# Acts issuing a document, measured as the service runs them: one process per core (the replicas of
# deploy/), each acting on its own cases of the one database.
PROCESS_ACCEPTS = 100  # per process, taken from one shared list
WARM_ACCEPTS = 5  # per process, before the measured acts: its first documents made
TARGET_PER_SECOND = 500.0
TARGET_DOCUMENT_ACTS_PER_SECOND = 100.0
TARGET_LOCK_MS = 20.0


@contextmanager
def write_lock_holds(engine: Engine) -> Iterator[list[float]]:
    """Seconds each write transaction on `engine` held the write lock (BEGIN IMMEDIATE .. COMMIT/ROLLBACK)."""
    holds: list[float] = []
    started: dict[int, float] = {}

    def begin(connection: Any) -> None:
        if connection.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
            started[id(connection.connection)] = time.perf_counter()

    def end(connection: Any) -> None:
        start = started.pop(id(connection.connection), None)
        if start is not None:
            holds.append(time.perf_counter() - start)

    # After the engine's own "begin" listener (store/db.py), which issues the BEGIN.
    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    try:
        yield holds
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "commit", end)
        event.remove(engine, "rollback", end)


def _waiting(data: Dataset, stage: str, limit: int) -> list[tuple[int, int, str, str]]:
    with sqlite3.connect(str(data.path)) as connection:
        rows = connection.execute('SELECT id, version, county_code, prefecture_code FROM "case" WHERE stage = ? '
                                  "ORDER BY id LIMIT ?", (stage, limit)).fetchall()
    return [(int(i), int(v), str(c), str(p)) for i, v, c, p in rows]


def _product(data: Dataset, work: list[tuple[int, int, str, str]]) -> float:
    start = time.perf_counter()
    for case_id, version, county, _prefecture in work:
        actor = Actor(data.officers[f"xian{county}"], Role.COUNTY, county, name="县级审核人员")
        cases.act_on_case(SqlUnitOfWork(data.engine), actor, case_id, Act.CONFIRM, expected_version=version,
                           licence_checked=True)
    return time.perf_counter() - start


def _raw(data: Dataset, work: list[tuple[int, int, str, str]]) -> float:
    connection = sqlite3.connect(str(data.path), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    start = time.perf_counter()
    for case_id, version, county, _prefecture in work:
        now = datetime.now(UTC).isoformat(" ")
        actor = data.officers[f"xian{county}"]
        connection.execute("BEGIN IMMEDIATE")
        applicant = connection.execute('SELECT applicant_user_id FROM "case" WHERE id = ?', (case_id,)).fetchone()[0]
        changed = connection.execute(
            "UPDATE \"case\" SET stage = 'prefecture_accept', updated_at = ?, version = ? WHERE id = ? AND version = ?",
            (now, version + 1, case_id, version)).rowcount
        assert changed == 1
        event = connection.execute(
            "INSERT INTO caseevent (case_id, act, from_stage, to_stage, actor_id, actor_role, actor_name, at, "
            "comment, internal_comment, items) VALUES (?, 'confirm', 'county_confirm', 'prefecture_accept', ?, "
            "'county', '县级审核人员', ?, '', '', '[]')", (case_id, actor, now)).lastrowid
        connection.execute("INSERT INTO notification (user_id, case_id, text, created_at, attempts) "
                           "VALUES (?, ?, '您的办件：确认', ?, 0)", (applicant, case_id, now))
        last = connection.execute("SELECT hash FROM auditentry ORDER BY id DESC LIMIT 1").fetchone()
        previous = last[0] if last else "0" * 64
        detail = json.dumps({"from": "county_confirm", "to": "prefecture_accept", "event": event, "items": []})
        digest = hashlib.sha256(json.dumps([previous, now, actor, "confirm", f"case:{case_id}", detail])
                                .encode()).hexdigest()
        connection.execute("INSERT INTO auditentry (at, actor_id, action, subject, detail, prev_hash, hash) "
                           "VALUES (?, ?, 'confirm', ?, ?, ?, ?)", (now, actor, f"case:{case_id}", detail, previous,
                                                                    digest))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


Work = list[tuple[int, int, str, str]]


def _warm_documents(work: Work) -> None:
    """Warm as a serving process is after its first documents: the faces read, each organ's seal drawn."""
    prepare_fonts()
    for prefecture in {p for _, _, _, p in work}:
        seal_png(get_config().issuing_organ(prefecture).seal)


def _accept(engine: Engine, officers: dict[str, int], case_id: int, version: int, prefecture: str) -> None:
    actor = Actor(officers[f"zhou{prefecture}"], Role.PREFECTURE, prefecture, name="州级审核人员")
    cases.act_on_case(SqlUnitOfWork(engine), actor, case_id, Act.ACCEPT, expected_version=version,
                       licence_checked=True)


def _accepts(data: Dataset, work: Work) -> tuple[float, float]:
    """Acts per second in this process, and the CPU seconds per act of the thread acting."""
    warm, rest = work[:WARM_ACCEPTS], work[WARM_ACCEPTS:]
    _warm_documents(work)
    for case_id, version, _county, prefecture in warm:  # its first documents made
        _accept(data.engine, data.officers, case_id, version, prefecture)
    start, cpu = time.perf_counter(), time.thread_time()
    for case_id, version, _county, prefecture in rest:
        _accept(data.engine, data.officers, case_id, version, prefecture)
    return len(rest) / (time.perf_counter() - start), (time.thread_time() - cpu) / len(rest)


def _accepting_process(url: str, officers: dict[str, int], warm: Work, work: Work, taken: Any, ready: Any,
                       results: Any) -> None:
    """One serving process: warm on its own case, wait for the others, then act on the next case of the
    shared `work` not yet taken (as requests reach whichever replica is free) until none is left; reports
    (start, end, acts, CPU seconds, the write lock holds) with a monotonic clock all processes share."""
    engine = make_engine(url)
    _warm_documents(work)
    for case_id, version, _county, prefecture in warm:
        _accept(engine, officers, case_id, version, prefecture)
    ready.wait()
    acts = 0
    with write_lock_holds(engine) as holds:
        start, cpu = time.monotonic(), time.thread_time()
        while True:
            with taken.get_lock():
                index = taken.value
                taken.value += 1
            if index >= len(work):
                break
            case_id, version, _county, prefecture = work[index]
            _accept(engine, officers, case_id, version, prefecture)
            acts += 1
        results.put((start, time.monotonic(), acts, time.thread_time() - cpu, list(holds)))
    engine.dispose()


@contextmanager
def _no_main_to_rerun() -> Iterator[None]:
    """Spawned processes re-run the parent's `__main__` module; after the page section it is a Streamlit
    script (AppTest puts the script in `sys.modules["__main__"]`), which must not run in a child. The
    children are started while `__main__` is a bare module, so they import only what they are given."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _accepts_in_processes(data: Dataset, work: Work, processes: int) -> tuple[float, float, list[float]]:
    """Acts per second of `processes` processes acting at once, the CPU seconds per act, the lock holds."""
    context = multiprocessing.get_context("spawn")
    ready, results, taken = context.Barrier(processes), context.Queue(), context.Value("i", 0)
    warm, shared = work[:processes * WARM_ACCEPTS], work[processes * WARM_ACCEPTS:]
    children = [context.Process(target=_accepting_process,
                                args=(data.url, data.officers, warm[i::processes], shared, taken, ready, results))
                for i in range(processes)]
    with _no_main_to_rerun():
        for child in children:
            child.start()
    reports: list[Any] = []
    while len(reports) < len(children):  # until each has reported, or one of them has failed
        try:
            reports.append(results.get(timeout=1))
        except queue.Empty:
            failed = [child.exitcode for child in children if child.exitcode not in (None, 0)]
            if failed:
                for child in children:
                    child.terminate()
                raise RuntimeError(f"an accepting process ended with {failed[0]}") from None
    for child in children:
        child.join()
    acts = sum(r[2] for r in reports)
    elapsed = max(r[1] for r in reports) - min(r[0] for r in reports)
    return acts / elapsed, sum(r[3] for r in reports) / acts, [h for r in reports for h in r[4]]


def run(data: Dataset) -> list[Figure]:
    processes = os.cpu_count() or 1
    work = _waiting(data, "county_confirm", 2 * CHANGES + 10)
    n = min(CHANGES, (len(work) - 10) // 2)
    warm, product, raw = work[:10], work[10:10 + n], work[10 + n:10 + 2 * n]
    accepting = _waiting(data, "prefecture_accept", (ACCEPTS + WARM_ACCEPTS) + processes * (PROCESS_ACCEPTS + WARM_ACCEPTS))
    alone, shared = accepting[:ACCEPTS + WARM_ACCEPTS], accepting[ACCEPTS + WARM_ACCEPTS:]
    _product(data, warm)
    with write_lock_holds(data.engine) as holds:
        product_rate = n / _product(data, product)
        alone_rate, alone_cpu = _accepts(data, alone)
    shared_rate, shared_cpu, shared_holds = _accepts_in_processes(data, shared, processes)
    holds += shared_holds
    raw_rate = n / _raw(data, raw)
    longest = max(holds) * 1000
    p99 = sorted(holds)[int(len(holds) * 0.99)] * 1000
    return [
        Figure(f"state change (county confirms; {n} acts, one transaction each)", product_rate, "/s", raw_rate,
               "raw sqlite3 same rows", target=TARGET_PER_SECOND, higher_is_better=True),
        Figure(f"state change with a PDF notice (prefecture accepts; {processes} processes, one per core, "
               "as the replicas serve)", shared_rate, "/s", raw_rate, "raw sqlite3 confirm rows",
               target=TARGET_DOCUMENT_ACTS_PER_SECOND, higher_is_better=True,
               note=f"the notice rendered before the transaction; {shared_cpu * 1000:.0f} ms CPU per act; "
                    f"{len(shared) - processes * WARM_ACCEPTS} acts"),
        Figure("state change with a PDF notice, one process alone", alone_rate, "/s", raw_rate,
               "raw sqlite3 confirm rows", note=f"{alone_cpu * 1000:.0f} ms CPU per act; {ACCEPTS} acts"),
        Figure("longest write transaction holding SQLite's lock", longest, "ms",
               target=TARGET_LOCK_MS, note=f"{len(holds)} write transactions: confirms and accepts; p99 {p99:.1f} ms"),
    ]
