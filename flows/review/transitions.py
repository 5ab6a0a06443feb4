"""How a case moves: stages, acts, who may do which act where. One declared table.

The table is checked at import: no act may lead two ways from one stage for one route.
`decide()` is the only door: it returns the target stage or raises `ActRefused` with a
plain-Chinese reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.errors import ActRefused
from flows.filing.schema import Route


class Stage(StrEnum):
    DRAFT = "draft"
    COUNTY_CONFIRM = "county_confirm"
    PREFECTURE_ACCEPT = "prefecture_accept"
    PREFECTURE_REVIEW = "prefecture_review"
    PROVINCE_ACCEPT = "province_accept"
    PROVINCE_REVIEW = "province_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STAGE_LABELS: dict[Stage, str] = {
    Stage.DRAFT: "填写中（未提交）",
    Stage.COUNTY_CONFIRM: "待县级公安机关确认",
    Stage.PREFECTURE_ACCEPT: "待州、市、地公安机关受理",
    Stage.PREFECTURE_REVIEW: "州、市、地公安机关审核中",
    Stage.PROVINCE_ACCEPT: "待公安厅受理",
    Stage.PROVINCE_REVIEW: "公安厅审批中",
    Stage.RETURNED: "已退回，待补正",
    Stage.APPROVED: "已办结（通过）",
    Stage.REJECTED: "已办结（不予通过）",
    Stage.WITHDRAWN: "已撤回",
}

FINAL_STAGES = frozenset({Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN})


class Role(StrEnum):
    APPLICANT = "applicant"
    COUNTY = "county"
    PREFECTURE = "prefecture"
    PROVINCE = "province"
    ADMIN = "admin"
    AUDITOR = "auditor"  # the security auditor: reads the audit log, nothing else (GB/T 22239 三权分立)


ROLE_LABELS: dict[Role, str] = {
    Role.APPLICANT: "申请单位",
    Role.COUNTY: "县级公安机关",
    Role.PREFECTURE: "州、市、地公安机关",
    Role.PROVINCE: "公安厅治安管理总队",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "安全审计员",
}

OFFICER_ROLES = frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE})


class Act(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    CONFIRM = "confirm"
    ACCEPT = "accept"
    RETURN = "return"
    RESUBMIT = "resubmit"
    REPORT = "report"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN_TO_PREFECTURE = "return_to_prefecture"


# What the applicant is told of an act: the stage it moved to, never an opinion. Only these acts' comments
# are addressed to the applicant (the reasons of a return or a refusal, the applicant's own withdrawal);
# every other comment (a report's opinion to the province, a return to the prefecture) is internal.
COMMENT_TO_APPLICANT = frozenset({Act.RETURN, Act.REJECT, Act.WITHDRAW})

ACT_LABELS: dict[Act, str] = {
    Act.SUBMIT: "提交申请",
    Act.WITHDRAW: "撤回申请",
    Act.CONFIRM: "确认",
    Act.ACCEPT: "受理",
    Act.RETURN: "退回补正",
    Act.RESUBMIT: "补正后重新提交",
    Act.REPORT: "上报审核意见",
    Act.APPROVE: "通过",
    Act.REJECT: "不予通过",
    Act.RETURN_TO_PREFECTURE: "退回州、市、地公安机关",
}


def stage_label(stage: Stage, refusal_verb: str = "") -> str:
    """The stage's name; a refused filing (B, C, D) is 已办结（不予备案）, as its decision's title says."""
    if stage == Stage.REJECTED and refusal_verb:
        return f"已办结（{refusal_verb}）"
    return STAGE_LABELS[stage]


def act_label(act: Act, refusal_verb: str = "", *, to_applicant: bool = False) -> str:
    """The act's name: a filing is refused as 不予备案, an approval as 不予通过 (its decision's title);
    `to_applicant`: as the applicant reads it (报送公安厅 rather than 报送)."""
    if act == Act.REJECT and refusal_verb:
        return refusal_verb
    return (APPLICANT_ACT_LABELS if to_applicant else ACT_LABELS)[act]


APPLICANT_ACT_LABELS: dict[Act, str] = {
    **ACT_LABELS,
    Act.REPORT: "报送公安厅",
    Act.RETURN_TO_PREFECTURE: "转回州、市、地公安机关",
}


def comment_for_applicant(act: Act, comment: str) -> str:
    """The part of an act's comment the applicant may read ("" for officers' opinions)."""
    return comment if act in COMMENT_TO_APPLICANT else ""


class RouteIf(StrEnum):
    """Which routes a transition exists on."""

    ANY = "any"
    COUNTY = "county"  # route has county confirmation
    NO_COUNTY = "no_county"
    PROVINCE = "province"  # route ends with provincial approval
    NO_PROVINCE = "no_province"

    def holds(self, route: Route) -> bool:
        return {
            RouteIf.ANY: True,
            RouteIf.COUNTY: route.county_confirm,
            RouteIf.NO_COUNTY: not route.county_confirm,
            RouteIf.PROVINCE: route.province_approval,
            RouteIf.NO_PROVINCE: not route.province_approval,
        }[self]


@dataclass(frozen=True)
class Transition:
    act: Act
    source: Stage
    target: Stage
    role: Role
    route: RouteIf = RouteIf.ANY


T = Transition
_BEFORE_ACCEPTANCE = (Stage.COUNTY_CONFIRM, Stage.PREFECTURE_ACCEPT)

TRANSITIONS: tuple[Transition, ...] = (
    T(Act.SUBMIT, Stage.DRAFT, Stage.COUNTY_CONFIRM, Role.APPLICANT, RouteIf.COUNTY),
    T(Act.SUBMIT, Stage.DRAFT, Stage.PREFECTURE_ACCEPT, Role.APPLICANT, RouteIf.NO_COUNTY),
    T(Act.RESUBMIT, Stage.RETURNED, Stage.COUNTY_CONFIRM, Role.APPLICANT, RouteIf.COUNTY),
    T(Act.RESUBMIT, Stage.RETURNED, Stage.PREFECTURE_ACCEPT, Role.APPLICANT, RouteIf.NO_COUNTY),
    *(T(Act.WITHDRAW, s, Stage.WITHDRAWN, Role.APPLICANT) for s in (*_BEFORE_ACCEPTANCE, Stage.RETURNED)),
    T(Act.CONFIRM, Stage.COUNTY_CONFIRM, Stage.PREFECTURE_ACCEPT, Role.COUNTY, RouteIf.COUNTY),
    T(Act.RETURN, Stage.COUNTY_CONFIRM, Stage.RETURNED, Role.COUNTY, RouteIf.COUNTY),
    T(Act.ACCEPT, Stage.PREFECTURE_ACCEPT, Stage.PREFECTURE_REVIEW, Role.PREFECTURE),
    T(Act.RETURN, Stage.PREFECTURE_ACCEPT, Stage.RETURNED, Role.PREFECTURE),
    T(Act.RETURN, Stage.PREFECTURE_REVIEW, Stage.RETURNED, Role.PREFECTURE),
    # Where the province decides (kind A), the prefecture returns to the applicant or reports its opinion,
    # which may be negative: only the province may refuse (《办法》第三条).
    T(Act.REJECT, Stage.PREFECTURE_REVIEW, Stage.REJECTED, Role.PREFECTURE, RouteIf.NO_PROVINCE),
    T(Act.APPROVE, Stage.PREFECTURE_REVIEW, Stage.APPROVED, Role.PREFECTURE, RouteIf.NO_PROVINCE),
    T(Act.REPORT, Stage.PREFECTURE_REVIEW, Stage.PROVINCE_ACCEPT, Role.PREFECTURE, RouteIf.PROVINCE),
    T(Act.ACCEPT, Stage.PROVINCE_ACCEPT, Stage.PROVINCE_REVIEW, Role.PROVINCE, RouteIf.PROVINCE),
    *(T(Act.RETURN_TO_PREFECTURE, s, Stage.PREFECTURE_REVIEW, Role.PROVINCE, RouteIf.PROVINCE)
      for s in (Stage.PROVINCE_ACCEPT, Stage.PROVINCE_REVIEW)),
    T(Act.REJECT, Stage.PROVINCE_REVIEW, Stage.REJECTED, Role.PROVINCE, RouteIf.PROVINCE),
    T(Act.APPROVE, Stage.PROVINCE_REVIEW, Stage.APPROVED, Role.PROVINCE, RouteIf.PROVINCE),
)

ALL_ROUTES = tuple(Route(county_confirm=c, province_approval=p) for c in (True, False) for p in (True, False))


def _check_table() -> None:
    for route in ALL_ROUTES:
        seen: dict[tuple[Act, Stage], Transition] = {}
        for t in TRANSITIONS:
            if not t.route.holds(route):
                continue
            key = (t.act, t.source)
            if key in seen:
                raise ValueError(f"ambiguous transition {key} on route {route}")
            seen[key] = t
    for t in TRANSITIONS:
        if t.source in FINAL_STAGES:
            raise ValueError(f"{t} leaves a final stage")


_check_table()


@dataclass(frozen=True)
class Actor:
    """Who acts: role, the region they answer for (county/prefecture code), their unit if applicant."""

    user_id: int
    role: Role
    region_code: str | None = None
    unit_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class CaseAt:
    """What the table needs to know about a case."""

    stage: Stage
    route: Route
    unit_id: int
    prefecture_code: str
    county_code: str | None


def in_jurisdiction(actor: Actor, case: CaseAt) -> bool:
    """May this person see the case at all (own unit, own county, own prefecture, or the province)?"""
    if actor.role == Role.APPLICANT:
        return actor.unit_id is not None and actor.unit_id == case.unit_id
    if actor.role == Role.COUNTY:
        return case.county_code is not None and case.county_code == actor.region_code
    if actor.role == Role.PREFECTURE:
        return case.prefecture_code == actor.region_code
    return actor.role == Role.PROVINCE


def available_acts(actor: Actor, case: CaseAt) -> list[Act]:
    """The acts this person may do on this case now, in table order."""
    if not in_jurisdiction(actor, case):
        return []
    return [t.act for t in TRANSITIONS
            if t.source == case.stage and t.role == actor.role and t.route.holds(case.route)]


def decide(actor: Actor, case: CaseAt, act: Act) -> Stage:
    """The stage the act leads to, or ActRefused saying why not."""
    if not in_jurisdiction(actor, case):
        raise ActRefused("该办件不在您的管辖范围内，无权办理。")
    candidates = [t for t in TRANSITIONS if t.act == act and t.route.holds(case.route)]
    if not candidates:
        raise ActRefused(f"此类业务没有“{ACT_LABELS[act]}”环节。")
    at_stage = [t for t in candidates if t.source == case.stage]
    if not at_stage:
        raise ActRefused(f"办件当前状态为“{STAGE_LABELS[case.stage]}”，不能“{ACT_LABELS[act]}”。")
    for t in at_stage:
        if t.role == actor.role:
            return t.target
    holder = ROLE_LABELS[at_stage[0].role]
    raise ActRefused(f"“{ACT_LABELS[act]}”应由{holder}办理，您的身份是{ROLE_LABELS[actor.role]}。")


def holder_of(stage: Stage) -> Role | None:
    """Whose move it is at a stage (None when the case has ended)."""
    if stage in (Stage.DRAFT, Stage.RETURNED):
        return Role.APPLICANT
    if stage == Stage.COUNTY_CONFIRM:
        return Role.COUNTY
    if stage in (Stage.PREFECTURE_ACCEPT, Stage.PREFECTURE_REVIEW):
        return Role.PREFECTURE
    if stage in (Stage.PROVINCE_ACCEPT, Stage.PROVINCE_REVIEW):
        return Role.PROVINCE
    return None


# How an applicant's case list can be narrowed: all, waiting on the applicant, with the police, ended.
APPLICANT_VIEWS: dict[str, frozenset[Stage]] = {
    "全部": frozenset(Stage),
    "待我处理": frozenset(s for s in Stage if holder_of(s) == Role.APPLICANT),
    "办理中": frozenset(s for s in Stage if s not in FINAL_STAGES and holder_of(s) != Role.APPLICANT),
    "已办结": FINAL_STAGES,
}
