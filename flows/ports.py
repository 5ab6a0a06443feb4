"""What the use cases need from storage, as plain records and one Protocol.

`store/` implements `UnitOfWork`; flows/ never imports it. Records are frozen snapshots:
a use case reads them, decides, and hands one `CaseChange` back to be written at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from flows.filing.schema import Route
from flows.review.deadlines import WorkCalendar
from flows.review.screening import ScreeningResult
from flows.review.transitions import Act, Actor, CaseAt, Stage


@dataclass(frozen=True)
class CaseView:
    id: int
    number: str | None
    kind: str
    definition_version: int
    stage: Stage
    version: int
    unit_id: int
    applicant_user_id: int
    unit_name: str
    credit_code: str
    prefecture_code: str | None
    county_code: str | None
    ref_case_id: int | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    instructions_read: bool = False
    clock_started_on: date | None = None
    clock_days: int | None = None
    due_on: date | None = None
    warnings: tuple[str, ...] = ()
    open_items: tuple[str, ...] | None = None
    cancelled: bool = False
    accepted_by: int | None = None

    def at(self, route: Route) -> CaseAt:
        return CaseAt(stage=self.stage, route=route, unit_id=self.unit_id,
                      prefecture_code=self.prefecture_code or "", county_code=self.county_code)


@dataclass(frozen=True)
class DraftState:
    """What the applicant decided while working on a case, besides the answers: the optional materials they
    chose not to give and, during a correction (补正), the returned items done so far and what those items
    were before their first change in this round (`before_correction`: {"round": the return's event id,
    "values": {question: old value}, "files": {material: {"filename", "size"}}}), for the officer's
    before/after view."""

    skipped: frozenset[str] = frozenset()
    corrected: frozenset[str] = frozenset()
    before_correction: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReturnItem:
    """One thing the applicant must correct: a question or material of the case, and why."""

    item_id: str
    label: str
    reason: str


@dataclass(frozen=True)
class EventView:
    id: int
    act: Act
    from_stage: Stage
    to_stage: Stage
    actor_id: int
    actor_role: str
    actor_name: str
    at: datetime
    comment: str = ""
    internal_comment: str = ""
    items: tuple[ReturnItem, ...] = ()


@dataclass(frozen=True)
class MaterialView:
    id: int
    material_id: str
    filename: str
    sha256: str
    size: int
    file_type: str
    pages: int | None
    uploaded_at: datetime


@dataclass(frozen=True)
class DocumentView:
    id: int
    case_id: int
    doc_type: str
    title: str
    number: str
    sha256: str
    verification_code: str | None
    status: str
    issued_at: datetime


@dataclass(frozen=True)
class NewDocument:
    doc_type: str
    title: str
    number: str
    data: bytes
    verification_code: str | None = None


@dataclass(frozen=True)
class CaseChange:
    """Everything one act writes, in one transaction: the case, the event, audit, message, documents."""

    act: Act
    to_stage: Stage
    actor: Actor
    at: datetime
    comment: str = ""
    internal_comment: str = ""
    items: tuple[ReturnItem, ...] = ()
    updates: dict[str, Any] = field(default_factory=dict)
    notify: str = ""
    documents: tuple[NewDocument, ...] = ()
    cancel_case_id: int | None = None  # a cancellation approved: the filing it refers to becomes cancelled
    audit: dict[str, Any] = field(default_factory=dict)  # more for the audit entry (an override's reason)


@dataclass(frozen=True)
class FiledCase:
    """A case of the unit that a cancellation may refer to."""

    case_id: int
    number: str
    unit_name: str
    prefecture_code: str
    county_code: str | None
    approved_on: date | None


@dataclass(frozen=True)
class FiledRoster:
    """The roster answer of one approved, not cancelled case."""

    case: CaseView
    rows: list[dict[str, Any]]


class UnitOfWork(Protocol):
    """One transaction over the store."""

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...

    def case(self, case_id: int) -> CaseView: ...

    def new_draft(self, *, kind: str, definition_version: int, actor: Actor, unit_name: str,
                  credit_code: str, answers: dict[str, Any]) -> CaseView: ...

    def delete_draft(self, case: CaseView, actor: Actor) -> list[str]:
        """Delete a draft never submitted (StaleCase if it changed since read); the files it named."""
        ...

    def mark_instructions_read(self, case_id: int) -> None: ...

    def answers(self, case_id: int) -> dict[str, Any]: ...

    def draft_state(self, case_id: int) -> DraftState: ...

    def save_draft_state(self, case_id: int, state: DraftState) -> None: ...

    def save_answer(self, case_id: int, question_id: str, value: Any, *, by: int | None = None) -> None:
        """Keep the answer; a changed answer's earlier value is kept in its history with who (`by`) and when."""

    def materials(self, case_id: int) -> list[MaterialView]: ...

    def put_file(self, data: bytes) -> str:
        """Store the bytes (no transaction needed: files are content-addressed) and return their sha256."""
        ...

    def add_material(self, case_id: int, material_id: str, *, filename: str, sha256: str, size: int,
                     file_type: str, pages: int | None, actor: Actor) -> MaterialView: ...

    def events(self, case_id: int) -> list[EventView]: ...

    def documents(self, case_id: int) -> list[DocumentView]: ...

    def filed_cases(self, unit_id: int, *, kinds: Collection[str], cancelling: Collection[str]) -> list[FiledCase]:
        """The unit's approved, not cancelled cases of `kinds` that no open case of the `cancelling` kinds
        refers to."""

    def unit_verified(self, unit_id: int) -> bool:
        """Whether an officer has checked the unit's business licence (else it is 待核验)."""
        ...

    def verify_unit(self, unit_id: int, actor: Actor, at: datetime) -> None:
        """Record (and audit) that the acting officer checked the unit's licence."""
        ...

    def apply(self, case: CaseView, change: CaseChange) -> EventView: ...

    def calendar(self) -> WorkCalendar: ...

    def next_number(self, key: str) -> int:
        """The next value of a named sequence (a read-only unit of work: the value the next draw will give)."""
        ...

    def drawn_numbers(self) -> dict[str, int]:
        """The sequence values drawn in this unit of work, by sequence name, in the order drawn."""
        ...

    def reading(self) -> UnitOfWork:
        """A read-only unit of work over the same store: for work done before a write transaction."""
        ...

    def discard_file(self, sha256: str) -> None:
        """Remove a stored file no record names (a document rendered for an act that then lost its race)."""
        ...

    def save_screening(self, case_id: int, result: ScreeningResult, *, requested_by: int | None) -> None: ...

    def filed_rosters(self, credit_code: str, question_id: str) -> list[FiledRoster]:
        """The unit's approved, not cancelled cases that hold a roster answer `question_id`."""
        ...

    def record(self, *, actor_id: int, action: str, subject: str, detail: dict[str, Any]) -> None:
        """An audit entry for something read, not changed (an export of personal data)."""
        ...

    def screenings(self, case_id: int) -> list[ScreeningResult]: ...

    def alert_officers(self, case: CaseView, text: str) -> int:
        """A message to every active officer of the case's prefecture and of the province; how many."""
        ...

    def mark_messages_read(self, user_id: int) -> int:
        """Every unread message (站内消息) of the user marked read; how many."""
        ...
