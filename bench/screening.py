"""Screening lookup (自动比对) in the embedded source with 10 million entries: p99 per ID number.

The list is built in its own SQLite file (migrated, so the product's indexes and unique constraint
are there) with bulk inserts of random HMAC-SHA256 digests, the way an import stores them; a few
hundred known ID numbers are added so that some lookups hit. When this machine would need more than
`--screening-budget` seconds to write 10 million rows (measured on a pilot first), 1 million are used
instead and the line says so.

Baseline: the same query (hash → category, active batch) on a raw sqlite3 connection.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

from bench.common import Figure, p_ms, timed
from flows.review.screening import CATEGORIES
from store.db import make_engine, migrate
from store.screening import EmbeddedSource, id_hash

FULL = 10_000_000
FALLBACK = 1_000_000
PILOT = 200_000
LOOKUPS = 5_000
KNOWN = 500
TARGET_P99_MS = 1.0
KEY = b"bench-screening-key"

INSERT = "INSERT INTO watchlistentry (batch_id, id_hash, category, reference) VALUES (1, ?, ?, '')"


def _digests(prefix: int, count: int, rng: random.Random) -> list[str]:
    """`count` random digests starting with byte `prefix`, sorted: uniform overall, written in index order."""
    head = f"{prefix:02x}"
    return sorted(head + rng.randbytes(31).hex() for _ in range(count))


def _write(connection: sqlite3.Connection, total: int, rng: random.Random) -> None:
    # Random digests are uniform, so 256 sorted slices by first byte are the whole sorted set; writing
    # in index order keeps the three indexes append-only (random order would thrash the page cache).
    per, extra = divmod(total, 256)
    connection.execute("BEGIN")
    for prefix in range(256):
        digests = _digests(prefix, per + (1 if prefix < extra else 0), rng)
        connection.executemany(INSERT, ((d, CATEGORIES[hash(d) % len(CATEGORIES)]) for d in digests))
    connection.execute("COMMIT")


def _pilot_seconds_per_row(folder: Path) -> float:
    path = folder / "pilot.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    connection = _bulk(path)
    start = time.perf_counter()
    _write(connection, PILOT, random.Random(1))
    elapsed = time.perf_counter() - start
    connection.close()
    path.unlink()
    return elapsed / PILOT


def _bulk(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")  # a throwaway file: no journal while bulk loading
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-200000")
    connection.execute("INSERT INTO watchlistbatch (id, name, imported_at, rows, active) "
                       "VALUES (1, 'bench', '2026-01-01 00:00:00', 0, 1)")
    return connection


def build(folder: Path, budget_seconds: float, size: int | None = None) -> tuple[Path, int, float]:
    """The list's database file, its size, and the seconds its build took."""
    if size is None:
        per_row = _pilot_seconds_per_row(folder)
        # Indexes grow deeper with size: allow 1.5x the pilot's pace.
        size = FULL if per_row * FULL * 1.5 <= budget_seconds else FALLBACK
    path = folder / f"screening-{size}.db"
    if path.exists():
        return path, size, 0.0
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    start = time.perf_counter()
    connection = _bulk(path)
    _write(connection, size, random.Random(2))
    connection.close()
    return path, size, time.perf_counter() - start


def _known_ids(count: int) -> list[str]:
    rng = random.Random(3)
    return [f"65{rng.randrange(10**15):015d}{rng.choice('0123456789X')}" for _ in range(count)]


def run(folder: Path, budget_seconds: float, size: int | None = None) -> list[Figure]:
    path, size, seconds = build(folder, budget_seconds, size)
    known = _known_ids(KNOWN)
    with sqlite3.connect(str(path)) as connection:
        connection.executemany(INSERT.replace("INSERT", "INSERT OR IGNORE", 1),  # a reused list has them
                               ((id_hash(n, KEY), CATEGORIES[i % len(CATEGORIES)]) for i, n in enumerate(known)))
    engine = make_engine(f"sqlite:///{path}")
    source = EmbeddedSource(engine, KEY)
    rng = random.Random(4)
    # One lookup in ten is a person on the list; the rest are not.
    queries = [rng.choice(known) if i % 10 == 0 else f"65{rng.randrange(10**16):016d}" for i in range(LOOKUPS)]
    hits = sum(any(r.outcome == "hit" for r in source.check(q)) for q in queries[:200])
    position = iter(range(10**9))

    def product() -> None:
        source.check(queries[next(position) % LOOKUPS])

    times = timed(product, LOOKUPS, warmup=200)
    raw = sqlite3.connect(str(path))
    sql = ("SELECT e.category, e.reference FROM watchlistentry e JOIN watchlistbatch b ON b.id = e.batch_id "
           "WHERE e.id_hash = ? AND b.active = 1")
    position = iter(range(10**9))

    def baseline() -> None:
        raw.execute(sql, (id_hash(queries[next(position) % LOOKUPS], KEY),)).fetchall()

    base = timed(baseline, LOOKUPS, warmup=200)
    raw.close()
    engine.dispose()
    note = f"{size:,} entries" + ("" if size >= FULL else " (10 million would take too long here: 1 million used)")
    built = f"built in {seconds:.0f} s" if seconds else "reused from --screening-dir"
    note += f", {os.path.getsize(path) / 2**30:.1f} GB, {built}, {hits}/200 sample hits"
    return [Figure("screening lookup, embedded source: p99", p_ms(times, 99), "ms", p_ms(base, 99),
                   "raw sqlite3 same query", target=TARGET_P99_MS, note=note)]
