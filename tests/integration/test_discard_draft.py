"""删除草稿: a unit deletes a draft it never submitted, with what it typed and uploaded (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows import cases
from flows.errors import ActRefused, NotFound
from store import blobs
from store.demo import demo_pdf
from store.models import Answer, AuditEntry, Case, CaseMaterial, Feedback, PrecheckJob
from store.precheck import claim_next
from tests.support import World, filled_draft, make_world, submitted

TODAY = date(2026, 11, 27)


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def discard(world: World, case_id: int, *, who: str = "applicant") -> None:
    with world.uow() as uow:
        version = uow.case(case_id).version
    cases.discard_draft(world.uow(), getattr(world, who).actor, case_id, expected_version=version)


def test_a_deleted_draft_leaves_no_answer_material_or_file_of_its_own(world: World) -> None:
    keep = filled_draft(world, "C", today=TODAY)  # names the same demo files as the draft deleted
    draft = filled_draft(world, "C", today=TODAY)
    _, own = cases.upload_material(world.uow(), world.applicant.actor, draft.id, "other", filename="其他.pdf",
                                   data=demo_pdf("only in the deleted draft"))
    claimed = claim_next(world.engine, token="worker")  # the pre-check had taken the newest file
    assert claimed is not None and claimed.case_id == draft.id
    with Session(world.engine) as session:
        session.add(Feedback(user_id=world.applicant.user_id, case_id=draft.id, text="这一步看不懂"))
        session.commit()
        shared = [m.sha256 for m in session.exec(select(CaseMaterial).where(CaseMaterial.case_id == keep.id))]

    discard(world, draft.id)

    with Session(world.engine) as session:
        assert session.get(Case, draft.id) is None
        for table in (Answer, CaseMaterial, PrecheckJob):
            assert session.exec(select(table).where(table.case_id == draft.id)).all() == []
        feedback = session.exec(select(Feedback).where(Feedback.text == "这一步看不懂")).one()
        assert feedback.case_id is None  # the feedback stays, no longer tied to the draft
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "discard_draft")).one()
        assert (entry.subject, entry.actor_id) == (f"case:{draft.id}", world.applicant.user_id)
        assert session.get(Case, keep.id) is not None
    assert not blobs.exists(own.sha256)  # no other row named it
    assert shared and all(blobs.exists(sha) for sha in shared)  # the other draft's files are untouched
    with world.uow() as uow, pytest.raises(NotFound):
        uow.case(draft.id)


def test_only_the_units_own_draft_never_submitted_can_be_deleted(world: World) -> None:
    draft = filled_draft(world, "C", today=TODAY)
    with pytest.raises(NotFound):  # another unit is told nothing about it
        discard(world, draft.id, who="other_applicant")
    with pytest.raises(NotFound):  # officers never see drafts
        discard(world, draft.id, who="county")
    case = submitted(world, "C", today=TODAY)
    with pytest.raises(ActRefused):
        discard(world, case.id)
    with world.uow() as uow:
        assert uow.case(draft.id).stage == "draft" and uow.case(case.id).stage == "county_confirm"


def test_a_draft_submitted_in_another_tab_since_the_page_was_drawn_is_not_deleted(world: World) -> None:
    draft = filled_draft(world, "C", today=TODAY)  # the 我的办件 page drawn at this version
    case = cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version, sources=[])
    with pytest.raises(ActRefused):
        cases.discard_draft(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version)
    with world.uow() as uow:
        assert uow.case(draft.id).stage == case.stage == "county_confirm"
