"""Registration input: each field checked on its own, so the assistant can ask one at a time.

The password is not one of these fields: it is asked only after the mobile number is proven by an SMS code
(flows/identity/registration.py), and never kept in the registration draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from flows.errors import FieldError
from flows.filing.identifiers import check_mobile, check_uscc
from flows.identity.units import contact_name, unit_name


@dataclass(frozen=True)
class RegistrationField:
    id: str
    label: str
    hint: str
    check: Callable[[str], str]


REGISTRATION_FIELDS: tuple[RegistrationField, ...] = (
    RegistrationField("unit_name", "单位名称", "与营业执照或登记证书上的名称一致", unit_name),
    RegistrationField("credit_code", "统一社会信用代码", "18位，见营业执照", check_uscc),
    RegistrationField("contact", "联系人姓名", "办理本业务的经办人", contact_name),
    RegistrationField("mobile", "联系人手机号码", "用于登录、接收短信验证码和办理进度通知", check_mobile),
)
# Joining a unit by invitation: the unit is known from the invitation.
INVITED_FIELDS: tuple[RegistrationField, ...] = tuple(f for f in REGISTRATION_FIELDS if f.id in ("contact", "mobile"))


class Registration(BaseModel):
    """A complete, checked registration (the demo seed and test builders make accounts from one)."""

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
