"""Demo content: plausible answers for each filing, and a small valid PDF. Used by the seed and tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF

from flows.filing.schema import example_value
from flows.kinds import get_filing

DEMO_PASSWORD = "Demo2026abc"
# Every demo officer and the demo administrator are enrolled with this published TOTP secret (README): add it to
# any authenticator app (or compute codes with pyotp) to log in on the police portal of the demo.
DEMO_TOTP_SECRET = "BAOANDEMOTOTPSECRETXINJIANG23456"

# Valid resident ID numbers (check digits computed), used for demo people.
DEMO_IDS = (
    "11010519491231002X", "44030419900307123X", "650102198503150015", "650103199001010013",
    "650104198807070017", "65230119921212001X", "650105197606060017", "650106199503030013",
)

# Demo persons on the embedded screening list, one per category (ID number, category, reference).
DEMO_WATCHLIST = (
    ("650102197001010018", "刑事犯罪前科", "XS-2015-0101"),
    ("650202197505050027", "收容收教", "SR-2012-0220"),
    ("650402198008080036", "强制戒毒（含强制隔离戒毒）", "JD-2018-0315"),
    ("65050219851111004X", "网上逃犯", "TX-2026-0001"),
    ("652301199002020053", "肇事肇祸精神病人", "JS-2020-0409"),
)

# Valid unified social credit codes (both check characters hold).
DEMO_CODES = ("91110000600037341L", "9144030071526726XG", "91650100MA77TEB291")


def demo_pdf(title: str = "demo") -> bytes:
    """A small valid one-page PDF (Latin text, no font needed)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, title[:60])
    return bytes(pdf.output())


def demo_answers(kind: str, *, today: date, ids: tuple[str, ...] = DEMO_IDS,
                 prefecture: str = "650100", county: str = "650102", filing_ref: dict[str, Any] | None = None,
                 ) -> dict[str, Any]:
    """Answers that pass every check for one kind (excluding answers prefilled from the account): the
    examples its definition gives, with dates from `today`, the demo people's `ids` and the given place."""
    filing = get_filing(kind)
    return {qid: example_value(value, today=today, ids=ids, prefecture=prefecture, county=county,
                               filing_ref=filing_ref) for qid, value in filing.examples.items()}
