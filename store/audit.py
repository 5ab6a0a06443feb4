"""Append-only, hash-chained audit log: each entry's hash covers the previous one.

The chain is keyed: an entry's hash is HMAC-SHA256 with a key the database does not hold
(store/audit_checkpoint.py), so whoever can write the database — even drop the append-only triggers
of migrations 0006/0007 on SQLite — cannot rewrite entries and recompute a chain that verifies.
Entries written before the switch carry a plain SHA-256 chain; they verify as such only up to the
switch point the first signed checkpoint recorded (`legacy_until`), never after it.

Signed checkpoints outside the database (the id and hash of the last entry) are written every
AUDIT_CHECKPOINT_EVERY entries (default 100), at start and at shutdown; `verify` compares the log
with them, so a cut tail (entries removed from the end, which a chain alone cannot show) is reported.

Run: `python -m store.audit verify` (exit 1 when the log fails) or `python -m store.audit checkpoint`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, func, insert, text
from sqlmodel import Session, col, select

from flows.filing.identifiers import mask_id
from flows.review.transitions import Role
from store import audit_checkpoint as anchors
from store.models import AuditEntry, utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
KEYED_CONTEXT = b"BAOAN-AUDIT-V2\n"
DEFAULT_EVERY = 100
# One statement, compiled once; the values come as parameters.
_INSERT = insert(AuditEntry.__table__)  # type: ignore[attr-defined]
_LAST_HASH = select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
_DUE = "audit_checkpoint_due"
_HOOKED = "audit_checkpoint_hooked"
_keys: dict[tuple[str, ...], bytes] = {}
_last_checkpointed: dict[str, int] = {}


def _payload(prev_hash: str, at: datetime, actor_id: int | None, action: str, subject: str,
             detail: dict[str, Any]) -> bytes:
    # Sorted keys: PostgreSQL's JSONB does not keep the order the detail was written in.
    return json.dumps([prev_hash, at.isoformat(), actor_id, action, subject, detail], sort_keys=True,
                      ensure_ascii=False, default=str).encode("utf-8")


def _chain_key() -> bytes:
    place = (os.environ.get("AUDIT_CHAIN_KEY", ""), os.environ.get("AUDIT_CHAIN_KEY_FILE", ""),
             str(anchors.keys_dir()))
    if place not in _keys:
        _keys[place] = anchors.chain_key()
    return _keys[place]


def _keyed(payload: bytes, key: bytes) -> str:
    return hmac.new(key, KEYED_CONTEXT + payload, hashlib.sha256).hexdigest()


def _keyless(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def checkpoint_every() -> int:
    return max(1, int(os.environ.get("AUDIT_CHECKPOINT_EVERY") or DEFAULT_EVERY))


def append(session: Session, *, actor_id: int | None, action: str, subject: str,
           detail: dict[str, Any] | None = None) -> str:
    """Add an entry chained to the last one and return its hash; never log personal data in clear
    (callers mask it; an ID number left in the subject or detail, say typed into a search that is recorded,
    is masked here). Written with a plain INSERT: an audit entry is never read back or changed."""
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; the lock ends with the transaction.
        session.execute(text("SELECT pg_advisory_xact_lock(724101)"))
    connection = session.connection()
    prev_hash = connection.execute(_LAST_HASH).scalar() or GENESIS
    at, subject, detail = utcnow(), _masked_subject(subject), _masked(detail or {})
    digest = _keyed(_payload(prev_hash, at, actor_id, action, subject, detail), _chain_key())
    result = connection.execute(_INSERT, {"at": at, "actor_id": actor_id, "action": action, "subject": subject,
                                          "detail": detail, "prev_hash": prev_hash, "hash": digest})
    inserted = result.inserted_primary_key
    assert inserted is not None
    _pace_checkpoints(session, int(inserted[0]))
    return digest


# An 18-character ID number standing alone (not inside a longer word: a hex digest may end in 18 digits).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_UNIT_SUBJECT = re.compile(r"unit:[0-9A-Z]{18}")  # a unit's credit code: the unit's name for itself, not a person's


def _masked(value: Any) -> Any:
    """`value` with every resident ID number in its strings (keys too) masked, as flows' mask_id shows them."""
    if isinstance(value, str):
        return _ID_NUMBER.sub(lambda found: mask_id(found.group()), value) if _ID_NUMBER.search(value) else value
    if isinstance(value, dict):
        return {_masked(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def _masked_subject(subject: str) -> str:
    return subject if _UNIT_SUBJECT.fullmatch(subject) else _masked(subject)


# ------------------------------------------------------------------ checkpoints
def _pace_checkpoints(session: Session, entry_id: int) -> None:
    """After the commit that makes entry `entry_id` durable, checkpoint if N entries passed since the last."""
    where = str(anchors.checkpoint_file())
    if where not in _last_checkpointed:
        _last_checkpointed[where] = anchors.last_checkpointed_id() or 0
    if entry_id - _last_checkpointed[where] < checkpoint_every():
        return
    session.info[_DUE] = True
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)


def _after_commit(session: Session) -> None:
    if session.info.pop(_DUE, False):
        try:
            write_checkpoint(session.get_bind(), reason="every")  # type: ignore[arg-type]
        except Exception:  # the entry is committed; a missed checkpoint is caught by the next one
            log.exception("audit checkpoint failed")


def _after_rollback(session: Session) -> None:
    session.info.pop(_DUE, None)


def _legacy_prefix(session: Session) -> int:
    """The id of the last entry of the keyless chain from the genesis (0 when the first entry is keyed)."""
    previous, last = GENESIS, 0
    for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
        payload = _payload(entry.prev_hash, entry.at, entry.actor_id, entry.action, entry.subject, entry.detail)
        if entry.prev_hash != previous or _keyless(payload) != entry.hash:
            break
        assert entry.id is not None
        previous, last = entry.hash, entry.id
    return last


def write_checkpoint(engine: Engine, *, reason: str) -> anchors.Checkpoint:
    """Sign and append the log's current last entry to the checkpoint file. The first checkpoint also
    records the switch point: entries up to it were written with the keyless chain."""
    with Session(engine) as session:
        last = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)).first()
        first = anchors.read_checkpoints(first_only=True)
        if first.problems:  # a forged switch point is not carried on: verify reports it
            raise ValueError("; ".join(first.problems))
        legacy_until = first.checkpoints[0].legacy_until if first.checkpoints else _legacy_prefix(session)
    checkpoint = anchors.Checkpoint(last_id=(last.id or 0) if last else 0, last_hash=last.hash if last else GENESIS,
                                    legacy_until=legacy_until, at=utcnow().isoformat(), reason=reason)
    anchors.append_checkpoint(checkpoint)
    _last_checkpointed[str(anchors.checkpoint_file())] = checkpoint.last_id
    return checkpoint


