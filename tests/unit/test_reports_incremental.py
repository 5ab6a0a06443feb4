"""The sums of the progress report: adding a case n times at once, and a total made of its rows."""

from __future__ import annotations

import random

from flows.oversight.reports import LEVELS, CaseFigures, RegionFigures, table_row
from flows.review.transitions import Stage


def some_figures(rng: random.Random) -> CaseFigures:
    stage = rng.choice(list(Stage))
    ended = stage in (Stage.APPROVED, Stage.REJECTED)
    return CaseFigures(stage=stage, returned=rng.random() < 0.3, first_pass=stage == Stage.APPROVED and rng.random() < 0.7,
                       overdue=not ended and rng.random() < 0.2, on_time=(rng.random() < 0.8) if ended else None,
                       level_days=[(rng.choice(LEVELS), rng.randrange(-1, 9)) for _ in range(rng.randrange(4))])


def test_adding_a_case_n_times_at_once_equals_adding_it_n_times() -> None:
    rng = random.Random(7)
    one_by_one, at_once = RegionFigures("650100", "乌鲁木齐市"), RegionFigures("650100", "乌鲁木齐市")
    for _ in range(200):
        case, times = some_figures(rng), rng.randrange(1, 6)
        for _ in range(times):
            one_by_one.add(case)
        at_once.add(case, times)
    assert table_row(one_by_one) == table_row(at_once)
    assert (one_by_one.ended, one_by_one.ended_on_time, one_by_one.first_pass) == (
        at_once.ended, at_once.ended_on_time, at_once.first_pass)
    assert all(sorted(one_by_one.level_days[level]) == sorted(at_once.level_days[level]) for level in LEVELS)


def test_a_total_merged_from_rows_equals_one_counting_every_case() -> None:
    rng = random.Random(8)
    rows = [RegionFigures(code, code) for code in ("a", "b", "c")]
    counted = RegionFigures("", "合计")
    for _ in range(300):
        case = some_figures(rng)
        rng.choice(rows).add(case)
        counted.add(case)
    merged = RegionFigures("", "合计")
    for row in rows:
        merged.merge(row)
    assert table_row(merged) == table_row(counted)  # the medians' lists hold the same days, in another order
    assert all(sorted(merged.level_days[level]) == sorted(counted.level_days[level]) for level in LEVELS)
