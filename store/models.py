"""SQLModel tables: one place for every table the product keeps."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlmodel import Field, SQLModel

from flows.clock import now


def json_type() -> Any:
    """A fresh JSON type (JSONB on PostgreSQL); each mutable column needs its own instance."""
    return JSON().with_variant(JSONB(), "postgresql")


def json_dumps(value: Any) -> str:
    """Keep Chinese readable in SQLite's JSON text."""
    return json.dumps(value, ensure_ascii=False, default=str)


def utcnow() -> datetime:
    return now()


class Unit(SQLModel, table=True):
    """An applicant organisation, known by its unified social credit code."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    credit_code: str = Field(max_length=18, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Unverified (待核验) until an officer has checked the business licence (first case, or a unit verification).
    verified_at: datetime | None = None
    verified_by: int | None = None


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=40, unique=True, index=True)
    display_name: str = Field(max_length=60)
    role: str = Field(max_length=20, index=True)
    region_code: str | None = Field(default=None, max_length=6, index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    unit_role: str | None = Field(default=None, max_length=10)  # applicants: admin | member
    mobile: str | None = Field(default=None, max_length=11)
    password_hash: str = Field(max_length=200)
    active: bool = True
    failed_logins: int = 0  # failures since the last success on the account's own portal (the owner is told)
    locked_until: datetime | None = None  # unused since 0008 (throttles live in loginthrottle)
    must_change_password: bool = False  # a one-time password set by an administrator or the bootstrap
    password_changed_at: datetime | None = None
    totp_secret: str | None = Field(default=None, max_length=64)  # officers and administrators
    totp_enrolled_at: datetime | None = None
    totp_last_step: int | None = None  # the last time step accepted: a code is never accepted twice
    created_at: datetime = Field(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A browser's login, found by the hash of the token in its HttpOnly cookie."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    ended: bool = False
    second_factor: bool = False  # the login passed a TOTP or recovery code
    address: str = Field(default="", max_length=45)


class LoginTicket(SQLModel, table=True):
    """A finished login waiting to become a session: single use, a minute long, bound to one browser."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id")
    visitor_hash: str = Field(max_length=64)
    next_path: str = Field(default="/", max_length=200)
    second_factor: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed logins per client address or per login name (per portal): growing delays, never a lock."""

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for the TOTP code (kept as a hash)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class Invitation(SQLModel, table=True):
    """A unit administrator's invitation of a colleague, or an officer's transfer of a unit: single use, expiring,
    bound to the invitee's mobile number. Only the code's hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(default="invite", max_length=10)  # invite | transfer
    unit_role: str = Field(default="member", max_length=10)
    mobile: str = Field(max_length=11)
    contact: str = Field(default="", max_length=30)
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = None
    revoked_at: datetime | None = None


class SmsChallenge(SQLModel, table=True):
    """A one-time code sent to a mobile number: expiring, a few tries, single use. Only a salted hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=20)
    mobile: str = Field(max_length=11, index=True)
    code_hash: str = Field(max_length=64)
    salt: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    expires_at: datetime
    attempts: int = 0
    verified_at: datetime | None = None
    used_at: datetime | None = None
    address: str = Field(default="", max_length=45)


class RegistrationDraft(SQLModel, table=True):
    """What a visitor typed before the account exists, keyed by the hash of the browser's visitor cookie."""

    visitor_hash: str = Field(primary_key=True, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MutableDict.as_mutable(json_type())))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


_CASE_VERSION = Column("version", Integer, nullable=False, default=1)


