"""Demo content: plausible answers for each filing, and a small valid PDF. Used by the seed and tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fpdf import FPDF

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
    """Answers that pass every check for one kind (excluding answers prefilled from the account)."""
    guards = [
        {"name": "张伟", "id_number": ids[0], "certificate_no": "新6501001", "mobile": "13899100001"},
        {"name": "李强", "id_number": ids[1], "certificate_no": "新6501002", "mobile": "13899100002"},
        {"name": "阿不都", "id_number": ids[2], "certificate_no": "新6501003", "mobile": "13899100003"},
    ]
    if kind == "A":
        return {
            "licence_no": "新公保服20150001号", "company_address": "乌鲁木齐市天山区解放北路1号",
            "company_region": {"prefecture": prefecture, "county": None},
            "current_rep_name": "王建国", "current_rep_id": ids[3],
            "new_rep_name": "赵立新", "new_rep_id": ids[4], "new_rep_mobile": "13999100004",
            "new_rep_education": "大学本科",
            "new_rep_history": [{"start": "2005-07-01", "end": "2015-06-30", "employer": "某市公安局",
                                 "post": "民警", "qualifying": True}],
            "reason": "原法定代表人因工作调动辞任", "resolution_date": (today - timedelta(days=3)).isoformat(),
        }
    if kind == "B":
        return {
            "licence_no": "豫公保服20120008号", "licence_province": "河南省", "home_province": "河南省",
            "client_name": "新疆某能源有限公司", "client_uscc": DEMO_CODES[1],
            "service_region": {"prefecture": prefecture, "county": county},
            "service_address": "乌鲁木齐市天山区某路8号", "service_kinds": ["门卫", "巡逻"],
            "contract_start": (today + timedelta(days=10)).isoformat(),
            "contract_end": (today + timedelta(days=375)).isoformat(),
            "lead_name": "周明", "lead_id": ids[5], "lead_mobile": "13999100005", "guards": guards,
        }
    if kind == "C":
        return {
            "unit_type": "物业服务企业", "unit_region": {"prefecture": prefecture, "county": county},
            "unit_address": "乌鲁木齐市天山区幸福路6号",
            "principal_name": "刘芳", "principal_id": ids[6], "principal_mobile": "13999100006",
            "deputy_name": "陈刚", "deputy_id": ids[7], "deputy_mobile": "13999100007",
            "property_project": "幸福家园小区", "area_description": "小区共12栋住宅楼，设东、西两个出入口", "area_address": "乌鲁木齐市天山区幸福路6号",
            "area_size": "约3.5万平方米", "service_start": (today - timedelta(days=10)).isoformat(),
            "guards": guards,
        }
    if kind == "D":
        return {"filing_ref": filing_ref or {}, "stop_date": (today - timedelta(days=5)).isoformat(),
                "reason": "改为聘用保安服务公司提供服务"}
    raise KeyError(kind)
