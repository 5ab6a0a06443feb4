"""Adding a filing is adding a module under `flows/kinds/`: a new kind, dropped in as one module at run time,
goes submit → confirm → accept → approve, gets the certificate its definition declares (not another
kind's), and is listed in the ledger its definition names, with its own columns."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

import flows.kinds
from flows import cases
from flows.clock import CHINA
from flows.kinds import all_filings, get_filing, kinds_in
from flows.oversight.ledger import current_row
from flows.ports import CaseView
from flows.review.transitions import Act, Stage
from store import blobs
from store.accounts import Account
from store.ledger import ledger_records
from tests.support import World, make_world, submitted

DAY = date(2026, 11, 2)
KIND = "Y"  # a kind no real filing uses

MODULE = '''
"""Y. 保安培训单位教学场所备案 (a made-up filing: only this test registers it)."""
from flows.kinds.common import EXAMPLE_GUARDS, contact_questions, guard_roster
from flows.filing.schema import (Certificate, Days, DetailRow, Filing, Here, Instructions, LedgerColumn, LedgerEntry,
                          Material, QType, Question, Route)

FILING = Filing(
    kind="Y", title="保安培训单位教学场所备案", short_title="教学场所备案", summary="保安培训单位增设教学场所时备案。",
    version=1, route=Route(county_confirm=True, province_approval=False), sections=("教学场所", "联系人"),
    location_field="site_region", result_document="备案证明",
    certificate=Certificate(
        doc_type="filing_certificate", title="教学场所备案证明", issuer="prefecture",
        body=("{unit_name}增设教学场所{site_name}的备案材料收悉，予以备案。特此证明。",),
        rows=(DetailRow(label="教学场所名称", answer="site_name"),
              DetailRow(label="启用日期", answer="opened_on", show="date"),
              DetailRow(label="教员人数", answer="guards", show="count"))),
    instructions=Instructions(who="保安培训单位", when="启用前", materials_note="场所证明", process="县确认后州备案",
                              time_limit="5个工作日", result="备案证明", basis="测试"),
    questions=(
        Question(id="site_name", section="教学场所", label="教学场所名称", type=QType.TEXT),
        Question(id="site_region", section="教学场所", label="教学场所所在地", type=QType.REGION),
        Question(id="site_address", section="教学场所", label="详细地址", type=QType.TEXT),
        Question(id="opened_on", section="教学场所", label="启用日期", type=QType.DATE),
        guard_roster("guards", "教学场所", certificate_required=True),
        *contact_questions(),
    ),
    materials=(Material(id="site_proof", label="教学场所产权或租赁证明"),),
    ledger=LedgerEntry(book="current", headcount="guards", columns=(
        LedgerColumn(label="服务期限", parts=("{opened_on} 起",)),
        LedgerColumn(label="服务区域", parts=("{site_region}{site_address}", "（{site_name}）")),
    )),
    examples={"site_name": "北园教学点", "site_region": Here(), "site_address": "北园路9号",
              "opened_on": Days(days=20), "guards": EXAMPLE_GUARDS},
)
'''


@pytest.fixture
def fifth(tmp_path: Path) -> Iterator[None]:
    """The new module, found by the registry as any module of `flows/kinds/` is."""
    folder = tmp_path / "more_kinds"
    folder.mkdir()
    (folder / "y_teaching_site.py").write_text(MODULE, encoding="utf-8")
    flows.kinds.__path__.append(str(folder))
    all_filings.cache_clear()
    try:
        yield
    finally:
        flows.kinds.__path__.remove(str(folder))
        sys.modules.pop("flows.kinds.y_teaching_site", None)
        all_filings.cache_clear()


def do(world: World, who: Account, case: CaseView, what: Act) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), who.actor, case.id, what, expected_version=version,
                             now=datetime.combine(DAY, time(15), tzinfo=CHINA))


def test_a_fifth_filing_runs_on_the_same_engine_without_other_changes(fifth: None, engine: Engine) -> None:
    assert KIND in all_filings() and KIND in kinds_in("current")
    world = make_world(engine)
    case = submitted(world, KIND, today=DAY)
    assert case.stage == Stage.COUNTY_CONFIRM  # its route, from its definition
    case = do(world, world.county, case, Act.CONFIRM)
    case = do(world, world.prefecture, case, Act.ACCEPT)
    case = do(world, world.prefecture, case, Act.APPROVE)
    assert case.stage == Stage.APPROVED

    with world.uow() as uow:
        issued = {d.doc_type: d for d in uow.documents(case.id)}
    assert set(issued) == {"acceptance_notice", "filing_certificate"}
    certificate = issued["filing_certificate"]
    assert certificate.title == "备案证明"
    reader = PdfReader(io.BytesIO(blobs.get(certificate.sha256)))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "教学场所备案证明" in text
    assert "保安培训单位教学场所备案" in text  # the matter: this business, not another kind's
    assert f"{world.applicant.unit_name}增设教学场所北园教学点的备案材料收悉" in text
    assert "教员人数3人" in text
    assert "自行招用" not in text and "跨省" not in text

    rows = [current_row(r) for r in ledger_records(engine, world.prefecture.actor, "current", kinds=[KIND])]
    assert len(rows) == 1
    row = rows[0]
    assert row["业务"] == get_filing(KIND).short_title == "教学场所备案"
    assert row["备案证明编号"] == certificate.number
    assert row["保安员人数"] == 3
    assert row["服务期限"] == "2026-11-22 起"
    assert row["服务区域"] == "乌鲁木齐市天山区北园路9号（北园教学点）"
    assert row["办件编号"] == case.number
