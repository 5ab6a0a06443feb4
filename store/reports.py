"""Read side of the progress report: the histories of the cases an officer may see, received in a range.

The report is computed from a read model kept in memory, one per process and database URL: every
submitted case's head (kind, region, stage, unit, as the case row stands now) and its events in id
order. Each report reads only the events added since the last one (joined to their case: a
resubmission can move a case to another region), so an officer's act costs the next viewer one
small query, not a reading of every event. Per-case figures are kept too, keyed by what they depend
on (the steps up to the as-of day, the as-of day, the calendar corrections), so only the cases that
changed are recounted; the rest is summing.

Events are append-only, but ids are handed out when a transaction inserts, not when it commits: an
event with a lower id can become visible after a higher one was read. Every report checks that the
number of events up to the highest id read equals the number read; when it does not, the events of a
recent window of ids are compared with the ones read and the cases concerned are read again (or,
when the gap is older than the window, everything is).

`histories()` is the same reading done from scratch in SQL: the tests hold the model to it.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from flows.clock import CHINA
from flows.clock import today as china_today
from flows.oversight.reports import (
    NO_COUNTY,
    TOTAL,
    CaseFigures,
    History,
    RegionFigures,
    Report,
    Step,
    WorkdayIndex,
    figures,
)
from flows.regions import get_regions
from flows.review.deadlines import WorkCalendar
from flows.review.transitions import Act, Actor, Role, Stage
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

    The from-scratch reading (one query over the events joined to their case; the first submission
    is found while grouping). The report itself uses the read model below, which must agree with it.
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


# ------------------------------------------------------------------ the read model
class _Case:
    """A case with events: its row as it stands (stage, kind, region, unit) and every event, in id order."""

    __slots__ = ("county", "first_submit", "kind", "last_day", "prefecture", "stage", "steps", "unit_id")

    def __init__(self, kind: str, prefecture: str | None, county: str | None, stage: str, unit_id: int) -> None:
        self.kind, self.prefecture, self.county, self.stage, self.unit_id = kind, prefecture, county, stage, unit_id
        self.steps: list[Step] = []
        self.last_day = date.min  # the latest day of any step (steps are in id order, not day order)
        self.first_submit: date | None = None  # the day of the first submission, in id order

    def append(self, step: Step) -> None:
        self.steps.append(step)
        if step.day > self.last_day:
            self.last_day = step.day
        if self.first_submit is None and step.act is Act.SUBMIT:
            self.first_submit = step.day

    def up_to(self, as_of: date) -> tuple[list[Step], date | None]:
        """The steps on or before `as_of` and the first submission among them."""
        if self.last_day <= as_of:
            return self.steps, self.first_submit
        steps = [s for s in self.steps if s.day <= as_of]
        return steps, next((s.day for s in steps if s.act is Act.SUBMIT), None)


_WINDOW = 10_000  # ids below the highest read minus this are taken as settled (a gap there: read everything)
_FIGURES_DAYS = 3  # as-of days whose per-case figures are kept
_GENERATIONS = itertools.count(1)  # a model state, process-wide: keys of kept reports


def _event_query(engine: Engine, *where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (sql_select(col(CaseEvent.id), col(CaseEvent.case_id), col(Case.kind), col(Case.prefecture_code),
                       col(Case.county_code), col(Case.stage), col(Case.unit_id), col(CaseEvent.act),
                       col(CaseEvent.from_stage), col(CaseEvent.to_stage), _local_day(engine))
            .join(Case, col(Case.id) == col(CaseEvent.case_id))
            .where(*where)
            .order_by(col(CaseEvent.id)))


class ReadModel:
    """Every case with events of one database, kept up to date by reading the events added since.

    Not thread-safe by itself: callers hold `lock` (progress_report does).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cases: dict[int, _Case] = {}
        self.last_id = 0  # the highest event id read
        self.loaded = 0  # how many events were read (all have ids <= last_id)
        self.floor = 0  # every event read with an id above this one has its id in `recent`
        self.recent: set[int] = set()
        self.generation = 0  # changes whenever anything read changes
        self.full_loads = 0
        self.repairs = 0
        self._loaded_once = False
        self._min_day: date | None = None
        self._steps: dict[tuple[Any, ...], Step] = {}  # one Step object per distinct (act, from, to, day)
        self._names: dict[str, str] = {}  # one object per kind, region code, stage
        self._calendar_key: tuple[tuple[date, bool], ...] | None = None
        self._calendar = WorkCalendar()
        self._index: WorkdayIndex | None = None
        self._index_origin = date.max
        # as-of day -> case id -> (steps counted, shape of its figures); shapes are kept per calendar
        self._figures: OrderedDict[date, dict[int, tuple[int, int]]] = OrderedDict()
        self._shapes: list[CaseFigures] = []
        self._shape_ids: dict[tuple[Any, ...], int] = {}

    # ---------------------------------------------------------------- reading
    def sync(self, engine: Engine) -> None:
        """Read the calendar corrections and the events added since the last call."""
        try:
            self._sync(engine)
        except BaseException:
            self._loaded_once = False  # half read: start again next time
            raise

    def _sync(self, engine: Engine) -> None:
        with Session(engine) as session:
            calendar = load_calendar(session)
            key = tuple(sorted(calendar.overrides.items()))
            if key != self._calendar_key:
                self._calendar_key, self._calendar = key, calendar
                self._index, self._index_origin = None, date.max
                self._forget_figures()
                self._changed()
            connection = session.connection()
            if not self._loaded_once:
                self._full_load(engine, connection)
            else:
                self._read(connection.execute(_event_query(engine, col(CaseEvent.id) > self.last_id)),
                           refresh_heads=True)
            for _ in range(3):
                counted = connection.execute(sql_select(func.count()).select_from(CaseEvent)
                                             .where(col(CaseEvent.id) <= self.last_id)).scalar_one()
                if counted == self.loaded:
                    break
                if not (counted > self.loaded and self._repair(engine, connection, counted - self.loaded)):
                    self._full_load(engine, connection)
            if len(self.recent) > 2 * _WINDOW:
                self.floor = max(self.floor, self.last_id - _WINDOW)
                self.recent = {i for i in self.recent if i > self.floor}

    def _forget_figures(self) -> None:
        self._figures.clear()
        self._shapes, self._shape_ids = [], {}

    def _changed(self) -> None:
        self.generation = next(_GENERATIONS)

    def _read(self, rows: Iterable[Any], *, refresh_heads: bool) -> None:
        """Append events (in id order) to their cases; `refresh_heads`: the case rows may have changed."""
        cases, steps, recent, floor, name = self.cases, self._steps, self.recent, self.floor, self._names.setdefault
        last_id, count, min_day = self.last_id, 0, self._min_day or date.max
        for event_id, case_id, kind, prefecture, county, stage, unit_id, act, from_stage, to_stage, raw_day in rows:
            key = (act, from_stage, to_stage, raw_day)
            step = steps.get(key)
            if step is None:
                day = raw_day if isinstance(raw_day, date) else date.fromisoformat(raw_day)
                step = steps[key] = Step(_ACTS[act], _STAGES[from_stage], _STAGES[to_stage], day)
                min_day = min(min_day, day)
            case = cases.get(case_id)
            if case is None or refresh_heads:
                # One string object per distinct value: the rows bring a new one each time.
                kind, stage = name(kind, kind), name(stage, stage)
                prefecture = name(prefecture, prefecture) if prefecture is not None else None
                county = name(county, county) if county is not None else None
                if case is None:
                    case = cases[case_id] = _Case(kind, prefecture, county, stage, unit_id)
                else:
                    case.kind, case.prefecture, case.county, case.stage, case.unit_id = (
                        kind, prefecture, county, stage, unit_id)
            case.append(step)
            if event_id > floor:
                recent.add(event_id)
            if event_id > last_id:
                last_id = event_id
            count += 1
        if count:
            self.last_id, self.loaded, self._min_day = last_id, self.loaded + count, min_day
            self._changed()

    def _full_load(self, engine: Engine, connection: Connection) -> None:
        self.cases, self.recent, self.last_id, self.loaded, self.floor = {}, set(), 0, 0, 0
        self._forget_figures()
        self._loaded_once = False
        highest = connection.execute(sql_select(func.max(CaseEvent.id))).scalar_one() or 0
        self.floor = max(0, highest - _WINDOW)
        self._read(connection.execute(_event_query(engine, col(CaseEvent.id) <= highest)),
                   refresh_heads=False)
        self._loaded_once = True
        self.full_loads += 1
        self._changed()

    def _repair(self, engine: Engine, connection: Connection, missing_count: int) -> bool:
        """Read again the cases of events that committed after higher ids were read; False: not in the window."""
        window = connection.execute(sql_select(col(CaseEvent.id), col(CaseEvent.case_id))
                                    .where(col(CaseEvent.id) > self.floor, col(CaseEvent.id) <= self.last_id)).all()
        unread = [case_id for event_id, case_id in window if event_id not in self.recent]
        if len(unread) < missing_count:
            return False
        missing = set(unread)
        rows = connection.execute(_event_query(engine, col(CaseEvent.case_id).in_(sorted(missing)),
                                               col(CaseEvent.id) <= self.last_id)).all()
        before = sum(len(self.cases[c].steps) for c in missing if c in self.cases)
        for case_id in missing:
            self.cases.pop(case_id, None)
        loaded, last_id = self.loaded, self.last_id
        self._read(rows, refresh_heads=False)
        self.loaded, self.last_id = loaded - before + len(rows), last_id
        self.repairs += 1
        self._changed()
        return True

    # ---------------------------------------------------------------- figures
    def _index_for(self, as_of: date) -> WorkdayIndex:
        origin = min(self._min_day or as_of, as_of) - timedelta(days=1)
        if self._index is None or origin < self._index_origin:
            self._index, self._index_origin = WorkdayIndex(self._calendar, origin), origin
        return self._index

    def _figures_for(self, as_of: date) -> dict[int, tuple[int, int]]:
        kept = self._figures.get(as_of)
        if kept is None:
            kept = self._figures[as_of] = {}
            while len(self._figures) > _FIGURES_DAYS:
                self._figures.popitem(last=False)
        else:
            self._figures.move_to_end(as_of)
        return kept

    def _shape(self, found: CaseFigures) -> int:
        """A number for the figures: many cases contribute exactly the same, and numbers count fast."""
        key = (found.stage, found.returned, found.first_pass, found.overdue, found.on_time, tuple(found.level_days))
        shape = self._shape_ids.get(key)
        if shape is None:
            shape = self._shape_ids[key] = len(self._shapes)
            self._shapes.append(found)
        return shape

    def report(self, actor: Actor, *, regions: Sequence[tuple[str, str]], by: str, start: date, as_of: date,
               kinds: Collection[str] | None) -> Report:
        """flows.oversight.reports.build_report over the cases the officer may see (store.queries.visible) first
        submitted in [start, as_of] (of `kinds`, all when None), with per-case figures kept between calls.

        Each case's figures are kept as the number of a shape (what it contributes); a region's sums are
        then its shapes counted, each added as many times as it occurs.
        """
        index = self._index_for(as_of)
        kept = self._figures_for(as_of)
        sees = _sees(actor)
        wanted = set(kinds) if kinds is not None else None
        by_prefecture = by == "prefecture"
        shapes: dict[str, list[int]] = {}
        for case_id, case in self.cases.items():
            # The cases the officer may see, of the kinds asked for, first submitted in [start, as_of]
            # (counting only the steps up to as_of, as the from-scratch query does).
            if not sees(case) or (wanted is not None and case.kind not in wanted):
                continue
            if case.last_day <= as_of:
                steps, first = case.steps, case.first_submit
            else:
                steps, first = case.up_to(as_of)
            if first is None or not start <= first <= as_of:
                continue
            hit = kept.get(case_id)
            if hit is not None and hit[0] == len(steps):
                shape = hit[1]
            else:
                history = History(case_id, case.kind, case.prefecture or "", case.county, tuple(steps))
                shape = self._shape(figures(history, index, as_of))
                kept[case_id] = (len(steps), shape)
            code = (case.prefecture or "") if by_prefecture else (case.county or "")
            found = shapes.get(code)
            if found is None:
                found = shapes[code] = []
            found.append(shape)
        rows = {code: RegionFigures(code, name) for code, name in regions}
        total = RegionFigures("", TOTAL)
        for code, found in shapes.items():
            row = rows.get(code)
            if row is None:
                row = rows[code] = RegionFigures(code, code if by_prefecture else NO_COUNTY)
            for shape, times in sorted(Counter(found).items()):
                row.add(self._shapes[shape], times)
            total.merge(row)
        return Report(as_of=as_of, regions=list(rows.values()), total=total)


