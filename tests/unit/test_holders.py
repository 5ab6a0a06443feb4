"""Who holds a case, in the words both the officer's and the applicant's pages show."""

from __future__ import annotations

import pytest

from flows.config import get_config
from flows.ports import CaseView
from flows.review.holders import holder_text, organ_of
from flows.review.transitions import Role, Stage


def case(stage: Stage, *, prefecture: str | None = "650100", county: str | None = "650102") -> CaseView:
    return CaseView(id=1, number="X", kind="A", definition_version=1, stage=stage, version=1, unit_id=1,
                    applicant_user_id=1, unit_name="乌鲁木齐安盾保安服务有限公司", credit_code="x",
                    prefecture_code=prefecture, county_code=county)


def test_an_organ_is_named_as_it_signs_and_the_applicant_as_the_viewer_knows_it() -> None:
    config = get_config()
    assert holder_text(case(Stage.PREFECTURE_ACCEPT), to_applicant=True) == config.organ_for("650100")
    assert holder_text(case(Stage.COUNTY_CONFIRM), to_applicant=False) == config.organ_for("650102")
    assert holder_text(case(Stage.PROVINCE_REVIEW), to_applicant=True) == config.department
    assert holder_text(case(Stage.RETURNED), to_applicant=True) == "本单位（待您处理）"
    assert holder_text(case(Stage.RETURNED), to_applicant=False) == "申请单位（乌鲁木齐安盾保安服务有限公司）"


@pytest.mark.parametrize("stage", [Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN])
def test_an_ended_case_is_held_by_no_one(stage: Stage) -> None:
    assert holder_text(case(stage), to_applicant=True) == holder_text(case(stage), to_applicant=False) == "已办结"


def test_a_case_without_a_known_place_names_the_level() -> None:
    assert organ_of(Role.COUNTY, case(Stage.COUNTY_CONFIRM, county=None)) == "县级公安机关"
    assert organ_of(Role.PREFECTURE, case(Stage.PREFECTURE_ACCEPT, prefecture="659999")) == "州、市、地公安机关"
