"""A unit's guards across its current filings, for an officer (台账 → 保安员名单): on the screen with ID
numbers and mobiles masked; exported to Excel in full, each export written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.errors import ActRefused
from flows.filing.identifiers import mask_id, mask_mobile
from flows.kinds import get_filing
from flows.oversight.ledger import region_name, to_xlsx
from flows.ports import UnitOfWork
from flows.review.transitions import OFFICER_ROLES, Actor, in_jurisdiction

ROSTER = "guards"  # the roster question of the filings that send or employ guards
COLUMNS = ("序号", "姓名", "居民身份证号码", "保安员证编号", "手机号码", "备案业务", "办件编号", "地区")


@dataclass(frozen=True)
class Guard:
    name: str
    id_number: str
    certificate_no: str
    mobile: str
    kind_title: str
    case_number: str
    region: str


def unit_guards(uow: UnitOfWork, actor: Actor, credit_code: str) -> list[Guard]:
    """Every guard on the unit's current filings that lie in the officer's jurisdiction (officers only)."""
    if actor.role not in OFFICER_ROLES:
        raise ActRefused("只有公安机关审核人员可以查看保安员名单。")
    with uow:
        return _guards(uow, actor, credit_code)


def _guards(uow: UnitOfWork, actor: Actor, credit_code: str) -> list[Guard]:
    found = []
    for roster in uow.filed_rosters(credit_code.strip().upper(), ROSTER):
        case = roster.case
        filing = get_filing(case.kind)
        if not in_jurisdiction(actor, case.at(filing.route)):
            continue
        region = region_name(case.prefecture_code or "", case.county_code)
        for row in roster.rows:
            found.append(Guard(name=_text(row, "name"), id_number=_text(row, "id_number"),
                               certificate_no=_text(row, "certificate_no"), mobile=_text(row, "mobile"),
                               kind_title=filing.short_title, case_number=case.number or "", region=region))
    return found


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value)


def guard_rows(guards: list[Guard], *, masked: bool) -> list[dict[str, Any]]:
    """The list as table rows; `masked`: ID numbers and mobiles hidden in the middle (the screen)."""
    return [dict(zip(COLUMNS, (n, g.name, mask_id(g.id_number) if masked and g.id_number else g.id_number,
                              g.certificate_no, mask_mobile(g.mobile) if masked and g.mobile else g.mobile,
                              g.kind_title, g.case_number, g.region), strict=True))
            for n, g in enumerate(guards, start=1)]


def export_unit_guards(uow: UnitOfWork, actor: Actor, credit_code: str, *, unit_name: str) -> bytes:
    """The unit's guards in full as an Excel workbook; the export is recorded (who, which unit, how many)."""
    if actor.role not in OFFICER_ROLES:
        raise ActRefused("只有公安机关审核人员可以导出保安员名单。")
    with uow:
        guards = _guards(uow, actor, credit_code)
        uow.record(actor_id=actor.user_id, action="export_guards", subject=f"unit:{credit_code}",
                   detail={"rows": len(guards), "cases": sorted({g.case_number for g in guards})})
        uow.commit()
    return to_xlsx([(f"{unit_name}保安员名单"[:31], COLUMNS, guard_rows(guards, masked=False))])
