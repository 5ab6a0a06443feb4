"""Read side of the progress report: the histories of the cases an officer may see, received in a range."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from flows.clock import CHINA, local_date
from flows.clock import today as china_today
from flows.regions import get_regions
from flows.reports import History, Report, Step, build_report
from flows.review import Act, Actor, Role, Stage
from store.models import Case, CaseEvent
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


def histories(engine: Engine, actor: Actor, *, start: date, end: date,
              kinds: Collection[str] | None = None) -> list[History]:
    """Cases visible to the officer, first submitted on a day in [start, end], with events up to `end`."""
    low, high = day_start(start), day_start(end + timedelta(days=1))
    first = (select(CaseEvent.case_id, func.min(CaseEvent.at).label("first_at"))
             .where(CaseEvent.act == Act.SUBMIT).group_by(col(CaseEvent.case_id)).subquery())
    chosen = (select(Case.id).join(first, first.c.case_id == col(Case.id))
              .where(visible(actor), first.c.first_at >= low, first.c.first_at < high))
    if kinds is not None:
        chosen = chosen.where(col(Case.kind).in_(list(kinds)))
    with Session(engine) as session:
        cases: dict[int, tuple[str, str, str | None]] = {
            int(case_id): (str(kind), str(prefecture or ""), county)
            for case_id, kind, prefecture, county in session.execute(
                sql_select(col(Case.id), col(Case.kind), col(Case.prefecture_code), col(Case.county_code))
                .where(col(Case.id).in_(chosen))).all()}
        events = session.execute(
            sql_select(col(CaseEvent.case_id), col(CaseEvent.act), col(CaseEvent.from_stage),
                       col(CaseEvent.to_stage), col(CaseEvent.at))
            .where(col(CaseEvent.case_id).in_(chosen), col(CaseEvent.at) < high)
            .order_by(col(CaseEvent.case_id), col(CaseEvent.id))).all()
    steps: dict[int, list[Step]] = {case_id: [] for case_id in cases}
    for case_id, act, from_stage, to_stage, at in events:
        steps[int(case_id)].append(Step(Act(act), Stage(from_stage), Stage(to_stage), local_date(at)))
    return [History(case_id, kind, prefecture, county, tuple(steps[case_id]))
            for case_id, (kind, prefecture, county) in cases.items()]


def progress_report(engine: Engine, actor: Actor, *, start: date, end: date,
                    kinds: Collection[str] | None = None, today: date | None = None) -> Report:
    """The report as of `end` (or today, when earlier), one row per region of the officer's scope."""
    as_of = min(end, today or china_today())
    scope = scope_of(actor)
    found = histories(engine, actor, start=start, end=as_of, kinds=kinds)
    with Session(engine) as session:
        calendar = load_calendar(session)
    return build_report(found, regions=scope.regions, by=scope.by, calendar=calendar, as_of=as_of)
