"""The SQL side of flows.identity.ports.IdentityStore: one transaction per `with` block."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from flows.identity.ports import (
    ChallengeRecord,
    InvitationRecord,
    SessionRecord,
    TicketRecord,
    UnitRecord,
    UnitRole,
    UserRecord,
)
from flows.identity.throttle import ThrottleState
from flows.review.transitions import FINAL_STAGES, Role
from store import audit
from store.db import write_session
from store.models import (
    Answer,
    Case,
    Invitation,
    LoginThrottle,
    LoginTicket,
    Notification,
    RecoveryCode,
    RegistrationDraft,
    SmsChallenge,
    Unit,
    User,
    WebSession,
)


def user_record(row: User) -> UserRecord:
    assert row.id is not None
    return UserRecord(id=row.id, login=row.login, display_name=row.display_name, role=Role(row.role),
                      region_code=row.region_code, unit_id=row.unit_id,
                      unit_role=UnitRole(row.unit_role) if row.unit_role else None, mobile=row.mobile,
                      password_hash=row.password_hash, active=row.active,
                      must_change_password=row.must_change_password, password_changed_at=row.password_changed_at,
                      totp_secret=row.totp_secret, totp_last_step=row.totp_last_step,
                      failed_logins=row.failed_logins, created_at=row.created_at)


def unit_record(row: Unit) -> UnitRecord:
    assert row.id is not None
    return UnitRecord(id=row.id, name=row.name, credit_code=row.credit_code, created_at=row.created_at,
                      verified_at=row.verified_at, verified_by=row.verified_by)


def _invitation(row: Invitation) -> InvitationRecord:
    assert row.id is not None
    return InvitationRecord(id=row.id, unit_id=row.unit_id, purpose=row.purpose, unit_role=UnitRole(row.unit_role),
                            mobile=row.mobile, contact=row.contact, created_by=row.created_by,
                            created_at=row.created_at, expires_at=row.expires_at, used_at=row.used_at,
                            revoked_at=row.revoked_at)


def _challenge(row: SmsChallenge) -> ChallengeRecord:
    assert row.id is not None
    return ChallengeRecord(id=row.id, purpose=row.purpose, mobile=row.mobile, code_hash=row.code_hash, salt=row.salt,
                           created_at=row.created_at, expires_at=row.expires_at, attempts=row.attempts,
                           verified_at=row.verified_at, used_at=row.used_at)


class SqlIdentityStore:
    """One database transaction (writes queue for SQLite's lock up front); leaving without commit rolls back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None

    @property
    def db(self) -> Session:
        if self._session is None:
            raise RuntimeError("identity store used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = write_session(self.engine)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.db.rollback()
        self.db.close()
        self._session = None

    def commit(self) -> None:
        self.db.commit()

    def _set(self, row: Any, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            if not hasattr(row, key) or key in ("id", "token_hash"):
                raise ValueError(f"not a changeable column: {key}")
            setattr(row, key, value)
        self.db.add(row)
        self.db.flush()

    # ------------------------------------------------------------------ users and units
    def user(self, user_id: int) -> UserRecord | None:
        row = self.db.get(User, user_id)
        return user_record(row) if row else None

    def user_by_login(self, login: str) -> UserRecord | None:
        row = self.db.exec(select(User).where(User.login == login)).first()
        return user_record(row) if row else None

    def add_user(self, *, login: str, display_name: str, role: Role, password_hash: str, now: datetime,
                 region_code: str | None = None, unit_id: int | None = None, unit_role: UnitRole | None = None,
                 mobile: str | None = None, must_change_password: bool = False) -> int:
        row = User(login=login, display_name=display_name, role=role, region_code=region_code, unit_id=unit_id,
                   unit_role=unit_role, mobile=mobile, password_hash=password_hash, created_at=now,
                   password_changed_at=now, must_change_password=must_change_password)
        self.db.add(row)
        self.db.flush()
        assert row.id is not None
        return row.id

    def update_user(self, user_id: int, **changes: Any) -> None:
        row = self.db.get(User, user_id)
        assert row is not None
        self._set(row, changes)

    def unit(self, unit_id: int) -> UnitRecord | None:
        row = self.db.get(Unit, unit_id)
        return unit_record(row) if row else None

    def unit_by_code(self, credit_code: str) -> UnitRecord | None:
        row = self.db.exec(select(Unit).where(Unit.credit_code == credit_code)).first()
        return unit_record(row) if row else None

    def add_unit(self, *, name: str, credit_code: str, now: datetime) -> int:
        row = Unit(name=name, credit_code=credit_code, created_at=now)
        self.db.add(row)
        self.db.flush()
        assert row.id is not None
        return row.id

    def update_unit(self, unit_id: int, **changes: Any) -> None:
        row = self.db.get(Unit, unit_id)
        assert row is not None
        self._set(row, changes)

    def rename_open_cases(self, unit_id: int, name: str, question_ids: frozenset[str]) -> list[int]:
        open_cases = self.db.exec(select(Case).where(Case.unit_id == unit_id,
                                                     col(Case.stage).not_in([str(s) for s in FINAL_STAGES]))).all()
        for case in open_cases:
            case.unit_name = name
            self.db.add(case)
        ids = [case.id for case in open_cases if case.id is not None]
        if ids and question_ids:
            self.db.exec(update(Answer).where(col(Answer.case_id).in_(ids), col(Answer.question_id).in_(question_ids))
                         .values(value=name))
        self.db.flush()
        return ids

    def unit_case_regions(self, unit_id: int) -> set[str]:
        rows = self.db.exec(select(Case.prefecture_code, Case.county_code).where(Case.unit_id == unit_id)
                            .distinct()).all()
        return {code for row in rows for code in row if code}

    def unit_members(self, unit_id: int) -> list[UserRecord]:
        rows = self.db.exec(select(User).where(User.unit_id == unit_id).order_by(col(User.id)))
        return [user_record(r) for r in rows]

    # ------------------------------------------------------------------ throttles
    def throttle(self, key: str) -> ThrottleState | None:
        row = self.db.get(LoginThrottle, key)
        if row is None:
            return None
        return ThrottleState(key=row.key, failures=row.failures, last_failure_at=row.last_failure_at,
                             blocked_until=row.blocked_until)

    def save_throttle(self, state: ThrottleState) -> None:
        row = self.db.get(LoginThrottle, state.key) or LoginThrottle(key=state.key)
        row.failures, row.last_failure_at, row.blocked_until = state.failures, state.last_failure_at, state.blocked_until
        self.db.add(row)
        self.db.flush()

    def clear_throttle(self, key: str) -> None:
        row = self.db.get(LoginThrottle, key)
        if row is not None:
            self.db.delete(row)
            self.db.flush()

    # ------------------------------------------------------------------ second factor
    def recovery_code_ids(self, user_id: int) -> dict[str, int]:
        rows = self.db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                       col(RecoveryCode.used_at).is_(None)))
        return {r.code_hash: r.id for r in rows if r.id is not None}

    def replace_recovery_codes(self, user_id: int, hashes: list[str], now: datetime) -> None:
        self.db.execute(update(RecoveryCode).where(col(RecoveryCode.user_id) == user_id,
                                                   col(RecoveryCode.used_at).is_(None)).values(used_at=now))
        for digest in hashes:
            self.db.add(RecoveryCode(user_id=user_id, code_hash=digest, created_at=now))
        self.db.flush()

    def use_recovery_code(self, code_id: int, now: datetime) -> bool:
        result = self.db.execute(update(RecoveryCode).where(col(RecoveryCode.id) == code_id,
                                                            col(RecoveryCode.used_at).is_(None)).values(used_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ invitations and SMS codes
    def add_invitation(self, *, unit_id: int, code_hash: str, purpose: str, unit_role: UnitRole, mobile: str,
                       contact: str, created_by: int | None, now: datetime, expires_at: datetime) -> int:
        row = Invitation(unit_id=unit_id, code_hash=code_hash, purpose=purpose, unit_role=unit_role, mobile=mobile,
                         contact=contact, created_by=created_by, created_at=now, expires_at=expires_at)
        self.db.add(row)
        self.db.flush()
        assert row.id is not None
        return row.id

    def invitation_by_hash(self, code_hash: str) -> InvitationRecord | None:
        row = self.db.exec(select(Invitation).where(Invitation.code_hash == code_hash)).first()
        return _invitation(row) if row else None

    def open_invitations(self, unit_id: int, now: datetime) -> list[InvitationRecord]:
        rows = self.db.exec(select(Invitation).where(
            Invitation.unit_id == unit_id, col(Invitation.used_at).is_(None), col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > now).order_by(col(Invitation.id)))
        return [_invitation(r) for r in rows]

    def update_invitation(self, invitation_id: int, **changes: Any) -> None:
        row = self.db.get(Invitation, invitation_id)
        assert row is not None
        self._set(row, changes)

    def add_challenge(self, *, purpose: str, mobile: str, code_hash: str, salt: str, now: datetime,
                      expires_at: datetime, address: str) -> int:
        row = SmsChallenge(purpose=purpose, mobile=mobile, code_hash=code_hash, salt=salt, created_at=now,
                           expires_at=expires_at, address=address[:45])
        self.db.add(row)
        self.db.flush()
        assert row.id is not None
        return row.id

    def challenge(self, challenge_id: int) -> ChallengeRecord | None:
        row = self.db.get(SmsChallenge, challenge_id)
        return _challenge(row) if row else None

    def challenges_since(self, *, mobile: str | None = None, address: str | None = None,
                         since: datetime) -> list[ChallengeRecord]:
        query = select(SmsChallenge).where(col(SmsChallenge.created_at) >= since)
        if mobile is not None:
            query = query.where(SmsChallenge.mobile == mobile)
        if address is not None:
            query = query.where(SmsChallenge.address == address[:45])
        return [_challenge(r) for r in self.db.exec(query)]

    def update_challenge(self, challenge_id: int, **changes: Any) -> None:
        row = self.db.get(SmsChallenge, challenge_id)
        assert row is not None
        self._set(row, changes)

    # ------------------------------------------------------------------ tickets and sessions
    def add_ticket(self, *, token_hash: str, user_id: int, visitor_hash: str, next_path: str,
                   second_factor: bool, now: datetime, expires_at: datetime) -> None:
        self.db.add(LoginTicket(token_hash=token_hash, user_id=user_id, visitor_hash=visitor_hash,
                                next_path=next_path, second_factor=second_factor, created_at=now,
                                expires_at=expires_at))
        self.db.flush()

    def ticket(self, token_hash: str) -> TicketRecord | None:
        row = self.db.get(LoginTicket, token_hash)
        if row is None:
            return None
        return TicketRecord(token_hash=row.token_hash, user_id=row.user_id, visitor_hash=row.visitor_hash,
                            next_path=row.next_path, second_factor=row.second_factor, expires_at=row.expires_at,
                            used_at=row.used_at)

    def use_ticket(self, token_hash: str, now: datetime) -> bool:
        result = self.db.execute(update(LoginTicket).where(col(LoginTicket.token_hash) == token_hash,
                                                           col(LoginTicket.used_at).is_(None)).values(used_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_session(self, *, token_hash: str, user_id: int, second_factor: bool, address: str,
                    now: datetime) -> None:
        self.db.add(WebSession(token_hash=token_hash, user_id=user_id, second_factor=second_factor,
                               address=address[:45], created_at=now, last_seen=now))
        self.db.flush()

    def session(self, token_hash: str) -> SessionRecord | None:
        row = self.db.get(WebSession, token_hash)
        if row is None:
            return None
        return SessionRecord(token_hash=row.token_hash, user_id=row.user_id, created_at=row.created_at,
                             last_seen=row.last_seen, ended=row.ended, second_factor=row.second_factor)

    def touch_session(self, token_hash: str, now: datetime) -> None:
        self.db.execute(update(WebSession).where(col(WebSession.token_hash) == token_hash).values(last_seen=now))

    def end_session(self, token_hash: str) -> bool:
        result = self.db.execute(update(WebSession).where(col(WebSession.token_hash) == token_hash,
                                                          col(WebSession.ended).is_(False)).values(ended=True))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def end_sessions_of(self, user_id: int) -> int:
        result = self.db.execute(update(WebSession).where(col(WebSession.user_id) == user_id,
                                                          col(WebSession.ended).is_(False)).values(ended=True))
        return int(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ registration drafts
    def registration_draft(self, visitor_hash: str) -> dict[str, Any] | None:
        row = self.db.get(RegistrationDraft, visitor_hash)
        return dict(row.data) if row else None

    def save_registration_draft(self, visitor_hash: str, data: dict[str, Any], now: datetime) -> None:
        row = self.db.get(RegistrationDraft, visitor_hash) or RegistrationDraft(visitor_hash=visitor_hash,
                                                                               created_at=now)
        row.data = dict(data)
        row.updated_at = now
        self.db.add(row)
        self.db.flush()

    def delete_registration_draft(self, visitor_hash: str) -> None:
        row = self.db.get(RegistrationDraft, visitor_hash)
        if row is not None:
            self.db.delete(row)
            self.db.flush()

    # ------------------------------------------------------------------ messages and audit
    def notify(self, user_id: int, text: str, now: datetime) -> None:
        self.db.add(Notification(user_id=user_id, text=text[:400], created_at=now))
        self.db.flush()

    def audit(self, *, actor_id: int | None, action: str, subject: str,
              detail: dict[str, Any] | None = None) -> None:
        audit.append(self.db, actor_id=actor_id, action=action, subject=subject, detail=detail)
