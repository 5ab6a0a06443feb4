"""The SQL unit of work: the store side of flows.ports.UnitOfWork."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, Row, and_, bindparam, delete, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from flows.clock import local_date
from flows.errors import NotFound, StaleCase
from flows.ports import (
    CaseChange,
    CaseView,
    DocumentView,
    DraftState,
    EventView,
    FiledCase,
    FiledRoster,
    MaterialView,
    ReturnItem,
)
from flows.review.deadlines import WorkCalendar
from flows.review.screening import CategoryResult, ScreeningResult
from flows.review.transitions import Act, Actor, Role, Stage
from flows.uploads.checks import safe_filename
from store import audit, blobs
from store.db import write_session
from store.keys import keyring, seal, seal_whole, unseal, unseal_whole
from store.models import (
    Answer,
    AnswerHistory,
    CalendarOverride,
    Case,
    CaseDraftState,
    CaseEvent,
    CaseMaterial,
    Counter,
    Document,
    Feedback,
    Notification,
    PrecheckJob,
    ScreeningRun,
    Setting,
    Unit,
    User,
    utcnow,
)

_NEW_NOTIFICATION = insert(Notification.__table__)  # type: ignore[attr-defined]

# A case is read and changed with plain statements, not ORM objects: every act reads and writes one, and
# the ORM's per-object bookkeeping was most of an act's cost. `version` still guards every change.
_CASES = Case.__table__  # type: ignore[attr-defined]
_EVENTS = CaseEvent.__table__  # type: ignore[attr-defined]
_SELECT_CASE = _CASES.select().where(_CASES.c.id == bindparam("case_id"))
# The columns to set come from the parameters given; the row comes back as it now is.
_CHANGE_CASE = (update(_CASES)
                .where(_CASES.c.id == bindparam("where_id"), _CASES.c.version == bindparam("where_version"),
                       _CASES.c.stage == bindparam("where_stage"))
                .returning(*_CASES.c))
# What an act may set on a case (CaseChange.updates and the stage): never its identity or version.
_CHANGEABLE = frozenset(_CASES.c.keys()) - {"id", "version"}
_CANCEL_CASE = (update(_CASES).where(_CASES.c.id == bindparam("where_id"), _CASES.c.cancelled.is_(False))
                .values(cancelled=True, version=_CASES.c.version + 1))
_SELECT_EVENTS = _EVENTS.select().where(_EVENTS.c.case_id == bindparam("case_id")).order_by(_EVENTS.c.id)
_NEW_EVENT = insert(_EVENTS)


def case_view(row: Case | Row[Any]) -> CaseView:
    assert row.id is not None
    return CaseView(
        id=row.id, number=row.number, kind=row.kind, definition_version=row.definition_version,
        stage=Stage(row.stage), version=row.version, unit_id=row.unit_id,
        applicant_user_id=row.applicant_user_id, unit_name=row.unit_name, credit_code=row.credit_code,
        prefecture_code=row.prefecture_code, county_code=row.county_code, ref_case_id=row.ref_case_id,
        created_at=row.created_at, submitted_at=row.submitted_at,
        instructions_read=row.instructions_read_at is not None, clock_started_on=row.clock_started_on,
        clock_days=row.clock_days, due_on=row.due_on, warnings=tuple(row.warnings or ()),
        open_items=tuple(row.open_items) if row.open_items is not None else None, cancelled=row.cancelled,
        accepted_by=row.accepted_by,
    )


def event_view(row: CaseEvent | Row[Any]) -> EventView:
    assert row.id is not None
    return EventView(
        id=row.id, act=Act(row.act), from_stage=Stage(row.from_stage), to_stage=Stage(row.to_stage),
        actor_id=row.actor_id, actor_role=row.actor_role, actor_name=row.actor_name, at=row.at,
        comment=row.comment, internal_comment=row.internal_comment,
        items=tuple(ReturnItem(i["item_id"], i["label"], i["reason"]) for i in row.items or ()),
    )


def material_view(row: CaseMaterial) -> MaterialView:
    assert row.id is not None
    return MaterialView(id=row.id, material_id=row.material_id, filename=row.filename, sha256=row.sha256,
                        size=row.size, file_type=row.file_type, pages=row.pages, uploaded_at=row.uploaded_at)


def document_view(row: Document) -> DocumentView:
    assert row.id is not None
    return DocumentView(id=row.id, case_id=row.case_id, doc_type=row.doc_type, title=row.title,
                        number=row.number, sha256=row.sha256, verification_code=row.verification_code,
                        status=row.status, issued_at=row.issued_at)


_OVERRIDES = select(col(CalendarOverride.day), col(CalendarOverride.is_working))
COMPLETE_YEARS_KEY = "calendar.complete_years"  # Setting: years whose schedule the administrator marked complete
_COMPLETE_YEARS = select(col(Setting.value)).where(col(Setting.key) == COMPLETE_YEARS_KEY)


def load_calendar(session: Session) -> WorkCalendar:
    connection = session.connection()
    overrides = {day: bool(working) for day, working in connection.execute(_OVERRIDES)}
    years = connection.execute(_COMPLETE_YEARS).scalar()
    complete = [int(y) for y in years] if isinstance(years, list) else []
    return WorkCalendar(overrides, complete)


class SqlUnitOfWork:
    """One database transaction; leaving without commit rolls everything back."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        """`read_only`: for reading only (it cannot commit), so on SQLite it does not queue for the write lock."""
        self.engine = engine
        self.read_only = read_only
        self._session: Session | None = None
        # The cases read in this transaction, so reading one again (the check, the view returned)
        # costs no second query; a change puts the row its UPDATE returned here.
        self._cases: dict[int, CaseView] = {}
        self._drawn: dict[str, int] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = (Session(self.engine, expire_on_commit=False) if self.read_only
                         else write_session(self.engine))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        session = self.session
        session.rollback()
        session.close()
        self._session = None
        self._cases.clear()
        self._drawn.clear()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    def case(self, case_id: int) -> CaseView:
        view = self._cases.get(case_id)
        if view is None:
            row = self.session.connection().execute(_SELECT_CASE, {"case_id": case_id}).first()
            if row is None:
                raise NotFound()
            view = self._cases[case_id] = case_view(row)
        return view

    def _change_case(self, case: CaseView, values: dict[str, Any]) -> None:
        """Write `values` to the case if it is still at the version and stage it was read at (else StaleCase)."""
        unknown = values.keys() - _CHANGEABLE
        if unknown:  # a plain UPDATE would leave out a name that is not a column without a word
            raise ValueError(f"not changeable columns of a case: {sorted(unknown)}")
        row = self.session.connection().execute(_CHANGE_CASE, {
            **values, "version": case.version + 1,
            "where_id": case.id, "where_version": case.version, "where_stage": case.stage}).first()
        if row is None:
            self.session.rollback()
            self._cases.clear()
            raise StaleCase()
        self._cases[case.id] = case_view(row)

    def new_draft(self, *, kind: str, definition_version: int, actor: Actor, unit_name: str,
                  credit_code: str, answers: dict[str, Any]) -> CaseView:
        assert actor.unit_id is not None
        row = Case(kind=kind, definition_version=definition_version, unit_id=actor.unit_id,
                   applicant_user_id=actor.user_id, unit_name=unit_name, credit_code=credit_code,
                   stage=Stage.DRAFT)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        ring = keyring()
        for qid, value in answers.items():
            self.session.add(Answer(case_id=row.id, question_id=qid, value=seal(value, ring)))
        audit.append(self.session, actor_id=actor.user_id, action="start_draft", subject=f"case:{row.id}",
                     detail={"kind": kind})
        self.session.flush()
        return case_view(row)

    def delete_draft(self, case: CaseView, actor: Actor) -> list[str]:
        """Delete a draft never submitted, with its answers and material rows, if it is still at the version it
        was read at (else StaleCase); the audit log keeps that it was deleted. Returns the files its materials
        named, to remove once this is committed (`discard_file` keeps those another row names)."""
        session = self.session
        files = sorted({m.sha256 for m in session.exec(select(CaseMaterial).where(CaseMaterial.case_id == case.id))})
        for owned in (PrecheckJob, AnswerHistory, Answer, CaseDraftState, CaseMaterial):
            session.execute(delete(owned).where(col(owned.case_id) == case.id))
        for naming in (Feedback, Notification):  # kept, no longer tied to a case that is gone
            session.execute(update(naming).where(col(naming.case_id) == case.id).values(case_id=None))
        gone = session.connection().execute(_CASES.delete().where(
            _CASES.c.id == case.id, _CASES.c.version == case.version, _CASES.c.stage == Stage.DRAFT,
            _CASES.c.submitted_at.is_(None)))
        if gone.rowcount != 1:
            session.rollback()
            self._cases.clear()
            raise StaleCase()
        self._cases.pop(case.id, None)
        audit.append(session, actor_id=actor.user_id, action="discard_draft", subject=f"case:{case.id}",
                     detail={"kind": case.kind, "files": len(files)})
        session.flush()
        return files

    def mark_instructions_read(self, case_id: int) -> None:
        case = self.case(case_id)
        if not case.instructions_read:
            self._change_case(case, {"instructions_read_at": utcnow()})

    def answers(self, case_id: int) -> dict[str, Any]:
        # ID numbers are encrypted in the database (store.keys): decrypted here, so flows see plain values.
        rows = self.session.exec(select(Answer).where(Answer.case_id == case_id))
        ring = keyring()
        return {a.question_id: unseal(a.value, ring) for a in rows}

    def save_answer(self, case_id: int, question_id: str, value: Any, *, by: int | None = None) -> None:
        """Keep the answer (ID numbers encrypted); a changed answer's earlier value goes to its history,
        encrypted whole, with who (`by`) and when."""
        ring = keyring()
        row = self.session.exec(
            select(Answer).where(Answer.case_id == case_id, Answer.question_id == question_id)
        ).first()
        now = utcnow()
        if row is None:
            self.session.add(Answer(case_id=case_id, question_id=question_id, value=seal(value, ring),
                                    updated_at=now))
        else:
            old = unseal(row.value, ring)
            if old != value:
                self.session.add(AnswerHistory(case_id=case_id, question_id=question_id,
                                               old_value=None if old is None else seal_whole(old, ring),
                                               changed_by=by, changed_at=now))
            row.value = seal(value, ring)
            row.updated_at = now
            self.session.add(row)
        self.session.flush()

    def draft_state(self, case_id: int) -> DraftState:
        row = self.session.get(CaseDraftState, case_id)
        if row is None:
            return DraftState()
        return DraftState(skipped=frozenset(row.skipped or ()), corrected=frozenset(row.corrected or ()),
                          before_correction=unseal(row.before_correction, keyring()))

    def save_draft_state(self, case_id: int, state: DraftState) -> None:
        row = self.session.get(CaseDraftState, case_id) or CaseDraftState(case_id=case_id)
        row.skipped = sorted(state.skipped)
        row.corrected = sorted(state.corrected)
        row.before_correction = seal(state.before_correction) if state.before_correction is not None else None
        row.updated_at = utcnow()
        self.session.add(row)
        self.session.flush()

    def answer_history(self, case_id: int, question_id: str | None = None) -> list[tuple[str, Any, int | None,
                                                                                          datetime]]:
        """The earlier values of the case's answers, oldest first: (question, value, changed by, changed at)."""
        query = select(AnswerHistory).where(AnswerHistory.case_id == case_id)
        if question_id is not None:
            query = query.where(AnswerHistory.question_id == question_id)
        ring = keyring()
        return [(h.question_id, None if h.old_value is None else unseal_whole(h.old_value, ring), h.changed_by,
                 h.changed_at) for h in self.session.exec(query.order_by(col(AnswerHistory.id)))]

    def materials(self, case_id: int) -> list[MaterialView]:
        rows = self.session.exec(select(CaseMaterial).where(CaseMaterial.case_id == case_id,
                                                            col(CaseMaterial.current).is_(True))
                                 .order_by(col(CaseMaterial.id)))
        return [material_view(r) for r in rows]

    def put_file(self, data: bytes) -> str:
        return blobs.put(data)

    def add_material(self, case_id: int, material_id: str, *, filename: str, sha256: str, size: int,
                     file_type: str, pages: int | None, actor: Actor) -> MaterialView:
        """The row for a file already stored with `put_file` (the file first, then the row that names it)."""
        for old in self.session.exec(select(CaseMaterial).where(CaseMaterial.case_id == case_id,
                                                                CaseMaterial.material_id == material_id,
                                                                col(CaseMaterial.current).is_(True))):
            old.current = False
            self.session.add(old)
        row = CaseMaterial(case_id=case_id, material_id=material_id, filename=safe_filename(filename),
                           sha256=sha256, size=size, file_type=file_type, pages=pages,
                           uploaded_by=actor.user_id)
        self.session.add(row)
        self.session.flush()
        audit.append(self.session, actor_id=actor.user_id, action="upload", subject=f"case:{case_id}",
                     detail={"material": material_id, "sha256": sha256, "size": size})
        return material_view(row)

    def events(self, case_id: int) -> list[EventView]:
        # Plain rows, not ORM objects: events are only read here, and every act reads the history.
        self.session.flush()
        rows = self.session.connection().execute(_SELECT_EVENTS, {"case_id": case_id})
        return [event_view(r) for r in rows]

    def documents(self, case_id: int) -> list[DocumentView]:
        rows = self.session.exec(select(Document).where(Document.case_id == case_id).order_by(col(Document.id)))
        return [document_view(r) for r in rows]

    def filed_cases(self, unit_id: int, *, kinds: Collection[str], cancelling: Collection[str]) -> list[FiledCase]:
        open_cancellations = select(Case.ref_case_id).where(
            col(Case.kind).in_(list(cancelling)), col(Case.stage).not_in([Stage.REJECTED, Stage.WITHDRAWN, Stage.DRAFT]),
            col(Case.ref_case_id).is_not(None))
        rows = self.session.exec(select(Case).where(
            Case.unit_id == unit_id, col(Case.kind).in_(list(kinds)), Case.stage == Stage.APPROVED,
            col(Case.cancelled).is_(False), col(Case.id).not_in(open_cancellations)).order_by(col(Case.id)))
        result = []
        for row in rows:
            assert row.id is not None and row.number is not None and row.prefecture_code is not None
            approved = self.session.exec(select(CaseEvent.at).where(
                CaseEvent.case_id == row.id, CaseEvent.act == Act.APPROVE)).first()
            result.append(FiledCase(case_id=row.id, number=row.number, unit_name=row.unit_name,
                                    prefecture_code=row.prefecture_code, county_code=row.county_code,
                                    approved_on=local_date(approved) if approved else None))
        return result

    def unit_verified(self, unit_id: int) -> bool:
        verified = self.session.exec(select(Unit.verified_at).where(Unit.id == unit_id)).first()
        return verified is not None

    def verify_unit(self, unit_id: int, actor: Actor, at: datetime) -> None:
        self.session.execute(update(Unit).where(col(Unit.id) == unit_id, col(Unit.verified_at).is_(None))
                             .values(verified_at=at, verified_by=actor.user_id))
        audit.append(self.session, actor_id=actor.user_id, action="unit_verified", subject=f"unit:{unit_id}",
                     detail={"how": "first_case"})

    def apply(self, case: CaseView, change: CaseChange) -> EventView:
        """Write the case, its event, the audit entry, the applicant's message and documents at once."""
        now = change.at
        self._change_case(case, {"stage": change.to_stage, "updated_at": now, **change.updates})
        connection = self.session.connection()
        event = EventView(id=0, act=change.act, from_stage=case.stage, to_stage=change.to_stage,
                          actor_id=change.actor.user_id, actor_role=change.actor.role,
                          actor_name=change.actor.name, at=now, comment=change.comment,
                          internal_comment=change.internal_comment, items=change.items)
        inserted = connection.execute(_NEW_EVENT, {
            "case_id": case.id, "act": event.act, "from_stage": event.from_stage, "to_stage": event.to_stage,
            "actor_id": event.actor_id, "actor_role": event.actor_role, "actor_name": event.actor_name,
            "at": now, "comment": event.comment, "internal_comment": event.internal_comment,
            "items": [{"item_id": i.item_id, "label": i.label, "reason": i.reason} for i in change.items]})
        assert inserted.inserted_primary_key is not None
        event_id = int(inserted.inserted_primary_key[0])
        for doc in change.documents:
            sha256 = blobs.put(doc.data)
            self.session.add(Document(case_id=case.id, event_id=event_id, doc_type=doc.doc_type, title=doc.title,
                                      number=doc.number, sha256=sha256, verification_code=doc.verification_code,
                                      issued_at=now))
        if change.cancel_case_id is not None:
            # Two cancellations of one filing approved at once: the second finds it cancelled already.
            if connection.execute(_CANCEL_CASE, {"where_id": change.cancel_case_id}).rowcount != 1:
                self.session.rollback()
                self._cases.clear()
                raise StaleCase()
            self._cases.pop(change.cancel_case_id, None)
            for doc_row in self.session.exec(select(Document).where(
                    Document.case_id == change.cancel_case_id, col(Document.verification_code).is_not(None))):
                doc_row.status = "cancelled"
                self.session.add(doc_row)
        if change.notify:
            connection.execute(_NEW_NOTIFICATION, {
                "user_id": case.applicant_user_id, "case_id": case.id, "text": change.notify,
                "created_at": utcnow(), "attempts": 0})
        audit.append(self.session, actor_id=change.actor.user_id, action=change.act, subject=f"case:{case.id}",
                     detail={"from": case.stage, "to": change.to_stage, "kind": case.kind, "event": event_id,
                             "items": [i.item_id for i in change.items], **change.audit})
        self.session.flush()
        return replace(event, id=event_id)

    def calendar(self) -> WorkCalendar:
        return load_calendar(self.session)

    def save_screening(self, case_id: int, result: ScreeningResult, *, requested_by: int | None) -> None:
        self.session.add(ScreeningRun(case_id=case_id, at=result.at, requested_by=requested_by,
                                      results=result.to_json(), fugitive_hit=result.fugitive_hit))
        audit.append(self.session, actor_id=requested_by, action="screening", subject=f"case:{case_id}",
                     detail={"hits": len(result.hits), "not_done": len(result.not_done)})
        self.session.flush()

    def alert_officers(self, case: CaseView, text: str) -> int:
        officers = self.session.exec(select(User.id).where(
            col(User.active).is_(True),
            or_(and_(col(User.role) == Role.PREFECTURE, col(User.region_code) == case.prefecture_code),
                col(User.role) == Role.PROVINCE))).all()
        connection = self.session.connection()
        for user_id in officers:
            connection.execute(_NEW_NOTIFICATION, {"user_id": user_id, "case_id": case.id, "text": text,
                                                   "created_at": utcnow(), "attempts": 0})
        audit.append(self.session, actor_id=None, action="screening_alert", subject=f"case:{case.id}",
                     detail={"officers": len(officers)})
        self.session.flush()
        return len(officers)

    def mark_messages_read(self, user_id: int) -> int:
        changed = self.session.execute(update(Notification).where(
            col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)).values(read_at=utcnow()))
        return int(changed.rowcount)  # type: ignore[attr-defined]

    def screenings(self, case_id: int) -> list[ScreeningResult]:
        """Every comparison of the case, newest first."""
        rows = self.session.exec(select(ScreeningRun).where(ScreeningRun.case_id == case_id)
                                 .order_by(col(ScreeningRun.id).desc()))
        return [ScreeningResult(at=r.at, results=tuple(CategoryResult.from_json(x) for x in r.results))
                for r in rows]

    def filed_rosters(self, credit_code: str, question_id: str) -> list[FiledRoster]:
        answers = Answer.__table__  # type: ignore[attr-defined]
        rows: Sequence[Any] = self.session.connection().execute(
            sa_select(*_CASES.c, answers.c.value.label("roster"))
            .join(answers, answers.c.case_id == _CASES.c.id)
            .where(_CASES.c.credit_code == credit_code, _CASES.c.stage == Stage.APPROVED,
                   _CASES.c.cancelled.is_(False), answers.c.question_id == question_id)
            .order_by(_CASES.c.id)).all()
        ring = keyring()
        return [FiledRoster(case_view(r), list(unseal(r.roster, ring)) if isinstance(r.roster, list) else [])
                for r in rows]

    def record(self, *, actor_id: int, action: str, subject: str, detail: dict[str, Any]) -> None:
        audit.append(self.session, actor_id=actor_id, action=action, subject=subject, detail=detail)

    def reading(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=True)

    def drawn_numbers(self) -> dict[str, int]:
        return dict(self._drawn)

    def discard_file(self, sha256: str) -> None:
        """Remove the file unless a document or material names it (they are written before their rows)."""
        with Session(self.engine) as session:
            named = session.exec(select(Document.id).where(Document.sha256 == sha256).limit(1)).first()
            named = named or session.exec(select(CaseMaterial.id).where(CaseMaterial.sha256 == sha256)
                                          .limit(1)).first()
        if named is None:
            blobs.remove(sha256)

    def next_number(self, key: str) -> int:
        """The next value of a named sequence, locked until this transaction ends (read-only: the value the
        next draw will give, nothing locked)."""
        if self.read_only:
            current = self.session.exec(select(Counter.value).where(Counter.key == key)).first()
            self._drawn[key] = (current or 0) + 1
            return self._drawn[key]
        drawn = self._draw(key)
        self._drawn[key] = drawn
        return drawn

    def _draw(self, key: str) -> int:
        # One statement: the row is locked by the UPDATE until the transaction ends.
        bump = (update(Counter).where(col(Counter.key) == key).values(value=col(Counter.value) + 1)
                .returning(col(Counter.value)).execution_options(synchronize_session=False))
        drawn = self.session.execute(bump).scalar_one_or_none()
        if drawn is None:
            try:
                with self.session.begin_nested():
                    self.session.add(Counter(key=key, value=0))
            except IntegrityError:
                pass  # another transaction created it first; lock theirs
            drawn = self.session.execute(bump).scalar_one()
        return int(drawn)


def recompute_due_dates(engine: Engine, *, today: date | None = None) -> int:
    """After a calendar correction: recompute every running clock's due date from its start day."""
    del today
    with write_session(engine) as session:
        calendar = load_calendar(session)
        count = 0
        for row in session.exec(select(Case).where(col(Case.clock_started_on).is_not(None))):
            assert row.clock_started_on is not None and row.clock_days is not None
            due = calendar.due_date(row.clock_started_on, row.clock_days).due
            if due != row.due_on:
                row.due_on = due
                session.add(row)
                count += 1
        session.commit()
        return count


__all__ = ["SqlUnitOfWork", "recompute_due_dates", "datetime"]
