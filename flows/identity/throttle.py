"""Failed logins slow down, they never lock: growing delays per client address, per login name and per
(login name, address) pair.

- A login name's own counter is kept per portal: failures typed into the internet portal never slow down
  an officer's login on the police network, and do not count against the account.
- The pair counter stops one attacker quickly (delays up to 15 minutes); the login name's counter across
  all addresses caps a distributed guesser at about one try a minute without ever keeping the real user
  out for more than a minute; the address counter slows one source down across all login names (an office
  behind one NAT shares it: 50 failures an hour before any delay, 5 minutes at most).
- A login name that does not exist is counted exactly like one that does: the delays reveal nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limits:
    free: int  # failures without any delay
    max_delay: timedelta
    window: timedelta  # a counter starts again this long after its last failure


PAIR = Limits(free=5, max_delay=timedelta(minutes=15), window=timedelta(hours=24))
LOGIN = Limits(free=20, max_delay=timedelta(minutes=1), window=timedelta(hours=24))
# An office behind one NAT shares an address: generous before slowing, and never long.
ADDRESS = Limits(free=50, max_delay=timedelta(minutes=5), window=timedelta(hours=1))


@dataclass(frozen=True)
class ThrottleState:
    key: str
    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def login_keys(scope: str, login: str, address: str) -> dict[str, Limits]:
    """The counters one attempt touches (login names kept only as hashes)."""
    name = _digest(login.strip().lower())
    where = address or "local"
    return {f"pair:{scope}:{name}:{_digest(where)[:16]}": PAIR, f"login:{scope}:{name}": LOGIN,
            f"address:{where}"[:80]: ADDRESS}


def address_key(purpose: str, address: str) -> str:
    """A counter of one source for something other than logins (SMS codes, invitation codes)."""
    return f"{purpose}:{address or 'local'}"[:80]


def wait_seconds(state: ThrottleState | None, now: datetime) -> int:
    """How long before this counter lets the next attempt through (0: now)."""
    if state is None or state.blocked_until is None or state.blocked_until <= now:
        return 0
    return max(1, int((state.blocked_until - now).total_seconds() + 0.999))


def after_failure(state: ThrottleState | None, key: str, limits: Limits, now: datetime) -> ThrottleState:
    """The counter after one more failure: beyond the free ones, 1 s, 2 s, 4 s … up to the limit."""
    failures = 1
    if state is not None and state.last_failure_at is not None and now - state.last_failure_at < limits.window:
        failures = state.failures + 1
    blocked = None
    over = failures - limits.free
    if over > 0:
        delay = timedelta(seconds=2 ** min(over - 1, 20))
        blocked = now + min(delay, limits.max_delay)
    return ThrottleState(key=key, failures=failures, last_failure_at=now, blocked_until=blocked)
