"""Public certificate look-up (store/verification.py) and applicant messages (store/notifications.py),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import cases, clock
from flows.ports import CaseView
from flows.review import Act
from store.models import AuditEntry
from store.notifications import mark_all_read, messages, unread_count
from store.verification import FREE_FAILURES, MAX_DELAY_S, code_fingerprint, delay_after, lookup, normalise
from tests.support import World, make_world, submitted


def _act(world: World, case: CaseView, *steps: tuple[str, Act]) -> CaseView:
    officers = {"county": world.county, "prefecture": world.prefecture}
    for who, act in steps:
        case = cases.act_on_case(world.uow(), officers[who].actor, case.id, act, expected_version=case.version)
    return case


def _filed(world: World) -> tuple[CaseView, str]:
    case = submitted(world, "C", today=clock.today())
    case = _act(world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))
    with world.uow() as uow:
        codes = [d.verification_code for d in uow.documents(case.id) if d.verification_code]
    assert len(codes) == 1
    return case, codes[0]


def _verify_entries(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == "verify_certificate")
                                 .order_by(col(AuditEntry.id))))


def test_a_genuine_code_gives_the_minimal_summary(engine: Engine) -> None:
    world = make_world(engine)
    case, code = _filed(world)
    result = lookup(engine, code)
    assert result is not None
    assert result.status == "valid" and result.status_label == "有效"
    assert result.title == "备案证明" and "备〔" in result.number
    assert result.unit_name == world.applicant.unit_name
    assert result.kind_title == "自行招用保安员单位备案"
    assert result.issued_on == clock.today()


def test_case_spaces_dashes_and_full_width_are_ignored(engine: Engine) -> None:
    world = make_world(engine)
    _, code = _filed(world)
    grouped = " " + "-".join(code[i:i + 4] for i in range(0, len(code), 4)).lower() + "\n"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)  # ＡＢＣ… as typed on a Chinese keyboard
    assert normalise(grouped) == code
    assert lookup(engine, grouped) is not None
    assert lookup(engine, full_width) is not None


@pytest.mark.parametrize("position", [0, 7, 13, 25])
def test_changing_any_one_character_is_not_found(engine: Engine, position: int) -> None:
    world = make_world(engine)
    _, code = _filed(world)
    position = min(position, len(code) - 1)
    changed = code[:position] + ("A" if code[position] != "A" else "B") + code[position + 1:]
    assert lookup(engine, changed) is None
    assert lookup(engine, code[:-1]) is None  # one character short
    assert lookup(engine, code + "A") is None  # one too many


@pytest.mark.parametrize("junk", ["", "   ", "%", "' OR 1=1 --", "A" * 500, "受理通知书"])
def test_junk_is_not_found_and_never_raises(engine: Engine, junk: str) -> None:
    make_world(engine)
    assert lookup(engine, junk) is None


def test_notices_without_a_code_are_never_matched(engine: Engine) -> None:
    world = make_world(engine)
    case = submitted(world, "C", today=clock.today())
    _act(world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT))  # an acceptance notice, no code
    assert lookup(engine, "") is None
    assert lookup(engine, "None") is None


def test_a_cancelled_filing_verifies_as_cancelled(engine: Engine) -> None:
    world = make_world(engine)
    filed, code = _filed(world)
    cancel = submitted(world, "D", today=clock.today(), filing_ref={"case_id": filed.id})
    _act(world, cancel, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))
    result = lookup(engine, code)
    assert result is not None and result.status == "cancelled" and result.status_label == "已撤销"
    with world.uow() as uow:
        cancellation_code = next(d.verification_code for d in uow.documents(cancel.id) if d.verification_code)
    assert cancellation_code is not None
    own = lookup(engine, cancellation_code)
    assert own is not None and own.title == "撤销备案证明" and own.status == "valid"


def test_every_look_up_is_audited_with_its_outcome_and_without_the_code(engine: Engine) -> None:
    world = make_world(engine)
    _, code = _filed(world)
    lookup(engine, code)
    lookup(engine, "AAAAAAAAAAAAAAAAAAAAAAAAAA", actor_id=world.applicant.user_id)
    lookup(engine, "")
    entries = _verify_entries(engine)
    assert [e.detail["outcome"] for e in entries] == ["found_valid", "not_found", "empty"]
    assert entries[0].detail["code_hash"] == code_fingerprint(code)
    assert entries[1].actor_id == world.applicant.user_id
    for entry in entries:
        dumped = str(entry.detail) + entry.subject
        assert code not in dumped and code[:8] not in dumped
        assert world.applicant.unit_name not in dumped
    from store.audit import verify_chain

    with Session(engine) as session:
        assert verify_chain(session) is None


def test_failures_are_free_at_first_then_delayed_more_and_more_up_to_a_cap() -> None:
    assert [delay_after(n) for n in range(FREE_FAILURES)] == [0] * FREE_FAILURES
    delays = [delay_after(n) for n in range(FREE_FAILURES, FREE_FAILURES + 10)]
    assert delays[0] > 0 and delays == sorted(delays) and delays[1] > delays[0]
    assert delay_after(1000) == MAX_DELAY_S


def test_the_applicants_messages_are_counted_listed_and_marked_read(engine: Engine) -> None:
    world = make_world(engine)
    case = submitted(world, "C", today=clock.today())
    _act(world, case, ("county", Act.CONFIRM))
    user = world.applicant.user_id
    assert unread_count(engine, user_id=user) == 2
    listed = messages(engine, user_id=user)
    assert len(listed) == 2 and "确认" in listed[0].text  # newest first
    assert unread_count(engine, user_id=world.other_applicant.user_id) == 0
    assert mark_all_read(engine, user_id=user) == 2
    assert unread_count(engine, user_id=user) == 0
    assert all(m.read for m in messages(engine, user_id=user))
    assert messages(engine, user_id=user, unread_only=True) == []
