"""The one write the pre-check lets an applicant make: "文件无误" (the file is right despite a finding)."""

from __future__ import annotations

from typing import Protocol

from flows.cases import EDITABLE, filing_of, load_visible
from flows.errors import ActRefused
from flows.ports import UnitOfWork
from flows.review.transitions import Actor, Role


class PrecheckStore(Protocol):
    def confirm(self, case_id: int, material_id: str, user_id: int) -> bool: ...


def confirm_file(uow: UnitOfWork, store: PrecheckStore, actor: Actor, case_id: int, material_id: str) -> None:
    """The applicant confirms the current file of a material is right; the officer sees the confirmation."""
    with uow:
        case = load_visible(uow, actor, case_id)
    if actor.role != Role.APPLICANT or case.stage not in EDITABLE:
        raise ActRefused("只有申请单位在提交前可以确认材料。")
    if not filing_of(case).material(material_id).prechecked:
        raise ActRefused("此项材料没有自动核对结果。")
    if not store.confirm(case_id, material_id, actor.user_id):
        raise ActRefused("该文件尚无自动核对结果，无需确认。")
