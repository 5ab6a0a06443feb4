"""What the applicant and the officer are told once a file has been read: comparisons with the answers,
seals and pages — and the definitions that say what is read from which material."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from flows.filing.schema import Filing
from flows.kinds import get_filing
from flows.kinds.c_self_recruiting import FILING as C
from flows.uploads.precheck.findings import check_material
from flows.uploads.precheck.reading import PageCheck, Reading, ReadValue, request_for

LICENCE = C.material("legal_person_proof")
RULES = C.material("service_rules")
OURS = {"unit_uscc": "91650100MA77TEB291", "unit_name": "乌鲁木齐春风物业服务有限公司"}


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def licence_reading(code: str, name: str, *, valid: bool = True) -> Reading:
    return Reading("done", values=(ReadValue("business_licence", "credit_code", code, 1, "左上部", 0.99, valid),
                                   ReadValue("business_licence", "unit_name", name, 1, "左上部", 0.98)),
                   pages=(PageCheck(1),), page_count=1)


def test_another_units_code_is_told_with_the_code_read_and_where() -> None:
    check = check_material(C, LICENCE, "done", licence_reading("9144030071526726XG", "深圳某某有限公司"), OURS, digest)
    code, name = check.findings
    assert code.ok is False and code.applicant == ("营业执照上的统一社会信用代码是 9144030071526726XG（第1页左上部），"
                                                   "与您账户登记的 91650100MA77TEB291 不一致，请核对。")
    assert not code.answer_editable  # the unit's own code comes from its account
    assert name.ok is False and "深圳某某有限公司" in name.officer


def test_a_misread_code_is_never_called_a_mismatch() -> None:
    check = check_material(C, LICENCE, "done", licence_reading("91650100MA77TEB292", OURS["unit_name"], valid=False),
                           OURS, digest)
    assert check.findings[0].ok is None and "未能清楚识别" in check.findings[0].officer
    assert check.problems == ()


def test_a_name_read_with_one_slip_is_taken_as_the_same_and_said_so() -> None:
    check = check_material(C, LICENCE, "done", licence_reading(OURS["unit_uscc"], "乌鲁木齐眷风物业服务有限公司"),
                           OURS, digest)
    assert [f.ok for f in check.findings] == [True, True]
    assert check.findings[0].officer == "代码一致" and "基本一致" in check.findings[1].officer


def test_an_id_number_is_compared_by_its_keyed_hash_and_shown_masked() -> None:
    a = get_filing("A")
    reading = Reading("done", values=(ReadValue("id_card", "id_number", "6501**********0015", 1, "下部", 0.99,
                                                digest=digest("650102198503150015")),
                                      ReadValue("id_card", "person_name", "赵立新", 1, "左上部", 0.99)))
    same = {"new_rep_id": "650102198503150015", "new_rep_name": "赵立新"}
    card = a.material("new_rep_id_card")
    assert [f.ok for f in check_material(a, card, "done", reading, same, digest).findings] == [True, True]
    other = check_material(a, card, "done", reading, {**same, "new_rep_id": "650103199001010013"}, digest)
    assert other.findings[0].ok is False and "6501**********0015" in other.findings[0].applicant
    assert other.findings[0].answer_editable  # a typed answer: the applicant may correct it


def test_a_rules_document_without_a_seal_and_with_a_blank_page_is_flagged() -> None:
    reading = Reading("done", pages=(PageCheck(1, seal=False), PageCheck(2, blank=True, seal=False),
                                     PageCheck(3, blurred=True, seal=False)), page_count=3)
    lines = [f.officer for f in check_material(C, RULES, "done", reading, OURS, digest).findings]
    assert lines == ["第2页为空白页", "第3页图像模糊", "未检测到公章"]
    sealed = Reading("done", pages=(PageCheck(1, seal=False), PageCheck(2, seal=True)), page_count=2)
    assert [f.officer for f in check_material(C, RULES, "done", sealed, OURS, digest).findings] == ["检测到公章"]


def test_a_file_still_being_read_or_not_read_says_so() -> None:
    assert check_material(C, LICENCE, "waiting", None, OURS, digest).pending
    failed = check_material(C, LICENCE, "failed", Reading.failure("自动核对超时"), OURS, digest)
    assert failed.state == "failed" and failed.note == "自动核对超时" and failed.problems == ()


def test_what_is_read_comes_from_the_material_definition() -> None:
    both = get_filing("B").material("licences")
    assert request_for(both, "pdf").papers == (("business_licence", ("credit_code", "unit_name")),
                                               ("security_licence", ("licence_number", "unit_name")))
    assert request_for(RULES, "jpeg").seal and not request_for(RULES, "jpeg").papers


def test_a_definition_comparing_with_an_unknown_question_fails_at_start() -> None:
    data = C.model_dump(mode="json")
    data["materials"].append({"id": "licence", "label": "营业执照", "reads": [
        {"paper": "business_licence", "compare": [["credit_code", "no_such_question"]]}]})
    with pytest.raises(ValidationError, match="no_such_question"):
        Filing.model_validate(data)