# ------------------------------------------------------------------ verification
def _legacy_until() -> int:
    checkpoints = anchors.read_checkpoints(first_only=True).checkpoints
    return checkpoints[0].legacy_until if checkpoints else 0


def verify_chain(session: Session, *, legacy_until: int | None = None) -> int | None:
    """The id of the first entry that breaks the chain, or None if the whole log verifies. Entries after
    `legacy_until` (default: the switch point the first checkpoint records) must carry the keyed hash."""
    limit = _legacy_until() if legacy_until is None else legacy_until
    key = _chain_key()
    previous = GENESIS
    for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
        assert entry.id is not None
        payload = _payload(entry.prev_hash, entry.at, entry.actor_id, entry.action, entry.subject, entry.detail)
        expected = _keyless(payload) if entry.id <= limit else _keyed(payload, key)
        if entry.prev_hash != previous or not hmac.compare_digest(expected, entry.hash):
            return entry.id
        previous = entry.hash
    return None


@dataclass
class Report:
    """What `verify` found: ok when the chain verifies and agrees with every signed checkpoint."""

    entries: int = 0
    last_id: int = 0
    checkpoint_id: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (f"审计日志校验通过：{self.entries}条，最后一条#{self.last_id}，"
                    f"最近检查点#{self.checkpoint_id if self.checkpoint_id is not None else '无'}")
        return "审计日志校验未通过：" + "；".join(self.problems)


