"""Facts checked at input: ages, ID regions, a cross-province filing from this province, contract dates,
qualifying years, a guard's age, and the per-row warnings officers see."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from flows.errors import FieldError
from flows.filing.answers import check_answer, covered_days, describe_answer
from flows.filing.guide import filing_warnings, officer_warnings
from flows.filing.identifiers import check_resident_id
from flows.kinds import get_filing
from store.demo import demo_answers

TODAY = date(2026, 11, 27)


def resident_id(region: str, birth: str, serial: str = "001") -> str:
    first17 = region + birth + serial
    return first17 + ric.calc_check_digit(first17 + "0")


def test_an_id_number_whose_region_is_not_a_gb_t_2260_code_is_refused() -> None:
    with pytest.raises(FieldError, match="前6位“659999”不是有效的行政区划代码"):
        check_resident_id(resident_id("659999", "19800101"), today=TODAY)
    assert check_resident_id(resident_id("650102", "19800101"), today=TODAY).region_code == "650102"
    # A code since abolished still counts: people keep the number they were given.
    assert check_resident_id(resident_id("652201", "19700101"), today=TODAY).region_code == "652201"


def test_a_representative_under_18_is_refused() -> None:
    question = get_filing("A").question("new_rep_id")
    minor = resident_id("650102", "20081128")  # 17 on 2026-11-27, 18 the next day
    with pytest.raises(FieldError, match="未满18周岁。拟任法定代表人须年满18周岁"):
        check_answer(question, minor, today=TODAY)
    assert check_answer(question, minor, today=date(2026, 11, 28)).value == minor


def test_a_guard_under_18_is_refused_with_the_row_named_and_the_rule() -> None:
    """Before: a 16-year-old guard was only a warning, and a prefecture's approval printed a certificate for
    the roster. The 条例 (第十六条) sets the age: the row is refused at input, the day before the birthday too."""
    question = get_filing("C").question("guards")
    adult = {"name": "张伟", "id_number": resident_id("650102", "19900101"), "certificate_no": "新6501001",
             "mobile": "13899100001"}
    minor = resident_id("650102", "20081128")  # 17 on 2026-11-27, 18 the next day
    rows = [adult, {"name": "李小", "id_number": minor, "certificate_no": "", "mobile": "13899100002"}]
    with pytest.raises(FieldError) as refused:
        check_answer(question, rows, today=TODAY)
    assert refused.value.message == ("第2行：按身份证号码，此人于2008年11月28日出生，未满18周岁（保安员应当年满18周岁，"
                                     "《保安服务管理条例》第十六条），不能列入名单。请核对号码或删除该行。")
    assert [r["id_number"] for r in check_answer(question, rows, today=date(2026, 11, 28)).value] == [
        adult["id_number"], minor]


@pytest.mark.parametrize(("kind", "qid", "says"), [("C", "service_start", "开始保安服务的日期不能晚于今天"),
                                                  ("D", "stop_date", "停止保安服务的日期不能晚于今天")])
def test_a_service_start_or_stop_after_today_is_refused(kind: str, qid: str, says: str) -> None:
    """Before: a start date of 2030-01-01 went through to the 备案证明. Both filings follow the event."""
    question = get_filing(kind).question(qid)
    with pytest.raises(FieldError, match=says):
        check_answer(question, "2030-01-01", today=TODAY)
    with pytest.raises(FieldError, match=says):
        check_answer(question, "2026-11-28", today=TODAY)
    assert check_answer(question, "2026-11-27", today=TODAY).value == "2026-11-27"


def test_guards_without_certificate_are_warned_per_row_for_the_officer() -> None:
    filing = get_filing("C")
    answers = demo_answers("C", today=TODAY)
    answers["guards"] = [
        {"name": "张伟", "id_number": resident_id("650102", "19900101"), "certificate_no": "新6501001",
         "mobile": "13899100001"},
        {"name": "李小", "id_number": resident_id("650102", "20010101"), "certificate_no": "", "mobile": "13899100002"},
        {"name": "王五", "id_number": resident_id("650102", "19850101"), "certificate_no": "", "mobile": "13899100003"},
    ]
    checked = check_answer(filing.question("guards"), answers["guards"], today=TODAY)  # accepted: warnings only
    answers["guards"] = checked.value
    no_certificate = ("保安员名单：第2、3行未填写保安员证编号（保安从业单位直接从事保安服务的人员应当持有保安员证，"
                      "《公安机关实施保安服务管理条例办法》第二十四条）。")
    # The applicant's summary before submitting, and the officer's findings on the case page.
    for warnings in (filing_warnings(filing, answers, today=TODAY), officer_warnings(filing, answers, submitted_on=TODAY)):
        assert no_certificate in warnings
        assert not any("周岁" in warning for warning in warnings)


def test_a_cross_province_filing_by_a_company_of_this_province_is_refused() -> None:
    question = get_filing("B").question("home_province")
    with pytest.raises(FieldError, match="不属于跨省"):
        check_answer(question, "新疆维吾尔自治区", today=TODAY)
    assert check_answer(question, "河南省", today=TODAY).value == "河南省"


def test_a_contract_ending_before_it_starts_is_refused() -> None:
    question = get_filing("B").question("contract_end")
    with pytest.raises(FieldError, match="早于开始日期"):
        check_answer(question, "2026-12-01", today=TODAY, answers={"contract_start": "2027-01-01"})
    assert check_answer(question, "2027-12-31", today=TODAY, answers={"contract_start": "2027-01-01"}).value


def test_overlapping_periods_of_experience_count_once() -> None:
    assert covered_days([(date(2010, 1, 1), date(2014, 1, 1)), (date(2012, 1, 1), date(2016, 1, 1))]) == \
        (date(2016, 1, 1) - date(2010, 1, 1)).days
    question = get_filing("A").question("new_rep_history")
    rows = [{"start": "2018-01-01", "end": "2021-01-01", "employer": "甲", "post": "民警", "qualifying": True},
            {"start": "2018-01-01", "end": "2021-01-01", "employer": "乙", "post": "保安经理", "qualifying": True}]
    checked = check_answer(question, rows, today=TODAY)
    assert any("约3.0年，不足法定的5年" in w for w in checked.warnings)  # not 6 years


def test_work_history_rows_are_counted_as_periods_not_people() -> None:
    question = get_filing("A").question("new_rep_history")
    rows = demo_answers("A", today=TODAY)["new_rep_history"] * 2
    assert describe_answer(question, rows) == "共2段"
    assert describe_answer(get_filing("C").question("guards"), demo_answers("C", today=TODAY)["guards"]) == "共3人"


@pytest.mark.parametrize(("address", "printed"), [
    ("乌鲁木齐市天山区解放北路1号", "乌鲁木齐市天山区解放北路1号"),  # typed in full: not doubled
    ("天山区解放北路1号", "乌鲁木齐市天山区解放北路1号"),
    ("解放北路1号", "乌鲁木齐市天山区解放北路1号"),
    ("新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "新疆维吾尔自治区乌鲁木齐市天山区解放北路1号"),
])
def test_a_place_names_its_region_once(address: str, printed: str) -> None:
    from flows.documents.issuing import place

    assert place({"prefecture": "650100", "county": "650102"}, address) == printed


def test_one_id_number_for_two_people_of_different_names_is_refused() -> None:
    """Before: 法定代表人 刘芳 and 分管负责人 陈刚 were both given 650102198001010012, and no one was told."""
    question = get_filing("C").question("deputy_id")
    number = resident_id("650102", "19800101")
    answers = {"principal_name": "刘芳", "principal_id": number, "deputy_name": "陈刚"}
    with pytest.raises(FieldError) as refused:
        check_answer(question, number, today=TODAY, answers=answers)
    assert refused.value.field == "deputy_id"
    assert refused.value.message.startswith("此号码已作为“刘芳”的居民身份证号码填写，与姓名“陈刚”不一致")
    # One person holding both posts: the same name, accepted.
    same = {**answers, "deputy_name": "刘芳"}
    assert check_answer(question, number, today=TODAY, answers=same).value == number
