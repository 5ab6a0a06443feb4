"""A hostile file slows no other session: the assistant page's re-runs while the server keeps being handed the
review's two crafted PDFs (a few-KB text bomb for the verification page's reading, a 60,000-page PDF for the
upload check), each parsed in its limited worker (flows.uploads.contained), against the same page idle.

Also: what each file costs and how it ended (the bomb in its worker — an error, or a limit — the long one refused
by the page cap); the server's own CPU time stays where it was.
"""

from __future__ import annotations

import itertools
import resource
import tempfile
import time
from pathlib import Path

from bench.common import Figure
from bench.hostile_files import many_pages, text_bomb
from bench.precheck import page_slowdown
from flows.uploads import contained

# The limits in the bench are the product's own (flows.uploads.contained.DEFAULT).
BOMB_OPERATORS = 400_000
LONG_PAGES = 60_000


def _server_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _one(task: str, data: bytes) -> tuple[str, float]:
    """How `task` on `data` ended (refused, failed at a limit, answered) and its wall time."""
    started = time.perf_counter()
    try:
        contained.run(task, [data])
        outcome = "answered"
    except contained.Refused:
        outcome = "refused"
    except contained.Failed as failed:
        outcome = "limit" if failed.limit else "failed"
    return outcome, time.perf_counter() - started


def run() -> list[Figure]:
    bomb, long = text_bomb(BOMB_OPERATORS), many_pages(LONG_PAGES)
    before = _server_cpu()
    bomb_outcome, bomb_s = _one("printed_text", bomb)
    long_outcome, long_s = _one("check_pdf", long)
    server_ms = (_server_cpu() - before) * 1000
    files = itertools.cycle([("printed_text", bomb), ("check_pdf", long)])
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as folder:
        slowdown = page_slowdown(Path(folder), lambda: _one(*next(files)), "hostile PDFs are parsed",
                                 "no hostile file")
    return [
        Figure(f"{len(bomb) // 1024} KB text-bomb PDF, verification reading: {bomb_outcome}", bomb_s * 1000, "ms",
               note=f"ended in its worker (limits: CPU {contained.DEFAULT.cpu_seconds} s, "
                    f"memory {contained.DEFAULT.memory_mb} MB)"),
        Figure(f"{LONG_PAGES:,}-page PDF ({len(long) // 1024 // 1024} MB), upload check: {long_outcome}",
               long_s * 1000, "ms", note="the page cap refuses it"),
        Figure("server process CPU for both files", server_ms, "ms", note="the parsing is charged to the workers"),
        *slowdown,
    ]
