"""Read side of the ledgers (台账): filed units, cancelled filings and changes of legal representative.

Every query starts from `store.queries.visible(actor)`: a county sees its own county, a
prefecture its own prefecture, the province everything.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, Row, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from flows.clock import local_date
from flows.filing.schema import CERTIFICATES
from flows.kinds import cancellable_kinds, cancelling_kinds, kinds_in
from flows.oversight.ledger import answers_shown, rosters_counted
from flows.regions import get_regions
from flows.review.transitions import OFFICER_ROLES, Act, Actor, Stage
from store.keys import keyring, unseal
from store.models import Answer, Case, CaseEvent, Document
from store.queries import visible
from store.queue import like_pattern

Ledger = Literal["current", "cancelled", "representatives"]
MAX_SEARCH = 60


@dataclass(frozen=True)
class LedgerRecord:
    """One approved case as a ledger needs it; `cancellation` is the approved case that cancelled it."""

    case_id: int
    number: str
    kind: str
    unit_name: str
    credit_code: str
    prefecture_code: str
    county_code: str | None
    approved_on: date | None
    certificate: str
    answers: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False
    cancellation: LedgerRecord | None = None


def region_condition(code: str | None) -> ColumnElement[bool] | None:
    """Narrow to a prefecture or a county (None: no narrowing)."""
    if not code:
        return None
    level = get_regions().get(code).level
    if level == "prefecture":
        return col(Case.prefecture_code) == code
    if level == "county":
        return col(Case.county_code) == code
    return None


def _search(text: str) -> ColumnElement[bool] | None:
    text = text.strip()[:MAX_SEARCH]
    if not text:
        return None
    pattern = like_pattern(text)
    by_document = select(Document.case_id).where(col(Document.number).ilike(pattern, escape="\\"))
    return or_(col(Case.unit_name).ilike(pattern, escape="\\"), col(Case.credit_code).ilike(pattern, escape="\\"),
               col(Case.number).ilike(pattern, escape="\\"), col(Case.id).in_(by_document))


_CHUNK = 500  # case ids per IN list: well under every database's limit on bound parameters


@dataclass(frozen=True)
class LedgerTotals:
    """What the ledger page counts over all its rows (not just the page shown)."""

    rows: int
    units: int
    guards: int


def _roster_size(engine: Engine) -> ColumnElement[Any]:
    """The number of people in a roster answer, counted by the database (the roster itself is not read)."""
    value = col(Answer.value)
    if engine.dialect.name == "postgresql":
        return case((func.jsonb_typeof(value) == "array", func.jsonb_array_length(value)), else_=0)
    return func.coalesce(func.json_array_length(value), 0)


_CASE_COLUMNS = (col(Case.id), col(Case.number), col(Case.kind), col(Case.unit_name), col(Case.credit_code),
                 col(Case.prefecture_code), col(Case.county_code), col(Case.cancelled), col(Case.ref_case_id))


def _records(session: Session, rows: Sequence[Row[Any]]) -> list[LedgerRecord]:
    """Ledger records for case rows (`_CASE_COLUMNS`): their shown answers, certificate and approval day."""
    ids = [int(r.id) for r in rows]
    answers: dict[int, dict[str, Any]] = {i: {} for i in ids}
    certificates: dict[int, str] = {}
    approved: dict[int, date] = {}
    roster_size = _roster_size(session.get_bind())  # type: ignore[arg-type]
    counted = rosters_counted()
    shown = [q for q in answers_shown() if q not in counted]
    ring = keyring()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for case_id, question_id, value in session.exec(
                select(col(Answer.case_id), col(Answer.question_id), col(Answer.value))
                .where(col(Answer.case_id).in_(chunk), col(Answer.question_id).in_(shown))):
            answers[case_id][question_id] = unseal(value, ring)
        for case_id, question_id, size in session.exec(select(col(Answer.case_id), col(Answer.question_id),
                                                               roster_size).where(
                col(Answer.case_id).in_(chunk), col(Answer.question_id).in_(counted))):
            answers[case_id][question_id] = int(size or 0)
        for case_id, number in session.exec(
                select(col(Document.case_id), col(Document.number))
                .where(col(Document.case_id).in_(chunk), col(Document.doc_type).in_(CERTIFICATES))
                .order_by(col(Document.id))):
            certificates[case_id] = number
        for case_id, at in session.exec(select(col(CaseEvent.case_id), col(CaseEvent.at)).where(
                col(CaseEvent.case_id).in_(chunk), CaseEvent.act == Act.APPROVE).order_by(col(CaseEvent.id))):
            approved[case_id] = local_date(at)
    return [LedgerRecord(case_id=int(r.id), number=r.number or "", kind=r.kind, unit_name=r.unit_name,
                         credit_code=r.credit_code, prefecture_code=r.prefecture_code or "",
                         county_code=r.county_code, approved_on=approved.get(int(r.id)),
                         certificate=certificates.get(int(r.id), ""), answers=answers.get(int(r.id), {}),
                         cancelled=bool(r.cancelled))
            for r in rows]


def _conditions(actor: Actor, ledger: Ledger, *, kinds: Collection[str] | None, region: str | None,
                search: str) -> ColumnElement[bool] | None:
    """Which cases one ledger holds for this officer (None: none at all)."""
    if actor.role not in OFFICER_ROLES:
        return None
    if ledger == "representatives":
        wanted_kinds = kinds_in("representatives")
    else:
        listed = kinds_in("current")
        wanted_kinds = [k for k in (kinds or listed) if k in listed]
        if ledger == "cancelled":
            wanted_kinds = [k for k in wanted_kinds if k in cancellable_kinds()]
    parts: list[ColumnElement[bool]] = [visible(actor), col(Case.stage) == Stage.APPROVED,
                                        col(Case.kind).in_(wanted_kinds)]
    if ledger != "representatives":
        parts.append(col(Case.cancelled).is_(ledger == "cancelled"))
    for extra in (region_condition(region), _search(search)):
        if extra is not None:
            parts.append(extra)
    return and_(*parts)


def ledger_units(engine: Engine, actor: Actor, ledger: Ledger, *, kinds: Collection[str] | None = None,
                 region: str | None = None, search: str = "", offset: int = 0,
                 limit: int | None = None) -> list[str]:
    """The credit codes of the units one ledger holds, by their first region then name; one page of them."""
    condition = _conditions(actor, ledger, kinds=kinds, region=region, search=search)
    if condition is None:
        return []
    with Session(engine) as session:
        rows = session.execute(sa_select(col(Case.credit_code)).where(condition).group_by(col(Case.credit_code))
                               .order_by(func.min(col(Case.prefecture_code)), func.min(col(Case.county_code)),
                                         func.min(col(Case.unit_name)), col(Case.credit_code))
                               .offset(offset).limit(limit)).all()
    return [str(r[0]) for r in rows]


def ledger_records(engine: Engine, actor: Actor, ledger: Ledger, *, kinds: Collection[str] | None = None,
                   region: str | None = None, search: str = "", offset: int = 0,
                   limit: int | None = None, credit_codes: Collection[str] | None = None) -> list[LedgerRecord]:
    """The rows of one ledger inside the officer's jurisdiction, by region then unit name (officers only);
    `offset`/`limit` give one page of them, `credit_codes` only those units' rows."""
    condition = _conditions(actor, ledger, kinds=kinds, region=region, search=search)
    if condition is None:
        return []
    if credit_codes is not None:
        condition = and_(condition, col(Case.credit_code).in_(list(credit_codes)))
    with Session(engine) as session:
        rows = session.execute(sa_select(*_CASE_COLUMNS).where(condition).order_by(
            col(Case.prefecture_code), col(Case.county_code), col(Case.unit_name), col(Case.id))
            .offset(offset).limit(limit)).all()
        records = _records(session, rows)
        if ledger != "cancelled" or not records:
            return records
        mapped: dict[int, LedgerRecord] = {}
        ids = [r.case_id for r in records]
        for start in range(0, len(ids), _CHUNK):
            cancellations = session.execute(sa_select(*_CASE_COLUMNS).where(
                col(Case.kind).in_(cancelling_kinds()), col(Case.stage) == Stage.APPROVED,
                col(Case.ref_case_id).in_(ids[start:start + _CHUNK]))).all()
            for row, record in zip(cancellations, _records(session, cancellations), strict=True):
                if row.ref_case_id is not None:
                    mapped[int(row.ref_case_id)] = record
    return [replace(r, cancellation=mapped.get(r.case_id)) for r in records]


def ledger_totals(engine: Engine, actor: Actor, ledger: Ledger, *, kinds: Collection[str] | None = None,
                  region: str | None = None, search: str = "") -> LedgerTotals:
    """How many rows and units one ledger holds, and how many guards the units' rosters name."""
    condition = _conditions(actor, ledger, kinds=kinds, region=region, search=search)
    if condition is None:
        return LedgerTotals(0, 0, 0)
    with Session(engine) as session:
        rows, units = session.exec(select(func.count(), func.count(func.distinct(col(Case.credit_code))))
                                   .where(condition)).one()
        guards = session.exec(select(func.coalesce(func.sum(_roster_size(engine)), 0))
                              .join(Case, col(Case.id) == col(Answer.case_id))
                              .where(condition, col(Answer.question_id).in_(rosters_counted()))).one()
    return LedgerTotals(int(rows), int(units), int(guards))


def ledger_version(engine: Engine) -> int:
    """What a ledger page may keep its rows by: the last case event's id. A ledger changes only by an act (an
    approval, a cancellation), and every act writes an event."""
    with Session(engine) as session:
        return int(session.exec(select(func.max(col(CaseEvent.id)))).one() or 0)
