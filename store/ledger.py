"""Read side of the ledgers (台账): filed units, cancelled filings and changes of legal representative.

Every query starts from `store.queries.visible(actor)`: a county sees its own county, a
prefecture its own prefecture, the province everything.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, and_, or_
from sqlmodel import Session, col, select

from flows.clock import local_date
from flows.regions import get_regions
from flows.review import OFFICER_ROLES, Act, Actor, Stage
from store.models import Answer, Case, CaseEvent, Document
from store.queries import visible
from store.queue import like_pattern

Ledger = Literal["current", "cancelled", "representatives"]
MAX_SEARCH = 60
# The answers a ledger row shows (nothing else of the case is read).
WANTED = ("guards", "contract_start", "contract_end", "service_region", "service_address", "service_kinds",
          "client_name", "service_start", "area_address", "area_size", "unit_region", "unit_address",
          "licence_no", "current_rep_name", "new_rep_name", "resolution_date", "stop_date", "reason",
          "reason_detail")
CERTIFICATES = ("filing_certificate", "review_document", "cancellation_certificate")


@dataclass(frozen=True)
class LedgerRecord:
    """One approved case as a ledger needs it; `cancellation` is the approved D case that cancelled it."""

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


def _records(session: Session, rows: Sequence[Case]) -> list[LedgerRecord]:
    ids = [r.id for r in rows if r.id is not None]
    answers: dict[int, dict[str, Any]] = {i: {} for i in ids}
    certificates: dict[int, str] = {}
    approved: dict[int, date] = {}
    if ids:
        for answer in session.exec(select(Answer).where(col(Answer.case_id).in_(ids),
                                                        col(Answer.question_id).in_(WANTED))):
            answers[answer.case_id][answer.question_id] = answer.value
        for doc in session.exec(select(Document).where(col(Document.case_id).in_(ids),
                                                       col(Document.doc_type).in_(CERTIFICATES))
                                .order_by(col(Document.id))):
            certificates[doc.case_id] = doc.number
        for case_id, at in session.exec(select(CaseEvent.case_id, CaseEvent.at).where(
                col(CaseEvent.case_id).in_(ids), CaseEvent.act == Act.APPROVE).order_by(col(CaseEvent.id))):
            approved[case_id] = local_date(at)
    return [LedgerRecord(case_id=r.id or 0, number=r.number or "", kind=r.kind, unit_name=r.unit_name,
                         credit_code=r.credit_code, prefecture_code=r.prefecture_code or "",
                         county_code=r.county_code, approved_on=approved.get(r.id or 0),
                         certificate=certificates.get(r.id or 0, ""), answers=answers.get(r.id or 0, {}),
                         cancelled=r.cancelled)
            for r in rows]


def ledger_records(engine: Engine, actor: Actor, ledger: Ledger, *, kinds: Collection[str] | None = None,
                   region: str | None = None, search: str = "") -> list[LedgerRecord]:
    """The rows of one ledger inside the officer's jurisdiction, by region then unit name (officers only)."""
    if actor.role not in OFFICER_ROLES:
        return []
    if ledger == "representatives":
        wanted_kinds = ["A"]
    else:
        wanted_kinds = [k for k in (kinds or ("B", "C")) if k in ("B", "C")]
        if ledger == "cancelled":
            wanted_kinds = [k for k in wanted_kinds if k == "C"]
    parts: list[ColumnElement[bool]] = [visible(actor), col(Case.stage) == Stage.APPROVED,
                                        col(Case.kind).in_(wanted_kinds)]
    if ledger != "representatives":
        parts.append(col(Case.cancelled).is_(ledger == "cancelled"))
    for extra in (region_condition(region), _search(search)):
        if extra is not None:
            parts.append(extra)
    with Session(engine) as session:
        rows = session.exec(select(Case).where(and_(*parts)).order_by(
            col(Case.prefecture_code), col(Case.county_code), col(Case.unit_name), col(Case.id))).all()
        records = _records(session, rows)
        if ledger != "cancelled" or not records:
            return records
        cancellations = session.exec(select(Case).where(
            Case.kind == "D", Case.stage == Stage.APPROVED,
            col(Case.ref_case_id).in_([r.case_id for r in records]))).all()
        mapped: dict[int, LedgerRecord] = {}
        for row, record in zip(cancellations, _records(session, cancellations), strict=True):
            if row.ref_case_id is not None:
                mapped[row.ref_case_id] = record
    return [replace(r, cancellation=mapped.get(r.case_id)) for r in records]