def _sees(actor: Actor) -> Callable[[_Case], bool]:
    """store.queries.visible, on the read model (an officer without a region sees nothing, as there)."""
    draft, region = Stage.DRAFT.value, actor.region_code
    if actor.role in (Role.COUNTY, Role.PREFECTURE) and not region:
        return lambda case: False
    if actor.role == Role.PROVINCE:
        return lambda case: case.stage != draft
    if actor.role == Role.PREFECTURE:
        return lambda case: case.stage != draft and case.prefecture == region
    if actor.role == Role.COUNTY:
        return lambda case: case.stage != draft and case.county == region
    if actor.role == Role.APPLICANT:
        unit = actor.unit_id if actor.unit_id is not None else -1
        return lambda case: case.unit_id == unit
    return lambda case: False


_MODELS: OrderedDict[str, ReadModel] = OrderedDict()
_MODELS_SIZE = 4
_MODELS_LOCK = threading.Lock()


def read_model(engine: Engine) -> ReadModel:
    """The process's read model of this database (one per URL; the least recently used beyond a few dropped)."""
    url = engine.url.render_as_string(hide_password=False)
    with _MODELS_LOCK:
        model = _MODELS.get(url)
        if model is None:
            model = _MODELS[url] = ReadModel()
            while len(_MODELS) > _MODELS_SIZE:
                _MODELS.popitem(last=False)
        else:
            _MODELS.move_to_end(url)
        return model


