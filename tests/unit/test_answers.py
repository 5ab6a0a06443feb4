"""Free text: trimmed, normalised, refused with the field's name when too long or holding control characters."""

from __future__ import annotations

import pytest

from flows.errors import FieldError
from flows.filing import answers
from flows.filing.answers import clean_text


def test_text_is_trimmed_and_composed() -> None:
    assert clean_text("  e\u0301 ", max_length=5, label="说明") == "\u00e9"


def test_decomposed_text_within_the_limit_once_composed_is_accepted() -> None:
    assert clean_text("e\u0301" * 10, max_length=10, label="说明") == "\u00e9" * 10


@pytest.mark.parametrize("text", ["a\x00b", "a\u202eb", "a\x1bb"])
def test_control_and_direction_characters_are_refused(text: str) -> None:
    with pytest.raises(FieldError, match="“说明”中含有不可见的控制字符"):
        clean_text(text, max_length=50, label="说明")


@pytest.mark.parametrize(("text", "says"), [
    ("<script>alert(1)</script>乌鲁木齐测试物业有限公司", "“单位名称”中不能含有“<”"),
    ("<b>粗体</b>物业公司", "“单位名称”中不能含有“<”"),
    ("**粗**物业公司", "“单位名称”中不能含有“*”"),
    # An outside review registered this and it showed as a link on the officers' 单位核验 page.
    ("乌鲁木齐[请点此核验营业执照](https://phish.example.com/x)有限公司", "“单位名称”中不能含有“[”"),
    ("幸福物业🏠有限公司", "“单位名称”中含有表情符号“🏠”"),
    ("幸福物业☀有限公司", "“单位名称”中含有表情符号“☀”"),
])
def test_markup_and_emoji_never_reach_a_certificate_from_a_name_or_an_address(text: str, says: str) -> None:
    """Before: a unit registered as <script>…</script><b>粗体</b>… and an address with 🏠 were printed as typed on
    the 备案证明 and the public verification page."""
    with pytest.raises(FieldError) as refused:
        clean_text(text, max_length=80, label="单位名称", single_line=True)
    assert refused.value.message.startswith(says)


@pytest.mark.parametrize("text", ["乌鲁木齐市天山区春风路8号3#楼（南门）", "买买提·艾力", "𠮷野家（新疆）有限公司",
                                  "约2万㎡，A-3区/B区", "HT_2026_01", "contact@example.cn"])
def test_what_names_numbers_and_addresses_really_hold_is_accepted(text: str) -> None:
    assert clean_text(text, max_length=80, label="单位详细地址", single_line=True) == text


def test_a_long_text_keeps_its_numbered_list_and_comparison_signs_but_not_emoji() -> None:
    text = "❶东门设岗\n❷西门设岗，面积<1000平方米"
    assert clean_text(text, max_length=200, label="守护区域基本情况") == text
    with pytest.raises(FieldError, match="表情符号"):
        clean_text("东门设岗👮", max_length=200, label="守护区域基本情况")


def test_over_long_text_names_the_field_the_limit_and_the_length() -> None:
    with pytest.raises(FieldError, match="“单位名称”最多60个字，您输入了61个字"):
        clean_text("字" * 61, max_length=60, label="单位名称")


def test_megabytes_of_text_are_refused_before_any_per_character_work(monkeypatch: pytest.MonkeyPatch) -> None:
    class Watched:
        """unicodedata as flows.filing.answers sees it, failing if the text is normalised or scanned."""

        @staticmethod
        def normalize(*_args: object) -> str:
            raise AssertionError("the whole text was normalised before its length was checked")

        @staticmethod
        def category(*_args: object) -> str:
            raise AssertionError("the whole text was scanned before its length was checked")

    monkeypatch.setattr(answers, "unicodedata", Watched)  # only flows.filing.answers' name: pytest keeps the real one
    with pytest.raises(FieldError, match="您输入了20000000个字"):
        clean_text("\u0301" * 20_000_000, max_length=200, label="说明")


# ------------------------------------------------------------------ what the documents can print, names, lines
@pytest.mark.parametrize("typed", ["艾力•买买提", "艾力‧买买提", "艾力・买买提", "艾力･买买提", "艾力⋅买买提", "艾力∙买买提"])
def test_middle_dots_of_a_name_are_written_one_way(typed: str) -> None:
    assert clean_text(typed, max_length=30, label="姓名", single_line=True) == "艾力·买买提"


@pytest.mark.parametrize("typed", ["张三\n李四", "张三\r\n李四", "张三\u2028李四", "张\t三"])
def test_a_single_line_field_refuses_line_breaks(typed: str) -> None:
    with pytest.raises(FieldError, match="“姓名”只能填写一行"):
        clean_text(typed, max_length=30, label="姓名", single_line=True)


def test_a_long_text_keeps_its_lines() -> None:
    assert clean_text("第一行\n第二行", max_length=30, label="说明") == "第一行\n第二行"


@pytest.mark.parametrize("name", ["刘䶮", "𠮷野家", "王喆", "李堃"])
def test_rare_characters_the_fallback_fonts_print_are_accepted(name: str) -> None:
    assert clean_text(name, max_length=30, label="姓名", single_line=True) == name


@pytest.mark.parametrize(("name", "char"), [("ئەلى", "ئ"), ("ᠮᠣᠩᠭᠣᠯ", "ᠮ"), ("བཀྲ་ཤིས", "བ")])
def test_a_script_the_documents_cannot_print_is_refused_at_the_field(name: str, char: str) -> None:
    with pytest.raises(FieldError) as refused:
        clean_text(name, max_length=30, label="拟任法定代表人姓名", single_line=True)
    assert f"“拟任法定代表人姓名”中的“{char}”" in refused.value.message
    assert "无法在证明文书中打印" in refused.value.message and "汉字" in refused.value.message


def test_without_the_fallback_fonts_a_rare_character_is_refused_at_input(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.documents.fonts import FALLBACK_ENV

    monkeypatch.setenv(FALLBACK_ENV, "/nonexistent/HanaMinA.ttf")
    with pytest.raises(FieldError, match="“䶮”（U\\+4DAE）无法在证明文书中打印"):
        clean_text("刘䶮", max_length=30, label="姓名", single_line=True)


def test_a_branch_filed_under_its_head_offices_credit_code_is_refused_at_that_question() -> None:
    from datetime import date

    from flows.kinds import get_filing

    filing = get_filing("E")
    head = "91650102MA7ABCDE9T"  # a head office's code (the unit's own, filled in for it)
    question = filing.question("branch_uscc")
    with pytest.raises(FieldError, match="填写的是总公司的统一社会信用代码") as refused:
        answers.check_answer(question, head, today=date(2026, 12, 6), answers={"company_uscc": head})
    assert refused.value.field == "branch_uscc"
    own = filing.examples["branch_uscc"]
    assert own != head
    assert answers.check_answer(question, own, today=date(2026, 12, 6), answers={"company_uscc": head}).value == own


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_an_empty_date_asks_for_one_rather_than_calling_it_invalid(raw: object) -> None:
    with pytest.raises(FieldError) as refused:
        answers.parse_date(raw, "合同约定的服务开始日期")
    assert refused.value.message.startswith("请选择“合同约定的服务开始日期”")
    assert "不是有效日期" not in refused.value.message


def test_a_date_in_another_format_is_called_invalid_and_shown_how_to_write_it() -> None:
    with pytest.raises(FieldError) as refused:
        answers.parse_date("2026/13/01", "合同约定的服务开始日期")
    assert "不是有效日期" in refused.value.message and "2026-01-31" in refused.value.message
