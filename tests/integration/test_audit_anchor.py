"""The audit trail survives its own database (issue 14, item 4).

The attack the review reproduced: on SQLite, with the app's own connection, drop the append-only
triggers, rewrite entries, recompute the (then keyless) hash chain and cut the tail. The chain is now
keyed with a secret outside the database and anchored by signed checkpoints outside it: `verify`
reports each step of the attack.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, col, select

from flows.review.transitions import Role
from store import audit, audit_checkpoint, db
from store.accounts import create_user
from store.models import AuditEntry, Notification, utcnow


@pytest.fixture
def sqlite_engine(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite database: the attacks need the triggers droppable with the app's own login, which
    only SQLite allows (on PostgreSQL the app's role cannot drop them: tests/integration/test_audit_protection.py)."""
    url = f"sqlite:///{tmp_path}/attacked.db"
    monkeypatch.setenv("DATABASE_URL", url)
    made = db.make_engine(url)
    try:
        db.migrate(made)
        yield made
    finally:
        made.dispose()


@pytest.fixture(autouse=True)
def _every_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_CHECKPOINT_EVERY", "3")


def _append(engine: Engine, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with db.write_session(engine) as session:
            audit.append(session, actor_id=None, action="test", subject=f"case:{i}", detail={"n": i})
            session.commit()


def _checkpoint_lines() -> list[dict[str, Any]]:
    path = audit_checkpoint.checkpoint_file()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _keyless(prev_hash: str, at: datetime, action: str, subject: str) -> str:
    """The hash the keyless chain gave an entry (the code before the key): SHA-256 of the same payload."""
    payload = json.dumps([prev_hash, at.isoformat(), None, action, subject, {}], sort_keys=True,
                         ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _insert_keyless(engine: Engine, action: str, subject: str) -> None:
    with engine.begin() as connection:
        last = connection.execute(text("SELECT hash FROM auditentry ORDER BY id DESC LIMIT 1")).scalar()
        previous, at = last or audit.GENESIS, utcnow()
        connection.execute(insert(AuditEntry.__table__), {  # type: ignore[attr-defined]
            "at": at, "actor_id": None, "action": action, "subject": subject, "detail": {}, "prev_hash": previous,
            "hash": _keyless(previous, at, action, subject)})


def _rewrite_and_recompute(engine: Engine, *, forged_id: int, keep_up_to: int) -> None:
    """The attack, with the app's own SQLite connection: triggers gone, one entry rewritten, the chain
    recomputed as the keyless code did, the tail after `keep_up_to` cut."""
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER auditentry_no_update"))
        connection.execute(text("DROP TRIGGER auditentry_no_delete"))
        connection.execute(text("UPDATE auditentry SET subject = 'case:999' WHERE id = :id"), {"id": forged_id})
        connection.execute(text("DELETE FROM auditentry WHERE id > :id"), {"id": keep_up_to})
    with Session(engine) as session:
        entries = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
    previous = audit.GENESIS
    with engine.begin() as connection:
        for e in entries:
            digest = hashlib.sha256(audit._payload(previous, e.at, e.actor_id, e.action, e.subject,
                                                   e.detail)).hexdigest()
            connection.execute(text("UPDATE auditentry SET prev_hash = :p, hash = :h WHERE id = :id"),
                               {"p": previous, "h": digest, "id": e.id})
            previous = digest


def test_a_whole_log_verifies_and_checkpoints_every_n_entries(engine: Engine) -> None:
    _append(engine, 7)
    lines = _checkpoint_lines()
    assert [line["last_id"] for line in lines] == [3, 6]
    assert all(line["reason"] == "every" and line["legacy_until"] == 0 for line in lines)
    path = audit_checkpoint.checkpoint_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = audit_checkpoint.keys_dir() / "audit-chain.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not path.is_relative_to(db.data_dir()) and not key.is_relative_to(db.data_dir())
    report = audit.verify(engine)
    assert report.ok, report.problems
    assert (report.entries, report.last_id, report.checkpoint_id) == (7, 7, 6)
    # A transaction that rolls back after its 9th entry writes no checkpoint for it.
    with db.write_session(engine) as session:
        for i in range(2):
            audit.append(session, actor_id=None, action="test", subject=f"x:{i}")
        session.rollback()
    assert [line["last_id"] for line in _checkpoint_lines()] == [3, 6]
    assert audit.verify(engine).ok


def test_the_sqlite_attack_is_detected(sqlite_engine: Engine) -> None:
    _append(sqlite_engine, 7)
    assert audit.verify(sqlite_engine).ok
    _rewrite_and_recompute(sqlite_engine, forged_id=2, keep_up_to=5)
    with Session(sqlite_engine) as session:
        assert audit.verify_chain(session) == 1  # the first entry: its keyless hash is not the keyed one
    report = audit.verify(sqlite_engine)
    assert not report.ok
    text_ = report.summary()
    assert "第#1条起审计记录被改写" in text_
    assert "尾部被截断：最后一条为#5，检查点记录到#6" in text_
    assert "第#3条与检查点记录的哈希不一致" in text_


def test_a_cut_tail_alone_is_detected_by_the_shutdown_checkpoint(sqlite_engine: Engine) -> None:
    """Cutting the last entries leaves a chain that verifies: only the checkpoint outside shows it."""
    _append(sqlite_engine, 5)
    audit.write_checkpoint(sqlite_engine, reason="shutdown")
    with sqlite_engine.begin() as connection:
        connection.execute(text("DROP TRIGGER auditentry_no_delete"))
        connection.execute(text("DELETE FROM auditentry WHERE id > 4"))
    with Session(sqlite_engine) as session:
        assert audit.verify_chain(session) is None
    report = audit.verify(sqlite_engine)
    assert report.problems == ["审计日志尾部被截断：最后一条为#4，检查点记录到#5"]


def test_a_tampered_or_forged_checkpoint_is_reported(engine: Engine, tmp_path: Path) -> None:
    _append(engine, 4)
    path = audit_checkpoint.checkpoint_file()
    lines = path.read_text().splitlines()
    changed = json.loads(lines[0])
    changed["last_id"] = 1  # moved back, signature kept
    path.write_text(json.dumps(changed) + "\n")
    report = audit.verify(engine)
    assert report.problems == ["检查点文件第1行的签名无效（检查点被改动）"]
    # A line signed with another key is not the checkpoint key's.
    path.unlink()
    other = tmp_path / "other-keys"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEYS_DIR", str(other))
        patch.setenv("AUDIT_CHAIN_KEY_FILE", str(audit_checkpoint.keys_dir() / "audit-chain.key"))
        audit.write_checkpoint(engine, reason="forged")
    assert audit.verify(engine).problems == ["检查点文件第1行的签名无效（检查点被改动）"]
    path.unlink()
    report = audit.verify(engine)
    assert report.problems == [f"检查点文件缺失（{path}）"]


def test_legacy_keyless_entries_verify_only_up_to_the_switch(sqlite_engine: Engine) -> None:
    """A log written before the key: the first checkpoint records where the keyless chain ends; a keyless
    entry after that point is a forgery."""
    for i in range(3):
        _insert_keyless(sqlite_engine, "old", f"s:{i}")
    first = audit.write_checkpoint(sqlite_engine, reason="start")
    assert (first.last_id, first.legacy_until) == (3, 3)
    _append(sqlite_engine, 2)
    assert audit.verify(sqlite_engine).ok
    _insert_keyless(sqlite_engine, "forged", "s:9")  # a keyless entry after the switch
    assert audit.verify(sqlite_engine).problems == ["第#6条起审计记录被改写（哈希链校验失败）"]


@pytest.fixture
def default_engine(data_dir: Path) -> Iterator[Engine]:
    db.default_engine.cache_clear()  # type: ignore[attr-defined]
    made = db.default_engine()
    try:
        yield made
    finally:
        db.default_engine.cache_clear()  # type: ignore[attr-defined]
        made.dispose()


def test_the_server_checkpoints_at_start_and_at_shutdown(default_engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from web import lifespan

    _append(default_engine, 2)
    # The start-up thread's work is done here, waited for (a thread outliving the test would migrate the next
    # test's database); the report warm-up is not this test's.
    monkeypatch.setattr(lifespan, "_warm_up", lambda: None)

    async def serve() -> None:
        async with lifespan.lifespan(None):
            lifespan._checkpoint("start")
            _append(default_engine, 1, start=2)

    # On a thread of its own: in a whole run Playwright's loop already runs on this one (asyncio.run refuses).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, serve()).result()
    assert [(line["reason"], line["last_id"]) for line in _checkpoint_lines()][-2:] == [("start", 2), ("shutdown", 3)]
    assert audit.main(["verify"]) == 0


def test_scheduled_verification_alerts_administrators_and_auditors(
        sqlite_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    admin = create_user(sqlite_engine, login="admin1", password="x" * 12, display_name="管理员", role=Role.ADMIN)
    auditor = create_user(sqlite_engine, login="audit1", password="x" * 12, display_name="审计员", role=Role.AUDITOR)
    officer = create_user(sqlite_engine, login="ting1", password="x" * 12, display_name="厅", role=Role.PROVINCE)
    _append(sqlite_engine, 4)
    assert audit.verify_and_alert(sqlite_engine).ok
    with Session(sqlite_engine) as session:
        assert session.exec(select(Notification)).all() == []
    with sqlite_engine.begin() as connection:
        connection.execute(text("DROP TRIGGER auditentry_no_update"))
        connection.execute(text("UPDATE auditentry SET action = 'forged' WHERE id = 2"))
    with caplog.at_level("ERROR", logger="store.audit"):
        report = audit.verify_and_alert(sqlite_engine)
    assert not report.ok and "审计日志校验未通过" in caplog.text
    audit.verify_and_alert(sqlite_engine)  # the same finding again: not told twice
    with Session(sqlite_engine) as session:
        told = {(n.user_id, n.text) for n in session.exec(select(Notification))}
        recorded = session.exec(select(AuditEntry).where(AuditEntry.action == "audit_verify_failed")).all()
    assert {user for user, _ in told} == {admin, auditor}  # not the officer
    assert officer not in {user for user, _ in told}
    assert all("【安全告警】审计日志校验未通过：第#2条起审计记录被改写" in message for _, message in told)
    assert len(recorded) == 1


def test_the_outbox_process_verifies_the_log_on_its_schedule(default_engine: Engine,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """`python -m store.outbox` verifies at its start and every --verify-every seconds: a rewrite is told."""
    from store import outbox

    assert default_engine.dialect.name == "sqlite"  # the embedded default: its triggers can be dropped
    auditor = create_user(default_engine, login="audit2", password="x" * 12, display_name="审计员", role=Role.AUDITOR)
    _append(default_engine, 3)
    outbox.main(["--once"])
    with Session(default_engine) as session:
        assert session.exec(select(Notification).where(Notification.user_id == auditor)).all() == []
    with default_engine.begin() as connection:
        connection.execute(text("DROP TRIGGER auditentry_no_update"))
        connection.execute(text("UPDATE auditentry SET detail = '{\"n\": 9}' WHERE id = 3"))
    with caplog.at_level("ERROR", logger="store.audit"):
        outbox.main(["--once"])
    assert "审计日志校验未通过：第#3条起审计记录被改写" in caplog.text
    with Session(default_engine) as session:
        (alert,) = session.exec(select(Notification).where(Notification.user_id == auditor)).all()
    assert alert.text.startswith("【安全告警】审计日志校验未通过")
