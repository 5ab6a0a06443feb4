"""Each officer act comes with a short checklist of what the officer confirms, from the filing's own definition."""

from __future__ import annotations

import pytest

from flows.checklists import act_checklist
from flows.kinds import all_filings, get_filing
from flows.review import Act

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
