"""Need-to-know display and every look recorded (flows.review.disclosure) on a real database: reveals, case opens,
material and dossier downloads and exports write audit entries naming who and which case, never the data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.errors import ActRefused, NotFound
from flows.review.disclosure import (
    REVEAL_ROLES,
    Look,
    may_reveal,
    record_case_look,
    record_case_looks,
    record_export,
    reveal_personal_data,
)
from flows.review.transitions import OFFICER_ROLES, Actor, Role
from store.accounts import create_user, demo_password_hash
from store.audit import verify_chain
from store.demo import DEMO_PASSWORD
from store.models import AuditEntry
from tests.support import World, make_world, submitted

DAY = date(2026, 11, 2)


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def entries(engine: Engine, action: str | None = None) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.exec(query))


def test_every_officer_level_may_reveal_and_no_one_else() -> None:
    assert REVEAL_ROLES == OFFICER_ROLES
    assert [may_reveal(Actor(user_id=1, role=role)) for role in Role] == [role in OFFICER_ROLES for role in Role]


def test_a_reveal_is_recorded_with_who_and_which_case_never_the_number(world: World) -> None:
    case = submitted(world, "C", today=DAY)
    answers = world.uow().reading()
    with answers:
        numbers = [str(v) for v in answers.answers(case.id).values() if isinstance(v, str) and len(v) == 18]
    reveal_personal_data(world.uow(), world.county.actor, case.id)
    [entry] = entries(world.engine, Look.REVEAL.value)
    assert entry.actor_id == world.county.user_id and entry.subject == f"case:{case.id}"
    assert entry.detail == {}
    text = str(entry.detail) + entry.subject
    assert numbers and not any(n in text for n in numbers)
    with Session(world.engine) as session:
        assert verify_chain(session) is None


def test_outside_the_jurisdiction_or_not_an_officer_nothing_is_recorded(world: World) -> None:
    case = submitted(world, "C", today=DAY)
    before = len(entries(world.engine))
    with pytest.raises(NotFound):
        reveal_personal_data(world.uow(), world.sibling_county.actor, case.id)
    with pytest.raises(NotFound):
        record_case_look(world.uow(), world.other_prefecture.actor, case.id, Look.OPEN_CASE)
    with pytest.raises(ActRefused):
        reveal_personal_data(world.uow(), world.applicant.actor, case.id)
    assert len(entries(world.engine)) == before


def test_an_open_with_its_previews_and_downloads_are_recorded(world: World) -> None:
    case = submitted(world, "C", today=DAY)
    with world.uow().reading() as uow:
        materials = uow.materials(case.id)
    record_case_looks(world.uow(), world.prefecture.actor, case.id,
                      [(Look.OPEN_CASE, {}), *((Look.PREVIEW_MATERIAL, {"material": m.id}) for m in materials)])
    record_case_look(world.uow(), world.prefecture.actor, case.id, Look.DOWNLOAD_MATERIAL,
                     {"material": materials[0].id, "material_id": materials[0].material_id})
    record_case_look(world.uow(), world.province.actor, case.id, Look.DOWNLOAD_DOSSIER, {"parts": len(materials)})
    actions = [(e.action, e.actor_id, e.subject) for e in entries(world.engine) if e.subject == f"case:{case.id}"
               and e.action in {look.value for look in Look}]
    assert actions[0] == ("open_case", world.prefecture.user_id, f"case:{case.id}")
    assert [a for a, _, _ in actions].count("preview_material") == len(materials) > 0
    assert actions[-2:] == [("download_material", world.prefecture.user_id, f"case:{case.id}"),
                            ("download_dossier", world.province.user_id, f"case:{case.id}")]


def test_a_detail_holds_identifiers_and_counts_only(world: World) -> None:
    case = submitted(world, "C", today=DAY)
    with pytest.raises(ValueError):
        record_case_look(world.uow(), world.county.actor, case.id, Look.OPEN_CASE, {"id_number": "x"})
    with pytest.raises(ValueError):
        record_export(world.uow(), world.county.actor, Look.EXPORT_LEDGER, "ledger:current", {"search": "张三"})
    with pytest.raises(ValueError):  # the audit log's filters belong to its export alone
        record_export(world.uow(), world.county.actor, Look.EXPORT_LEDGER, "ledger:current", {"person": "张三"})
    assert entries(world.engine, Look.OPEN_CASE.value) == []


def test_exports_are_recorded_for_officers_only(world: World) -> None:
    record_export(world.uow(), world.prefecture.actor, Look.EXPORT_LEDGER, "ledger:current",
                  {"format": "csv", "ledger": "current", "rows": 3, "filtered": False})
    record_export(world.uow(), world.province.actor, Look.EXPORT_REPORT, "report:progress",
                  {"report": "progress", "format": "xlsx", "period": "2026-01-01/2026-11-02", "rows": 5})
    with pytest.raises(ActRefused):
        record_export(world.uow(), world.applicant.actor, Look.EXPORT_LEDGER, "ledger:current")
    [ledger] = entries(world.engine, "export_ledger")
    assert ledger.actor_id == world.prefecture.user_id and ledger.detail["rows"] == 3
    [report] = entries(world.engine, "export_report")
    assert report.subject == "report:progress" and report.detail["format"] == "xlsx"


def test_the_audit_log_is_exported_by_the_auditor_alone_and_the_auditor_exports_nothing_else(world: World) -> None:
    auditor_id = create_user(world.engine, login="shenji", password=DEMO_PASSWORD, display_name="安全审计员",
                             role=Role.AUDITOR, region_code="650000", password_hash=demo_password_hash(DEMO_PASSWORD))
    auditor = Actor(auditor_id, Role.AUDITOR, "650000", name="安全审计员")
    with pytest.raises(ActRefused):
        record_export(world.uow(), world.province.actor, Look.EXPORT_AUDIT, "audit", {"format": "csv", "rows": 1})
    with pytest.raises(ActRefused):
        record_export(world.uow(), auditor, Look.EXPORT_LEDGER, "ledger:current", {"format": "csv", "rows": 1})
    record_export(world.uow(), auditor, Look.EXPORT_AUDIT, "audit",
                  {"format": "csv", "rows": 2, "person": "xian650102", "subject": "case:7", "actions": []})
    [export] = entries(world.engine, "audit_export")
    assert export.actor_id == auditor_id and export.detail["person"] == "xian650102"
