"""The officer's queue: the cases waiting on this person's role, inside their jurisdiction only.

Every query here starts from `store.queries.visible(actor)`, so nothing outside the officer's
jurisdiction is ever listed or counted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Engine, and_, false, func, or_
from sqlmodel import Session, col, select

from flows.clock import today as china_today
from flows.kinds import get_filing, stage_name
from flows.review.screening import CATEGORY_LABELS, CategoryResult, Outcome
from flows.review.timelimits import Clock, TimeLeft, time_left
from flows.review.transitions import Actor, Role, Stage
from store.models import Case, ScreeningRun
from store.queries import visible
from store.uow import load_calendar

Due = Literal["overdue", "today", "week"]

DUE_LABELS: dict[Due, str] = {"overdue": "已超期", "today": "今天到期", "week": "7日内到期"}

# The stages at which a case waits on each officer role.
WAITING: dict[Role, tuple[Stage, ...]] = {
    Role.COUNTY: (Stage.COUNTY_CONFIRM,),
    Role.PREFECTURE: (Stage.PREFECTURE_ACCEPT, Stage.PREFECTURE_REVIEW),
    Role.PROVINCE: (Stage.PROVINCE_ACCEPT, Stage.PROVINCE_REVIEW),
}

WEEK_DAYS = 7
MAX_SEARCH = 60


@dataclass(frozen=True)
class QueueRow:
    """What the queue shows of one case: nothing personal beyond the unit."""

    id: int
    number: str
    kind: str
    kind_title: str
    unit_name: str
    credit_code: str
    submitted_at: datetime | None
    stage: Stage
    stage_label: str
    due_on: date | None
    time_left: TimeLeft | None
    warnings: int  # findings the officer must notice on the case page (a late filing, a row without a licence...)
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    overdue: int
    due_today: int


def waiting_stages(role: Role) -> tuple[Stage, ...]:
    """The stages at which cases wait on this role (none for applicants and administrators)."""
    return WAITING.get(role, ())


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the wildcards in it taken literally (escape `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _waiting(actor: Actor, stages: Collection[Stage] | None) -> ColumnElement[bool]:
    own = waiting_stages(actor.role)
    wanted = [s for s in own if stages is None or s in stages]
    if not wanted:
        return false()
    return and_(visible(actor), col(Case.stage).in_(wanted))


def _due(due: Due | None, today: date) -> ColumnElement[bool] | None:
    if due is None:
        return None
    if due == "overdue":
        return col(Case.due_on) < today
    if due == "today":
        return col(Case.due_on) == today
    return and_(col(Case.due_on) >= today, col(Case.due_on) < today + timedelta(days=WEEK_DAYS))


def _search(text: str) -> ColumnElement[bool] | None:
    text = text.strip()[:MAX_SEARCH]
    if not text:
        return None
    pattern = like_pattern(text)
    return or_(col(Case.number).ilike(pattern, escape="\\"), col(Case.unit_name).ilike(pattern, escape="\\"),
               col(Case.credit_code).ilike(pattern, escape="\\"))


def queue_condition(actor: Actor, *, today: date, kinds: Collection[str] | None = None,
                    stages: Collection[Stage] | None = None, due: Due | None = None,
                    search: str = "") -> ColumnElement[bool]:
    """SQL condition: the cases waiting on this officer, narrowed by the filters."""
    parts = [_waiting(actor, stages)]
    if kinds is not None:
        parts.append(col(Case.kind).in_(list(kinds)) if kinds else false())
    for extra in (_due(due, today), _search(search)):
        if extra is not None:
            parts.append(extra)
    return and_(*parts)


NOT_SCREENED = "比对未完成"


def alerts(session: Session, actor: Actor, cases: Sequence[Case]) -> dict[int, tuple[str, ...]]:
    """Flags from each screened case's latest automatic comparison: its hits, or that it is not done.

    Only for the officers who review (the county never holds a screened kind; applicants never see results).
    """
    screened = [c.id for c in cases if c.id is not None and get_filing(c.kind).screening_field]
    if actor.role not in (Role.PREFECTURE, Role.PROVINCE) or not screened:
        return {}
    runs = session.exec(select(ScreeningRun).where(col(ScreeningRun.case_id).in_(screened))
                        .order_by(col(ScreeningRun.case_id), col(ScreeningRun.id).desc())).all()
    flags: dict[int, tuple[str, ...]] = {}
    for run in runs:
        if run.case_id in flags:
            continue  # an older run
        results = [CategoryResult.from_json(r) for r in run.results or ()]
        hits = tuple(f"比中{CATEGORY_LABELS.get(r.category, r.category)}" for r in results
                     if r.outcome == Outcome.HIT)
        not_done = any(r.outcome == Outcome.NOT_DONE for r in results)
        flags[run.case_id] = hits + ((NOT_SCREENED,) if not_done else ())
    for case_id in screened:
        flags.setdefault(case_id, (NOT_SCREENED,))  # never run: not done, never clear
    return flags


def _row(case: Case, time: TimeLeft | None, flags: tuple[str, ...]) -> QueueRow:
    assert case.id is not None
    return QueueRow(id=case.id, number=case.number or "", kind=case.kind,
                    kind_title=get_filing(case.kind).short_title, unit_name=case.unit_name,
                    credit_code=case.credit_code, submitted_at=case.submitted_at, stage=Stage(case.stage),
                    stage_label=stage_name(Stage(case.stage), case.kind), due_on=case.due_on, time_left=time,
                    warnings=len(case.warnings or ()), alerts=flags)


def queue_page(engine: Engine, actor: Actor, *, kinds: Collection[str] | None = None,
               stages: Collection[Stage] | None = None, due: Due | None = None, search: str = "",
               page: int = 1, per_page: int = 50, today: date | None = None) -> QueuePage:
    """One page of the officer's queue, soonest due first (cases without a due date last); cases due the same
    day in the order they were submitted (first come, first served)."""
    today = today or china_today()
    per_page = max(1, min(per_page, 200))
    where = queue_condition(actor, today=today, kinds=kinds, stages=stages, due=due, search=search)
    with Session(engine) as session:
        total = int(session.exec(select(func.count()).select_from(Case).where(where)).one())
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        found = session.exec(select(Case).where(where)
                             .order_by(col(Case.due_on).asc().nulls_last(), col(Case.submitted_at).asc(),
                                       col(Case.id).asc())
                             .offset((page - 1) * per_page).limit(per_page)).all()
        calendar = load_calendar(session)
        flags = alerts(session, actor, found)
        rows = []
        for case in found:
            running = None
            if case.clock_started_on is not None and case.clock_days is not None:
                running = time_left(Clock(case.clock_started_on, case.clock_days), calendar, today)
            rows.append(_row(case, running, flags.get(case.id or 0, ())))
        return QueuePage(rows=rows, total=total, page=page, per_page=per_page)


def queue_counts(engine: Engine, actor: Actor, *, today: date | None = None) -> QueueCounts:
    """How many cases wait on this officer, how many of them are overdue, how many are due today."""
    today = today or china_today()
    base = queue_condition(actor, today=today)
    with Session(engine) as session:
        waiting, overdue, due_today = session.exec(select(
            func.count(),
            func.count().filter(col(Case.due_on) < today),
            func.count().filter(col(Case.due_on) == today),
        ).select_from(Case).where(base)).one()
        return QueueCounts(int(waiting), int(overdue), int(due_today))
