"""The guided conversation: order, skipping, corrections, and the summary."""

from __future__ import annotations

from datetime import date

import pytest

from flows.filing.guide import asked_questions, filing_warnings, next_step, unit_mismatch
from flows.kinds import all_filings, get_filing
from store.demo import demo_answers

TODAY = date(2026, 11, 27)

FIRST_QUESTIONS = {
    "A": ["licence_no", "company_address", "company_region", "current_rep_name", "current_rep_id", "new_rep_name"],
    "B": ["licence_no", "licence_province", "home_province", "client_name", "client_uscc", "service_region"],
    "C": ["unit_type", "unit_region", "unit_address", "principal_name", "principal_id", "principal_mobile"],
    "D": ["filing_ref", "stop_date", "reason"],
    "E": ["licence_no", "rep_name", "rep_id", "branch_name", "branch_uscc", "branch_region"],
}


@pytest.mark.parametrize("kind", sorted(all_filings()))
def test_questions_come_one_at_a_time_in_the_definition_order_without_the_known_ones(kind: str) -> None:
    filing = get_filing(kind)
    answers: dict[str, object] = {}
    order = []
    for _ in range(len(filing.questions)):
        step = next_step(filing, answers, set())
        if step.kind != "ask":
            break
        assert step.question is not None
        order.append(step.question.id)
        answers[step.question.id] = "x"
    assert order[: len(FIRST_QUESTIONS[kind])] == FIRST_QUESTIONS[kind]
    assert not {"company_name", "unit_name", "company_uscc", "unit_uscc", "contact_name", "contact_mobile"} & set(order)


def test_materials_follow_questions_and_optional_ones_can_be_skipped() -> None:
    filing = get_filing("D")
    answers = {q.id: "x" for q in asked_questions(filing, {})}
    step = next_step(filing, answers, set())
    assert step.kind == "upload" and step.material is not None and step.material.id == "cancel_letter"
    step = next_step(filing, answers, {"cancel_letter"})
    assert step.material is not None and step.material.id == "other"
    done = next_step(filing, answers, {"cancel_letter"}, skipped={"other"})
    assert done.kind == "summary" and done.progress.done == done.progress.total


def test_a_correction_asks_only_the_items_named_in_the_notice() -> None:
    filing = get_filing("C")
    answers = demo_answers("C", today=TODAY)
    only = {"area_size", "guard_rules"}
    step = next_step(filing, answers, {"legal_person_proof"}, only=only, done_items=frozenset())
    assert step.question is not None and step.question.id == "area_size"
    step = next_step(filing, answers, set(), only=only, done_items=frozenset({"area_size"}))
    assert step.material is not None and step.material.id == "guard_rules"
    assert next_step(filing, answers, set(), only=only, done_items=frozenset(only)).kind == "summary"


def test_a_late_service_start_becomes_a_warning_for_the_officer() -> None:
    filing = get_filing("C")
    answers = demo_answers("C", today=TODAY)
    answers["service_start"] = "2026-10-18"
    warnings = filing_warnings(filing, answers, today=TODAY)
    assert any("30日" in w for w in warnings)
    answers["service_start"] = "2026-11-20"
    assert filing_warnings(filing, answers, today=TODAY) == []


def test_questions_made_irrelevant_by_earlier_answers_are_skipped() -> None:
    filing = get_filing("C")
    answers = demo_answers("C", today=TODAY)
    asked = [q.id for q in asked_questions(filing, answers)]
    assert "property_project" in asked  # a property company names its project
    answers["unit_type"] = "事业单位"
    assert "property_project" not in [q.id for q in asked_questions(filing, answers)]
    d = get_filing("D")
    assert "reason_detail" not in [q.id for q in asked_questions(d, {"reason": "单位注销或合并"})]
    assert "reason_detail" in [q.id for q in asked_questions(d, {"reason": "其他原因"})]


@pytest.mark.parametrize(("unit", "warned"), [
    ("乌鲁木齐安居物业服务有限公司", {"A", "B", "E"}),  # a property company: the security companies' kinds
    ("新疆盾安保安服务有限公司", {"C", "D"}),  # a security company: the self-recruiting units' kinds
])
def test_a_unit_is_warned_before_a_business_its_name_says_is_not_its_own(unit: str, warned: set[str]) -> None:
    found = {kind: unit_mismatch(filing, unit) for kind, filing in all_filings().items()}
    assert {kind for kind, warning in found.items() if warning} == warned
    for kind in warned:
        assert "选择其他业务" in str(found[kind])
