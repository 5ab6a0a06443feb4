"""Officer queue: one page of 50 (jurisdiction + waiting stage, soonest due first) on the 100,000-case data set.

Baseline: the same count and page query written by hand and run on a raw sqlite3 connection, i.e.
what the database itself costs; the ratio is what the product adds (SQLModel rows, the calendar,
each row's time left, the screening flags of kind-A rows).
"""

from __future__ import annotations

import sqlite3

from bench.common import Figure, median_ms, p_ms, timed
from bench.dataset import Dataset
from flows.review.transitions import Actor, Role
from store.queue import queue_page, waiting_stages

RUNS = 200
TARGET_P95_MS = 20.0


def _raw_page(connection: sqlite3.Connection, actor: Actor) -> None:
    stages = [str(s) for s in waiting_stages(actor.role)]
    marks = ",".join("?" * len(stages))
    column = {Role.COUNTY: "county_code", Role.PREFECTURE: "prefecture_code"}.get(actor.role)
    where = f"stage != 'draft' AND stage IN ({marks})"
    params: list[str] = list(stages)
    if column:
        where += f" AND {column} = ?"
        params.append(str(actor.region_code))
    connection.execute(f'SELECT count(*) FROM "case" WHERE {where}', params).fetchone()
    connection.execute(f'SELECT * FROM "case" WHERE {where} ORDER BY due_on IS NULL, due_on, id LIMIT 50',
                       params).fetchall()


def run(data: Dataset) -> list[Figure]:
    figures = []
    officers = (("prefecture 650100 (乌鲁木齐市)", Actor(data.officers["zhou650100"], Role.PREFECTURE, "650100")),
                ("county 650102 (天山区)", Actor(data.officers["xian650102"], Role.COUNTY, "650102")),
                ("province", Actor(data.officers["ting"], Role.PROVINCE, "650000")))
    raw = sqlite3.connect(str(data.path))
    try:
        for label, actor in officers:
            page = queue_page(data.engine, actor, per_page=50, today=data.today)
            times = timed(lambda a=actor: queue_page(data.engine, a, per_page=50, today=data.today), RUNS)  # type: ignore[misc]
            base = timed(lambda a=actor: _raw_page(raw, a), RUNS)  # type: ignore[misc]
            note = f"{page.total:,} waiting, {len(page.rows)} on the page"
            figures.append(Figure(f"queue page of 50, {label}: median", median_ms(times), "ms",
                                  median_ms(base), "raw sqlite3 same query", note=note))
            figures.append(Figure(f"queue page of 50, {label}: p95", p_ms(times, 95), "ms",
                                  p_ms(base, 95), "raw sqlite3 same query", target=TARGET_P95_MS))
    finally:
        raw.close()
    return figures