def verify(engine: Engine) -> Report:
    """Check the chain (keyed, legacy only before the switch) against the signed checkpoints outside the
    database: a rewritten entry, a cut tail, a changed or forged checkpoint are each reported."""
    report = Report()
    checkpoints = anchors.read_checkpoints()
    report.problems.extend(checkpoints.problems)
    with Session(engine) as session:
        report.entries = int(session.exec(select(func.count()).select_from(AuditEntry)).one())
        report.last_id = int(session.exec(select(func.max(AuditEntry.id))).one() or 0)
        legacy_until = checkpoints.checkpoints[0].legacy_until if checkpoints.checkpoints else 0
        broken = verify_chain(session, legacy_until=legacy_until)
        if broken is not None:
            report.problems.append(f"第#{broken}条起审计记录被改写（哈希链校验失败）")
        if not checkpoints.checkpoints:
            if report.entries and not checkpoints.problems:
                report.problems.append(f"检查点文件缺失（{anchors.checkpoint_file()}）")
            return report
        hashes = dict(session.exec(select(AuditEntry.id, AuditEntry.hash).where(
            col(AuditEntry.id).in_({c.last_id for c in checkpoints.checkpoints if c.last_id}))).all())
    last = checkpoints.checkpoints[-1]
    report.checkpoint_id = last.last_id
    if report.last_id < last.last_id:
        report.problems.append(f"审计日志尾部被截断：最后一条为#{report.last_id}，检查点记录到#{last.last_id}")
    for checkpoint in checkpoints.checkpoints:
        if checkpoint.last_id and checkpoint.last_id <= report.last_id:
            stored = hashes.get(checkpoint.last_id)
            if stored is None:
                report.problems.append(f"检查点记录的第#{checkpoint.last_id}条已不存在")
            elif stored != checkpoint.last_hash:
                report.problems.append(f"第#{checkpoint.last_id}条与检查点记录的哈希不一致（被改写）")
    return report


ALERT_ROLES = (Role.ADMIN, Role.AUDITOR)  # the system administrators and the security auditors are told
_alerted: dict[str, tuple[str, ...]] = {}


def verify_and_alert(engine: Engine) -> Report:
    """Scheduled verification: when the log fails, a log line and a message to every active administrator
    and auditor (站内消息, delivered by the outbox like any other), once per new finding."""
    report = verify(engine)
    place = str(engine.url)
    if report.ok:
        _alerted.pop(place, None)
        log.info("%s", report.summary())
        return report
    log.error("%s", report.summary())
    if _alerted.get(place) == tuple(report.problems):
        return report  # already told; told again when the finding changes
    from store.db import write_session
    from store.models import Notification, User

    with write_session(engine) as session:
        admins = session.exec(select(User.id).where(col(User.role).in_(ALERT_ROLES), col(User.active))).all()
        message = ("【安全告警】" + report.summary())[:400]
        for user_id in admins:
            assert user_id is not None
            session.add(Notification(user_id=user_id, text=message))
        append(session, actor_id=None, action="audit_verify_failed", subject="audit",
               detail={"problems": report.problems[:10]})
        session.commit()
    _alerted[place] = tuple(report.problems)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    from store.db import default_engine

    parser = argparse.ArgumentParser(prog="python -m store.audit", description="审计日志：校验或写检查点")
    parser.add_argument("command", choices=["verify", "checkpoint"])
    args = parser.parse_args(argv)
    engine = default_engine()
    if args.command == "checkpoint":
        made = write_checkpoint(engine, reason="manual")
        print(f"检查点已写入：#{made.last_id} {anchors.checkpoint_file()}")
        return 0
    report = verify(engine)
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
