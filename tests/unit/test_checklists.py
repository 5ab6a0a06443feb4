"""Each officer act comes with a short checklist of what the officer confirms, from the filing's own definition."""

from __future__ import annotations

import pytest

from flows.kinds import all_filings, get_filing
from flows.review.checklists import act_checklist
from flows.review.transitions import Act, Stage
from ui.guide_view import route_steps

OFFICER_ACTS = (Act.CONFIRM, Act.ACCEPT, Act.RETURN, Act.REPORT, Act.APPROVE, Act.REJECT, Act.RETURN_TO_PREFECTURE)


@pytest.mark.parametrize("kind", list(all_filings()))
@pytest.mark.parametrize("act", OFFICER_ACTS)
def test_every_officer_act_of_every_filing_has_a_checklist_worded_for_officers(kind: str, act: Act) -> None:
    points = act_checklist(get_filing(kind), act)
    assert points and all(p.endswith("。") for p in points)
    assert not any("您" in p for p in points)


def test_the_countys_confirmation_names_the_place_materials_and_roster_of_the_filing() -> None:
    filing = get_filing("C")
    text = "".join(act_checklist(filing, Act.CONFIRM))
    assert filing.question(filing.location_field).label in text and "法人资格证明" in text and "保安员名单" in text


def test_approving_a_screened_filing_asks_to_look_at_the_comparison() -> None:
    assert any("自动比对" in p for p in act_checklist(get_filing("A"), Act.APPROVE))
    assert not any("自动比对" in p for p in act_checklist(get_filing("C"), Act.APPROVE))


def test_a_refusal_is_named_as_the_kind_names_it() -> None:
    assert "不予备案是最终决定" in act_checklist(get_filing("C"), Act.REJECT)[0]
    assert "不予通过是最终决定" in act_checklist(get_filing("A"), Act.REJECT)[0]


def test_the_provinces_acceptance_of_kind_a_promises_no_second_acceptance_notice() -> None:
    prefecture = "".join(act_checklist(get_filing("A"), Act.ACCEPT, Stage.PREFECTURE_ACCEPT))
    province = "".join(act_checklist(get_filing("A"), Act.ACCEPT, Stage.PROVINCE_ACCEPT))
    assert "出具受理通知书" in prefecture
    assert "不再重复出具" in province and "受理后向申请单位出具受理通知书" not in province


def test_the_service_guide_names_who_decides_and_the_refusal_as_the_kind_names_it() -> None:
    assert any("公安厅受理、审批，由治安管理总队承办" in step for step in route_steps(get_filing("A")))
    assert any("不予备案" in step for step in route_steps(get_filing("C")))
    assert not any("不予通过" in step for step in route_steps(get_filing("C")))
