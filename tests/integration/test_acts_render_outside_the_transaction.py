"""An act that issues a document renders it before its write transaction: nobody waits on the PDF, a lost
race leaves no rendered file behind, and a document number another act took meanwhile is not reused."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, text

from flows import cases
from flows.documents import render as documents
from flows.errors import StaleCase
from flows.ports import CaseView
from flows.review.transitions import Act
from store import blobs
from tests.support import World, make_world, submitted

DAY = date(2026, 11, 27)


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def waiting_for_acceptance(world: World) -> CaseView:
    case = submitted(world, "C", today=DAY)
    return cases.act_on_case(world.uow(), world.county.actor, case.id, Act.CONFIRM, expected_version=case.version)


def while_rendering(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> list[bytes]:
    """Run `meanwhile` inside the first document rendering; returns every rendered document's bytes."""
    rendered: list[bytes] = []
    real = documents.render

    def render(spec: documents.DocumentSpec) -> bytes:
        if not rendered:
            rendered.append(b"")  # the first rendering is under way
            meanwhile()
            rendered[0] = real(spec)
            return rendered[0]
        rendered.append(real(spec))
        return rendered[-1]

    monkeypatch.setattr(documents, "render", render)
    return rendered


def test_nobody_waits_for_the_write_lock_while_a_document_is_rendered(world: World, database_url: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    case = waiting_for_acceptance(world)

    def another_writer() -> None:
        if database_url.startswith("sqlite"):
            other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the act held the write lock
            other.execute("ROLLBACK")
            other.close()
        else:
            with world.engine.connect() as other:
                other.execute(text("SET lock_timeout = '1ms'"))
                other.execute(text("SELECT * FROM counter FOR UPDATE"))  # document numbers not locked
                other.execute(text('SELECT * FROM "case" WHERE id = :id FOR UPDATE'), {"id": case.id})
                other.rollback()

    rendered = while_rendering(monkeypatch, another_writer)
    accepted = cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT,
                                 expected_version=case.version)
    assert accepted.stage == "prefecture_review"
    assert len(rendered) == 1
    with world.uow() as uow:
        [notice] = uow.documents(case.id)
    assert blobs.get(notice.sha256) == rendered[0]


def test_an_act_that_loses_its_race_leaves_no_rendered_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    case = waiting_for_acceptance(world)
    colleague = world.prefecture.actor

    def the_other_officer_accepts_first() -> None:
        cases.act_on_case(world.uow(), colleague, case.id, Act.ACCEPT, expected_version=case.version)

    rendered = while_rendering(monkeypatch, the_other_officer_accepts_first)
    with pytest.raises(StaleCase):  # returning the case for correction, with its notice
        cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.RETURN, expected_version=case.version,
                          comment="请补充守护区域平面图。")

    assert len(rendered) == 2
    with world.uow() as uow:
        [notice] = uow.documents(case.id)
    assert notice.doc_type == "acceptance_notice" and blobs.get(notice.sha256) == rendered[1]
    assert not blobs.exists(hashlib.sha256(rendered[0]).hexdigest()), "the loser's correction notice is discarded"


def test_a_document_number_taken_meanwhile_is_not_reused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = waiting_for_acceptance(world), waiting_for_acceptance(world)

    def another_case_accepted_meanwhile() -> None:
        cases.act_on_case(world.uow(), world.prefecture.actor, second.id, Act.ACCEPT,
                          expected_version=second.version)

    rendered = while_rendering(monkeypatch, another_case_accepted_meanwhile)
    cases.act_on_case(world.uow(), world.prefecture.actor, first.id, Act.ACCEPT, expected_version=first.version)

    with world.uow() as uow:
        [mine], [theirs] = uow.documents(first.id), uow.documents(second.id)
    assert mine.number != theirs.number
    assert theirs.number.endswith("〕1号") and mine.number.endswith("〕2号")  # GB/T 9704: no padding
    assert len(rendered) == 3, "rendered again with the next number"
    assert not blobs.exists(hashlib.sha256(rendered[0]).hexdigest())
    assert blobs.get(mine.sha256) == rendered[2]
