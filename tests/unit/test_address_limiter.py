"""The per-address abuse limiter of the public pages: free failures, a doubling delay, a cap per window, and a
clock set back never turning into a long wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.identity.abuse import AddressLimiter, Rule

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def fail(limiter: AddressLimiter, times: int, now: datetime = START, address: str = "10.0.0.1") -> None:
    for _ in range(times):
        limiter.attempted(address, now, failed=True)


def test_free_failures_then_a_doubling_delay_capped() -> None:
    limiter = AddressLimiter(Rule(free_failures=5, max_delay_s=60))
    fail(limiter, 4)
    assert limiter.wait_left("10.0.0.1", START) == 0
    fail(limiter, 1)
    assert limiter.wait_left("10.0.0.1", START) == 2
    assert limiter.wait_left("10.0.0.1", START + timedelta(seconds=2)) == 0
    fail(limiter, 1)
    assert limiter.wait_left("10.0.0.1", START) == 4
    fail(limiter, 20)
    assert limiter.wait_left("10.0.0.1", START) == 60
    assert limiter.wait_left("10.0.0.2", START) == 0  # another address is not slowed down


def test_failures_are_forgotten_after_the_window() -> None:
    limiter = AddressLimiter(Rule(free_failures=2, max_delay_s=60))
    fail(limiter, 3)
    assert limiter.wait_left("10.0.0.1", START) > 0
    assert limiter.wait_left("10.0.0.1", START + timedelta(hours=1)) == 0
    fail(limiter, 1, START + timedelta(hours=1))
    assert limiter.wait_left("10.0.0.1", START + timedelta(hours=1)) == 0  # counting starts again


def test_a_flood_of_successful_attempts_is_capped_per_window() -> None:
    limiter = AddressLimiter(Rule(attempts=3, window=timedelta(minutes=10)))
    for _ in range(3):
        limiter.attempted("10.0.0.1", START, failed=False)
    assert limiter.wait_left("10.0.0.1", START + timedelta(minutes=4)) == 360
    assert limiter.wait_left("10.0.0.1", START + timedelta(minutes=10)) == 0


def test_a_clock_set_back_does_not_make_anyone_wait_longer() -> None:
    limiter = AddressLimiter(Rule(free_failures=5, max_delay_s=60, attempts=1000))
    earlier = START - timedelta(minutes=30)
    fail(limiter, 1)  # one failure: nothing to wait for, whatever the clock says next
    assert limiter.wait_left("10.0.0.1", earlier) == 0
    fail(limiter, 10, address="10.0.0.2")  # delayed: by the cap, not by the half hour besides
    assert limiter.wait_left("10.0.0.2", earlier) == 60
    capped = AddressLimiter(Rule(attempts=2, window=timedelta(minutes=10)))
    fail(capped, 2)
    assert capped.wait_left("10.0.0.1", earlier) == 600
