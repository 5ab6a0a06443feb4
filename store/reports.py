"""Read side of the progress report: the histories of the cases an officer may see, received in a range."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from flows.clock import CHINA
from flows.clock import today as china_today
from flows.regions import get_regions
from flows.reports import History, Report, Step, build_report
from flows.review import Act, Actor, Role, Stage
from store.models import CalendarOverride, Case, CaseEvent
from store.queries import visible
from store.uow import load_calendar


def day_start(day: date) -> datetime:
    """The first moment of a China business day, as an aware datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=CHINA)


@dataclass(frozen=True)
class Scope:
    """Which rows a report has: the province sees prefectures, a prefecture its counties."""

    by: str  # "prefecture" | "county"
    regions: list[tuple[str, str]]


def scope_of(actor: Actor) -> Scope:
    regions = get_regions()
    if actor.role == Role.PROVINCE:
        return Scope("prefecture", [(p.code, p.name) for p in regions.prefectures()])
    if actor.role == Role.PREFECTURE and actor.region_code:
        return Scope("county", [(c.code, c.name) for c in regions.counties(actor.region_code)])
    if actor.role == Role.COUNTY and actor.region_code:
        return Scope("county", [(actor.region_code, regions.get(actor.region_code).name)])
    return Scope("prefecture", [])


def _local_day(engine: Engine) -> ColumnElement[Any]:
    """The China business day of an event, computed by the database (no datetime objects in Python)."""
    if engine.dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", col(CaseEvent.at)))
    return func.date(col(CaseEvent.at), "+8 hours")


_ACTS = {a.value: a for a in Act}
_STAGES = {s.value: s for s in Stage}


def histories(engine: Engine, actor: Actor, *, start: date, end: date,
              kinds: Collection[str] | None = None) -> list[History]:
    """Cases visible to the officer, first submitted on a day in [start, end], with events up to `end`.

    One query over the events joined to their case; the first submission is found while grouping.
    A case last submitted before `start` cannot have been first submitted after it: the database skips it.
    """
    low, high = day_start(start), day_start(end + timedelta(days=1))
    query = (sql_select(col(CaseEvent.case_id), col(Case.kind), col(Case.prefecture_code), col(Case.county_code),
                        col(CaseEvent.act), col(CaseEvent.from_stage), col(CaseEvent.to_stage), _local_day(engine))
             .join(Case, col(Case.id) == col(CaseEvent.case_id))
             .where(visible(actor), col(Case.submitted_at) >= low, col(CaseEvent.at) < high)
             .order_by(col(CaseEvent.case_id), col(CaseEvent.id)))
    if kinds is not None:
        query = query.where(col(Case.kind).in_(list(kinds)))
    days: dict[Any, date] = {}
    found: list[History] = []
    current: int | None = None
    steps: list[Step] = []
    head: tuple[str, str, str | None] = ("", "", None)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    for case_id, kind, prefecture, county, act, from_stage, to_stage, raw_day in rows:
        if case_id != current:
            if current is not None and steps:
                found.append(History(current, head[0], head[1], head[2], tuple(steps)))
            current, steps, head = case_id, [], (kind, prefecture or "", county)
        day = days.get(raw_day)
        if day is None:
            day = days[raw_day] = raw_day if isinstance(raw_day, date) else date.fromisoformat(raw_day)
        steps.append(Step(_ACTS[act], _STAGES[from_stage], _STAGES[to_stage], day))
    if current is not None and steps:
        found.append(History(current, head[0], head[1], head[2], tuple(steps)))
    return [h for h in found if _first_submission_within(h, start, end)]


def _first_submission_within(history: History, start: date, end: date) -> bool:
    for step in history.steps:
        if step.act == Act.SUBMIT:
            return start <= step.day <= end
    return False


_CACHE: OrderedDict[tuple[Any, ...], Report] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """What the figures depend on besides the question: the events (append-only) and the calendar corrections.

    Events are never changed or deleted, so their count and highest id change whenever one is added
    (the count also catches a transaction that committed after a later id).
    """
    count, highest = session.exec(select(func.count(), func.max(CaseEvent.id))).one()
    overrides = tuple(session.exec(select(col(CalendarOverride.day), col(CalendarOverride.is_working))
                                   .order_by(col(CalendarOverride.day))).all())
    return count, highest, hash(overrides)


def progress_report(engine: Engine, actor: Actor, *, start: date, end: date,
                    kinds: Collection[str] | None = None, today: date | None = None) -> Report:
    """The report as of `end` (or today, when earlier), one row per region of the officer's scope.

    Reports are kept in memory while no event or calendar correction has been added since: a page that
    reruns on every click does not recount every case each time.
    """
    as_of = min(end, today or china_today())
    scope = scope_of(actor)
    with Session(engine) as session:
        calendar = load_calendar(session)
        key = (str(engine.url), actor.role, actor.region_code, start, as_of,
               tuple(sorted(kinds)) if kinds is not None else None, _fingerprint(session))
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    found = histories(engine, actor, start=start, end=as_of, kinds=kinds)
    report = build_report(found, regions=scope.regions, by=scope.by, calendar=calendar, as_of=as_of)
    with _CACHE_LOCK:
        _CACHE[key] = report
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return report
