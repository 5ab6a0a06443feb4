"""The production topology under a crowd: 200 applicants filing at a human pace through nginx (TLS) to two
replicas on one PostgreSQL (deploy/topology.py, the same set-up as tests/topology), websocket clients of
scripts/load_ws.py, each from its own loopback address.

Targets: every filing completed, no error and no acknowledged answer lost, p95 of all interactions
under 1 s. Baseline: one applicant alone on the same topology, p95.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text

from bench.common import Figure, p_ms
from deploy.postgres import PgCluster, pg_bindir
from deploy.topology import Topology
from scripts.load import Results, register_logins
from scripts.load_ws import Target, Walk, roster_workbook, run_load, summary
from store.db import make_engine
from store.demo import demo_pdf

SESSIONS = 200
THINK_S = 10.0
STAGGER_S = 0.5
TARGET_P95_MS = 1000.0


def _cpu_by_program() -> dict[int, tuple[str, float]]:
    """Every live process's program (a short name) and CPU seconds so far, its reaped children's included (a
    forked upload check ends within the run; its time shows in the fork server's)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        found[int(entry.name)] = (_program(words), sum(int(f) for f in stat[11:15]) / ticks)
    return found


def _program(words: list[bytes]) -> str:
    text = [w.decode(errors="replace") for w in words if w]
    if not text:
        return "kernel"
    if "-m" in text[:-1]:
        return text[text.index("-m") + 1]  # python -m store.precheck_worker
    name = Path(text[0]).name
    if name.startswith("python") and len(text) > 1:
        name = Path(text[1]).name  # streamlit, or a script
    return name.split(":")[0]  # "postgres: bench …", "nginx: worker process"


def _cpu_spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> str:
    """CPU seconds per program between two snapshots (processes alive at the end), largest first."""
    spent: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        start = before.get(pid)
        spent[name] = spent.get(name, 0.0) + seconds - (start[1] if start and start[0] == name else 0.0)
    shown = sorted(((s, n) for n, s in spent.items() if s >= 1.0), reverse=True)
    return ", ".join(f"{name} {seconds:.0f} s" for seconds, name in shown)


def _prechecks(engine: Engine) -> str:
    """What the pre-check worker had done with the uploaded files when the crowd finished."""
    with engine.connect() as connection:
        states: dict[str, int] = dict(connection.execute(text(
            "SELECT status, count(*) FROM precheckjob GROUP BY status")).tuples().all())
        notes = connection.execute(text(
            "SELECT result FROM precheckjob WHERE status = 'failed'")).scalars().all()
    failed = sorted({str((note or {}).get("note", "")) for note in notes})
    return (f"pre-check jobs at the end: {states.get('done', 0)} done, {states.get('running', 0)} running, "
            f"{states.get('failed', 0)} failed" + (f" ({'; '.join(failed)})" if failed else ""))


def _walk(topology: Topology, think: float) -> Walk:
    return Walk(Target.parse(topology.url, str(topology.cafile)), Results(), demo_pdf("load test material"),
                roster_workbook(), think, 60.0, reconnect=False, source_addresses=True)


def run() -> list[Figure]:
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL not installed: run scripts/system-deps.sh")
    pg = PgCluster(bindir)
    previous_key = os.environ.get("BAOAN_DATA_KEY")
    root = Path(tempfile.mkdtemp(prefix="bench-topology-"))
    try:
        pg.start()
        url = pg.create_database("bench")
        with Topology(root=root, replicas=2, database_url=url, outbox_senders=1,
                      extra_env={"SMS_GATEWAY": "log"}) as topology:
            # This process checks the answers the replicas stored (sealed with their data key): the same key.
            if "BAOAN_DATA_KEY" in topology.env:
                os.environ["BAOAN_DATA_KEY"] = topology.env["BAOAN_DATA_KEY"]
            engine = make_engine(url)
            alone = _walk(topology, 0.0)
            asyncio.run(run_load(alone, register_logins(engine, 1, first=900), stagger=0, time_limit=120,
                                 server_pids=[app.pid for app in topology.apps]))
            crowd = _walk(topology, THINK_S)
            logins = register_logins(engine, SESSIONS)
            started, cpu_before = time.perf_counter(), _cpu_by_program()
            asyncio.run(run_load(crowd, logins, stagger=STAGGER_S, time_limit=1200,
                                 server_pids=[app.pid for app in topology.apps]))
            cpu = _cpu_spent(cpu_before, _cpu_by_program())
            report = summary(crowd, SESSIONS, time.perf_counter() - started, engine, submitted_before=1)
            report += f"\nCPU during the crowd's run, by program: {cpu}\n{_prechecks(engine)}"
            print("   " + report.replace("\n", "\n   "), flush=True)
            engine.dispose()
    finally:
        if previous_key is None:
            os.environ.pop("BAOAN_DATA_KEY", None)
        else:
            os.environ["BAOAN_DATA_KEY"] = previous_key
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    every, base = crowd.results.all(), alone.results.all()
    return [
        Figure(f"topology: {SESSIONS} applicants via nginx, 2 replicas: p95", p_ms(every, 95) if every else 1e9, "ms",
               p_ms(base, 95) if base else None, "one applicant alone", target=TARGET_P95_MS,
               note=f"think {THINK_S:g} s, PostgreSQL"),
        Figure(f"topology: filings completed of {SESSIONS}", float(crowd.results.completed), "", target=SESSIONS,
               higher_is_better=True),
        Figure("topology: errors and lost answers", float(len(crowd.results.errors) + len(crowd.lost)), "",
               target=1.0),
    ]
