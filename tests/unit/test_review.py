"""The review state machine: every allowed act leads where the table says; everything else is refused in Chinese."""

from __future__ import annotations

import itertools

import pytest

from flows.errors import ActRefused
from flows.filing.schema import Route
from flows.review.transitions import (
    ALL_ROUTES,
    APPLICANT_VIEWS,
    TRANSITIONS,
    Act,
    Actor,
    CaseAt,
    Role,
    Stage,
    available_acts,
    decide,
    holder_of,
    in_jurisdiction,
)

A_ROUTE = Route(county_confirm=False, province_approval=True)
C_ROUTE = Route(county_confirm=True, province_approval=False)
ACTORS = {
    Role.APPLICANT: Actor(user_id=1, role=Role.APPLICANT, unit_id=7),
    Role.COUNTY: Actor(user_id=2, role=Role.COUNTY, region_code="650102"),
    Role.PREFECTURE: Actor(user_id=3, role=Role.PREFECTURE, region_code="650100"),
    Role.PROVINCE: Actor(user_id=4, role=Role.PROVINCE, region_code="650000"),
    Role.ADMIN: Actor(user_id=5, role=Role.ADMIN, region_code="650000"),
    Role.AUDITOR: Actor(user_id=6, role=Role.AUDITOR, region_code="650000"),  # acts on nothing
}


def case_at(stage: Stage, route: Route) -> CaseAt:
    return CaseAt(stage=stage, route=route, unit_id=7, prefecture_code="650100",
                  county_code="650102" if route.county_confirm else None)


def expected(route: Route, stage: Stage, act: Act, role: Role) -> Stage | None:
    for t in TRANSITIONS:
        if t.route.holds(route) and t.source == stage and t.act == act and t.role == role:
            return t.target
    return None


CASES = list(itertools.product((A_ROUTE, C_ROUTE), Stage, Act, Role))


@pytest.mark.parametrize(("route", "stage", "act", "role"), CASES,
                         ids=[f"{'A' if r.province_approval else 'C'}-{s}-{a}-{o}" for r, s, a, o in CASES])
def test_every_act_at_every_stage_for_every_role_is_allowed_or_refused_in_chinese(
        route: Route, stage: Stage, act: Act, role: Role) -> None:
    target = expected(route, stage, act, role)
    case = case_at(stage, route)
    if role == Role.COUNTY and not route.county_confirm:
        assert not in_jurisdiction(ACTORS[role], case)  # no county on a kind-A case
    if target is not None:
        assert decide(ACTORS[role], case, act) == target
        assert act in available_acts(ACTORS[role], case)
    else:
        with pytest.raises(ActRefused) as refused:
            decide(ACTORS[role], case, act)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)
        assert act not in available_acts(ACTORS[role], case)


def test_kind_a_has_no_county_confirmation_and_kind_c_no_province_approval() -> None:
    with pytest.raises(ActRefused, match="没有“确认”环节"):
        decide(ACTORS[Role.PREFECTURE], case_at(Stage.PREFECTURE_ACCEPT, A_ROUTE), Act.CONFIRM)
    with pytest.raises(ActRefused, match="没有“上报审核意见”环节"):
        decide(ACTORS[Role.PREFECTURE], case_at(Stage.PREFECTURE_REVIEW, C_ROUTE), Act.REPORT)


def test_a_county_officer_cannot_act_on_another_county() -> None:
    other = Actor(user_id=9, role=Role.COUNTY, region_code="650103")
    with pytest.raises(ActRefused, match="管辖范围"):
        decide(other, case_at(Stage.COUNTY_CONFIRM, C_ROUTE), Act.CONFIRM)


def test_the_applicant_may_withdraw_only_before_acceptance() -> None:
    applicant = ACTORS[Role.APPLICANT]
    assert decide(applicant, case_at(Stage.COUNTY_CONFIRM, C_ROUTE), Act.WITHDRAW) == Stage.WITHDRAWN
    assert decide(applicant, case_at(Stage.PREFECTURE_ACCEPT, C_ROUTE), Act.WITHDRAW) == Stage.WITHDRAWN
    with pytest.raises(ActRefused):
        decide(applicant, case_at(Stage.PREFECTURE_REVIEW, C_ROUTE), Act.WITHDRAW)


def test_the_table_is_unambiguous_on_every_route() -> None:
    for route in ALL_ROUTES:
        keys = [(t.act, t.source) for t in TRANSITIONS if t.route.holds(route)]
        assert len(keys) == len(set(keys))


def test_every_open_stage_has_a_holder_and_final_stages_none() -> None:
    assert holder_of(Stage.COUNTY_CONFIRM) == Role.COUNTY
    assert holder_of(Stage.PROVINCE_REVIEW) == Role.PROVINCE
    assert holder_of(Stage.RETURNED) == Role.APPLICANT
    assert holder_of(Stage.APPROVED) is None


def test_the_applicants_narrow_views_split_every_stage_exactly_once() -> None:
    narrow = [APPLICANT_VIEWS[k] for k in ("待我处理", "办理中", "已办结")]
    assert sum(len(v) for v in narrow) == len(Stage) == len(APPLICANT_VIEWS["全部"])
    assert frozenset().union(*narrow) == frozenset(Stage)
    assert Stage.RETURNED in APPLICANT_VIEWS["待我处理"] and Stage.COUNTY_CONFIRM in APPLICANT_VIEWS["办理中"]
