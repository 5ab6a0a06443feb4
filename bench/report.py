"""The province's progress report (通报) over every case of the data set (store/reports.py, when present).

Baseline: reading the rows the report needs (each case's kind and region, every event) on a raw
sqlite3 connection; the ratio is the rest: the ORM, the date conversions and the figures themselves.
"""

from __future__ import annotations

import importlib
import sqlite3
from datetime import timedelta

from bench.common import Figure, median_ms, timed
from bench.dataset import Dataset
from flows.review import Actor, Role

RUNS = 3
TARGET_MS = 500.0


def _raw(path: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute('SELECT id, kind, prefecture_code, county_code FROM "case" WHERE stage != \'draft\'') \
            .fetchall()
        connection.execute("SELECT case_id, act, from_stage, to_stage, at FROM caseevent ORDER BY case_id, id") \
            .fetchall()


def run(data: Dataset) -> list[Figure]:
    try:
        reports = importlib.import_module("store.reports")
    except ImportError:
        print("  report: store/reports.py is not there yet: skipped")
        return []
    province = Actor(data.officers["ting"], Role.PROVINCE, "650000")
    start, end = data.today - timedelta(days=800), data.today

    def report() -> object:
        return reports.progress_report(data.engine, province, start=start, end=end, today=data.today)

    cache = getattr(reports, "_CACHE", None)  # reports are kept until the next event: time both ways

    def cold() -> object:
        if cache is not None:
            cache.clear()
        return report()

    found = cold()
    rows = getattr(found, "regions", [])
    times = timed(cold, RUNS)
    base = timed(lambda: _raw(str(data.path)), RUNS)
    figures = [Figure("province progress report, all cases (computed): median", median_ms(times), "ms",
                      median_ms(base), "raw sqlite3 read of its rows", target=TARGET_MS,
                      note=f"{len(rows)} region rows, {data.counts.get('case', 0):,} cases; every act invalidates "
                           "the kept copy, so this is what the first viewer after an act waits")]
    if cache is not None:
        warm = timed(report, RUNS * 10)
        figures.append(Figure("province progress report, kept copy: median", median_ms(warm), "ms",
                              median_ms(base), "raw sqlite3 read of its rows",
                              note="no target: served from memory until the next event"))
    return figures
