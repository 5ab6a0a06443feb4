"""Working days of the official PRC calendar and the due dates counted on them (办结时限).

Which day is a working day, in order of precedence:
1. an administrator's override for that date (the State Council's notice for the coming year
   arrives before any library update does, and mistakes need correcting without a release);
2. the `chinesecalendar` package, for the years it covers (2004-2026 in 1.11.0);
3. a fallback for other years: weekends off, plus the fixed-date holidays Jan 1, May 1-2 and
   Oct 1-3 off. Due dates that relied on it are flagged `estimated`.

A year counts as "official" if chinesecalendar covers it or an administrator has marked its
schedule complete (after entering the State Council's holidays and make-up days); a single
override does not make a year official.

A time limit runs from the day the application is received: one submitted on a non-working day
is deemed received on the next working day (`received_on`), and the count starts then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)

# Public holidays that fall on the same Gregorian date every year (国务院《全国年节及纪念日放假办法》).
# Spring Festival, Qingming, Dragon Boat and Mid-Autumn move with the lunar calendar and the
# make-up days are announced yearly, so the fallback cannot know them.
FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@lru_cache(maxsize=256)
def library_covers(year: int) -> bool:
    """Whether the chinesecalendar package knows the official schedule of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def fallback_is_working_day(day: date) -> bool:
    """Best guess for a year whose schedule is unknown: weekdays except the fixed-date holidays."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


@dataclass(frozen=True)
class DueDate:
    """A due date; `estimated` when part of the count used the fallback rule for an unknown year."""

    due: date
    estimated: bool
    missing_years: tuple[int, ...]


@lru_cache(maxsize=20_000)
def _official_workday(day: date) -> bool:
    """The published schedule (the library call costs ~66 µs; queues ask it many times per row)."""
    return bool(chinese_calendar.is_workday(day))


class WorkCalendar:
    """The official working-day calendar with an administrator's corrections on top."""

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 complete_years: Iterable[int] = ()) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._complete_years = frozenset(complete_years)

    @property
    def complete_years(self) -> frozenset[int]:
        """Years whose official schedule an administrator has entered in full and marked complete."""
        return self._complete_years

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The administrator's corrections: True = working day, False = day off."""
        return dict(self._overrides)

    def is_working_day(self, day: date) -> bool:
        """Whether officers work on `day`."""
        override = self._overrides.get(day)
        if override is not None:
            return override
        if library_covers(day.year):
            return _official_workday(day)
        return fallback_is_working_day(day)

    def is_official(self, day: date) -> bool:
        """Whether the official schedule of `day`'s year is known (library or administrator)."""
        return library_covers(day.year) or day.year in self._complete_years

    def missing_years(self, start: date, end: date) -> list[int]:
        """Years between `start` and `end` (both included, any order) with no official schedule."""
        low, high = sorted((start.year, end.year))
        return [y for y in range(low, high + 1) if not library_covers(y) and y not in self._complete_years]

    def received_on(self, day: date) -> date:
        """The day an application handed in on `day` counts as received: `day`, or the next working day."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (the start day is not counted; n=0 gives `start`)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start (days overdue)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def due_date(self, start: date, n: int) -> DueDate:
        """The due date of a time limit of n working days for something handed in on `start` (counted from
        the day it is received, not counted itself), flagged when it relied on the fallback rule."""
        received = self.received_on(start)
        due = self.add_working_days(received, n)
        missing = tuple(self.missing_years(start + _ONE_DAY, due)) if due > start else ()
        return DueDate(due=due, estimated=bool(missing), missing_years=missing)


_DEFAULT = WorkCalendar()


def add_working_days(start: date, n: int, *, calendar: WorkCalendar | None = None) -> date:
    """The n-th working day after `start`; without a calendar, the official one with no overrides."""
    return (calendar or _DEFAULT).add_working_days(start, n)
