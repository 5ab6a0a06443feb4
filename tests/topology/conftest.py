"""The production topology, started once for this folder: PostgreSQL, two replicas of the app (one shared
file store, the same keys), nginx in front with TLS, and one outbox sender per replica e-mailing through a
real SMTP server (deploy/topology.py, the code `python -m deploy up` runs).

Figures (latencies, reconnections) are printed into the test output, never asserted: a test does not
depend on the machine's speed. `make bench` holds them to their targets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine

from deploy.topology import Limits, Topology
from store.db import make_engine
from tests.smtp import Inbox, smtp_server

# The limits of a real deployment, except page and websocket openings: every test client here comes from
# a loopback address of its own, but the proxy test sends bursts on purpose from one address.
LIMITS = Limits()


@pytest.fixture(scope="session")
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def topology(tmp_path_factory: pytest.TempPathFactory, pg_server: str, inbox: tuple[Inbox, int]) -> Iterator[Topology]:
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(pg_server)
    with psycopg.connect(f"host={server.host} port={server.port} user={server.username} dbname=postgres",
                         autocommit=True) as connection:
        connection.execute("CREATE DATABASE topology")
    root = tmp_path_factory.mktemp("topology")
    _inbox, port = inbox
    with Topology(root=root, replicas=2, database_url=pg_server + "topology", outbox_senders=2,
                  outbox_interval=0.5, limits=LIMITS,
                  extra_env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "REPORT_WARMUP": "0"}) as running:
        yield running


@pytest.fixture(autouse=True)
def _replicas_data_key(topology: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process decrypts what the replicas stored (answers compared after a load run) with their data key."""
    if "BAOAN_DATA_KEY" in topology.env:
        monkeypatch.setenv("BAOAN_DATA_KEY", topology.env["BAOAN_DATA_KEY"])


@pytest.fixture(scope="session")
def db(topology: Topology) -> Iterator[Engine]:
    """The topology's database, from the test process (the same PostgreSQL the replicas use)."""
    assert topology.database_url is not None
    engine = make_engine(topology.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def data_dir(topology: Topology, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The topology's shared file store as this test's DATA_DIR (the keys too), so that use cases run
    from the test write where the replicas read."""
    for name, value in topology.env.items():
        if name in ("DATA_DIR", "SCREENING_SECRET", "BAOAN_DATA_KEY", "CERT_SIGNING_KEY_FILE", "DATABASE_URL"):
            monkeypatch.setenv(name, value)
    return topology.files


def wait_until(done: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `done` until it holds (the work, not the clock, decides; `timeout` only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end on a thread of its own: the browser tests' Playwright keeps an event loop
    running on the main thread for the whole session, and `asyncio.run` refuses to start inside it."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="topology-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
