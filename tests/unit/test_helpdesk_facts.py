"""The assistant's question box answers from the product's own facts first: which office and phone
(the regions and the configuration), what status and deadline (the applicant's own case); the rest
from the instructions, with the passage cited; "don't know, call …" when nothing fits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from flows.config import get_config
from flows.filing.helpdesk_facts import CaseFacts, get_assistant_helpdesk, place_in
from flows.kinds import get_filing
from flows.review.timelimits import limit_summary

SUBMITTED = CaseFacts(number="C20261203000049", stage="待县级公安机关确认", holder="乌鲁木齐市公安局天山区分局",
                      due=date(2026, 12, 11))


def ask(question: str, *, kind: str | None = "C", region: str | None = None, facts: CaseFacts | None = None) -> str:
    return get_assistant_helpdesk().answer(question, kind=kind, region_code=region, facts=facts).text


def test_a_company_in_altay_asking_which_police_bureau_gets_altays_organ_and_phone() -> None:
    contact = get_config().contact_for("654300")
    text = ask("我们公司在阿勒泰，应该找哪个公安局？")
    assert "阿勒泰地区" in text
    assert f"{contact.name} {contact.phone}" in text
    assert "0991-2310110" not in text  # not Urumqi's


def test_a_county_named_with_its_prefecture_names_the_county_bureau_that_confirms() -> None:
    text = ask("我们在乌鲁木齐市天山区，找谁确认？")
    assert "乌鲁木齐市天山区" in text
    assert get_config().organ_for("650102") in text and "确认" in text
    assert get_config().contact_for("650100").phone in text


def test_a_legal_representative_change_goes_to_the_prefecture_then_the_province() -> None:
    text = ask("伊犁的公司应该向哪个部门申请？", kind="A")
    config = get_config()
    assert config.organ_for("654000") in text and f"报{config.department}审批（{config.corps}承办）" in text
    assert "县（市、区）" not in text  # kind A has no county confirmation


def test_the_phone_without_a_place_is_the_one_of_the_cases_own_region() -> None:
    assert get_config().contact_for("650100").phone in ask("咨询电话是多少？", region="650102")


def test_an_office_question_without_any_place_asks_where_and_gives_the_provincial_number() -> None:
    text = ask("应该找哪个公安局？")
    assert "哪个州、市、地" in text and get_config().contacts["province"].phone in text


@pytest.mark.parametrize("question", ["我的申请到哪一步了？", "什么时候能办好", "审核进度怎么样了"])
def test_status_questions_get_the_applicants_own_case_and_due_date(question: str) -> None:
    text = ask(question, facts=SUBMITTED)
    assert "C20261203000049" in text and "待县级公安机关确认" in text and "2026年12月11日" in text


def test_a_due_date_in_a_year_not_yet_official_is_said_to_be_estimated() -> None:
    text = ask("什么时候能办好", facts=replace(SUBMITTED, due=date(2027, 1, 8), due_estimated=True))
    assert "办结期限：2027年1月8日（预计）。" in text
    assert "（预计）" not in ask("什么时候能办好", facts=SUBMITTED)


def test_a_status_question_before_submitting_says_it_is_not_submitted_yet_and_the_routes_limits() -> None:
    limit = limit_summary(get_filing("A").route)
    text = ask("我的申请到哪一步了？", kind="A",
               facts=CaseFacts(number=None, stage="填写中（未提交）", holder="本单位", time_limit=limit))
    assert "还没有提交" in text and limit in text and "公安厅" in text


def test_other_questions_still_quote_the_instructions_with_their_source() -> None:
    text = ask("需要盖章吗？", facts=SUBMITTED)
    assert text.startswith("根据《自行招用保安员单位备案网上操作须知》") and "公章" in text


def test_nothing_that_fits_gets_i_dont_know_and_whom_to_call() -> None:
    text = ask("今天天气怎么样", region="654300", facts=SUBMITTED)
    assert text.startswith("抱歉") and get_config().contact_for("654300").phone in text


@pytest.mark.parametrize(("question", "name"), [("阿勒泰", "阿勒泰地区"), ("阿勒泰市的单位", "阿勒泰市"),
                                                ("乌鲁木齐天山", "天山区"), ("昌吉", "昌吉回族自治州"),
                                                ("巴音郭楞", "巴音郭楞蒙古自治州")])
def test_places_are_found_by_full_or_short_name(question: str, name: str) -> None:
    found = place_in(question)
    assert found is not None and found.name == name
