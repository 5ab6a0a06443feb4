"""Abuse limits on the public pages, per client address and in the server's memory.

A browser session is no unit of abuse (a reload starts a new one), so the counters are kept per client
address (web.clients: the peer, or the trusted proxy's X-Forwarded-For) for the whole process:
- `AddressLimiter`: failures slow one address down (free ones first, then a doubling delay up to a cap),
  and a plain cap on attempts per window stops a flood even of successful ones;
- `Aggregate`: anonymous look-ups are counted, not written one by one: the counts go to the audit log in
  one entry per batch (every `every` look-ups or `seconds` seconds, whichever first).
Nothing here is written per request; memory is bounded (the least recently seen addresses are dropped).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class _Seen:
    failures: int = 0
    last_failure: datetime | None = None
    window_start: datetime | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Rule:
    free_failures: int = 5
    max_delay_s: int = 60
    failure_window: timedelta = timedelta(hours=1)
    attempts: int = 120  # attempts per window, successful or not
    window: timedelta = timedelta(minutes=10)


_LIMITERS: list[AddressLimiter] = []
_AGGREGATES: list[Aggregate] = []


def reset_all() -> None:
    """Forget every counter of this process (tests: each starts from a quiet server)."""
    for limiter in _LIMITERS:
        limiter.reset()
    for aggregate in _AGGREGATES:
        aggregate.flush()


class AddressLimiter:
    """Thread-safe counters per client address (see module doc)."""

    def __init__(self, rule: Rule = Rule(), *, max_addresses: int = 100_000) -> None:
        _LIMITERS.append(self)
        self.rule = rule
        self.max_addresses = max_addresses
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, address: str) -> _Seen:
        key = address or "local"
        entry = self._seen.get(key)
        if entry is None:
            entry = self._seen[key] = _Seen()
            while len(self._seen) > self.max_addresses:
                self._seen.popitem(last=False)
        self._seen.move_to_end(key)
        return entry

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()

    def delay_after(self, failures: int) -> int:
        if failures < self.rule.free_failures:
            return 0
        return int(min(self.rule.max_delay_s, 2 ** (failures - self.rule.free_failures + 1)))

    def wait_left(self, address: str, now: datetime) -> int:
        """Seconds this address must wait before its next attempt (0: go ahead)."""
        with self._lock:
            entry = self._entry(address)
            waits = [0]
            # A clock set back (NTP) makes a recorded moment lie ahead: counted as just now, never as a longer wait.
            if entry.last_failure is not None:
                since_failure = max(now - entry.last_failure, timedelta(0))
                if since_failure >= self.rule.failure_window:
                    entry.failures, entry.last_failure = 0, None
                elif needed := self.delay_after(entry.failures):
                    waits.append(int(needed - since_failure.total_seconds() + 0.999))
            if entry.window_start is not None:
                since_start = max(now - entry.window_start, timedelta(0))
                if since_start < self.rule.window and entry.attempts >= self.rule.attempts:
                    waits.append(int((self.rule.window - since_start).total_seconds() + 0.999))
            return max(0, *waits)

    def attempted(self, address: str, now: datetime, *, failed: bool) -> None:
        with self._lock:
            entry = self._entry(address)
            if entry.window_start is None or now - entry.window_start >= self.rule.window:
                entry.window_start, entry.attempts = now, 0
            entry.attempts += 1
            if failed:
                entry.failures += 1
                entry.last_failure = now


@dataclass
class Aggregate:
    """Counts of outcomes, handed out as one batch when due."""

    every: int = 200
    seconds: float = 300.0
    counts: Counter[str] = field(default_factory=Counter)
    since: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        _AGGREGATES.append(self)

    def add(self, outcome: str, now: datetime) -> tuple[datetime, dict[str, int]] | None:
        """Count one; the batch (its start and counts) when it is due to be written, else None."""
        with self._lock:
            if self.since is None:
                self.since = now
            self.counts[outcome] += 1
            due = sum(self.counts.values()) >= self.every or (now - self.since).total_seconds() >= self.seconds
            if not due:
                return None
            return self._take()

    def flush(self) -> tuple[datetime, dict[str, int]] | None:
        with self._lock:
            return self._take() if self.counts else None

    def _take(self) -> tuple[datetime, dict[str, int]]:
        assert self.since is not None
        batch = (self.since, dict(sorted(self.counts.items())))
        self.counts = Counter()
        self.since = None
        return batch
