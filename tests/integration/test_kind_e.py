"""Kind E, 保安服务公司设立分公司备案, through the use cases: the branch's county confirms, the prefecture
accepts and files; the certificate names this business and the branch, and the ledger lists it."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from flows import cases
from flows.clock import CHINA
from flows.errors import FieldError
from flows.filing.answers import check_answer
from flows.kinds import get_filing
from flows.oversight.ledger import current_row, unit_rows
from flows.ports import CaseView
from flows.review.transitions import Act, Stage
from store import blobs
from store.accounts import Account
from store.ledger import ledger_records, ledger_totals
from tests.support import World, make_world, submitted

DAY = date(2026, 11, 2)
BRANCH = "新疆盾安保安服务有限公司天山分公司"


def do(world: World, who: Account, case: CaseView, what: Act) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), who.actor, case.id, what, expected_version=version,
                             now=datetime.combine(DAY, time(15), tzinfo=CHINA))


def test_a_branch_office_is_filed_with_its_own_certificate_and_ledger_row(engine: Engine) -> None:
    world = make_world(engine)
    case = submitted(world, "E", today=DAY)
    assert case.stage == Stage.COUNTY_CONFIRM and case.county_code == "650102"  # where the branch is
    case = do(world, world.county, case, Act.CONFIRM)
    case = do(world, world.prefecture, case, Act.ACCEPT)
    case = do(world, world.prefecture, case, Act.APPROVE)
    assert case.stage == Stage.APPROVED

    with world.uow() as uow:
        (certificate,) = [d for d in uow.documents(case.id) if d.doc_type == "filing_certificate"]
    pages = PdfReader(io.BytesIO(blobs.get(certificate.sha256))).pages
    assert len(pages) == 1  # its fifteen rows set tighter rather than a second page for the last line
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pages))
    unit = world.applicant.unit_name
    for expected in ("备案证明", "保安服务公司设立分公司备案", f"{unit}设立分公司（{BRANCH}）的备案材料收悉",
                     "第十二条第二款", "总公司法定代表人王建国", f"分公司名称{BRANCH}", "分公司负责人孙海涛",
                     "分公司地址乌鲁木齐市天山区光明路18号", "经营的保安服务门卫、巡逻、守护",
                     "分公司保安员人数3人", "2026年10月26日", "乌鲁木齐市公安局"):
        assert expected in text, expected
    assert "自行招用" not in text and "跨省" not in text

    records = ledger_records(engine, world.prefecture.actor, "current", kinds=["E"])
    (row,) = [current_row(r) for r in records]
    assert row["业务"] == get_filing("E").short_title == "设立分公司备案"
    assert row["地区"] == "乌鲁木齐市天山区" and row["保安员人数"] == 3
    assert row["备案证明编号"] == certificate.number and row["备案日期"] == "2026-11-02"
    assert row["分公司名称"] == BRANCH and row["分公司统一社会信用代码"] == get_filing("E").examples["branch_uscc"]
    assert row["分公司成立日期"] == "2026-10-26" and row["服务期限"] == ""  # a founding date is not a service period
    assert row["服务区域"] == "乌鲁木齐市天山区光明路18号（门卫、巡逻、守护）"
    assert unit_rows(records)[0]["备案业务"] == "设立分公司备案"
    assert ledger_totals(engine, world.prefecture.actor, "current", kinds=["E"]).guards == 3
    assert ledger_records(engine, world.other_prefecture.actor, "current", kinds=["E"]) == []
    assert ledger_records(engine, world.prefecture.actor, "cancelled") == []  # nothing cancels a branch filing


def test_a_branch_founded_after_today_is_refused() -> None:
    """A founding date is a fact on the licence: one after today is a typing error (it was only a warning)."""
    question = get_filing("E").question("branch_founded")
    with pytest.raises(FieldError, match="分公司成立日期不能晚于今天"):
        check_answer(question, "2026-12-01", today=date(2026, 11, 2))
    assert check_answer(question, "2026-11-02", today=date(2026, 11, 2)).value == "2026-11-02"
