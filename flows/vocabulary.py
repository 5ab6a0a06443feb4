"""Names more than one layer shares, as enums: the string values are what the database and the province
configuration hold, so an enum member compares equal to the stored text."""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    """The documents a case can produce (each has a number tag in the province configuration)."""

    ACCEPTANCE_NOTICE = "acceptance_notice"  # 受理通知书
    CORRECTION_NOTICE = "correction_notice"  # 补正材料告知书
    REJECTION_DECISION = "rejection_decision"  # 不予受理/不予通过决定书
    FILING_CERTIFICATE = "filing_certificate"  # 备案证明
    CANCELLATION_CERTIFICATE = "cancellation_certificate"  # 撤销备案证明
    REVIEW_DOCUMENT = "review_document"  # 审核意见书


class DocumentStatus(StrEnum):
    VALID = "valid"
    CANCELLED = "cancelled"  # a later cancellation (D) withdrew the certificate
