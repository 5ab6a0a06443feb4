"""Free text: trimmed, normalised, refused with the field's name when too long or holding control characters."""

from __future__ import annotations

import pytest

from flows import answers
from flows.answers import clean_text
from flows.errors import FieldError


def test_text_is_trimmed_and_composed() -> None:
    assert clean_text("  e\u0301 ", max_length=5, label="说明") == "\u00e9"


def test_decomposed_text_within_the_limit_once_composed_is_accepted() -> None:
    assert clean_text("e\u0301" * 10, max_length=10, label="说明") == "\u00e9" * 10


@pytest.mark.parametrize("text", ["a\x00b", "a\u202eb", "a\x1bb"])
def test_control_and_direction_characters_are_refused(text: str) -> None:
    with pytest.raises(FieldError, match="“说明”中含有不可见的控制字符"):
        clean_text(text, max_length=50, label="说明")


def test_over_long_text_names_the_field_the_limit_and_the_length() -> None:
    with pytest.raises(FieldError, match="“单位名称”最多60个字，您输入了61个字"):
        clean_text("字" * 61, max_length=60, label="单位名称")


def test_megabytes_of_text_are_refused_before_any_per_character_work(monkeypatch: pytest.MonkeyPatch) -> None:
    class Watched:
        """unicodedata as flows.answers sees it, failing if the text is normalised or scanned."""

        @staticmethod
        def normalize(*_args: object) -> str:
            raise AssertionError("the whole text was normalised before its length was checked")

        @staticmethod
        def category(*_args: object) -> str:
            raise AssertionError("the whole text was scanned before its length was checked")

    monkeypatch.setattr(answers, "unicodedata", Watched)  # only flows.answers' name: pytest keeps the real one
    with pytest.raises(FieldError, match="您输入了20000000个字"):
        clean_text("\u0301" * 20_000_000, max_length=200, label="说明")
