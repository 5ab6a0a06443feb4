"""单位核验 at the counter, as the county officer clicks it: the unit's name corrected from its licence while
verifying it; the unit's own page says where a wrong name is corrected."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from store.accounts import get_account, register_applicant
from tests.app.conftest import open_page, texts
from tests.support import World, make_registration

NEW_NAME = "乌鲁木齐更名后物业服务有限公司"


def _fill(at: AppTest, label: str, value: str) -> None:
    next(t for t in at.text_input if t.label == label).input(value)


def _tick(at: AppTest, label_start: str) -> None:
    next(c for c in at.checkbox if c.label.startswith(label_start)).check()


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_the_county_corrects_a_units_name_while_verifying_it(app_world: World) -> None:
    applicant = register_applicant(app_world.engine, make_registration())  # registered by 乌鲁木齐市's authority
    assert applicant.credit_code and applicant.unit_name
    at = open_page("pages/units.py", app_world.county)
    _fill(at, "统一社会信用代码（18位，以营业执照为准）", applicant.credit_code)
    at = _click(at, "查询")
    assert applicant.unit_name in texts(at)
    name = next(t for t in at.text_input if t.key == "v_name")
    assert name.value == applicant.unit_name  # the registered name, to be corrected where it differs
    name.input(NEW_NAME)
    _tick(at, "已核对营业执照")
    _tick(at, "已核对法定代表人")
    at = _click(at, "核验通过")
    assert not at.exception
    shown = texts(at)
    assert "单位名称已按营业执照更正" in shown and NEW_NAME in [s.value for s in at.subheader]
    assert "更正单位名称" in [b.label for b in at.button]  # verified now: the form only corrects the name
    account = get_account(app_world.engine, applicant.user_id)
    assert account is not None and account.unit_name == NEW_NAME and account.unit_verified
    own = open_page("pages/unit_accounts.py", account)
    assert NEW_NAME in texts(own) and "窗口核验更正" in texts(own)
