"""Time limits of each stage (办结时限), derived from the case's history.

Prefecture: 5 working days from the day the materials are complete (the submission or
resubmission, deemed received on the next working day when handed in on a day off), county
confirmation included; a return to the prefecture by the province
gives the prefecture a fresh 5 days. Province (kind A): 5 working days from the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flows.filing.schema import Route
from flows.review.deadlines import DueDate, WorkCalendar
from flows.review.transitions import Act

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


def limit_summary(route: Route) -> str:
    """The time limits of a route in one phrase, as the applicant is told at submission."""
    counted = "自收到之日的次日起算，非工作日提交的自下一个工作日起算"
    if route.province_approval:
        return (f"州、市、地公安机关{PREFECTURE_DAYS}个工作日内审核并报公安厅，公安厅自收到之日起"
                f"{PROVINCE_DAYS}个工作日内审批；此为州、市、地公安机关的期限，{counted}")
    county = "，含县级公安机关确认时间" if route.county_confirm else ""
    return f"{PREFECTURE_DAYS}个工作日{county}，{counted}"


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
    """Where a running time limit stands today. Overdue means the due day has passed (a case due on
    Friday is overdue on Saturday, as the queue's counts say), even before the next working day."""

    due: DueDate
    days_left: int  # working days from today to the due day; negative when overdue
    today: date

    @property
    def overdue(self) -> bool:
        return self.today > self.due.due

    @property
    def last_day(self) -> bool:
        return self.today == self.due.due

    def label(self) -> str:
        if self.overdue:
            return f"已超期{-self.days_left}个工作日" if self.days_left < 0 else "已超期"
        if self.last_day:
            return "今天到期"
        return f"剩余{self.days_left}个工作日"

    def due_text(self) -> str:
        """The due date as lists show it, marked 预计 when the year's official schedule is not known yet."""
        return f"{self.due.due:%Y-%m-%d}" + ("（预计）" if self.due.estimated else "")


def time_left(clock: Clock, calendar: WorkCalendar, today: date) -> TimeLeft:
    """Due date of a running clock and the working days left from today. Never more than the limit itself:
    a case handed in on a Sunday is counted from Tuesday, and on that Sunday and Monday it has its 5 working
    days, not 6 (the applicant was told "5个工作日"; the due date says the rest)."""
    due = calendar.due_date(clock.started_on, clock.days)
    return TimeLeft(due, min(clock.days, calendar.working_days_between(today, due.due)), today)
