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
            started = time.perf_counter()
            asyncio.run(run_load(crowd, logins, stagger=STAGGER_S, time_limit=1200,
                                 server_pids=[app.pid for app in topology.apps]))
            text = summary(crowd, SESSIONS, time.perf_counter() - started, engine, submitted_before=1)
            print("   " + text.replace("\n", "\n   "), flush=True)
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
