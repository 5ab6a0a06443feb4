"""Registration input: each field checked on its own, so the assistant can ask one at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from flows.answers import clean_text
from flows.errors import FieldError
from flows.identifiers import check_mobile, check_uscc

MIN_PASSWORD = 8


def check_password(value: str) -> str:
    """At least 8 characters with both letters and digits; no spaces."""
    if len(value) < MIN_PASSWORD:
        raise FieldError(f"密码至少{MIN_PASSWORD}位，您输入了{len(value)}位。", field="password")
    if any(ch.isspace() for ch in value):
        raise FieldError("密码不能包含空格。", field="password")
    if not any(ch.isdigit() for ch in value) or not any(ch.isalpha() for ch in value):
        raise FieldError("密码须同时包含字母和数字。", field="password")
    if len(value) > 128:
        raise FieldError("密码过长，请不超过128位。", field="password")
    return value


def _unit_name(value: str) -> str:
    name = clean_text(value, max_length=80, label="单位名称")
    if len(name) < 2:
        raise FieldError("请填写营业执照或登记证书上的单位全称。")
    return name


def _contact(value: str) -> str:
    name = clean_text(value, max_length=30, label="联系人姓名")
    if not name:
        raise FieldError("请填写联系人姓名。")
    return name


@dataclass(frozen=True)
class RegistrationField:
    id: str
    label: str
    hint: str
    check: Callable[[str], str]
    secret: bool = False


REGISTRATION_FIELDS: tuple[RegistrationField, ...] = (
    RegistrationField("unit_name", "单位名称", "与营业执照或登记证书上的名称一致", _unit_name),
    RegistrationField("credit_code", "统一社会信用代码", "18位，见营业执照", check_uscc),
    RegistrationField("contact", "联系人姓名", "办理本业务的经办人", _contact),
    RegistrationField("mobile", "联系人手机号码", "用于登录和接收办理进度通知", check_mobile),
    RegistrationField("password", "登录密码", "至少8位，须同时包含字母和数字", check_password, secret=True),
)


class Registration(BaseModel):
    """A complete, checked registration."""

    model_config = ConfigDict(frozen=True)

    unit_name: str
    credit_code: str
    contact: str
    mobile: str
    password: str


def check_registration_field(field_id: str, value: str) -> str:
    """Check one registration field; FieldError names the field."""
    spec = next(f for f in REGISTRATION_FIELDS if f.id == field_id)
    try:
        return spec.check(value)
    except FieldError as error:
        error.field = field_id
        raise


def check_registration(values: dict[str, str]) -> Registration:
    """Check every field; the first problem raises."""
    return Registration(**{f.id: check_registration_field(f.id, values.get(f.id, "")) for f in REGISTRATION_FIELDS})
