"""What an applicant sees when typing credit codes, ID numbers and phone numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from stdnum.cn import ric

from flows.errors import FieldError
from flows.filing.identifiers import (
    check_mobile,
    check_resident_id,
    check_uscc,
    mask_id,
    mask_mobile,
    organisation_check_char,
)


def _refusal(func: Callable[[str], object], value: str) -> str:
    with pytest.raises(FieldError) as caught:
        func(value)
    return caught.value.message


@pytest.mark.parametrize("code", ["91110000600037341L", "9144030071526726XG"])
def test_well_known_credit_codes_are_accepted(code: str) -> None:
    assert check_uscc(code) == code


def test_credit_code_is_normalised_from_spaces_lowercase_and_full_width() -> None:
    assert check_uscc(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
    assert check_uscc("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"


def test_organisation_code_inside_well_known_credit_codes_checks_out() -> None:
    assert organisation_check_char("60003734") == "1"
    assert organisation_check_char("71526726") == "X"


def test_credit_code_of_wrong_length_says_how_many_characters_were_typed() -> None:
    message = _refusal(check_uscc, "9111000060003734")
    assert "应为18位" in message and "16位" in message


def test_credit_code_with_a_letter_o_names_its_position() -> None:
    message = _refusal(check_uscc, "91110000O00037341L")
    assert "第9位" in message and "O" in message


def test_credit_code_with_a_letter_in_the_region_part_names_its_position() -> None:
    message = _refusal(check_uscc, "911A0000600037341L")
    assert "第4位" in message and "数字" in message


def test_credit_code_with_wrong_organisation_check_character_names_position_17() -> None:
    message = _refusal(check_uscc, "91110000600037342L")
    assert "第17位" in message
    assert "应为“1”" in message and "“2”" in message


def test_credit_code_with_wrong_final_check_character_names_position_18_and_expected_value() -> None:
    message = _refusal(check_uscc, "91110000600037341X")
    assert message.startswith("第18位校验码有误：按前17位计算应为“L”，您填写的是“X”。")


def test_empty_credit_code_asks_for_it() -> None:
    assert "请填写" in _refusal(check_uscc, "  ")


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [("11010519491231002X", date(1949, 12, 31), "女"), ("44030419900307123X", date(1990, 3, 7), "男")],
)
def test_resident_id_gives_birth_date_sex_and_region(number: str, birth: date, sex: str) -> None:
    person = check_resident_id(number, today=date(2026, 11, 27))
    assert (person.number, person.birth_date, person.sex, person.region_code) == (
        number,
        birth,
        sex,
        number[:6],
    )


def test_resident_id_with_lowercase_x_is_accepted_and_normalised() -> None:
    assert check_resident_id("11010519491231002x").number == "11010519491231002X"


def test_resident_id_with_wrong_check_digit_names_position_18_and_expected_value() -> None:
    message = _refusal(check_resident_id, "110105194912310021")
    assert "第18位" in message and "应为“X”" in message and "“1”" in message


def test_resident_id_with_impossible_date_is_refused() -> None:
    message = _refusal(check_resident_id, "110105194913310020")
    assert "19491331" in message and "不是有效的日期" in message


def test_resident_id_born_in_the_future_is_refused() -> None:
    with pytest.raises(FieldError) as caught:
        check_resident_id("110105202701010011", today=date(2026, 11, 27))
    assert "出生日期不能晚于今天" in caught.value.message


def test_resident_id_born_today_is_accepted() -> None:
    first17 = "11010520261127001"
    number = first17 + ric.calc_check_digit(first17 + "0")
    assert check_resident_id(number, today=date(2026, 11, 27)).birth_date == date(2026, 11, 27)


def test_old_fifteen_digit_id_is_refused_with_a_hint_to_use_the_new_number() -> None:
    message = _refusal(check_resident_id, "110105491231002")
    assert "15位" in message and "18位" in message


def test_resident_id_with_a_letter_in_the_middle_names_its_position() -> None:
    assert "第3位" in _refusal(check_resident_id, "11A10519491231002X")


def test_mobile_with_spaces_and_dashes_is_accepted() -> None:
    assert check_mobile("138-1234 5678") == "13812345678"
    assert check_mobile("+86 138 1234 5678") == "13812345678"


def test_mobile_of_wrong_length_says_eleven_digits() -> None:
    assert "11位" in _refusal(check_mobile, "1381234567")


def test_landline_number_is_refused_as_a_mobile() -> None:
    assert "以数字1开头" in _refusal(check_mobile, "09915586122")


def test_mobile_with_letters_is_refused_quoting_the_letter_as_typed() -> None:
    assert "只能填写数字，第11位是“a”" in _refusal(check_mobile, "1381234567a")
    assert "第2位是“O”" in _refusal(check_mobile, "1O812345678")


def test_masked_id_keeps_first_four_and_last_four() -> None:
    assert mask_id("11010519491231002X") == "1101**********002X"


def test_masked_mobile_keeps_first_three_and_last_four() -> None:
    assert mask_mobile("13812345678") == "138****5678"
