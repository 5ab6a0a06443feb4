"""The audit log and the case history cannot be changed by the app's own database login
(docs/database-roles.md).

On PostgreSQL as deployed: a schema owner runs the migrations, the app logs in as a role of its own
that may read and append audit entries and do its ordinary work, and nothing else to the audit log —
no UPDATE, DELETE, TRUNCATE, and no way round the triggers (it owns nothing). With one login for
everything (the default, and SQLite) the triggers still refuse UPDATE and DELETE.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select
from stdnum.cn import uscc

from flows import cases
from flows.clock import CHINA
from flows.review.transitions import Act, Stage
from store import audit, db
from store.models import AuditEntry, Case, CaseEvent
from tests.support import make_world, submitted

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 27)
NOW = datetime.combine(TODAY, time(11, 0), tzinfo=CHINA)
REFUSED = re.compile(r"permission denied|must be owner|append-only")


@dataclass
class Roles:
    """A database owned by `owner`, and `app`, a login role of its own (no superuser, owns nothing)."""

    owner: str
    app: str
    owner_url: str
    app_url: str


class _Cluster:
    def __init__(self, base: str) -> None:
        self.base = make_url(base)
        self.admin = f"host={self.base.host} port={self.base.port} user={self.base.username} dbname=postgres"
        self.databases: list[str] = []
        self.roles: list[str] = []

    def execute(self, *statements: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.admin.replace("dbname=postgres", f"dbname={database}"), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())  # bytes: not a literal; the names in it are ours (<x>_<hex>)

    def role(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.execute(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        self.roles.append(name)
        return name

    def database(self, owner: str, app: str) -> Roles:
        """A new database as an operator makes one (docs/database-roles.md, step 1)."""
        name = f"d_{uuid.uuid4().hex}"
        self.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"',
                     f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC',
                     f'GRANT CONNECT ON DATABASE "{name}" TO "{app}"')
        self.databases.append(name)
        self.execute(f'ALTER SCHEMA public OWNER TO "{owner}"', "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                     f'GRANT USAGE ON SCHEMA public TO "{app}"', database=name)

        def url(user: str) -> str:
            return self.base.set(username=user, database=name).render_as_string(hide_password=False)

        return Roles(owner, app, url(owner), url(app))

    def close(self) -> None:
        for name in self.databases:
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for name in reversed(self.roles):
            self.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def cluster(pg_server: str) -> Iterator[_Cluster]:
    made = _Cluster(pg_server)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def roles(cluster: _Cluster, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Roles:
    """A fresh database with an owner and an app role; env as deployed (DATABASE_URL is the app's)."""
    made = cluster.database(cluster.role("o"), cluster.role("a"))
    monkeypatch.setenv("DATABASE_URL", made.app_url)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", made.owner_url)
    return made


@pytest.fixture
def app_engine(roles: Roles) -> Iterator[Engine]:
    """Migrated as the owner (`python -m store.db migrate`, which grants), then connected as the app."""
    assert db.main(["migrate"]) == 0
    engine = db.make_engine(roles.app_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _file_a_case(engine: Engine) -> int:
    """Accounts, a submitted case (uploads, answers, counters) and the county's confirmation."""
    world = make_world(engine)
    case = submitted(world, "C", today=TODAY)
    confirmed = cases.act_on_case(world.uow(), world.county.actor, case.id, Act.CONFIRM,
                                  expected_version=case.version, now=NOW)
    assert confirmed.stage == Stage.PREFECTURE_ACCEPT
    return case.id


def _audit_state(engine: Engine) -> tuple[int, list[str], int | None, list[tuple[object, ...]]]:
    """The audit log (count, hashes, where the chain breaks) and every case event as stored."""
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(AuditEntry)).one()
        hashes = [e.hash for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
        history = [(e.id, e.case_id, e.act, e.from_stage, e.to_stage, e.actor_id, e.actor_name, e.at, e.comment,
                    e.internal_comment, e.items) for e in session.exec(select(CaseEvent).order_by(col(CaseEvent.id)))]
        return count, hashes, audit.verify_chain(session), history


def _refused(engine: Engine, statement: str) -> str:
    with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text(statement))
    message = str(refused.value.orig)
    assert REFUSED.search(message), f"{statement!r} failed, but not for want of rights: {message}"
    return message


def _orm_change_refused(engine: Engine, query: Any, attribute: str, match: str) -> None:
    """Load the first row `query` finds, change `attribute`, commit: refused with `match`."""
    with Session(engine) as session:
        row = session.exec(query).first()
        assert row is not None
        setattr(row, attribute, "forged")
        session.add(row)
        with pytest.raises(DBAPIError, match=match):
            session.commit()


# ------------------------------------------------------------------ separate owner and app roles
@pytest.mark.pg
def test_the_app_role_appends_and_files_cases_and_verifies_the_chain(roles: Roles, app_engine: Engine) -> None:
    with app_engine.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one() == roles.app
        owner = connection.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'auditentry'"))
        assert owner.scalar_one() == roles.owner
    case_id = _file_a_case(app_engine)  # ordinary writes to every other table, as the app role
    with Session(app_engine) as session:
        audit.append(session, actor_id=None, action="test", subject=f"case:{case_id}", detail={"n": 1})
        session.commit()
        row = session.get(Case, case_id)
        assert row is not None and row.stage == Stage.PREFECTURE_ACCEPT
    count, _, broken, _ = _audit_state(app_engine)
    assert count > 3 and broken is None
    assert db.audit_log_exposure(app_engine) == []


STATEMENTS = [
    "UPDATE auditentry SET action = 'forged'",
    "UPDATE auditentry SET detail = '{}' WHERE id = 1",
    "DELETE FROM auditentry",
    "DELETE FROM auditentry WHERE id = (SELECT max(id) FROM auditentry)",
    "TRUNCATE auditentry",
    "TRUNCATE auditentry CASCADE",
    "DROP TRIGGER auditentry_no_update_delete ON auditentry",
    "DROP TRIGGER auditentry_no_truncate ON auditentry",
    "ALTER TABLE auditentry DISABLE TRIGGER ALL",
    "ALTER TABLE auditentry DISABLE TRIGGER auditentry_no_update_delete",
    "ALTER TABLE auditentry ADD COLUMN note text",
    "ALTER TABLE auditentry RENAME TO auditentry_old",
    "ALTER TABLE auditentry OWNER TO CURRENT_USER",
    "DROP TABLE auditentry",
    "DROP FUNCTION auditentry_append_only() CASCADE",
    "CREATE OR REPLACE FUNCTION auditentry_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "CREATE TRIGGER sneak BEFORE INSERT ON auditentry FOR EACH ROW EXECUTE FUNCTION auditentry_append_only()",
    "SET session_replication_role = replica",
    "SELECT setval(pg_get_serial_sequence('auditentry', 'id'), 1)",
    "UPDATE alembic_version SET version_num = '0001'",
    "DELETE FROM alembic_version",
    # The case history: who did what to a case, and when.
    "UPDATE caseevent SET act = 'approve'",
    "UPDATE caseevent SET at = at - interval '3 days' WHERE id = 1",
    "DELETE FROM caseevent",
    "TRUNCATE caseevent CASCADE",
    "TRUNCATE \"case\" CASCADE",
    "DROP TRIGGER caseevent_no_update_delete ON caseevent",
    "ALTER TABLE caseevent DISABLE TRIGGER ALL",
    "DROP FUNCTION caseevent_append_only() CASCADE",
    "DROP TABLE caseevent CASCADE",
]


@pytest.mark.pg
def test_the_app_role_cannot_change_remove_or_unprotect_audit_entries(app_engine: Engine) -> None:
    _file_a_case(app_engine)
    before = _audit_state(app_engine)
    assert before[0] > 0 and before[2] is None and len(before[3]) == 2  # submitted, confirmed
    for statement in STATEMENTS:
        _refused(app_engine, statement)
    assert _audit_state(app_engine) == before
    with app_engine.begin() as connection:  # a grant to itself grants nothing (PostgreSQL only warns)
        connection.execute(text("GRANT UPDATE, DELETE, TRUNCATE ON auditentry TO CURRENT_USER"))
    assert db.audit_log_exposure(app_engine) == []
    # Through the ORM too: a changed entry is refused at commit, nothing is written.
    _orm_change_refused(app_engine, select(AuditEntry).order_by(col(AuditEntry.id)), "action", "permission denied")
    assert _audit_state(app_engine) == before


@pytest.mark.pg
def test_the_owner_holds_every_right_and_the_triggers_still_refuse(roles: Roles, app_engine: Engine) -> None:
    """The owner is not a user of the app; even so, a mistake of its own is stopped by the triggers."""
    _file_a_case(app_engine)
    owner = db.make_engine(roles.owner_url)
    try:
        problems = db.audit_log_exposure(owner)
        assert any("owner of auditentry" in p for p in problems)
        for statement in ("UPDATE auditentry SET action = 'forged'", "DELETE FROM auditentry", "TRUNCATE auditentry",
                          "UPDATE caseevent SET comment = 'forged'", "DELETE FROM caseevent",
                          "TRUNCATE caseevent CASCADE"):
            assert "append-only" in _refused(owner, statement)
    finally:
        owner.dispose()


@pytest.mark.pg
def test_the_apps_first_use_migrates_as_the_owner_and_connects_as_itself(roles: Roles) -> None:
    db.default_engine.cache_clear()  # type: ignore[attr-defined]
    engine = db.default_engine()
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar_one() == roles.app
        assert db.audit_log_exposure(engine) == []
        _file_a_case(engine)
    finally:
        db.default_engine.cache_clear()  # type: ignore[attr-defined]
        engine.dispose()


@pytest.mark.pg
def test_without_the_owner_login_the_app_runs_at_head_and_cannot_migrate(
        roles: Roles, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command
    from alembic.config import Config

    owner = db.make_engine(roles.owner_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(db.MIGRATIONS))
        with owner.begin() as connection:  # an older schema: 0006 pending
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
            db.grant_app_role(connection, roles.app)
    finally:
        owner.dispose()
    monkeypatch.delenv("MIGRATION_DATABASE_URL")
    db.default_engine.cache_clear()  # type: ignore[attr-defined]
    try:
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            db.default_engine()
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            db.main(["migrate"])  # the CLI as the app's login
        monkeypatch.setenv("MIGRATION_DATABASE_URL", roles.owner_url)
        assert db.main(["migrate"]) == 0
        monkeypatch.delenv("MIGRATION_DATABASE_URL")
        engine = db.default_engine()  # at head: Alembic only reads alembic_version
        assert db.audit_log_exposure(engine) == []
        engine.dispose()
    finally:
        db.default_engine.cache_clear()  # type: ignore[attr-defined]


@pytest.mark.pg
def test_check_reports_an_app_that_logs_in_as_the_owner(roles: Roles, app_engine: Engine,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert db.main(["check"]) == 0
    assert "protected" in capsys.readouterr().out
    monkeypatch.setenv("DATABASE_URL", roles.owner_url)
    assert db.main(["check"]) == 1
    assert "owner of auditentry" in capsys.readouterr().err
    # A widened grant is reported, and `grant` narrows it again.
    owner = db.make_engine(roles.owner_url)
    with owner.begin() as connection:
        connection.execute(text(f'GRANT ALL ON auditentry TO "{roles.app}"'))
    owner.dispose()
    problems = db.audit_log_exposure(app_engine)
    assert {p.split(" holds ")[1].split()[0] for p in problems if " holds " in p} == \
        {"UPDATE", "DELETE", "TRUNCATE", "TRIGGER"}
    assert db.main(["grant", roles.app]) == 0
    assert db.audit_log_exposure(app_engine) == []
    with pytest.raises(ValueError, match="owner"):  # granting the owner would only strip its own rights
        db.main(["grant", roles.owner])


@pytest.mark.pg
def test_a_backup_restored_with_separate_roles_keeps_the_protection(
        cluster: _Cluster, roles: Roles, app_engine: Engine, data_dir: Path, tmp_path: Path) -> None:
    _file_a_case(app_engine)
    before = _audit_state(app_engine)
    target = cluster.database(roles.owner, roles.app)
    script = ROOT / "scripts" / "backup.py"

    def run(*args: str, roles_: Roles, data: Path) -> None:
        env = dict(os.environ, DATABASE_URL=roles_.app_url, MIGRATION_DATABASE_URL=roles_.owner_url,
                   DATA_DIR=str(data), PYTHONPATH=str(ROOT))
        env.pop("BLOB_DIR", None)
        done = subprocess.run([sys.executable, str(script), *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    run("backup", str(tmp_path / "backup"), roles_=roles, data=data_dir)  # pg_dump as the app role
    run("restore", str(tmp_path / "backup"), roles_=target, data=tmp_path / "restored")
    restored = db.make_engine(target.app_url)
    try:
        assert _audit_state(restored) == before
        assert db.audit_log_exposure(restored) == []
        with restored.connect() as connection:
            owner = connection.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'auditentry'"))
            assert owner.scalar_one() == roles.owner
        _refused(restored, "UPDATE auditentry SET action = 'forged'")
        _refused(restored, "ALTER TABLE auditentry DISABLE TRIGGER ALL")
        _file_a_case_again(restored)
    finally:
        restored.dispose()


def _file_a_case_again(engine: Engine) -> None:
    """The restored database takes the app's writes (sequences and grants came back)."""
    with Session(engine) as session:
        audit.append(session, actor_id=None, action="test", subject="after-restore")
        session.commit()
        assert audit.verify_chain(session) is None


# ------------------------------------------------------------------ one login for everything
def test_triggers_refuse_update_and_delete_with_a_single_login(engine: Engine) -> None:
    with Session(engine) as session:
        for n in range(3):
            audit.append(session, actor_id=None, action="test", subject=f"n:{n}", detail={"n": n})
        session.commit()
    before = _audit_state(engine)
    statements = ["UPDATE auditentry SET action = 'forged'", "DELETE FROM auditentry WHERE id = 2",
                  "DELETE FROM auditentry"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE auditentry")
    for statement in statements:
        with engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry)).first()
        assert entry is not None
        session.delete(entry)
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()
    assert _audit_state(engine) == before
    with Session(engine) as session:  # appending still works
        audit.append(session, actor_id=None, action="test", subject="n:3")
        session.commit()
        assert audit.verify_chain(session) is None
    problems = db.audit_log_exposure(engine)
    if engine.dialect.name == "sqlite":
        assert problems == []
    else:  # the test server's single login is the superuser that owns everything: reported
        assert any("superuser" in p for p in problems)


def test_the_triggers_go_with_a_downgrade_and_come_back(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert db.audit_log_exposure(engine) != []
    db.migrate(engine)
    assert (db.audit_log_exposure(engine) == []) == (engine.dialect.name == "sqlite")
    with Session(engine) as session:
        audit.append(session, actor_id=None, action="test", subject="n:1")
        session.commit()
    with engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("DELETE FROM auditentry"))


def test_a_cases_history_cannot_be_changed_or_removed_with_a_single_login(engine: Engine) -> None:
    """The events a case's time limits, ledger and report are derived from stay as they were written."""
    world = make_world(engine)
    case = submitted(world, "C", today=TODAY)
    case = cases.act_on_case(world.uow(), world.county.actor, case.id, Act.CONFIRM, expected_version=case.version,
                             now=NOW)
    before = _audit_state(engine)
    assert [row[2] for row in before[3]] == [Act.SUBMIT, Act.CONFIRM]
    statements = ["UPDATE caseevent SET at = '2026-01-01 00:00:00' WHERE act = 'submit'",
                  f"UPDATE caseevent SET internal_comment = 'x' WHERE case_id = {case.id}",
                  "DELETE FROM caseevent WHERE act = 'confirm'", "DELETE FROM caseevent"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE caseevent CASCADE")
    for statement in statements:
        with engine.begin() as connection, pytest.raises(DBAPIError, match="case history.*append-only"):
            connection.execute(text(statement))
    _orm_change_refused(engine, select(CaseEvent).where(CaseEvent.case_id == case.id), "actor_name", "append-only")
    assert _audit_state(engine) == before
    # The case goes on: the prefecture's acceptance adds its event after the two.
    cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT, expected_version=case.version,
                      now=NOW)
    after = _audit_state(engine)
    assert after[3][:2] == before[3] and [row[2] for row in after[3][2:]] == [Act.ACCEPT]


def test_an_id_number_left_in_an_entry_is_written_masked(engine: Engine) -> None:
    """Callers mask personal data; one that forgets (a typed search recorded with its filters, a free-text note)
    still leaves no ID number in clear in the log, and the chain verifies. A unit's subject keeps its credit
    code (even an all-digit one), and a file's digest is not taken for a number."""
    number, all_digit_credit_code = "11010519491231002X", "911101080000000007"
    assert uscc.is_valid(all_digit_credit_code)
    digest = "ab" + "0" * 44 + "123456789012345678"
    with db.write_session(engine) as session:
        audit.append(session, actor_id=None, action="search", subject=f"person:{number}",
                     detail={"filters": {"text": f"身份证 {number.lower()} 查询"}, "numbers": [number, "12345"],
                             number: "a key", "sha256": digest})
        audit.append(session, actor_id=None, action="export_guards", subject=f"unit:{all_digit_credit_code}")
        session.commit()
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "search")).one()
        unit = session.exec(select(AuditEntry).where(AuditEntry.action == "export_guards")).one()
        assert audit.verify_chain(session) is None  # the hash covers what was written
    assert entry.subject == "person:1101**********002X"
    assert entry.detail == {"filters": {"text": "身份证 1101**********002x 查询"},
                            "numbers": ["1101**********002X", "12345"], "1101**********002X": "a key",
                            "sha256": digest}
    assert unit.subject == f"unit:{all_digit_credit_code}"
