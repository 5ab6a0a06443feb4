"""Every filing definition, parametrized: complete, consistent, and driven by one engine."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from flows.answers import check_answer
from flows.guide import next_step, problems_before_submit
from flows.kinds import all_filings
from flows.review import Act, Actor, CaseAt, Role, Stage, decide
from flows.schema import Certificate, DetailRow, Filing, Instructions, Material, QType, Question, Route, When
from store.demo import demo_answers

TODAY = date(2026, 11, 27)
KINDS = sorted(all_filings())


def test_the_four_filings_are_registered() -> None:
    assert KINDS == ["A", "B", "C", "D"]


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


def test_a_fifth_filing_runs_on_the_same_engine_without_other_changes() -> None:
    fifth = Filing(
        kind="E", title="保安服务公司设立分公司备案", short_title="分公司备案", summary="设立分公司时备案。", version=1,
        route=Route(county_confirm=True, province_approval=False), sections=("分公司",),
        location_field="branch_region", result_document="备案证明",
        certificate=Certificate(doc_type="filing_certificate", title="备案证明", issuer="prefecture",
                                body=("{unit_name}设立分公司{branch_name}的备案材料收悉，予以备案。",),
                                rows=(DetailRow(label="分公司名称", answer="branch_name"),)),
        instructions=Instructions(who="保安服务公司", when="设立后30日内", materials_note="营业执照", process="县确认后州审核",
                                  time_limit="5个工作日", result="备案证明", basis="条例"),
        questions=(Question(id="branch_name", section="分公司", label="分公司名称", type=QType.TEXT),
                   Question(id="branch_region", section="分公司", label="所在地", type=QType.REGION)),
        materials=(Material(id="licence", label="营业执照"),),
    )
    step = next_step(fifth, {}, set())
    assert step.question is not None and step.question.id == "branch_name"
    actor = Actor(user_id=1, role=Role.APPLICANT, unit_id=1)
    case = CaseAt(stage=Stage.DRAFT, route=fifth.route, unit_id=1, prefecture_code="650100", county_code="650102")
    assert decide(actor, case, Act.SUBMIT) == Stage.COUNTY_CONFIRM
