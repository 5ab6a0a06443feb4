"""Who holds a case: the organ acting at its stage, by the name it signs with, or the applicant unit.

One wording for every page: the officer's case page and the applicant's own pages both say which organ has
the case; they differ only in how they name the applicant (the unit's name for an officer, 本单位 for the
unit itself)."""

from __future__ import annotations

from flows.config import get_config
from flows.errors import FieldError
from flows.ports import CaseView
from flows.review.transitions import Role, holder_of

FINISHED = "已办结"
# When the region file names no organ for a code, the level's generic name.
GENERIC = {Role.COUNTY: "县级公安机关", Role.PREFECTURE: "州、市、地公安机关", Role.ADMIN: "系统管理员"}


def _organ_named(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return get_config().organ_for(code)
    except (KeyError, FieldError):  # a code the region file does not know
        return None


def organ_of(role: Role, case: CaseView) -> str:
    """The organ (or the applicant unit) acting in a role on this case."""
    if role == Role.APPLICANT:
        return "申请单位"
    if role == Role.PROVINCE:
        return get_config().department
    code = {Role.COUNTY: case.county_code, Role.PREFECTURE: case.prefecture_code}.get(role)
    return _organ_named(code) or GENERIC.get(role, "系统管理员")


def holder_text(case: CaseView, *, to_applicant: bool) -> str:
    """Who holds the case now: 已办结 when it has ended, else the organ by name or the applicant unit
    (“本单位（待您处理）” on the unit's own pages, “申请单位（name）” on an officer's)."""
    role = holder_of(case.stage)
    if role is None:
        return FINISHED
    if role == Role.APPLICANT:
        return "本单位（待您处理）" if to_applicant else f"申请单位（{case.unit_name}）"
    return organ_of(role, case)
