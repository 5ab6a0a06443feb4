"""The pre-check's queue and worker on SQLite and PostgreSQL: files are read outside the page, one worker
per file, and an engine that crashes, hangs, spins or eats memory leaves 「未能自动核对」, never a stuck case."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import Engine

from bench.precheck_corpus import phone_photo
from bench.precheck_papers import business_licence, random_company
from flows import cases
from flows.clock import now
from flows.errors import ActRefused
from flows.kinds import get_filing
from flows.review.transitions import Act
from flows.uploads.precheck.child import OUT_OF_MEMORY
from flows.uploads.precheck.findings import check_material
from flows.uploads.precheck.limited import CRASHED, TIMED_OUT, LimitedReader, Limits
from flows.uploads.precheck.usecases import confirm_file
from store.precheck import ABANDONED, LEASE, SqlPrecheckStore, claim_next, digest, file_checks
from store.precheck_worker import Worker
from tests.support import World, filled_draft, make_world

DAY = date(2026, 11, 27)
STAND_IN = "tests.integration.precheck_child_misbehaving"


def marked_jpeg(marker: str = "") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 640), (240, 240, 240)).save(out, "JPEG", comment=f"precheck-test:{marker}".encode())
    return out.getvalue()


def upload_licence(world: World, case_id: int, data: bytes) -> None:
    cases.upload_material(world.uow(), world.applicant.actor, case_id, "legal_person_proof",
                          filename="营业执照.jpg", data=data)


def run(engine: Engine, reader: LimitedReader) -> None:
    """Read every file waiting, as the worker does."""
    worker = Worker(engine, reader)
    try:
        while worker.run_once():
            pass
    finally:
        reader.close()


def licence_check(world: World, case_id: int) -> tuple[str, str, list[str]]:
    filing = get_filing("C")
    current = file_checks(world.engine, case_id)["legal_person_proof"]
    with world.uow() as uow:
        answers = uow.answers(case_id)
    check = check_material(filing, filing.material("legal_person_proof"), current.state, current.reading, answers,
                           digest, confirmed=current.confirmed)
    return check.state, check.note, [f.officer for f in check.findings]


def test_another_companys_licence_is_read_in_the_worker_and_found_to_differ(engine: Engine) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "C", today=DAY)
    rng = random.Random(7)
    other = random_company(rng)
    photo = phone_photo(rng, business_licence(rng, other, dpi=200))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    upload_licence(world, draft.id, out.getvalue())
    assert file_checks(engine, draft.id)["legal_person_proof"].state == "waiting"
    reader = LimitedReader()
    worker = Worker(engine, reader)
    try:
        assert worker.run_once()  # the newest file first: the licence
    finally:
        reader.close()
    state, _note, lines = licence_check(world, draft.id)
    assert state == "done"
    assert any(other.credit_code in line and "代码不一致" in line for line in lines), lines
    assert any("名称不一致" in line and other.name in line for line in lines), lines


@pytest.mark.parametrize(("marker", "limits", "note"), [
    ("crash", Limits(), CRASHED),
    ("hang", Limits(wall_seconds=2), TIMED_OUT),
    ("spin", Limits(cpu_seconds=1), CRASHED),
    ("hog", Limits(memory_mb=400), OUT_OF_MEMORY),
], ids=["crash", "hang", "spin", "hog"])
def test_a_failing_engine_leaves_the_file_not_checked_and_the_next_file_is_read(
        engine: Engine, marker: str, limits: Limits, note: str) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "C", today=DAY)
    upload_licence(world, draft.id, marked_jpeg(marker))
    reader = LimitedReader(limits, module=STAND_IN)
    worker = Worker(engine, reader)
    try:
        assert worker.run_once()
        assert licence_check(world, draft.id)[:2] == ("failed", note)
        upload_licence(world, draft.id, marked_jpeg("fine"))  # the applicant replaces it: a new file, read anew
        assert file_checks(engine, draft.id)["legal_person_proof"].state == "waiting"
        assert worker.run_once()
    finally:
        reader.close()
    state, _note, lines = licence_check(world, draft.id)
    assert state == "done" and "代码不一致" in lines[0]  # the stand-in reads DEMO code 91650100MA77TEB291


def test_a_worker_that_vanished_leaves_its_files_to_another_until_they_are_given_up(engine: Engine) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "C", today=DAY)
    upload_licence(world, draft.id, marked_jpeg())
    start = now()
    vanished = []
    while (job := claim_next(engine, token="a" * 32, now=start)) is not None:
        vanished.append(job.job_id)  # claimed, never finished: the worker died
    assert len(vanished) == 5 and file_checks(engine, draft.id)["legal_person_proof"].state == "running"
    later = start + LEASE + timedelta(seconds=1)
    again = claim_next(engine, token="b" * 32, now=later)
    assert again is not None and again.job_id in vanished  # its lease ran out: another worker takes it
    for round_ in (2, 3):
        while claim_next(engine, token=str(round_) * 32, now=start + round_ * (LEASE + timedelta(seconds=1))):
            pass
    current = file_checks(engine, draft.id)["legal_person_proof"]
    assert current.state == "failed" and current.reading is not None and current.reading.note == ABANDONED


def test_only_the_applicant_confirms_a_file_and_only_once_it_was_checked(engine: Engine) -> None:
    world = make_world(engine)
    draft = filled_draft(world, "C", today=DAY)
    upload_licence(world, draft.id, marked_jpeg())
    store = SqlPrecheckStore(engine)
    with pytest.raises(ActRefused):
        confirm_file(world.uow(), store, world.applicant.actor, draft.id, "legal_person_proof")  # still waiting
    run(engine, LimitedReader(module=STAND_IN))
    with pytest.raises(ActRefused):
        confirm_file(world.uow(), store, world.applicant.actor, draft.id, "other")  # not pre-checked
    confirm_file(world.uow(), store, world.applicant.actor, draft.id, "legal_person_proof")
    assert file_checks(engine, draft.id)["legal_person_proof"].confirmed


def test_a_file_its_case_ended_without_is_not_read_and_never_shown_as_being_read(engine: Engine) -> None:
    """Before: the officer's checklist said 正在自动核对…… for ever on a closed case (found by a walk)."""
    world = make_world(engine)
    draft = filled_draft(world, "C", today=DAY)
    upload_licence(world, draft.id, marked_jpeg("ended"))
    assert file_checks(engine, draft.id)["legal_person_proof"].state == "waiting"  # an open case: to be read
    with world.uow() as uow:
        version = uow.case(draft.id).version
    cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=version)
    with world.uow() as uow:
        version = uow.case(draft.id).version
    cases.act_on_case(world.uow(), world.applicant.actor, draft.id, Act.WITHDRAW, expected_version=version)
    assert claim_next(engine, token="t") is None  # the reader takes no file of an ended case
    state, _note, findings = licence_check(world, draft.id)
    assert state == "not_run" and findings == []
