"""Progress report figures (通报) per region, computed from each case's history.

The report covers the cases first submitted within a date range and describes them as they
stood at the end of the range (or today, if earlier): only events up to that day count.

- 收件 received: cases first submitted in the range.
- 在办 in progress: not ended (waiting on an officer, or returned and waiting on the applicant).
- 已办结（通过/备案） approved; 不予通过/备案 rejected; 已撤回 withdrawn.
  received = in progress + approved + rejected + withdrawn.
- 退回 returned: cases returned to the applicant for correction at least once.
- 超期 overdue: in progress with a running time limit whose due day is before the as-of day
  (the same rule as the officers' queue).
- 按时办结率 on-time rate: of the ended cases (approved or rejected), the share in which every
  time-limit period (flows/review/timelimits: submission/resubmission → prefecture's 5 working days, report →
  province's 5, return to the prefecture → a fresh 5) ended on or before its due day.
- 各环节用时中位数 median working days per stage: from the day a case reached the county,
  prefecture or province to the day it left that level (start day not counted); visits ended by a
  withdrawal are left out.
- 一次办结率 first-pass rate: of the approved cases, the share never returned (neither to the
  applicant nor by the province to the prefecture).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Any, NamedTuple

from flows.review.deadlines import WorkCalendar
from flows.review.timelimits import STARTS, STOPS
from flows.review.transitions import Act, Role, Stage, holder_of

LEVELS: tuple[Role, ...] = (Role.COUNTY, Role.PREFECTURE, Role.PROVINCE)
RETURNS = frozenset({Act.RETURN, Act.RETURN_TO_PREFECTURE})
ENDED_WELL = frozenset({Stage.APPROVED, Stage.REJECTED})


class WorkdayIndex:
    """Working days counted once per day and looked up by subtraction: fast for many cases."""

    def __init__(self, calendar: WorkCalendar, origin: date) -> None:
        self._calendar = calendar
        self._origin = origin
        self._cum = [0]  # _cum[i]: working days in (origin, origin + i days]

    def _offset(self, day: date) -> int:
        offset = (day - self._origin).days
        if offset < 0:
            raise ValueError(f"{day} is before the index origin {self._origin}")
        self._extend(offset)
        return offset

    def _extend(self, offset: int) -> None:
        while len(self._cum) <= offset:
            day = self._origin + timedelta(days=len(self._cum))
            self._cum.append(self._cum[-1] + (1 if self._calendar.is_working_day(day) else 0))

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end], negative when end is before start."""
        return self._cum[self._offset(end)] - self._cum[self._offset(start)]

    def due(self, start: date, n: int) -> date:
        """The due day of n working days for something handed in on `start` (received on the next working
        day when `start` is a day off), as WorkCalendar.due_date counts it."""
        received_later = self.between(start - timedelta(days=1), start) == 0
        return self.add(start, n + (1 if received_later else 0))

    def add(self, start: date, n: int) -> date:
        """The n-th working day after `start` (n=0 gives `start`)."""
        s = self._offset(start)
        target = self._cum[s] + n
        while self._cum[-1] < target:
            self._extend(len(self._cum) + 30)
        return self._origin + timedelta(days=bisect.bisect_left(self._cum, target, lo=s))


class Step(NamedTuple):
    """One event of a case's history, as the report needs it (a tuple: built 100,000s of times)."""

    act: Act
    from_stage: Stage
    to_stage: Stage
    day: date


class History(NamedTuple):
    """A case with its events, oldest first, up to the as-of day."""

    case_id: int
    kind: str
    prefecture_code: str
    county_code: str | None
    steps: tuple[Step, ...]


class CaseFigures(NamedTuple):
    stage: Stage
    returned: bool
    first_pass: bool
    overdue: bool
    on_time: bool | None  # None while not ended (or withdrawn)
    level_days: list[tuple[Role, int]]


HOLDERS: dict[Stage, Role | None] = {stage: holder_of(stage) for stage in Stage}


def figures(history: History, index: WorkdayIndex, as_of: date) -> CaseFigures:
    """What one case contributes to the report, as of a day."""
    steps = history.steps if history.steps[-1].day <= as_of else [s for s in history.steps if s.day <= as_of]
    stage = steps[-1].to_stage if steps else Stage.DRAFT
    late = False
    running: tuple[date, int] | None = None  # (start day, working days allowed)
    level_days: list[tuple[Role, int]] = []
    visit: tuple[Role, date] | None = None
    for step in steps:
        act = step.act
        if act in STARTS or act in STOPS:
            if running is not None and act != Act.WITHDRAW:
                late = late or step.day > index.due(running[0], running[1])
            running = (step.day, STARTS[act]) if act in STARTS else None
        holder = HOLDERS[step.to_stage]
        if visit is not None and holder != visit[0]:
            if act != Act.WITHDRAW:
                level_days.append((visit[0], index.between(visit[1], step.day)))
            visit = None
        if visit is None and holder in LEVELS:
            visit = (holder, step.day)
    overdue = running is not None and index.due(running[0], running[1]) < as_of
    returned = any(s.act == Act.RETURN for s in steps)
    ever_returned = any(s.act in RETURNS for s in steps)
    return CaseFigures(
        stage=stage, returned=returned, first_pass=stage == Stage.APPROVED and not ever_returned,
        overdue=overdue, on_time=(not late) if stage in ENDED_WELL else None, level_days=level_days)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _median(values: list[int]) -> float | None:
    return round(float(median(values)), 1) if values else None


