"""Which notices and certificates an act issues, and what they say.

Acceptance notice on accept, correction notice on return, decision on reject, and on
approval the certificate of the kind (filing certificate, cancellation certificate or
review document). Generated once, inside the act's transaction; stored bytes are served.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from flows import documents, signing
from flows.config import get_config
from flows.identifiers import mask_id
from flows.kinds.common import SERVICE_KINDS
from flows.ports import CaseView, NewDocument, ReturnItem, UnitOfWork
from flows.regions import get_regions
from flows.review import Act, Actor, Role
from flows.schema import Filing

MATTERS = {"A": documents.MATTER_A, "B": documents.MATTER_B, "C": documents.MATTER_C, "D": documents.MATTER_D}
# Document type → (short tag used in its number, Chinese title)
DOC_TYPES: dict[str, tuple[str, str]] = {
    "acceptance_notice": ("受", "受理通知书"),
    "correction_notice": ("补", "补正材料告知书"),
    "rejection_decision": ("决", "不予通过决定书"),
    "filing_certificate": ("备", "备案证明"),
    "cancellation_certificate": ("撤", "撤销备案证明"),
    "review_document": ("审", "审核意见书"),
}
CERTIFICATES = frozenset({"filing_certificate", "cancellation_certificate", "review_document"})


def new_verification_code() -> str:
    """128 random bits, base32: 26 characters, unguessable, easy to read aloud."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")


def verify_url(code: str, signature: str | None = None) -> str:
    """The verification page for this code; with the organ's signature when given (the QR code's link)."""
    base = os.environ.get("APP_BASE_URL", "http://localhost:8501").rstrip("/")
    url = f"{base}/verify?code={code}"
    return f"{url}&sig={signature}" if signature else url


def signed_url(*, code: str, number: str, case: CaseView, kind: str, issued_on: date) -> str:
    """The QR code's link: the code and the signature of what the certificate states."""
    claim = signing.Claim(code=code, number=number, unit_name=case.unit_name, credit_code=case.credit_code,
                          kind=kind, issued_on=issued_on)
    return verify_url(code, signing.sign(claim))


def issuing_region(actor: Actor, case: CaseView) -> str:
    """The organ acting: the officer's own region (county, prefecture, or the province)."""
    if actor.role == Role.PROVINCE:
        return get_config().province_code
    return actor.region_code or case.prefecture_code or get_config().province_code


def organ_name(actor: Actor, case: CaseView, *, certificate_of_a: bool = False) -> str:
    config = get_config()
    if certificate_of_a:
        return config.department  # the review document of kind A is issued by the department
    return config.organ_for(issuing_region(actor, case))


def _number(uow: UnitOfWork, doc_type: str, region: str, year: int) -> str:
    tag = DOC_TYPES[doc_type][0]
    seq = uow.next_number(f"{doc_type}:{region}:{year}")
    return f"{region}{tag}〔{year}〕{seq:05d}号"


