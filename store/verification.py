"""Public verification of certificates by their verification code (证书核验).

Anyone may look a code up; the answer is a minimal summary (number, unit, kind, date, status)
and nothing personal. Every look-up is written to the audit log with its outcome and a short
hash of the code (never the code itself), and repeated failures from one visitor are slowed
down by `delay_after`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.clock import local_date
from flows.kinds import all_filings
from store import audit
from store.db import write_session
from store.models import Case, Document

Status = Literal["valid", "cancelled"]

STATUS_LABELS: dict[str, str] = {"valid": "有效", "cancelled": "已撤销"}

# Codes are base32 (A-Z, 2-7) today; accept any letters and digits so a longer or different
# alphabet still works, but refuse anything else before it reaches the database.
_CODE = re.compile(r"^[A-Z0-9]{8,64}$")
_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212\u30fc\uff0d]+")

# Failed look-ups a visitor may make before each further look-up is delayed.
FREE_FAILURES = 5
MAX_DELAY_S = 60


@dataclass(frozen=True)
class VerificationResult:
    """What the public page may say about a genuine certificate."""

    number: str
    title: str  # 备案证明, 撤销备案证明, 审核意见书
    unit_name: str
    kind_title: str
    issued_on: date
    status: Status

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


def _find(session: Session, code: str) -> VerificationResult | None:
    row = session.exec(
        select(Document, Case).join(Case, col(Case.id) == col(Document.case_id))
        .where(Document.verification_code == code)
    ).first()
    if row is None:
        return None
    document, case = row
    filing = all_filings().get(case.kind)
    cancelled = document.status == "cancelled" or case.cancelled
    return VerificationResult(number=document.number, title=document.title, unit_name=case.unit_name,
                              kind_title=filing.title if filing else case.kind,
                              issued_on=local_date(document.issued_at),
                              status="cancelled" if cancelled else "valid")


def lookup(engine: Engine, code: str, *, actor_id: int | None = None) -> VerificationResult | None:
    """The certificate with exactly this code (after normalising), or None; the look-up is audited."""
    wanted = normalise(code)
    with write_session(engine) as session:
        result = _find(session, wanted) if _CODE.fullmatch(wanted) else None
        if result is None:
            outcome = "not_found" if wanted else "empty"
        else:
            outcome = "found_cancelled" if result.status == "cancelled" else "found_valid"
        audit.append(session, actor_id=actor_id, action="verify_certificate", subject="verification",
                     detail={"outcome": outcome, "code_hash": code_fingerprint(wanted), "length": len(wanted)})
        session.commit()
    return result
