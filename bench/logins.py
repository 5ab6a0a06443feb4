"""Logins that leak nothing by their timing: on the internet portal an officer's right and wrong passwords,
an unknown login and an applicant's wrong password, each timed through the whole use case (throttle look-ups,
the one argon2 verification, the audit entry). The paths are interleaved in a shuffled order each round and
compared pairwise within a round (the median of the per-round signed differences), so the load of a shared machine
falls on both sides of each comparison alike.

The tests prove the cause (every path runs exactly one argon2 verification with the same parameters,
tests/integration/test_logins.py); this measures the effect. Target: medians within 20 % of each other.

    python -m bench.logins [--trials N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import Figure

TARGET_DIFFERENCE_PERCENT = 20.0
INTERNET = "internet"


def run(trials: int = 15) -> list[Figure]:
    from flows import clock
    from flows.identity.login import LoginRefused, log_in
    from flows.review.transitions import Role
    from store import db
    from store.accounts import HASHER, create_user, register_applicant
    from store.demo import DEMO_CODES, DEMO_PASSWORD, DEMO_TOTP_SECRET
    from store.identity import SqlIdentityStore

    folder = Path(tempfile.mkdtemp(prefix="bench-login-"))
    engine = db.make_engine(f"sqlite:///{folder / 'logins.db'}")
    db.migrate(engine)
    create_user(engine, login="zhou650100", password=DEMO_PASSWORD, display_name="支队", role=Role.PREFECTURE,
                region_code="650100", totp_secret=DEMO_TOTP_SECRET)
    from flows.identity.accounts import Registration

    register_applicant(engine, Registration(unit_name="基准物业服务有限公司", credit_code=DEMO_CODES[0], contact="基准",
                                            mobile="13800009999", password=DEMO_PASSWORD))
    paths = {"officer, right password": ("zhou650100", DEMO_PASSWORD),
             "officer, wrong password": ("zhou650100", "Wrong2026pass"),
             "unknown login": ("13999990000", "Wrong2026pass"),
             "applicant, wrong password": ("13800009999", "Wrong2026pass")}
    times: dict[str, list[float]] = {name: [] for name in paths}
    start = clock.now()
    shuffle = random.Random(13)
    for trial in range(trials + 1):
        # A day apart each round: the counters start again, so every try reaches its password check.
        now = start + timedelta(days=trial)
        order = list(paths.items())
        shuffle.shuffle(order)
        for name, (login, password) in order:
            began = time.perf_counter()
            try:
                log_in(SqlIdentityStore(engine), HASHER, login=login, password=password,
                       admitted_roles=frozenset({Role.APPLICANT}), scope=INTERNET, address="198.51.100.9", now=now)
            except LoginRefused:
                pass
            if trial:  # the first round warms up
                times[name].append(time.perf_counter() - began)
    engine.dispose()
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}

    def difference(a: str, b: str) -> float:
        """|median over the rounds of (a - b) / b|, in percent: noise, with either sign, cancels out; a path that
        is systematically slower does not."""
        return abs(statistics.median((x - y) / y for x, y in zip(times[a], times[b], strict=True))) * 100

    return [
        Figure("login, internet portal: officer's right password", median["officer, right password"], "ms",
               median["officer, wrong password"], "officer's wrong password"),
        Figure("login: officer's right vs wrong password, difference", difference(
            "officer, right password", "officer, wrong password"), "%", target=TARGET_DIFFERENCE_PERCENT),
        Figure("login: unknown login vs an applicant's wrong password, difference", difference(
            "unknown login", "applicant, wrong password"), "%", target=TARGET_DIFFERENCE_PERCENT),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.logins", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-login-data-"))
    for figure in run(args.trials):
        print(figure.line())


if __name__ == "__main__":
    main()
