"""The pre-check worker: claims files waiting (store.precheck), has them read in the limited child
process (flows.uploads.precheck.limited), records what was read.

It runs beside the pages, never inside a page's script run:
- by default in the app's own process, as one background thread started the first time a page needs
  it (`ensure_worker`): `make run` needs nothing more. The thread only waits on the database and on
  the child's pipe; the reading itself (one CPU core at most) happens in the child process;
- or as a service of its own: `python -m store.precheck_worker` (set PRECHECK_WORKER=external for the
  app processes then). Several workers may run at once: each file is claimed by one.
PRECHECK_WORKER=off turns the pre-check off in this process (files then wait, shown as being checked).
The child is stopped after IDLE_SECONDS without work (it holds about 300 MB) and started again on demand.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from flows.uploads.precheck.limited import LimitedReader, Limits
from store import blobs, log_privacy
from store.db import default_engine
from store.keys import owner_only
from store.precheck import claim_next, earlier_reading, finish

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
IDLE_SECONDS = 600.0


class Worker:
    """Claims and reads files one after another; `wake()` cuts its wait short."""

    def __init__(self, engine: Engine, reader: LimitedReader | None = None, *, poll_seconds: float = POLL_SECONDS,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.engine = engine
        self.reader = reader or LimitedReader(Limits())
        self.poll_seconds = poll_seconds
        self.idle_seconds = idle_seconds
        self.token = secrets.token_hex(16)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_work = time.monotonic()

    def run_once(self) -> bool:
        """Read one waiting file, if any; True if one was read (or failed)."""
        job = claim_next(self.engine, token=self.token)
        if job is None:
            return False
        earlier = earlier_reading(self.engine, job)
        if earlier is not None:
            finish(self.engine, job, self.token, earlier, protected=True)
            return True
        try:
            data = blobs.get(job.sha256)
        except OSError:
            from flows.uploads.precheck.reading import Reading

            reading = Reading.failure("文件未找到")
        else:
            reading = self.reader.read(data, job.request())
        finish(self.engine, job, self.token, reading)
        log.info("pre-check of material row %s: %s in %.1f s", job.material_row_id, reading.status, reading.seconds)
        self._last_work = time.monotonic()
        return True

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def serve(self) -> None:
        """Work until stopped: read files while there are any, else wait a little (or until woken)."""
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("pre-check worker: run failed")
                worked = False
            if worked:
                continue
            if time.monotonic() - self._last_work > self.idle_seconds:
                self.reader.close()
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
        self.reader.close()


_WORKERS: dict[str, tuple[Worker, threading.Thread]] = {}
_WORKERS_LOCK = threading.Lock()


def mode() -> str:
    """PRECHECK_WORKER: app (default: a thread in this process), external (another process), off."""
    value = os.environ.get("PRECHECK_WORKER", "app").strip().lower()
    return value if value in ("app", "external", "off") else "app"


def ensure_worker(engine: Engine) -> None:
    """Make sure this process has a worker for the database (started on first need), and wake it."""
    if mode() != "app":
        return
    key = engine.url.render_as_string(hide_password=False)
    with _WORKERS_LOCK:
        running = _WORKERS.get(key)
        if running is None or not running[1].is_alive():
            worker = Worker(engine)
            thread = threading.Thread(target=worker.serve, name="precheck-worker", daemon=True)
            thread.start()
            _WORKERS[key] = (worker, thread)
            running = (worker, thread)
    running[0].wake()


@atexit.register
def _stop_workers() -> None:
    with _WORKERS_LOCK:
        for worker, _thread in _WORKERS.values():
            worker.stop()
            worker.reader.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="智能预审：读取上传的材料并与填报内容比对")
    parser.add_argument("--once", action="store_true", help="读完当前等待的文件后退出")
    args = parser.parse_args(argv)
    owner_only()
    log_privacy.install()
    logging.basicConfig(level=logging.INFO)
    worker = Worker(default_engine())
    if args.once:
        while worker.run_once():
            pass
        worker.reader.close()
        return
    worker.serve()


if __name__ == "__main__":
    main()
