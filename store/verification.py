"""Public verification of certificates by their verification code (证书核验).

Anyone may look a code up; the answer is a minimal summary (number, unit, kind, date, status)
and nothing personal. A QR link also carries the organ's signature of the certificate's claim
(flows/documents/signing.py), checked against the archive; and a PDF file may be checked byte for byte
against the stored original (`check_file`): an edited file is "not the archived one". Every look-up is written to the audit log with its outcome and a short
hash of the code (never the code itself), and repeated failures from one visitor are slowed
down by `delay_after`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import clock
from flows.clock import local_date
from flows.config import get_config
from flows.documents import signing
from flows.identity.abuse import AddressLimiter, Aggregate, Rule
from flows.kinds import all_filings
from flows.uploads import contained
from flows.vocabulary import DocumentStatus
from store import audit
from store.db import write_session
from store.models import Case, Document

Status = DocumentStatus
# The QR link's signature: none given (a typed code), the organ's signature of the archived claim, or not.
SignatureState = Literal["absent", "valid", "invalid"]
FileOutcome = Literal["match", "mismatch", "not_found", "unreadable", "busy"]

STATUS_LABELS: dict[str, str] = {DocumentStatus.VALID: "有效", DocumentStatus.CANCELLED: "已撤销"}

# Codes are base32 (A-Z, 2-7) today; accept any letters and digits so a longer or different
# alphabet still works, but refuse anything else before it reaches the database.
_CODE = re.compile(r"^[A-Z0-9]{8,64}$")
_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212\u30fc\uff0d]+")

# Failed look-ups a visitor may make before each further look-up is delayed.
FREE_FAILURES = 5
MAX_DELAY_S = 60
# Anonymous look-ups, counted in this process and written as one audit entry per batch.
ANONYMOUS_LOOKUPS = Aggregate()
# Failed look-ups slow a client address down; a cap on look-ups per address stops a flood (pages/verify.py).
LIMITER = AddressLimiter(Rule(free_failures=FREE_FAILURES, max_delay_s=MAX_DELAY_S))
# A visitor's file: read with less than an applicant's upload gets.
READ_LIMITS = contained.Limits(cpu_seconds=5, memory_mb=768, wall_seconds=30.0)


@dataclass(frozen=True)
class VerificationResult:
    """What the public page may say about a genuine certificate."""

    number: str
    title: str  # 备案证明, 撤销备案证明, 审核意见书
    unit_name: str
    kind_title: str
    issued_on: date
    status: Status
    signature: SignatureState = "absent"
    organ: str = "公安机关"  # the organ in whose name it was issued

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def normalise(code: str) -> str:
    """The code as stored: full-width folded, separators (spaces, dashes) removed, upper case."""
    folded = unicodedata.normalize("NFKC", code or "")
    return _SEPARATORS.sub("", folded).upper()


def code_fingerprint(code: str) -> str:
    """A short one-way tag of the code for the log: lets repeated look-ups be grouped, reveals nothing."""
    return hashlib.sha256(normalise(code).encode("utf-8")).hexdigest()[:16]


def delay_after(failures: int) -> int:
    """Seconds a visitor must wait before the next look-up after this many failures (doubling, capped)."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(MAX_DELAY_S, 2 ** (failures - FREE_FAILURES + 1)))


def _find(session: Session, code: str) -> _Found | None:
    row = session.exec(
        select(Document, Case).join(Case, col(Case.id) == col(Document.case_id))
        .where(Document.verification_code == code)
    ).first()
    return None if row is None else _found(*row)


def _found(document: Document, case: Case) -> _Found:
    filing = all_filings().get(case.kind)
    cancelled = document.status == DocumentStatus.CANCELLED or case.cancelled
    # A certificate is issued where the route ends: the province for a change of legal representative (its
    # 审核意见书), else the prefecture that filed it.
    config = get_config()
    region = config.province_code if filing is None or filing.route.province_approval else case.prefecture_code
    result = VerificationResult(number=document.number, title=document.title, unit_name=case.unit_name,
                                kind_title=filing.title if filing else case.kind,
                                issued_on=local_date(document.issued_at),
                                status=DocumentStatus.CANCELLED if cancelled else DocumentStatus.VALID,
                                organ=config.issuing_organ(region or config.province_code).name)
    return _Found(document.sha256, _claim(document, case), result)


@dataclass(frozen=True)
class _Found:
    sha256: str
    claim: signing.Claim
    result: VerificationResult


def _claim(document: Document, case: Case) -> signing.Claim:
    """What the certificate asserts, rebuilt from the archive (as signed when it was issued)."""
    return signing.Claim(code=document.verification_code or "", number=document.number, unit_name=case.unit_name,
                         credit_code=case.credit_code, kind=case.kind, issued_on=local_date(document.issued_at))


def _outcome(result: VerificationResult | None, wanted: str) -> str:
    if result is None:
        return "not_found" if wanted else "empty"
    if result.signature == "invalid":
        return "bad_signature"
    return "found_cancelled" if result.status == DocumentStatus.CANCELLED else "found_valid"


