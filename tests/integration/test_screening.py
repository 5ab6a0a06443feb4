"""Automatic comparison: embedded imports, verdicts on real cases, the approval rule, visibility."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from flows import cases
from flows.clock import CHINA
from flows.errors import ActRefused, FieldError
from flows.oversight.tables import read_rows
from flows.review.screening import EMBEDDED, OFF, Outcome
from flows.review.transitions import Act
from store.screening import configured_sources, import_rows, set_setting
from tests.support import World, make_world, submitted

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=CHINA)
FUGITIVE = "650104198807070017"  # the proposed representative in the demo answers of kind A


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def csv_bytes(lines: list[str]) -> bytes:
    return ("身份证号码,类别,编号,日期\n" + "\n".join(lines) + "\n").encode("utf-8")


def load(engine: Engine, lines: list[str], name: str = "list.csv"):  # type: ignore[no-untyped-def]
    return import_rows(engine, read_rows(csv_bytes(lines), name), name=name, actor_id=None)


def act(world: World, who: str, case_id: int, what: Act, **kwargs: object):  # type: ignore[no-untyped-def]
    with world.uow() as uow:
        version = uow.case(case_id).version
    return cases.act_on_case(world.uow(), getattr(world, who).actor, case_id, what, expected_version=version,
                             now=NOW, **kwargs)  # type: ignore[arg-type]


def test_import_lists_bad_rows_by_line_and_is_idempotent(world: World) -> None:
    report = load(world.engine, [f"{FUGITIVE},网上逃犯,TX2026-001,2026-01-05",
                                 "650104198807070010,网上逃犯,X,2026-01-05",
                                 "650102198503150015,不知道,Y,",
                                 "650102198503150015,刑事犯罪前科,XS-9,"])
    assert report.imported == 2
    assert [line for line, _ in report.errors] == [3, 4]
    assert "第18位" in report.errors[0][1] and "无法识别" in report.errors[1][1]
    again = load(world.engine, [f"{FUGITIVE},网上逃犯,TX2026-001,2026-01-05"])
    assert again.imported == 0 and again.already_known == 1


def test_id_numbers_are_stored_only_as_keyed_hashes(world: World) -> None:
    from sqlmodel import Session, select

    from store.models import WatchlistEntry

    load(world.engine, [f"{FUGITIVE},网上逃犯,TX2026-001,"])
    with Session(world.engine) as session:
        entry = session.exec(select(WatchlistEntry)).one()
    assert FUGITIVE not in entry.id_hash and len(entry.id_hash) == 64


def test_a_kind_a_submission_is_screened_and_a_fugitive_hit_is_recorded(world: World) -> None:
    load(world.engine, [f"{FUGITIVE},网上逃犯,TX2026-001,"])
    draft = _draft_a(world)
    case = cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version, now=NOW,
                        sources=configured_sources(world.engine))
    runs = cases.screening_history(world.uow(), world.prefecture.actor, case.id)
    assert runs[0].fugitive_hit and runs[0].outcome("criminal") == Outcome.CLEAR
    assert runs[0].hits[0].reference == "TX2026-001"
    with pytest.raises(ActRefused):
        cases.screening_history(world.uow(), world.applicant.actor, case.id)
    assert cases.screening_done(world.uow(), world.applicant.actor, case.id)


def _draft_a(world: World):  # type: ignore[no-untyped-def]
    from tests.support import filled_draft

    draft = filled_draft(world, "A", today=TODAY)
    with world.uow() as uow:
        return uow.case(draft.id)


def test_with_the_source_off_every_category_is_not_done_and_approval_needs_a_justification(world: World) -> None:
    set_setting(world.engine, "screening_source", OFF, actor_id=None)
    draft = _draft_a(world)
    case = cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version, now=NOW,
                        sources=configured_sources(world.engine))
    run = cases.screening_history(world.uow(), world.prefecture.actor, case.id)[0]
    assert len(run.not_done) == 5 and not run.hits  # never a false clear
    act(world, "prefecture", case.id, Act.ACCEPT)
    with pytest.raises(FieldError, match="自动比对尚未完成.*不能拟同意上报"):
        act(world, "prefecture", case.id, Act.REPORT, comment="同意", opinion="favourable")
    act(world, "prefecture", case.id, Act.REPORT, comment="同意", opinion="favourable",
        justification="比对系统停机，已人工核查")
    act(world, "province", case.id, Act.ACCEPT)
    with pytest.raises(FieldError, match="自动比对尚未完成"):
        act(world, "province", case.id, Act.APPROVE)
    set_setting(world.engine, "screening_source", EMBEDDED, actor_id=None)
    again = cases.rescreen(world.uow(), world.province.actor, case.id, configured_sources(world.engine), now=NOW)
    assert not again.not_done
    assert len(cases.screening_history(world.uow(), world.province.actor, case.id)) == 2  # history kept
    assert act(world, "province", case.id, Act.APPROVE).stage == "approved"


def test_an_officer_may_approve_without_screening_only_with_a_recorded_justification(world: World) -> None:
    set_setting(world.engine, "screening_source", OFF, actor_id=None)
    draft = _draft_a(world)
    case = cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version, now=NOW,
                        sources=configured_sources(world.engine))
    for who, what in (("prefecture", Act.ACCEPT), ("prefecture", Act.REPORT), ("province", Act.ACCEPT)):
        act(world, who, case.id, what, comment="同意" if what == Act.REPORT else "",
            opinion="favourable" if what == Act.REPORT else "",
            justification="比对系统停机，已人工核查" if what == Act.REPORT else "")
    done = act(world, "province", case.id, Act.APPROVE, justification="比对系统停机，已人工核查")
    assert done.stage == "approved"
    with world.uow() as uow:
        last = uow.events(case.id)[-1]
    assert "人工核查" in last.internal_comment


def test_a_read_error_in_a_csv_is_reported_not_raised(world: World) -> None:
    rows = list(read_rows(io.BytesIO(b"\xff\xfe garbage").getvalue(), "x.csv"))
    report = import_rows(world.engine, iter(rows), name="x.csv", actor_id=None)
    assert report.imported == 0


def test_other_kinds_are_not_screened(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    with world.uow() as uow:
        assert uow.screenings(case.id) == []
