"""What the identity use cases need from storage and the outside world, as plain records and Protocols.

`store/identity.py` implements `IdentityStore` (one transaction per `with`); `store/accounts.py` the
password hasher; `store/outbox.py` the SMS gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from flows.identity.throttle import ThrottleState
from flows.review.transitions import Role


class UnitRole(StrEnum):
    """What an applicant account may do for its unit."""

    ADMIN = "admin"  # 单位账号管理员: invites and removes colleagues
    MEMBER = "member"


UNIT_ROLE_LABELS = {UnitRole.ADMIN: "单位账号管理员", UnitRole.MEMBER: "单位经办人"}


@dataclass(frozen=True)
class UserRecord:
    id: int
    login: str
    display_name: str
    role: Role
    region_code: str | None
    unit_id: int | None
    unit_role: UnitRole | None
    mobile: str | None
    password_hash: str
    active: bool
    must_change_password: bool
    password_changed_at: datetime | None
    totp_secret: str | None
    totp_last_step: int | None
    failed_logins: int
    created_at: datetime


@dataclass(frozen=True)
class UnitRecord:
    id: int
    name: str
    credit_code: str
    created_at: datetime
    verified_at: datetime | None
    verified_by: int | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


@dataclass(frozen=True)
class InvitationRecord:
    id: int
    unit_id: int
    purpose: str  # invite | transfer
    unit_role: UnitRole
    mobile: str
    contact: str
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ChallengeRecord:
    id: int
    purpose: str
    mobile: str
    code_hash: str
    salt: str
    created_at: datetime
    expires_at: datetime
    attempts: int
    verified_at: datetime | None
    used_at: datetime | None


@dataclass(frozen=True)
class SessionRecord:
    token_hash: str
    user_id: int
    created_at: datetime
    last_seen: datetime
    ended: bool
    second_factor: bool


@dataclass(frozen=True)
class TicketRecord:
    token_hash: str
    user_id: int
    visitor_hash: str
    next_path: str
    second_factor: bool
    expires_at: datetime
    used_at: datetime | None


class PasswordHasher(Protocol):
    """argon2 in production; `verify` never raises and costs the same for the dummy hash."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    @property
    def dummy_hash(self) -> str:
        """A hash of nothing anyone knows, made with the same parameters (checked instead of a missing one)."""
        ...


class SmsSender(Protocol):
    """The notification sender's SMS gateway (store.outbox). Raises on failure."""

    def send_sms(self, mobile: str, text: str) -> None: ...


class IdentityStore(Protocol):
    """One transaction over accounts, units, sessions and their security records."""

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...

    # users and units
    def user(self, user_id: int) -> UserRecord | None: ...

    def user_by_login(self, login: str) -> UserRecord | None: ...

    def add_user(self, *, login: str, display_name: str, role: Role, password_hash: str, now: datetime,
                 region_code: str | None = None, unit_id: int | None = None, unit_role: UnitRole | None = None,
                 mobile: str | None = None, must_change_password: bool = False) -> int: ...

    def update_user(self, user_id: int, **changes: Any) -> None: ...

    def unit(self, unit_id: int) -> UnitRecord | None: ...

    def unit_by_code(self, credit_code: str) -> UnitRecord | None: ...

    def add_unit(self, *, name: str, credit_code: str, now: datetime) -> int: ...

    def update_unit(self, unit_id: int, **changes: Any) -> None: ...

    def rename_open_cases(self, unit_id: int, name: str, question_ids: frozenset[str]) -> list[int]:
        """The unit's cases not yet decided (drafts, in review, returned) take its corrected name (their case
        row and the answers in `question_ids`); returns their ids. Decided cases keep the name they had."""
        ...

    def unit_case_regions(self, unit_id: int) -> set[str]:
        """The prefecture and county codes of the unit's cases (where it files)."""
        ...

    def unit_members(self, unit_id: int) -> list[UserRecord]: ...

    # throttles
    def throttle(self, key: str) -> ThrottleState | None: ...

    def save_throttle(self, state: ThrottleState) -> None: ...

    def clear_throttle(self, key: str) -> None: ...

    # second factor
    def recovery_code_ids(self, user_id: int) -> dict[str, int]:
        """Hash -> id of the user's unused recovery codes."""
        ...

    def replace_recovery_codes(self, user_id: int, hashes: list[str], now: datetime) -> None: ...

    def use_recovery_code(self, code_id: int, now: datetime) -> bool:
        """Mark it used; False when it was used meanwhile."""
        ...

    # invitations and SMS codes
    def add_invitation(self, *, unit_id: int, code_hash: str, purpose: str, unit_role: UnitRole, mobile: str,
                       contact: str, created_by: int | None, now: datetime, expires_at: datetime) -> int: ...

    def invitation_by_hash(self, code_hash: str) -> InvitationRecord | None: ...

    def open_invitations(self, unit_id: int, now: datetime) -> list[InvitationRecord]: ...

    def update_invitation(self, invitation_id: int, **changes: Any) -> None: ...

    def add_challenge(self, *, purpose: str, mobile: str, code_hash: str, salt: str, now: datetime,
                      expires_at: datetime, address: str) -> int: ...

    def challenge(self, challenge_id: int) -> ChallengeRecord | None: ...

    def challenges_since(self, *, mobile: str | None = None, address: str | None = None,
                         since: datetime) -> list[ChallengeRecord]: ...

    def update_challenge(self, challenge_id: int, **changes: Any) -> None: ...

    # tickets and sessions
    def add_ticket(self, *, token_hash: str, user_id: int, visitor_hash: str, next_path: str,
                   second_factor: bool, now: datetime, expires_at: datetime) -> None: ...

    def ticket(self, token_hash: str) -> TicketRecord | None: ...

    def use_ticket(self, token_hash: str, now: datetime) -> bool:
        """Mark it used; False when it was used meanwhile (a ticket works once)."""
        ...

    def add_session(self, *, token_hash: str, user_id: int, second_factor: bool, address: str,
                    now: datetime) -> None: ...

    def session(self, token_hash: str) -> SessionRecord | None: ...

    def touch_session(self, token_hash: str, now: datetime) -> None: ...

    def end_session(self, token_hash: str) -> bool:
        """End it; False when it had ended already."""
        ...

    def end_sessions_of(self, user_id: int) -> int: ...

    # what a visitor typed before the account exists
    def registration_draft(self, visitor_hash: str) -> dict[str, Any] | None: ...

    def save_registration_draft(self, visitor_hash: str, data: dict[str, Any], now: datetime) -> None: ...

    def delete_registration_draft(self, visitor_hash: str) -> None: ...

    # messages and the audit log
    def notify(self, user_id: int, text: str, now: datetime) -> None: ...

    def audit(self, *, actor_id: int | None, action: str, subject: str,
              detail: dict[str, Any] | None = None) -> None: ...
