"""Identifiers people type: unified social credit code, resident ID number, mobile phone.

Every check raises `FieldError` with a plain-Chinese message that names the position of
the problem, so the applicant can compare the paper document character by character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from flows.errors import FieldError

# Beijing time: Xinjiang's offices and the ID-card registry both use it.
_BEIJING = timezone(timedelta(hours=8))

# GB 32100-2015 character set: digits and capital letters except I, O, S, V, Z.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 11714 organisation code check character weights (characters 9-16 of the credit code).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SPACES = re.compile(r"\s+")

USCC_LENGTH = 18
RESIDENT_ID_LENGTH = 18


def _normalise(value: str, *, drop: str = "", upper: bool = True) -> str:
    """Fold full-width characters to ASCII, drop whitespace (and `drop`), uppercase (unless `upper` is False)."""
    text = unicodedata.normalize("NFKC", value)
    text = _SPACES.sub("", text)
    for char in drop:
        text = text.replace(char, "")
    return text.upper() if upper else text


def _org_char_value(char: str) -> int:
    """GB 11714 value of one character: digits 0-9, letters A-Z are 10-35."""
    if char.isdigit():
        return int(char)
    return ord(char) - ord("A") + 10


def organisation_check_char(body: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    total = sum(_org_char_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def check_uscc(value: str) -> str:
    """Return the normalised 18-character unified social credit code, or raise FieldError."""
    code = _normalise(value, drop="-")
    if not code:
        raise FieldError("请填写统一社会信用代码（18位，见营业执照或登记证书）。")
    if len(code) != USCC_LENGTH:
        raise FieldError(f"统一社会信用代码应为18位，您填写了{len(code)}位。请对照营业执照核对。")
    for index, char in enumerate(code):
        position = index + 1
        if 3 <= position <= 8 and not ("0" <= char <= "9"):
            raise FieldError(
                f"第{position}位应为数字（第3至8位是登记机关的行政区划代码），您填写的是“{char}”。"
            )
        if char not in _USCC_ALPHABET:
            raise FieldError(
                f"第{position}位“{char}”不是统一社会信用代码使用的字符：代码只含数字和大写字母，"
                "且不使用字母I、O、S、V、Z。请检查是否把数字1、0、5、2等看成了字母。"
            )
    expected_org = organisation_check_char(code[8:16])
    if code[16] != expected_org:
        raise FieldError(
            f"第17位校验码有误：按第9至16位计算应为“{expected_org}”，您填写的是“{code[16]}”。"
            "请逐位核对营业执照上的代码（第9至16位也可能有误）。"
        )
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise FieldError(
            f"第18位校验码有误：按前17位计算应为“{expected}”，您填写的是“{code[17]}”。"
            "请逐位核对营业执照上的代码。"
        )
    return code


@dataclass(frozen=True)
class ResidentId:
    """A checked resident ID number and what it encodes."""

    number: str
    birth_date: date
    sex: str  # "男" or "女"
    region_code: str

    def age_on(self, day: date) -> int:
        """Full years of age on `day`."""
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)


def region_code_known(code: str) -> bool:
    """Whether six digits are a county-level code of GB/T 2260, present or past.

    Data: python-stdnum's `cn/loc` database (offline; every code with the years it was in use). A code
    that has since been abolished still counts: people keep the number they were given.
    """
    found = dict(part for part in numdb.get("cn/loc").info(code))
    return len(code) == 6 and code.isdigit() and code[2:] in found and "county" in found[code[2:]]


def _today_in_beijing() -> date:
    return datetime.now(_BEIJING).date()


def check_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Check an 18-character resident ID number (GB 11643-1999) and decode it, or raise FieldError."""
    number = _normalise(value, drop="-")
    if not number:
        raise FieldError("请填写18位居民身份证号码。")
    if len(number) != RESIDENT_ID_LENGTH:
        hint = "如为旧版15位号码，请填写换发后的18位号码。" if len(number) == 15 else "请对照身份证核对。"
        raise FieldError(f"身份证号码应为18位，您填写了{len(number)}位。{hint}")
    for index, char in enumerate(number[:17]):
        if not ("0" <= char <= "9"):
            raise FieldError(f"身份证号码第{index + 1}位应为数字，您填写的是“{char}”。")
    if not ("0" <= number[17] <= "9" or number[17] == "X"):
        raise FieldError(f"身份证号码第18位应为数字或字母X，您填写的是“{number[17]}”。")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        birth = None
    if birth is None or birth.year < 1900:
        raise FieldError(f"身份证号码第7至14位是出生日期，“{number[6:14]}”不是有效的日期。请核对。")
    today = today or _today_in_beijing()
    if birth > today:
        raise FieldError(
            f"出生日期不能晚于今天：身份证号码第7至14位为{birth.year}年{birth.month}月{birth.day}日。请核对。"
        )
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise FieldError(
            f"身份证号码第18位校验码有误：按前17位计算应为“{expected}”，您填写的是“{number[17]}”。"
            "请逐位核对身份证上的号码。"
        )
    if not region_code_known(number[:6]):
        raise FieldError(
            f"身份证号码前6位“{number[:6]}”不是有效的行政区划代码（应为身份证签发地的县级代码）。请逐位核对。"
        )
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return ResidentId(number=number, birth_date=birth, sex=sex, region_code=number[:6])


def check_mobile(value: str) -> str:
    """Return an 11-digit mainland mobile number (spaces, dashes and +86 removed), or raise FieldError."""
    mobile = _normalise(value, drop="-", upper=False)  # a letter typed by mistake is quoted as typed
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    if not mobile:
        raise FieldError("请填写11位手机号码。")
    for index, char in enumerate(mobile):
        if not ("0" <= char <= "9"):
            raise FieldError(f"手机号码只能填写数字，第{index + 1}位是“{char}”。")
    if len(mobile) != 11:
        raise FieldError(f"手机号码应为11位数字，您填写了{len(mobile)}位。")
    if mobile[0] != "1":
        raise FieldError("手机号码应以数字1开头。如填写的是座机号码，请改填手机号码。")
    return mobile


def _mask(text: str, keep_start: int, keep_end: int) -> str:
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    hidden = len(text) - keep_start - keep_end
    return text[:keep_start] + "*" * hidden + text[len(text) - keep_end :]


def mask_id(number: str) -> str:
    """Hide an ID number except its first 4 and last 4 characters: "1101**********002X"."""
    return _mask(number, 4, 4)


def mask_mobile(mobile: str) -> str:
    """Hide the middle of a mobile number: "138****5678"."""
    return _mask(mobile, 3, 4)
