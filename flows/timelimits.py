"""Time limits of each stage (办结时限), derived from the case's history.

Prefecture: 5 working days from the day the materials are complete (the submission or
resubmission), county confirmation included; a return to the prefecture by the province
gives the prefecture a fresh 5 days. Province (kind A): 5 working days from the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flows.deadlines import DueDate, WorkCalendar
from flows.review import Act

PREFECTURE_DAYS = 5
PROVINCE_DAYS = 5

# Acts that start a clock, and how long it runs; acts that stop it.
STARTS: dict[Act, int] = {
    Act.SUBMIT: PREFECTURE_DAYS,
    Act.RESUBMIT: PREFECTURE_DAYS,
    Act.RETURN_TO_PREFECTURE: PREFECTURE_DAYS,
    Act.REPORT: PROVINCE_DAYS,
}
STOPS = frozenset({Act.RETURN, Act.APPROVE, Act.REJECT, Act.WITHDRAW})


@dataclass(frozen=True)
class Clock:
    started_on: date
    days: int


def clock_from_history(events: Iterable[tuple[Act, date]]) -> Clock | None:
    """The running clock after these (act, day) events, oldest first; None when none runs."""
    clock: Clock | None = None
    for act, day in events:
        if act in STARTS:
            clock = Clock(day, STARTS[act])
        elif act in STOPS:
            clock = None
    return clock


@dataclass(frozen=True)
class TimeLeft:
    due: DueDate
    days_left: int  # working days from today to the due day; negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def last_day(self) -> bool:
        return self.days_left == 0

    def label(self) -> str:
        if self.overdue:
            return f"已超期{-self.days_left}个工作日"
        if self.last_day:
            return "今天到期"
        return f"剩余{self.days_left}个工作日"


def time_left(clock: Clock, calendar: WorkCalendar, today: date) -> TimeLeft:
    """Due date of a running clock and the working days left from today."""
    due = calendar.due_date(clock.started_on, clock.days)
    return TimeLeft(due, calendar.working_days_between(today, due.due))
