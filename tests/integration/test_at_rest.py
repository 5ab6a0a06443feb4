"""Personal ID numbers at rest: encrypted in the database, its WAL, the file store and backups; keys kept outside
DATA_DIR; owner-only files; key rotation; the migration of clear rows; an answer's history."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from flows import cases
from flows.clock import today
from flows.ports import ReturnItem
from flows.review.transitions import Act
from scripts.backup import backup
from store import keys
from store.accounts import get_account
from store.db import MIGRATIONS, make_engine, migrate
from store.demo import DEMO_IDS, DEMO_WATCHLIST
from store.keys import PREFIX
from store.seed import DEMO_ACCOUNTS
from store.uow import SqlUnitOfWork
from tests.support import filled_draft, make_world, submitted

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _keys_made_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys of these tests are the files made in KEYS_DIR's default place, whatever the environment holds."""
    for name in ("BAOAN_DATA_KEY", "KEYS_DIR", "SCREENING_SECRET"):
        monkeypatch.delenv(name, raising=False)


def resident_id(body: str) -> str:
    """A valid resident ID number from its first 17 digits (the check character computed)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


# People of this test's own filing, besides the demo's.
OURS = tuple(resident_id(f"6501021988{m:02d}0{d}123") for m, d in ((1, 1), (2, 2), (3, 3), (4, 4), (5, 5),
                                                                    (6, 6), (7, 7), (8, 8), (9, 9)))
EVERY_ID = (*DEMO_IDS, *(i for i, _, _ in DEMO_WATCHLIST), *OURS)


def clear_ids_in(folder: Path) -> dict[str, list[str]]:
    """Every file under `folder` holding one of the known ID numbers in clear (ASCII, as SQLite and JSON keep it)."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [i for i in EVERY_ID if i.encode() in data or i.lower().encode() in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def modes(folder: Path) -> dict[str, str]:
    """Every folder and file under `folder` (itself included) not owner-only: relative name -> octal mode."""
    wrong = {}
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            wrong[str(path.relative_to(folder.parent))] = oct(mode)
    return wrong


def test_after_the_demo_seed_and_a_filing_no_id_number_is_in_clear_in_the_database_wal_files_or_a_backup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    env = dict(os.environ, DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    for name in ("DATABASE_URL", "KEYS_DIR", "BAOAN_DATA_KEY", "SCREENING_SECRET", "BLOB_DIR", "APP_ENV",
                 "CERT_SIGNING_KEY_FILE"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "store.seed"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]

    # The seed's files and folders are the owner's alone, and the keys are beside DATA_DIR, not in it.
    assert modes(data) == {}
    assert modes(tmp_path / "keys") == {}
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "audit-chain.key", "audit-checkpoint.pem", "certificate-signing.pem", "data.keys", "screening.key"]
    assert not list(data.rglob("*.key")) and not list(data.rglob("data.keys")) and not list(data.rglob("*.pem"))

    # A filing of this test's own, through the use cases, with the app's connection still open (the WAL there):
    # a roster, single ID numbers, and one ID number changed (its earlier value goes to the history).
    engine = make_engine()
    try:
        company = get_account(engine, _user_id(engine, DEMO_ACCOUNTS["company"]))
        assert company is not None
        world = SimpleNamespace(engine=engine, applicant=company, uow=lambda: SqlUnitOfWork(engine))
        draft = filled_draft(world, "B", today=today(), ids=OURS[:8])  # type: ignore[arg-type]
        cases.save_answer(world.uow(), company.actor, draft.id, "lead_id", OURS[8], today=today())
        with SqlUnitOfWork(engine, read_only=True) as uow:
            answers = uow.answers(draft.id)
            history = uow.answer_history(draft.id, "lead_id")
        # Flows see the plain values.
        assert answers["lead_id"] == OURS[8]
        assert [g["id_number"] for g in answers["guards"]] == list(OURS[:3])
        assert [(value, by) for _, value, by, _ in history] == [(OURS[5], company.user_id)]
        assert (data / "app.db-wal").exists()

        assert clear_ids_in(data) == {}
        place = tmp_path / "backup"
        backup(place)
        assert clear_ids_in(place) == {}
        copy = tmp_path / "copy-of-data"
        shutil.copytree(data, copy)
        assert clear_ids_in(copy) == {}
        assert not [p for p in place.rglob("*") if p.name in ("data.keys", "screening.key", "certificate-signing.pem")
                    or (p.is_file() and b"PRIVATE KEY" in p.read_bytes())]
    finally:
        engine.dispose()
    assert modes(data) == {}


def _user_id(engine: Engine, login: str) -> int:
    with Session(engine) as session:
        return int(session.execute(text('SELECT id FROM "user" WHERE login = :l'), {"l": login}).scalar_one())