@dataclass
class RegionFigures:
    """The sums for one region (or the total)."""

    code: str
    name: str
    received: int = 0
    in_progress: int = 0
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0
    returned: int = 0
    overdue: int = 0
    ended: int = 0
    ended_on_time: int = 0
    first_pass: int = 0
    level_days: dict[Role, list[int]] = field(default_factory=lambda: {level: [] for level in LEVELS})

    def add(self, case: CaseFigures, times: int = 1) -> None:
        """Count a case (or `times` cases with the same figures)."""
        self.received += times
        if case.stage == Stage.APPROVED:
            self.approved += times
        elif case.stage == Stage.REJECTED:
            self.rejected += times
        elif case.stage == Stage.WITHDRAWN:
            self.withdrawn += times
        else:
            self.in_progress += times
        self.returned += case.returned * times
        self.overdue += case.overdue * times
        self.first_pass += case.first_pass * times
        if case.on_time is not None:
            self.ended += times
            self.ended_on_time += case.on_time * times
        for level, days in case.level_days:
            if times == 1:
                self.level_days[level].append(days)
            else:
                self.level_days[level].extend([days] * times)

    def merge(self, other: RegionFigures) -> None:
        """Add another region's sums (the total is the sum of the rows)."""
        self.received += other.received
        self.in_progress += other.in_progress
        self.approved += other.approved
        self.rejected += other.rejected
        self.withdrawn += other.withdrawn
        self.returned += other.returned
        self.overdue += other.overdue
        self.ended += other.ended
        self.ended_on_time += other.ended_on_time
        self.first_pass += other.first_pass
        for level, days in other.level_days.items():
            self.level_days[level].extend(days)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.ended_on_time, self.ended)

    @property
    def first_pass_rate(self) -> float | None:
        return _rate(self.first_pass, self.approved)

    def median_days(self, level: Role) -> float | None:
        return _median(self.level_days[level])


COLUMNS: tuple[str, ...] = (
    "地区", "收件", "在办", "已办结（通过/备案）", "退回", "不予通过/备案", "已撤回", "超期",
    "按时办结率（%）", "一次办结率（%）", "县级确认用时中位数（工作日）",
    "州市地审核用时中位数（工作日）", "公安厅审批用时中位数（工作日）",
)


def table_row(region: RegionFigures) -> dict[str, Any]:
    """One row of the report table: the page shows it and the export writes it as it is."""
    values: tuple[Any, ...] = (
        region.name, region.received, region.in_progress, region.approved, region.returned,
        region.rejected, region.withdrawn, region.overdue, region.on_time_rate, region.first_pass_rate,
        region.median_days(Role.COUNTY), region.median_days(Role.PREFECTURE), region.median_days(Role.PROVINCE),
    )
    return dict(zip(COLUMNS, values, strict=True))


TOTAL = "合计"
NO_COUNTY = "（市级直接受理）"


@dataclass(frozen=True)
class Report:
    as_of: date
    regions: list[RegionFigures]
    total: RegionFigures

    def table(self) -> list[dict[str, Any]]:
        return [table_row(r) for r in (*self.regions, self.total)]


def build_report(histories: Iterable[History], *, regions: Sequence[tuple[str, str]], by: str,
                 calendar: WorkCalendar, as_of: date) -> Report:
    """Figures per region (`by` = "prefecture" or "county"), in the given order, plus the total.

    Cases whose region is not listed (e.g. kind A, which has no county) go to an extra row.
    """
    rows = {code: RegionFigures(code, name) for code, name in regions}
    total = RegionFigures("", TOTAL)
    histories = list(histories)
    first_days = [h.steps[0].day for h in histories if h.steps]
    index = WorkdayIndex(calendar, min([*first_days, as_of]) - timedelta(days=1))
    for history in histories:
        case = figures(history, index, as_of)
        code = history.prefecture_code if by == "prefecture" else (history.county_code or "")
        if code not in rows:
            rows[code] = RegionFigures(code, NO_COUNTY if by == "county" else code)
        rows[code].add(case)
        total.add(case)
    return Report(as_of=as_of, regions=list(rows.values()), total=total)


# ------------------------------------------------------------------ baseline coverage (底数)
FILED, IN_PROGRESS, NOT_STARTED = "filed", "in_progress", "not_started"
BASELINE_LABELS = {FILED: "已备案", IN_PROGRESS: "办理中", NOT_STARTED: "未启动"}
OPEN_AFTER_SUBMISSION = frozenset(Stage) - {Stage.DRAFT, Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN}


def baseline_status(stages: Iterable[Stage]) -> str:
    """A known unit's progress from the stages of its B/C cases: filed beats in progress beats nothing.

    A draft, a rejected or a withdrawn case does not count as started: the unit still has to file.
    """
    found = set(stages)
    if Stage.APPROVED in found:
        return FILED
    if found & OPEN_AFTER_SUBMISSION:
        return IN_PROGRESS
    return NOT_STARTED


@dataclass
class CoverageFigures:
    code: str
    name: str
    known: int = 0
    filed: int = 0
    in_progress: int = 0
    not_started: int = 0

    def add(self, status: str) -> None:
        self.known += 1
        if status == FILED:
            self.filed += 1
        elif status == IN_PROGRESS:
            self.in_progress += 1
        else:
            self.not_started += 1

    @property
    def rate(self) -> float | None:
        return _rate(self.filed, self.known)


COVERAGE_COLUMNS = ("地区", "底数单位", "已备案", "办理中", "未启动", "备案率（%）")


def coverage_row(region: CoverageFigures) -> dict[str, Any]:
    values = (region.name, region.known, region.filed, region.in_progress, region.not_started, region.rate)
    return dict(zip(COVERAGE_COLUMNS, values, strict=True))


def days_to_deadline(deadline: date, today: date) -> int:
    """Calendar days left until the campaign deadline (negative once it has passed)."""
    return (deadline - today).days
