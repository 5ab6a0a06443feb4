"""The province's progress report (通报) over every case of the data set (store/reports.py).

The report is computed from a read model kept in memory (every case's events, read once, then only the
events added since) with each case's figures kept until its history or the calendar changes. Figures:

- the report right after one officer's act (a county confirms through `flows.cases.act_on_case` in a
  `store.uow.SqlUnitOfWork`, untimed; the next report timed): what the first viewer after an act waits,
  the figure held to the target;
- the cold start: the first report in a process, which reads every event;
- the kept copy: the same report again with nothing changed;
- the same report computed from scratch the old way (`histories()` + `build_report`), for comparison;
- the memory the read model takes (tracemalloc, model and kept figures).

Baseline: reading the rows the report needs (each case's kind and region, every event) on a raw
sqlite3 connection.
"""

from __future__ import annotations

import gc
import sqlite3
import time
import tracemalloc
from datetime import timedelta

from sqlmodel import Session

from bench.common import Figure, median_ms, ms, timed
from bench.dataset import Dataset
from flows import cases
from flows.oversight.reports import Report, build_report
from flows.review.transitions import Act, Actor, Role
from store import reports
from store.uow import SqlUnitOfWork, load_calendar

RUNS = 3
ACTS = 15
TARGET_MS = 500.0


def _raw(path: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute('SELECT id, kind, prefecture_code, county_code FROM "case" WHERE stage != \'draft\'') \
            .fetchall()
        connection.execute("SELECT case_id, act, from_stage, to_stage, at FROM caseevent ORDER BY case_id, id") \
            .fetchall()


def _waiting(data: Dataset, limit: int) -> list[tuple[int, int, str]]:
    """Cases waiting on a county, from the highest id down (the state-change section takes the lowest)."""
    with sqlite3.connect(str(data.path)) as connection:
        rows = connection.execute('SELECT id, version, county_code FROM "case" WHERE stage = \'county_confirm\' '
                                  "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [(int(i), int(v), str(c)) for i, v, c in rows]


def run(data: Dataset) -> list[Figure]:
    province = Actor(data.officers["ting"], Role.PROVINCE, "650000")
    start, end = data.today - timedelta(days=800), data.today

    def report() -> Report:
        return reports.progress_report(data.engine, province, start=start, end=end, today=data.today)

    def cold() -> Report:
        reports.forget_models()
        return report()

    def from_scratch() -> Report:
        as_of = min(end, data.today)
        scope = reports.scope_of(province)
        with Session(data.engine) as session:
            calendar = load_calendar(session)
        return build_report(reports.histories(data.engine, province, start=start, end=as_of),
                            regions=scope.regions, by=scope.by, calendar=calendar, as_of=as_of)

    found = cold()
    assert found.table() == from_scratch().table(), "the read model disagrees with the reading from scratch"
    cold_times = timed(cold, RUNS, warmup=0)
    scratch_times = timed(from_scratch, RUNS, warmup=0)
    base = timed(lambda: _raw(str(data.path)), RUNS)

    after_act: list[float] = []
    report()
    for case_id, version, county in _waiting(data, ACTS):
        actor = Actor(data.officers[f"xian{county}"], Role.COUNTY, county, name="县级审核人员")
        cases.act_on_case(SqlUnitOfWork(data.engine), actor, case_id, Act.CONFIRM, expected_version=version,
                           licence_checked=True)
        begin = time.perf_counter()
        report()
        after_act.append(time.perf_counter() - begin)
    assert report().table() == from_scratch().table(), "the read model missed an act"
    warm = timed(report, RUNS * 10)

    gc.collect()
    reports.forget_models()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    report()
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    cases_count = data.counts.get("case", 0)
    events = data.counts.get("caseevent", 0)
    return [
        Figure("province progress report right after one act: median", median_ms(after_act), "ms",
               median_ms(base), "raw sqlite3 read of its rows", target=TARGET_MS,
               note=f"{len(after_act)} acts, each followed by the report; slowest {ms(max(after_act)):,.0f} ms; "
                    f"{len(found.regions)} region rows, {cases_count:,} cases"),
        Figure("province progress report, cold start (first in a process): median", median_ms(cold_times), "ms",
               median_ms(base), "raw sqlite3 read of its rows",
               note=f"no target: reads every event ({events:,}) once per process and database"),
        Figure("province progress report, kept copy: median", median_ms(warm), "ms",
               median_ms(base), "raw sqlite3 read of its rows",
               note="no target: nothing changed since (still asks the database for new events and corrections)"),
        Figure("province progress report from scratch (the old way): median", median_ms(scratch_times), "ms",
               median_ms(base), "raw sqlite3 read of its rows",
               note="no target: what every report after an act cost before the read model"),
        Figure("progress report read model, memory (tracemalloc)", kept / 1024, "KB",
               note=f"every case's events and kept figures for one as-of day; {kept / max(cases_count, 1):,.0f} "
                    "bytes per case"),
    ]