def test_a_database_made_world_readable_before_is_made_owner_only_on_connect(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
    finally:
        engine.dispose()
    os.chmod(db, 0o644)
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            assert db.stat().st_mode & 0o777 == 0o600
            assert Path(f"{db}-wal").stat().st_mode & 0o777 == 0o600
    finally:
        engine.dispose()


def _stored(engine: Engine, case_id: int) -> dict[str, object]:
    with Session(engine) as session:
        return dict(session.execute(text("SELECT question_id, value FROM answer WHERE case_id = :c"),
                                    {"c": case_id}).all())


def _key_ids(engine: Engine) -> set[str]:
    with Session(engine) as session:
        values = [*session.execute(text("SELECT value FROM answer")).scalars(),
                  *session.execute(text("SELECT old_value FROM answerhistory")).scalars()]
    return {key_id for value in values for key_id in keys.key_ids(_json(value))}


def _json(value: object) -> object:
    import json

    return json.loads(value) if isinstance(value, str) and value[:1] in "[{\"" else value


def test_rotation_re_encrypts_every_row_with_the_new_key_and_old_rows_still_read_meanwhile(
        engine: Engine, database_url: str, data_dir: Path) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "B", today=DAY, ids=OURS[:8])
    cases.save_answer(world.uow(), world.applicant.actor, draft.id, "lead_id", OURS[8], today=DAY)
    with SqlUnitOfWork(engine) as uow:
        before = uow.answers(draft.id)
    first = keys.keyring().current
    assert _key_ids(engine) == {first}

    new = keys.add_key()
    assert keys.keyring().current == new != first
    with SqlUnitOfWork(engine) as uow:
        assert uow.answers(draft.id) == before  # written with the old key, read with the keyring
        assert uow.answer_history(draft.id, "lead_id")[0][1] == OURS[5]

    env = dict(os.environ, DATABASE_URL=database_url, DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "store.keys", "reencrypt"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _key_ids(engine) == {new}

    # The old key gone from the keyring: everything still reads, so nothing needs it any more.
    path = keys.keys_dir() / keys.DATA_KEYS_FILE
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines() if not line.startswith(first)))
    with SqlUnitOfWork(engine) as uow:
        assert uow.answers(draft.id) == before
        assert uow.answer_history(draft.id, "lead_id")[0][1] == OURS[5]


def test_a_correction_keeps_the_id_number_it_replaced_encrypted_and_rotation_re_encrypts_it(
        engine: Engine) -> None:
    """The value a returned item had before its correction (shown to the officer as before/after) is personal
    data like the answer itself: sealed in the case's draft state, never in clear, and re-encrypted on rotation."""
    world = make_world(engine)
    case = submitted(world, "B", today=DAY, ids=OURS[:8])
    for who, what, extra in (("county", Act.CONFIRM, {}), ("prefecture", Act.ACCEPT, {}),
                             ("prefecture", Act.RETURN, {"items": (ReturnItem("lead_id", "负责人身份证号码", "号码有误"),)})):
        with SqlUnitOfWork(engine) as uow:
            version = uow.case(case.id).version
        cases.act_on_case(world.uow(), getattr(world, who).actor, case.id, what, expected_version=version,
                          **extra)  # type: ignore[arg-type]
    with SqlUnitOfWork(engine) as uow:
        old = uow.answers(case.id)["lead_id"]
    cases.save_answer(world.uow(), world.applicant.actor, case.id, "lead_id", OURS[8], today=DAY)
    with SqlUnitOfWork(engine) as uow:
        state = uow.draft_state(case.id)
    assert state.corrected == {"lead_id"}
    assert state.before_correction is not None and state.before_correction["values"] == {"lead_id": old}

    def stored() -> object:
        with Session(engine) as session:
            return _json(session.execute(text("SELECT before_correction FROM casedraftstate WHERE case_id = :c"),
                                         {"c": case.id}).scalar_one())

    assert old not in str(stored()) and set(keys.key_ids(stored())) == {keys.keyring().current}
    new = keys.add_key()
    done = keys.reencrypt(engine, batch=1)  # one row per transaction: every batch boundary is crossed
    assert done["casedraftstate"] == 1 and done["answerhistory"] >= 1 and done["answer"] > 1
    assert set(keys.key_ids(stored())) == {new} and _key_ids(engine) == {new}
    assert keys.reencrypt(engine) == {"answer": 0, "answerhistory": 0, "casedraftstate": 0}  # nothing left
    with SqlUnitOfWork(engine) as uow:
        assert uow.draft_state(case.id).before_correction == state.before_correction

    # Databases from before 0014 kept this state as fake answers: the migration moves it, sealed as it was.
    _alembic(engine, "downgrade", "0013")
    assert {"__corrected", "__before_correction"} <= set(_stored(engine, case.id))
    migrate(engine)
    assert not {q for q in _stored(engine, case.id) if q.startswith("__")}
    with SqlUnitOfWork(engine) as uow:
        assert uow.draft_state(case.id) == state