def _details(filing: Filing, case: CaseView, answers: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What was filed, for the certificate's table (no ID numbers in full)."""
    regions = get_regions()

    def region(key: str) -> str:
        value = answers.get(key) or {}
        code = value.get("county") or value.get("prefecture") or ""
        return regions.full_name(code) if code else ""

    if filing.kind == "B":
        kinds = [k for k in answers.get("service_kinds") or [] if k in SERVICE_KINDS]
        return (("客户单位", str(answers.get("client_name", ""))),
                ("服务地点", f"{region('service_region')}{answers.get('service_address', '')}"),
                ("服务类型", "、".join(kinds)),
                ("服务期限", f"{answers.get('contract_start', '')} 至 {answers.get('contract_end', '')}"),
                ("项目负责人", str(answers.get("lead_name", ""))),
                ("派驻保安员人数", f"{len(answers.get('guards') or [])}人"))
    if filing.kind == "C":
        return (("单位地址", f"{region('unit_region')}{answers.get('unit_address', '')}"),
                ("守护区域", f"{answers.get('area_address', '')}（{answers.get('area_size', '')}）"),
                ("开始保安服务日期", str(answers.get("service_start", ""))),
                ("保安员人数", f"{len(answers.get('guards') or [])}人"))
    if filing.kind == "A":
        return (("拟任法定代表人身份证号码", mask_id(str(answers.get("new_rep_id", "")))),)
    return ()


def issues_document(act: Act) -> bool:
    """Whether this act issues a document (and so needs the case's answers)."""
    return act in _BUILDERS


def documents_for(uow: UnitOfWork, act: Act, *, case: CaseView, filing: Filing, answers: dict[str, Any],
                  actor: Actor, items: tuple[ReturnItem, ...], comment: str,
                  today: date) -> tuple[NewDocument, ...]:
    """The documents this act issues (none for most acts)."""
    builder = _BUILDERS.get(act)
    if builder is None:
        return ()
    return (builder(uow, case, filing, answers, actor, items, comment, today),)


Builder = Callable[[UnitOfWork, CaseView, Filing, dict[str, Any], Actor, tuple[ReturnItem, ...], str, date],
                   NewDocument]


def _common(case: CaseView, filing: Filing, actor: Actor, today: date) -> dict[str, Any]:
    return {"case_number": case.number or "", "matter": MATTERS[filing.kind], "unit_name": case.unit_name,
            "credit_code": case.credit_code,
            "submitted_on": case.submitted_at.date() if case.submitted_at else today,
            "organ": organ_name(actor, case), "issued_on": today, "province": get_config().province_name}


def _acceptance(uow: UnitOfWork, case: CaseView, filing: Filing, answers: dict[str, Any], actor: Actor,
                items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    number = _number(uow, "acceptance_notice", issuing_region(actor, case), today.year)
    spec = documents.acceptance_notice(number=number, due_on=case.due_on, **_common(case, filing, actor, today))
    return NewDocument("acceptance_notice", "受理通知书", number, documents.render(spec))


def _correction(uow: UnitOfWork, case: CaseView, filing: Filing, answers: dict[str, Any], actor: Actor,
                items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    number = _number(uow, "correction_notice", issuing_region(actor, case), today.year)
    listed = [(i.label.split("】", 1)[-1], i.reason) for i in items]
    spec = documents.correction_notice(number=number, items=listed, note=comment or None,
                                       **_common(case, filing, actor, today))
    return NewDocument("correction_notice", "补正材料告知书", number, documents.render(spec))


def _rejection(uow: UnitOfWork, case: CaseView, filing: Filing, answers: dict[str, Any], actor: Actor,
               items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    number = _number(uow, "rejection_decision", issuing_region(actor, case), today.year)
    reasons = [line.strip() for line in comment.splitlines() if line.strip()]
    spec = documents.rejection_decision(number=number, reasons=reasons, **_common(case, filing, actor, today))
    return NewDocument("rejection_decision", "不予通过决定书", number, documents.render(spec))


def _certificate(uow: UnitOfWork, case: CaseView, filing: Filing, answers: dict[str, Any], actor: Actor,
                 items: tuple[ReturnItem, ...], comment: str, today: date) -> NewDocument:
    code = new_verification_code()
    kind = filing.kind
    if kind == "A":
        doc_type, region = "review_document", get_config().province_code
    elif kind == "D":
        doc_type, region = "cancellation_certificate", issuing_region(actor, case)
    else:
        doc_type, region = "filing_certificate", issuing_region(actor, case)
    number = _number(uow, doc_type, region, today.year)
    url = signed_url(code=code, number=number, case=case, kind=kind, issued_on=today)
    common: dict[str, Any] = {"number": number, "case_number": case.number or "", "unit_name": case.unit_name,
                              "credit_code": case.credit_code, "issued_on": today,
                              "province": get_config().province_name, "verification_code": code,
                              "verify_url": url, "details": _details(filing, case, answers)}
    if kind == "A":
        spec = documents.review_document(
            licence_number=str(answers.get("licence_no", "")),
            old_representative=str(answers.get("current_rep_name", "")),
            new_representative=str(answers.get("new_rep_name", "")),
            organ=organ_name(actor, case, certificate_of_a=True), **common)
    elif kind == "D":
        original = ""
        if case.ref_case_id is not None:
            for doc in uow.documents(case.ref_case_id):
                if doc.doc_type == "filing_certificate":
                    original = doc.number
        stopped = answers.get("stop_date")
        spec = documents.cancellation_certificate(
            original_number=original or "（无）",
            stopped_on=date.fromisoformat(stopped) if stopped else today,
            organ=organ_name(actor, case), **common)
    else:
        certified: Literal["B", "C"] = "B" if kind == "B" else "C"
        spec = documents.filing_certificate(kind=certified, organ=organ_name(actor, case), **common)
    return NewDocument(doc_type, DOC_TYPES[doc_type][1], number, documents.render(spec), code)


_BUILDERS: dict[Act, Builder] = {
    Act.ACCEPT: _acceptance,
    Act.RETURN: _correction,
    Act.REJECT: _rejection,
    Act.APPROVE: _certificate,
}
