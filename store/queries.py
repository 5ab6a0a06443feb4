"""Read-side queries: which cases a person may see, and what lists show of them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, false, func, true
from sqlmodel import Session, col, select

from flows.clock import show
from flows.kinds import get_filing, stage_name
from flows.review.deadlines import WorkCalendar
from flows.review.transitions import FINAL_STAGES, Actor, Role, Stage
from store.models import Case, Document
from store.uow import load_calendar


def visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the cases this person may see (drafts only by their own unit)."""
    submitted = col(Case.stage) != Stage.DRAFT
    if actor.role == Role.APPLICANT:
        return col(Case.unit_id) == (actor.unit_id if actor.unit_id is not None else -1)
    if actor.role in (Role.COUNTY, Role.PREFECTURE) and not actor.region_code:
        return false()  # an officer without a region sees nothing (never "the cases without a county")
    if actor.role == Role.COUNTY:
        return and_(submitted, col(Case.county_code) == actor.region_code)
    if actor.role == Role.PREFECTURE:
        return and_(submitted, col(Case.prefecture_code) == actor.region_code)
    if actor.role == Role.PROVINCE:
        return and_(submitted, true())
    return col(Case.id) == -1


@dataclass(frozen=True)
class HomeSummary:
    counts: list[tuple[str, int]]
    rows: list[dict[str, Any]]


def case_row(case: Case, calendar: WorkCalendar) -> dict[str, Any]:
    """What a list shows of a case: nothing personal; a due date in a year not yet official marked 预计."""
    due = ""
    if case.due_on is not None:
        start = case.clock_started_on or case.due_on
        estimated = bool(calendar.missing_years(start, case.due_on))
        due = case.due_on.isoformat() + ("（预计）" if estimated else "")
    return {"办件编号": case.number or "（未提交）", "业务": get_filing(case.kind).short_title,
            "单位": case.unit_name, "状态": stage_name(Stage(case.stage), case.kind),
            "提交时间": show(case.submitted_at), "办结期限": due}


def home_summary(engine: Engine, actor: Actor) -> HomeSummary:
    with Session(engine) as session:
        where = visible(actor)
        by_stage = dict(session.exec(select(Case.stage, func.count()).where(where).group_by(Case.stage)).all())
        applicant = actor.role == Role.APPLICANT
        # An applicant's returned case is counted once, as 待补正 (it is the unit's turn), never also as 办理中.
        apart = {Stage.DRAFT, Stage.RETURNED} if applicant else {Stage.DRAFT}
        open_count = sum(n for s, n in by_stage.items() if Stage(s) not in FINAL_STAGES and Stage(s) not in apart)
        counts = [("办理中", open_count), ("已办结", sum(by_stage.get(s, 0) for s in FINAL_STAGES))]
        if applicant:
            counts.insert(0, ("填写中", by_stage.get(Stage.DRAFT, 0)))
            counts.insert(2, ("待补正", by_stage.get(Stage.RETURNED, 0)))
        rows = session.exec(select(Case).where(where).order_by(col(Case.updated_at).desc()).limit(10)).all()
        calendar = load_calendar(session)
        return HomeSummary(counts, [case_row(r, calendar) for r in rows])


@dataclass(frozen=True)
class UnitCases:
    ids: list[int]  # newest first, at most the limit asked for
    matching: int  # how many cases are at the stages asked for
    any_case: bool  # whether the unit has any case at all


def unit_cases(engine: Engine, unit_id: int, *, stages: Collection[Stage] | None = None,
               limit: int | None = None) -> UnitCases:
    """The cases of one applicant unit at some stages (all when None), newest first."""
    condition = col(Case.unit_id) == unit_id
    if stages is not None:
        condition = and_(condition, col(Case.stage).in_(list(stages)))
    with Session(engine) as session:
        ids = list(session.exec(select(Case.id).where(condition).order_by(col(Case.id).desc()).limit(limit)))
        matching = session.exec(select(func.count()).select_from(Case).where(condition)).one()
        any_case = matching > 0 or session.exec(select(Case.id).where(Case.unit_id == unit_id).limit(1)).first() \
            is not None
    return UnitCases([i for i in ids if i is not None], int(matching), any_case)


def open_draft(engine: Engine, unit_id: int, kind: str | None = None) -> Case | None:
    """The unit's most recent unfinished draft (of a kind), to continue where it stopped."""
    with Session(engine) as session:
        query = select(Case).where(Case.unit_id == unit_id, Case.stage == Stage.DRAFT)
        if kind:
            query = query.where(Case.kind == kind)
        return session.exec(query.order_by(col(Case.updated_at).desc()).limit(1)).first()


def open_work(engine: Engine, unit_id: int) -> int | None:
    """The case the unit's clerk should continue: the latest returned one (to correct), else the latest draft."""
    with Session(engine) as session:
        for stage in (Stage.RETURNED, Stage.DRAFT):
            found = session.exec(select(Case.id).where(Case.unit_id == unit_id, Case.stage == stage)
                                 .order_by(col(Case.updated_at).desc()).limit(1)).first()
            if found is not None:
                return int(found)
    return None


@dataclass(frozen=True)
class WaitingCase:
    """A case of the unit that waits on the unit itself (returned for correction, or a draft)."""

    id: int
    number: str | None
    kind: str
    stage: Stage
    open_items: int
    updated_at: datetime


@dataclass(frozen=True)
class IssuedDocument:
    """A notice or certificate issued on one of the unit's cases."""

    case_id: int
    case_number: str
    title: str
    number: str
    sha256: str
    status: str
    issued_at: datetime


def applicant_todo(engine: Engine, unit_id: int, *, documents_since: datetime,
                   limit: int = 10) -> tuple[list[WaitingCase], list[IssuedDocument]]:
    """What needs the unit now: its returned cases and drafts, and the documents issued since a time."""
    with Session(engine) as session:
        waiting = session.exec(select(Case).where(
            Case.unit_id == unit_id, col(Case.stage).in_([Stage.RETURNED, Stage.DRAFT]))
            .order_by(case((col(Case.stage) == Stage.RETURNED, 0), else_=1), col(Case.updated_at).desc())
            .limit(limit)).all()
        issued = session.exec(select(Document, Case.number).join(Case, col(Case.id) == col(Document.case_id)).where(
            Case.unit_id == unit_id, col(Document.issued_at) >= documents_since)
            .order_by(col(Document.id).desc()).limit(limit)).all()
    cases = [WaitingCase(id=int(c.id or 0), number=c.number, kind=c.kind, stage=Stage(c.stage),
                         open_items=len(c.open_items or ()), updated_at=c.updated_at) for c in waiting]
    documents = [IssuedDocument(case_id=d.case_id, case_number=number or "", title=d.title, number=d.number,
                                sha256=d.sha256, status=d.status, issued_at=d.issued_at) for d, number in issued]
    return cases, documents