def forget_models() -> None:
    """Drop every read model and kept report (the next report reads everything again)."""
    with _MODELS_LOCK:
        _MODELS.clear()
    with _CACHE_LOCK:
        _CACHE.clear()


log = logging.getLogger(__name__)
_WARMED: set[str] = set()


def warm_up_in_background(engine: Engine) -> threading.Thread | None:
    """Load this database's read model in a background thread, once per process, so that the first report
    after a start does not wait seconds for it. Env REPORT_WARMUP=0 switches it off. Returns the thread
    started (None when already warmed or switched off)."""
    if os.environ.get("REPORT_WARMUP", "1") == "0":
        return None
    url = engine.url.render_as_string(hide_password=False)
    with _MODELS_LOCK:
        if url in _WARMED:
            return None
        _WARMED.add(url)

    def load() -> None:
        try:
            model = read_model(engine)
            with model.lock:
                model.sync(engine)
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first report loads it instead
            log.warning("report read model: warm-up failed", exc_info=True)

    thread = threading.Thread(target=load, name="report-warm-up", daemon=True)
    thread.start()
    return thread


_CACHE: OrderedDict[tuple[Any, ...], Report] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def progress_report(engine: Engine, actor: Actor, *, start: date, end: date,
                    kinds: Collection[str] | None = None, today: date | None = None) -> Report:
    """The report as of `end` (or today, when earlier), one row per region of the officer's scope.

    Reports are kept in memory while no event or calendar correction has been added since: a page that
    reruns on every click does not recount every case each time.
    """
    as_of = min(end, today or china_today())
    scope = scope_of(actor)
    model = read_model(engine)
    with model.lock:
        model.sync(engine)
        key = (model.generation, actor.role, actor.region_code, actor.unit_id, start, as_of,
               tuple(sorted(kinds)) if kinds is not None else None)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
            if cached is not None:
                _CACHE.move_to_end(key)
                return cached
        report = model.report(actor, regions=scope.regions, by=scope.by, start=start, as_of=as_of, kinds=kinds)
    with _CACHE_LOCK:
        _CACHE[key] = report
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return report