def test_the_rotate_command_adds_a_key_and_re_encrypts(engine: Engine, database_url: str, data_dir: Path) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "C", today=DAY, ids=OURS[:8])
    first = keys.keyring().current
    env = dict(os.environ, DATABASE_URL=database_url, DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "store.keys", "rotate"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    current = keys.keyring().current
    assert current != first and _key_ids(engine) == {current}
    with SqlUnitOfWork(engine) as uow:
        assert uow.answers(draft.id)["principal_id"] == OURS[6]


def test_keys_from_the_environment_first_is_current_and_a_changed_ciphertext_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    old, new = (base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2))
    monkeypatch.setenv("BAOAN_DATA_KEY", f"old:{old}")
    sealed = keys.seal({"rows": [{"id_number": OURS[0], "name": "张伟"}], "note": f"号码{OURS[1]}"})
    assert sealed["rows"][0]["name"] == "张伟" and sealed["rows"][0]["id_number"].startswith(f"{PREFIX}old:")
    assert sealed["note"].startswith(PREFIX)
    monkeypatch.setenv("BAOAN_DATA_KEY", f"new:{new},old:{old}")
    assert keys.unseal(sealed)["rows"][0]["id_number"] == OURS[0]
    assert keys.reseal(sealed, keys.keyring())["note"].startswith(f"{PREFIX}new:")
    # A text that only looks like a ciphertext is kept encrypted too, so it reads back as typed.
    assert keys.unseal(keys.seal(f"{PREFIX}old:abc")) == f"{PREFIX}old:abc"
    token = sealed["rows"][0]["id_number"]
    forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(keys.DataKeyError):
        keys.unseal(forged)


def _alembic(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_the_migration_encrypts_answers_stored_in_clear(engine: Engine, database_url: str, data_dir: Path) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "B", today=DAY, ids=OURS[:8])
    cases.save_answer(world.uow(), world.applicant.actor, draft.id, "lead_id", OURS[8], today=DAY)
    _alembic(engine, "downgrade", "0012")  # back to the schema that kept answers in clear
    clear = _stored(engine, draft.id)
    sqlite = database_url.startswith("sqlite")
    database = Path(str(make_url(database_url).database))
    if sqlite:  # the scan sees them there
        assert _in_database_files(database)
    assert OURS[8] in str(clear["lead_id"]) and OURS[0] in str(clear["guards"])

    migrate(engine)
    stored = _stored(engine, draft.id)
    assert not keys.has_clear_id(_json(stored["lead_id"])) and not keys.has_clear_id(_json(stored["guards"]))
    with SqlUnitOfWork(engine) as uow:
        answers = uow.answers(draft.id)
    assert answers["lead_id"] == OURS[8]
    assert [g["id_number"] for g in answers["guards"]] == list(OURS[:3])
    if sqlite:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # Overwritten rows are zeroed in the file (secure_delete), not left in free space.
        assert _in_database_files(database) == []


def _in_database_files(database: Path) -> list[str]:
    return [i for path in database.parent.glob(database.name + "*") for i in EVERY_ID
            if i.encode() in path.read_bytes()]


def test_an_answer_changed_keeps_its_earlier_values_encrypted_with_who_and_when(engine: Engine) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "B", today=DAY, ids=OURS[:8])
    actor = world.applicant.actor
    cases.save_answer(world.uow(), actor, draft.id, "lead_id", OURS[8], today=DAY)
    cases.save_answer(world.uow(), actor, draft.id, "lead_id", OURS[8], today=DAY)  # the same: nothing to keep
    cases.save_answer(world.uow(), actor, draft.id, "lead_name", "周亮", today=DAY)
    with SqlUnitOfWork(engine) as uow:
        history = uow.answer_history(draft.id)
    assert [(q, v, by) for q, v, by, _ in history] == [("lead_id", OURS[5], actor.user_id),
                                                       ("lead_name", "周明", actor.user_id)]
    assert all(at.date() >= DAY - timedelta(days=1) for *_, at in history)
    with Session(engine) as session:
        stored = list(session.execute(text("SELECT old_value FROM answerhistory")).scalars())
    assert all(v.startswith(PREFIX) for v in stored) and not any(OURS[5] in v or "周明" in v for v in stored)


def test_a_screening_key_kept_in_data_dir_by_an_older_version_moves_out_of_it(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from store.screening import secret_key

    monkeypatch.delenv("SCREENING_SECRET", raising=False)
    (data_dir / "screening.key").write_text("ab" * 32)
    assert secret_key() == b"ab" * 32  # the watchlist's hashes still match
    assert not (data_dir / "screening.key").exists()
    moved = keys.keys_dir() / "screening.key"
    assert moved.read_text() == "ab" * 32 and moved.stat().st_mode & 0o777 == 0o600
    assert data_dir not in moved.parents
