"""Every filing definition, parametrized: complete, consistent, and driven by one engine."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from flows.filing.answers import check_answer
from flows.filing.guide import next_step, problems_before_submit
from flows.filing.schema import Filing, Material, QType, Question, When
from flows.kinds import all_filings
from store.demo import demo_answers

TODAY = date(2026, 11, 27)
KINDS = sorted(all_filings())


def test_the_five_filings_are_registered() -> None:
    assert KINDS == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_filing_speaks_chinese_and_has_a_version_route_and_required_material(kind: str) -> None:
    filing = all_filings()[kind]
    assert filing.version >= 1
    assert any(m.required for m in filing.materials)
    for text in [filing.title, filing.summary, *[q.label for q in filing.questions], *[m.label for m in filing.materials]]:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    for m in filing.materials:
        assert m.allowed and m.max_mb > 0


@pytest.mark.parametrize("kind", KINDS)
def test_demo_answers_pass_every_check_and_lead_to_the_materials(kind: str) -> None:
    filing = all_filings()[kind]
    answers = demo_answers(kind, today=TODAY, filing_ref={"case_id": 1, "prefecture": "650100", "county": "650102"})
    for q in filing.questions:
        if q.id in answers and q.type != QType.FILING_REF:
            check_answer(q, answers[q.id], today=TODAY)
    prefilled = {q.id: "x" for q in filing.questions if q.prefill}
    step = next_step(filing, {**answers, **prefilled}, set())
    assert step.kind == "upload" and step.material == filing.materials[0]
    uploaded = {m.id for m in filing.materials if m.required}
    assert next_step(filing, {**answers, **prefilled}, uploaded).kind == "upload"  # optional ones still asked
    real = {**answers, **{q.id: _valid_prefill(q) for q in filing.questions if q.prefill}}
    assert problems_before_submit(filing, real, uploaded, today=TODAY) == []


def _valid_prefill(q: Question) -> str:
    return {QType.USCC: "91110000600037341L", QType.MOBILE: "13800000001"}.get(q.type, "演示")


REFERENCE_ITEMS = {
    "A": ["licence_no", "company_address", "company_region", "current_rep_id", "new_rep_id", "new_rep_mobile",
          "new_rep_education", "new_rep_history", "reason", "resolution_date"],
    "B": ["licence_no", "licence_province", "home_province", "client_name", "client_uscc", "service_region",
          "service_address", "service_kinds", "contract_start", "contract_end", "lead_id", "guards"],
    "C": ["unit_type", "unit_region", "unit_address", "principal_id", "deputy_id", "area_description",
          "area_address", "area_size", "service_start", "guards"],
    "D": ["filing_ref", "stop_date", "reason"],
    # 条例 第十二条第二款: the head office's licence and business licence, its legal representative,
    # the branch's head and its guards
    "E": ["licence_no", "company_uscc", "rep_name", "rep_id", "branch_name", "branch_region", "branch_address",
          "head_name", "head_id", "head_mobile", "guards"],
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_item_the_reference_lists_is_collected(kind: str) -> None:
    ids = {q.id for q in all_filings()[kind].questions}
    assert set(REFERENCE_ITEMS[kind]) <= ids


def test_a_broken_definition_fails_at_start_up_not_in_front_of_a_user() -> None:
    base = all_filings()["D"]
    with pytest.raises(ValidationError, match="depends on"):
        Filing(**{**base.model_dump(), "questions": (
            Question(id="x", section="撤销事项", label="x", type=QType.TEXT, when=When(field="nope", equals="1")),
            *base.questions)})
    with pytest.raises(ValidationError, match="no allowed file types"):
        Material(id="m", label="m", allowed=())
    with pytest.raises(ValidationError, match="duplicate question"):
        Filing(**{**base.model_dump(), "questions": (*base.questions, base.questions[0])})


# A fifth filing, from module to certificate and ledger row: tests/integration/test_fifth_filing.py