def lookup(engine: Engine, code: str, *, signature: str | None = None,
           actor_id: int | None = None) -> VerificationResult | None:
    """The certificate with exactly this code (after normalising), or None. A logged-in person's look-up is
    audited one by one; anonymous ones are counted and written in aggregate (`ANONYMOUS_LOOKUPS`).

    `signature` (from the QR link) is checked against the archived claim: the result says whether
    it is the organ's signature of exactly what the archive holds."""
    wanted = normalise(code)
    with Session(engine) as session:  # a read: an anonymous look-up opens no write transaction
        found = _find(session, wanted) if _CODE.fullmatch(wanted) else None
    result = found.result if found else None
    if found is not None and signature is not None:
        good = signing.verify(found.claim, signature)
        result = replace(found.result, signature="valid" if good else "invalid")
    outcome = _outcome(result, wanted)
    if actor_id is None:  # anonymous: counted, and written in aggregate (flows.identity.abuse)
        batch = ANONYMOUS_LOOKUPS.add(outcome + ("_signed" if signature is not None else ""), clock.now())
        if batch is not None:
            _write_counts(engine, batch)
        return result
    detail: dict[str, object] = {"outcome": outcome, "code_hash": code_fingerprint(wanted), "length": len(wanted)}
    if signature is not None:
        detail["signed"] = True
    with write_session(engine) as session:
        audit.append(session, actor_id=actor_id, action="verify_certificate", subject="verification", detail=detail)
        session.commit()
    return result


def _write_counts(engine: Engine, batch: tuple[datetime, dict[str, int]]) -> None:
    since, counts = batch
    with write_session(engine) as session:
        audit.append(session, actor_id=None, action="verify_certificate_counts", subject="verification",
                     detail={"since": since.isoformat(timespec="seconds"), "counts": counts,
                             "total": sum(counts.values())})
        session.commit()


def flush_anonymous_counts(engine: Engine) -> None:
    """Write the anonymous look-ups counted so far (at shutdown, and by tests)."""
    batch = ANONYMOUS_LOOKUPS.flush()
    if batch is not None:
        _write_counts(engine, batch)


# ------------------------------------------------------------------ a PDF file against the archive
MAX_FILE_BYTES = 10 * 1024 * 1024
_PRINTED_CODE = re.compile(r"验证码[:：]([A-Za-z0-9\-]{8,80})")
_LINK_CODE = re.compile(r"[?&]code=([A-Za-z0-9\-]{8,80})")


@dataclass(frozen=True)
class FileCheck:
    """A PDF compared with the archive: the very file issued (match), a file naming a genuine
    certificate whose bytes differ (mismatch: edited, or not the original), or neither."""

    outcome: FileOutcome
    result: VerificationResult | None = None


def printed_codes(data: bytes) -> list[str]:
    """Verification codes printed in a PDF (after 验证码：, or in the printed link), normalised. The file is
    a visitor's: it is read (strict pypdf) in a limited worker process (flows.uploads.contained); a file it cannot
    read within the limits has no codes. `contained.Unavailable` (no worker to be had) goes to the caller: the
    file was not read, so nothing may be said about it."""
    try:
        answer, _ = contained.run("printed_text", [data], limits=READ_LIMITS)
    except contained.Unavailable:
        raise
    except (contained.Refused, contained.Failed):
        return []
    compact = re.sub(r"\s+", "", str(answer.get("text", "")))
    seen: list[str] = []
    for match in (*_PRINTED_CODE.finditer(compact), *_LINK_CODE.finditer(compact)):
        code = normalise(match.group(1))
        if _CODE.fullmatch(code) and code not in seen:
            seen.append(code)
    return seen


def check_file(engine: Engine, data: bytes, *, actor_id: int | None = None) -> FileCheck:
    """Is this PDF the certificate as issued? Compared byte for byte (SHA-256) with the archive first; only a
    file matching no issued document is read (in a worker process, outside any transaction) for the codes it
    prints. Audited."""
    digest = hashlib.sha256(data).hexdigest()
    check: FileCheck | None = None
    if not data or len(data) > MAX_FILE_BYTES or not data[:1024].lstrip().startswith(b"%PDF-"):
        check = FileCheck("unreadable")
    else:
        with Session(engine) as session:
            row = session.exec(select(Document, Case).join(Case, col(Case.id) == col(Document.case_id))
                               .where(Document.sha256 == digest, col(Document.verification_code).is_not(None))
                               ).first()
            if row is not None:
                check = FileCheck("match", _found(*row).result)
    try:
        codes = printed_codes(data) if check is None else []
    except contained.Unavailable:
        check, codes = FileCheck("busy"), []
    with write_session(engine) as session:
        if check is None:
            check = FileCheck("not_found")
            for code in codes:
                found = _find(session, code)
                if found is not None:
                    check = FileCheck("mismatch", found.result)
                    break
        audit.append(session, actor_id=actor_id, action="verify_certificate", subject="verification",
                     detail={"outcome": f"file_{check.outcome}", "file_sha256": digest[:16], "size": len(data)})
        session.commit()
    return check


