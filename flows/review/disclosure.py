"""Need-to-know display of personal data to officers, and every look at a case's personal data recorded.

On the case page ID numbers and mobiles are masked ("6501**********0017", "138****5678") for every
officer role. The full numbers (with the sex and birth date an ID number gives away) are shown only
after a per-case reveal ("显示完整号码"), which writes an audit entry: who, when, which case, never the
number itself. Opening a case, previewing or downloading a material or a document, downloading the
merged dossier and exporting a ledger or a report are recorded the same way (the audit entry names
the case and the file, never what is in it).

The use cases write through `UnitOfWork.record`, one transaction each; the page decides *when* (once
per case per browser session for an open, once per click for a download).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from flows.cases import load_visible
from flows.errors import ActRefused
from flows.ports import CaseView, MaterialView, UnitOfWork
from flows.review.transitions import OFFICER_ROLES, Actor, Role

# Who may reveal the full numbers of a case in their jurisdiction (REFERENCE.md §1-§3):
# - county officers confirm B/C/D filings located in their county: they check the project lead's,
#   the representative's and the guards' identities against the roster and the ID cards uploaded;
# - prefecture officers accept, review, screen and file all four kinds: the decision rests on who
#   the persons are (the automatic comparison runs on the ID number);
# - province officers review and approve kind A (the proposed legal representative's identity and
#   comparison result).
# Every officer level reviews the personal data of the cases it handles, so each may reveal; the
# default stays masked (most looks at a case do not need the number) and every reveal is audited.
# The administrator has no case page and is not listed.
REVEAL_ROLES: frozenset[Role] = frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE})


class Look(StrEnum):
    """What an officer looked at; the audit entry's action."""

    OPEN_CASE = "open_case"
    REVEAL = "reveal_personal_data"
    PREVIEW_MATERIAL = "preview_material"
    DOWNLOAD_MATERIAL = "download_material"
    DOWNLOAD_DOSSIER = "download_dossier"
    DOWNLOAD_DOCUMENT = "download_document"
    EXPORT_LEDGER = "export_ledger"
    EXPORT_REPORT = "export_report"
    EXPORT_AUDIT = "audit_export"  # the auditor's export of the audit log


CASE_LOOKS = frozenset({Look.OPEN_CASE, Look.REVEAL, Look.PREVIEW_MATERIAL, Look.DOWNLOAD_MATERIAL,
                        Look.DOWNLOAD_DOSSIER, Look.DOWNLOAD_DOCUMENT})
# Who may export what through the product's own buttons.
EXPORTERS: dict[Look, frozenset[Role]] = {Look.EXPORT_LEDGER: OFFICER_ROLES, Look.EXPORT_REPORT: OFFICER_ROLES,
                                          Look.EXPORT_AUDIT: frozenset({Role.AUDITOR})}
# What a detail may hold: identifiers of records and counts, never a person's data or free text.
DETAIL_KEYS = frozenset({"material", "material_id", "document", "pages", "parts", "format", "ledger", "report",
                         "region", "kinds", "rows", "filtered", "period"})
# The auditor's export of the audit log alone also records its filters as typed (a login or a name, a subject,
# action names, dates): who audits the auditor needs them. An ID number typed there is masked by the log.
AUDIT_FILTER_KEYS = frozenset({"person", "subject", "actions", "since", "until"})


def may_reveal(actor: Actor) -> bool:
    return actor.role in REVEAL_ROLES


def _detail(detail: Mapping[str, Any] | None, allowed: frozenset[str] = DETAIL_KEYS) -> dict[str, Any]:
    detail = dict(detail or {})
    unknown = set(detail) - allowed
    if unknown:
        raise ValueError(f"audit detail keys not allowed: {sorted(unknown)}")
    return detail


def record_case_looks(uow: UnitOfWork, actor: Actor, case_id: int,
                      looks: Sequence[tuple[Look, Mapping[str, Any] | None]]) -> None:
    """Record looks at one case in one transaction (an officer in whose jurisdiction the case lies)."""
    if actor.role not in OFFICER_ROLES:
        raise ActRefused("只有公安机关审核人员的查看需要记录。")
    entries = [(look, _detail(detail)) for look, detail in looks]
    if any(look not in CASE_LOOKS for look, _ in entries):
        raise ValueError("not a look at a case")
    with uow:
        load_visible(uow, actor, case_id)  # NotFound outside the jurisdiction: nothing recorded, nothing shown
        for look, detail in entries:
            uow.record(actor_id=actor.user_id, action=look.value, subject=f"case:{case_id}", detail=detail)
        uow.commit()


def record_case_look(uow: UnitOfWork, actor: Actor, case_id: int, look: Look,
                     detail: Mapping[str, Any] | None = None) -> None:
    record_case_looks(uow, actor, case_id, [(look, detail)])


def reveal_personal_data(uow: UnitOfWork, actor: Actor, case_id: int) -> None:
    """The officer asked to see the case's full ID numbers and mobiles: allowed by role, and recorded."""
    if not may_reveal(actor):
        raise ActRefused("您的岗位无权查看完整号码。")
    record_case_look(uow, actor, case_id, Look.REVEAL)


def record_export(uow: UnitOfWork, actor: Actor, look: Look, subject: str,
                  detail: Mapping[str, Any] | None = None) -> None:
    """A ledger or report (officers), or the audit log (the auditor), exported through the product's own button."""
    if look not in EXPORTERS:
        raise ValueError("not an export")
    if actor.role not in EXPORTERS[look]:
        raise ActRefused("您的岗位无权导出。" if look == Look.EXPORT_AUDIT else "只有公安机关审核人员可以导出。")
    entry = _detail(detail, DETAIL_KEYS | AUDIT_FILTER_KEYS if look == Look.EXPORT_AUDIT else DETAIL_KEYS)
    with uow:
        uow.record(actor_id=actor.user_id, action=look.value, subject=subject, detail=entry)
        uow.commit()


def case_files(uow: UnitOfWork, actor: Actor, case_id: int) -> tuple[CaseView, list[MaterialView]]:
    """The case and its current materials, for a download by this person (the web/files.py routes): NotFound
    when the case is not theirs to see (an applicant: only their own unit's; an officer: their jurisdiction)."""
    with uow:
        return load_visible(uow, actor, case_id), uow.materials(case_id)


def record_download(uow: UnitOfWork, actor: Actor, case_id: int, look: Look,
                    detail: Mapping[str, Any] | None = None) -> None:
    """An officer's download recorded before the file is handed over; an applicant's own files are not."""
    if actor.role in OFFICER_ROLES:
        record_case_look(uow, actor, case_id, look, detail)