class Case(SQLModel, table=True):
    """A filing (办件). `version` guards against two people changing it at once."""

    __table_args__ = (
        Index("ix_case_queue", "stage", "prefecture_code", "county_code"),
        Index("ix_case_prefecture_queue", "prefecture_code", "stage", "due_on"),
        Index("ix_case_county_queue", "county_code", "stage", "due_on"),
        Index("ix_case_stage_due", "stage", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=20, unique=True)
    kind: str = Field(max_length=1, index=True)
    definition_version: int
    unit_id: int = Field(foreign_key="unit.id", index=True)
    applicant_user_id: int = Field(foreign_key="user.id")
    unit_name: str = Field(max_length=120)
    credit_code: str = Field(max_length=18, index=True)
    stage: str = Field(max_length=20, index=True)
    prefecture_code: str | None = Field(default=None, max_length=6, index=True)
    county_code: str | None = Field(default=None, max_length=6, index=True)
    ref_case_id: int | None = Field(default=None, foreign_key="case.id")
    instructions_read_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    clock_started_on: date | None = None  # start day of the current stage's time limit
    clock_days: int | None = None
    due_on: date | None = Field(default=None, index=True)  # cached from the history; recomputed on change
    accepted_by: int | None = Field(default=None, foreign_key="user.id")
    warnings: list[str] = Field(default_factory=list, sa_column=Column(MutableList.as_mutable(json_type())))
    open_items: list[str] | None = Field(default=None, sa_column=Column(MutableList.as_mutable(json_type())))
    cancelled: bool = False  # a filed case later cancelled by a D case
    version: int = Field(default=1, sa_column=_CASE_VERSION)

    __mapper_args__ = {"version_id_col": _CASE_VERSION}


class Answer(SQLModel, table=True):
    """One answer of one case; saved as soon as it is given."""

    __table_args__ = (UniqueConstraint("case_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    question_id: str = Field(max_length=60)
    value: Any = Field(default=None, sa_column=Column(json_type()))
    updated_at: datetime = Field(default_factory=utcnow)


class CaseDraftState(SQLModel, table=True):
    """flows.ports.DraftState of one case: skipped materials, corrected items, values before correction.
    `before_correction` may hold ID numbers: kept sealed (store.keys.seal) like the answers."""

    case_id: int = Field(foreign_key="case.id", primary_key=True)
    skipped: Any = Field(default=None, sa_column=Column(json_type()))
    corrected: Any = Field(default=None, sa_column=Column(json_type()))
    before_correction: Any = Field(default=None, sa_column=Column(json_type()))
    updated_at: datetime = Field(default_factory=utcnow)


class AnswerHistory(SQLModel, table=True):
    """An answer's earlier value, kept when it changes: encrypted whole (store.keys), who changed it, when."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    question_id: str = Field(max_length=60)
    old_value: str | None = None  # store.keys.seal_whole of the value before the change (None: there was none)
    changed_by: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)


class CaseMaterial(SQLModel, table=True):
    """An uploaded file of a case: bytes in the blob store by sha256, facts here."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    material_id: str = Field(max_length=60)
    filename: str = Field(max_length=120)
    sha256: str = Field(max_length=64)
    size: int
    file_type: str = Field(max_length=8)
    pages: int | None = None
    uploaded_at: datetime = Field(default_factory=utcnow)
    uploaded_by: int = Field(foreign_key="user.id")
    current: bool = True  # False once replaced; kept for the history


class CaseEvent(SQLModel, table=True):
    """One act on a case: who, when, from which stage to which, with what."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    act: str = Field(max_length=30)
    from_stage: str = Field(max_length=20)
    to_stage: str = Field(max_length=20)
    actor_id: int = Field(foreign_key="user.id")
    actor_role: str = Field(max_length=20)
    actor_name: str = Field(max_length=80)
    at: datetime = Field(default_factory=utcnow, index=True)
    comment: str = ""  # shown to the applicant
    internal_comment: str = ""  # officers only
    items: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(MutableList.as_mutable(json_type())))


class Document(SQLModel, table=True):
    """A notice or certificate issued on a case; generated once, served as stored."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="caseevent.id")
    doc_type: str = Field(max_length=30)
    title: str = Field(max_length=40)
    number: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    verification_code: str | None = Field(default=None, max_length=64, unique=True)
    status: str = Field(default="valid", max_length=12)
    issued_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained record of every change."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = None
    action: str = Field(max_length=40)
    subject: str = Field(max_length=60)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MutableDict.as_mutable(json_type())))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class CalendarOverride(SQLModel, table=True):
    """An administrator's correction of the official calendar: this day is (not) a working day."""

    day: date = Field(primary_key=True)
    is_working: bool
    note: str = Field(default="", max_length=100)
    updated_by: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Feedback(SQLModel, table=True):
    """Pilot feedback and service ratings (好差评)."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    case_id: int | None = Field(default=None, foreign_key="case.id")
    page: str = Field(default="", max_length=40)
    step: str = Field(default="", max_length=80)
    kind: str = Field(default="", max_length=1)
    category: str = Field(default="feedback", max_length=10)  # feedback | rating
    rating: str | None = Field(default=None, max_length=10)
    text: str = Field(default="", max_length=2000)
    status: str = Field(default="new", max_length=10)
    reply: str = Field(default="", max_length=1000)


class Notification(SQLModel, table=True):
    """A message to a user about a case; also the outbox a sender delivers from."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    text: str = Field(max_length=400)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    sent_at: datetime | None = None
    attempts: int = 0


class Setting(SQLModel, table=True):
    """Configuration an administrator changes without a code change."""

    key: str = Field(primary_key=True, max_length=60)
    value: Any = Field(default=None, sa_column=Column(json_type()))
    updated_at: datetime = Field(default_factory=utcnow)


class Counter(SQLModel, table=True):
    """A sequence per key, e.g. certificate numbers per organ and year; taken inside the act's transaction."""

    key: str = Field(primary_key=True, max_length=60)
    value: int = 0


class WatchlistBatch(SQLModel, table=True):
    """One import of screening records (a file an administrator loaded)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: int | None = None
    rows: int = 0
    active: bool = True


class WatchlistEntry(SQLModel, table=True):
    """A person on a screening list, known only by the keyed hash (HMAC-SHA256) of the ID number."""

    __table_args__ = (UniqueConstraint("id_hash", "category", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="watchlistbatch.id", index=True)
    id_hash: str = Field(max_length=64, index=True)
    category: str = Field(max_length=24)
    reference: str = Field(default="", max_length=60)
    listed_on: date | None = None


class ScreeningRun(SQLModel, table=True):
    """One comparison of a case's proposed representative; every run is kept."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    requested_by: int | None = None
    results: list[dict[str, str]] = Field(default_factory=list,
                                          sa_column=Column(MutableList.as_mutable(json_type())))
    fugitive_hit: bool = Field(default=False, index=True)


class ContactAddress(SQLModel, table=True):
    """Where a user's notifications are delivered besides the app: an e-mail address (mobile is on User)."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    email: str = Field(default="", max_length=120)
    updated_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox state of one notification: claimed by exactly one sender (unique notification_id)."""

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", unique=True)
    channel: str = Field(default="", max_length=10)  # email | sms | none
    status: str = Field(default="sending", max_length=10, index=True)  # sending | retry | sent | failed | skipped
    attempts: int = 0
    claim: str = Field(default="", max_length=32)  # token of the sender holding it
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str = Field(default="", max_length=200)
    sent_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class BaselineUnit(SQLModel, table=True):
    """A unit known to have to file (底数), imported by the province; matched to cases by credit code."""

    id: int | None = Field(default=None, primary_key=True)
    credit_code: str = Field(max_length=18, unique=True, index=True)
    name: str = Field(max_length=120)
    kind: str = Field(default="", max_length=1)  # B | C | "" (either)
    prefecture_code: str = Field(max_length=6, index=True)
    county_code: str | None = Field(default=None, max_length=6, index=True)
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: int | None = None


class PrecheckJob(SQLModel, table=True):
    """The pre-check (智能预审) of one uploaded file: claimed by one worker; what it read kept as JSON.

    One row per material row (unique), inserted by the worker that claims it: files waiting are those
    without a row. `confirmed_*`: the applicant confirmed the file is right despite a finding."""

    id: int | None = Field(default=None, primary_key=True)
    material_row_id: int = Field(foreign_key="casematerial.id", unique=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    status: str = Field(default="running", max_length=10, index=True)  # running | done | failed
    attempts: int = 0
    claim: str = Field(default="", max_length=32)  # token of the worker holding it
    lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MutableDict.as_mutable(json_type())))
    confirmed_at: datetime | None = None
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")
