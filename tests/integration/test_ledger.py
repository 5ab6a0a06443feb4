"""Ledgers (台账) on a real database: what each officer sees, filters, search, cancellation, export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from flows import cases
from flows.clock import CHINA
from flows.oversight.ledger import (
    CANCELLED_COLUMNS,
    CURRENT_COLUMNS,
    cancelled_row,
    current_row,
    neutralise,
    representative_row,
    to_csv,
    to_xlsx,
)
from flows.ports import CaseView
from flows.review.transitions import Act, Role
from store.accounts import Account, create_user, demo_password_hash, get_account
from store.demo import DEMO_PASSWORD
from store.ledger import LedgerTotals, ledger_records, ledger_totals
from tests.support import World, make_world, submitted

DAY = date(2026, 11, 2)


def do(world: World, who: Account, case: CaseView, what: Act, **kwargs: object) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), who.actor, case.id, what, expected_version=version,
                             now=datetime.combine(DAY, time(15), tzinfo=CHINA), **kwargs)  # type: ignore[arg-type]


def filed(world: World, confirmer: Account, pref: Account, kind: str, **options: object) -> CaseView:
    case = submitted(world, kind, today=DAY, **options)  # type: ignore[arg-type]
    if kind != "A":
        case = do(world, confirmer, case, Act.CONFIRM)
    case = do(world, pref, case, Act.ACCEPT)
    if kind == "A":
        case = do(world, pref, case, Act.REPORT, comment="拟同意", opinion="favourable")
        case = do(world, world.province, case, Act.ACCEPT)
        return do(world, world.province, case, Act.APPROVE)
    return do(world, pref, case, Act.APPROVE)


@dataclass
class Ledgers:
    world: World
    c_tianshan: CaseView
    b_shayibake: CaseView
    c_cancelled: CaseView
    c_karamay: CaseView
    a_change: CaseView


@pytest.fixture
def ledgers(engine: Engine) -> Ledgers:
    w = make_world(engine)
    user_id = create_user(engine, login="county650202", password=DEMO_PASSWORD, display_name="独山子",
                          role=Role.COUNTY, region_code="650202", password_hash=demo_password_hash(DEMO_PASSWORD))
    karamay_county = get_account(engine, user_id)
    assert karamay_county is not None
    c_tianshan = filed(w, w.county, w.prefecture, "C")
    b_shayibake = filed(w, w.sibling_county, w.prefecture, "B", county="650103")
    c_cancelled = filed(w, w.county, w.prefecture, "C")
    filed(w, w.county, w.prefecture, "D", filing_ref={"case_id": c_cancelled.id})
    c_karamay = filed(w, karamay_county, w.other_prefecture, "C", applicant=w.other_applicant,
                      prefecture="650200", county="650202")
    a_change = filed(w, w.county, w.prefecture, "A")
    submitted(w, "C", today=DAY)  # not filed yet: in no ledger
    return Ledgers(w, c_tianshan, b_shayibake, c_cancelled, c_karamay, a_change)


def numbers(records: list) -> set[str]:  # type: ignore[type-arg]
    return {r.number for r in records}


def test_each_officer_sees_the_ledger_of_their_own_region(ledgers: Ledgers) -> None:
    w = ledgers.world
    province = ledger_records(w.engine, w.province.actor, "current")
    assert numbers(province) == {ledgers.c_tianshan.number, ledgers.b_shayibake.number, ledgers.c_karamay.number}
    prefecture = ledger_records(w.engine, w.prefecture.actor, "current")
    assert numbers(prefecture) == {ledgers.c_tianshan.number, ledgers.b_shayibake.number}
    assert numbers(ledger_records(w.engine, w.county.actor, "current")) == {ledgers.c_tianshan.number}
    assert numbers(ledger_records(w.engine, w.other_prefecture.actor, "current")) == {ledgers.c_karamay.number}
    assert ledger_records(w.engine, w.applicant.actor, "current") == []


def test_region_kind_and_search_filters(ledgers: Ledgers) -> None:
    w = ledgers.world
    province = w.province.actor
    assert numbers(ledger_records(w.engine, province, "current", region="650200")) == {ledgers.c_karamay.number}
    assert numbers(ledger_records(w.engine, province, "current", region="650103")) == {ledgers.b_shayibake.number}
    assert numbers(ledger_records(w.engine, province, "current", kinds=["B"])) == {ledgers.b_shayibake.number}
    by_name = ledger_records(w.engine, province, "current", search="克拉玛依")
    assert numbers(by_name) == {ledgers.c_karamay.number}
    certificate = by_name[0].certificate
    assert certificate.startswith("克市公治备字〔2026〕")
    assert numbers(ledger_records(w.engine, province, "current", search=certificate)) == {ledgers.c_karamay.number}
    assert ledger_records(w.engine, province, "current", search="%") == []  # wildcards are literal
    # A prefecture cannot widen its view with the region picker.
    assert ledger_records(w.engine, w.prefecture.actor, "current", region="650200") == []


def test_rows_show_guards_period_area_and_certificate(ledgers: Ledgers) -> None:
    w = ledgers.world
    rows = {r.number: current_row(r) for r in ledger_records(w.engine, w.province.actor, "current")}
    c = rows[ledgers.c_tianshan.number]
    assert c["地区"] == "乌鲁木齐市天山区" and c["业务"].startswith("自行招用")
    assert c["保安员人数"] == 3 and c["备案日期"] == "2026-11-02"
    assert c["服务期限"] == "2026-10-23 起"  # demo answers: service started 10 days before filing
    assert c["服务区域"] == "乌鲁木齐市天山区幸福路6号（约3.5万平方米）"
    assert c["备案证明编号"].startswith("乌公治备字〔2026〕")
    b = rows[ledgers.b_shayibake.number]
    assert b["地区"] == "乌鲁木齐市沙依巴克区" and b["保安员人数"] == 3
    assert b["服务期限"] == "2026-11-12 至 2027-11-12"
    assert "客户单位：新疆某能源有限公司；门卫、巡逻" in b["服务区域"]


def test_a_cancelled_filing_leaves_the_current_ledger_for_the_cancelled_one(ledgers: Ledgers) -> None:
    w = ledgers.world
    assert ledgers.c_cancelled.number not in numbers(ledger_records(w.engine, w.prefecture.actor, "current"))
    cancelled = ledger_records(w.engine, w.prefecture.actor, "cancelled")
    assert numbers(cancelled) == {ledgers.c_cancelled.number}
    row = cancelled_row(cancelled[0], cancelled[0].cancellation)
    assert row["撤销日期"] == "2026-11-02" and row["停止服务日期"] == "2026-10-28"
    assert row["撤销备案证明编号"].startswith("乌公治撤字〔2026〕")
    assert row["原备案证明编号"].startswith("乌公治备字〔2026〕")
    assert row["撤销原因"] == "改为聘用保安服务公司提供服务"
    assert ledger_records(w.engine, w.other_prefecture.actor, "cancelled") == []


def test_legal_representative_changes(ledgers: Ledgers) -> None:
    w = ledgers.world
    records = ledger_records(w.engine, w.province.actor, "representatives")
    assert numbers(records) == {ledgers.a_change.number}
    row = representative_row(records[0])
    assert (row["原法定代表人"], row["新任法定代表人"]) == ("王建国", "赵立新")
    assert row["审核意见书编号"].startswith("新公治审字〔2026〕") and row["审批日期"] == "2026-11-02"
    assert "身份证" not in "".join(row)  # no ID numbers in the ledger
    assert ledger_records(w.engine, w.county.actor, "representatives") == []  # kind A has no county


def test_excel_and_csv_exports_hold_the_same_cells(ledgers: Ledgers) -> None:
    w = ledgers.world
    rows = [current_row(r) for r in ledger_records(w.engine, w.province.actor, "current")]
    book = load_workbook(io.BytesIO(to_xlsx([("在册备案单位", CURRENT_COLUMNS, rows)])))
    sheet = book["在册备案单位"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == list(CURRENT_COLUMNS)
    # (an empty text is an empty cell: openpyxl reads it back as None)
    assert cells[1:] == [[None if row[c] == "" else row[c] for c in CURRENT_COLUMNS] for row in rows]
    text = to_csv(CURRENT_COLUMNS, rows).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(CURRENT_COLUMNS)
    assert parsed[1:] == [[str(row[c]) for c in CURRENT_COLUMNS] for row in rows]
    assert to_xlsx([("已撤销备案", CANCELLED_COLUMNS, [])])  # an empty ledger still exports


HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", "=1+1"]


def test_formula_injection_is_neutralised_in_excel_and_csv() -> None:
    rows = [{"地区": text, "单位名称": "正常单位", "保安员人数": -3} for text in HOSTILE]
    columns = ("地区", "单位名称", "保安员人数")
    sheet = load_workbook(io.BytesIO(to_xlsx([("t", columns, rows)])))["t"]
    for index, text in enumerate(HOSTILE, start=2):
        cell = sheet.cell(index, 1)
        assert cell.data_type == "s", text  # a string, never a formula
        assert cell.value == "'" + text
        assert sheet.cell(index, 2).value == "正常单位"
        assert sheet.cell(index, 3).value == -3  # numbers stay numbers
    parsed = list(csv.reader(io.StringIO(to_csv(columns, rows).decode("utf-8-sig"))))
    assert [r[0] for r in parsed[1:]] == ["'" + t for t in HOSTILE]
    assert neutralise("普通文字") == "普通文字" and neutralise(5) == 5


def test_totals_count_every_row_and_guard_and_pages_split_the_rows(ledgers: Ledgers) -> None:
    w = ledgers.world
    everything = ledger_records(w.engine, w.province.actor, "current")
    totals = ledger_totals(w.engine, w.province.actor, "current")
    assert totals.rows == len(everything) == 3
    assert totals.units == len({r.credit_code for r in everything}) == 2  # one unit filed twice
    assert totals.guards == sum(current_row(r)["保安员人数"] for r in everything) == 9
    pages = [ledger_records(w.engine, w.province.actor, "current", offset=o, limit=2) for o in (0, 2)]
    assert [len(p) for p in pages] == [2, 1]
    assert [r.number for p in pages for r in p] == [r.number for r in everything]
    assert ledger_totals(w.engine, w.prefecture.actor, "current", search="克拉玛依") == LedgerTotals(0, 0, 0)
    assert ledger_totals(w.engine, w.applicant.actor, "current") == LedgerTotals(0, 0, 0)


def test_one_row_per_unit_with_its_filings_and_pages_of_units(ledgers: Ledgers) -> None:
    from flows.oversight.ledger import unit_rows
    from store.ledger import ledger_units

    w = ledgers.world
    twice = filed(w, w.sibling_county, w.prefecture, "C", county="650103")  # the same unit again, elsewhere
    codes = ledger_units(w.engine, w.province.actor, "current")
    assert codes == [w.applicant.credit_code, w.other_applicant.credit_code]  # by first region
    rows = unit_rows(ledger_records(w.engine, w.province.actor, "current", credit_codes=codes))
    assert len(rows) == len(codes) == ledger_totals(w.engine, w.province.actor, "current").units
    urumqi = rows[0]
    assert urumqi["备案件数"] == 3 and urumqi["保安员人数"] == 9
    assert urumqi["地区"] == "乌鲁木齐市天山区；乌鲁木齐市沙依巴克区"
    assert twice.number in urumqi["办件编号"] and ledgers.b_shayibake.number in urumqi["办件编号"]
    assert ledger_units(w.engine, w.province.actor, "current", offset=1, limit=1) == [w.other_applicant.credit_code]
    assert ledger_units(w.engine, w.county.actor, "current") == [w.applicant.credit_code]
    assert ledger_units(w.engine, w.applicant.actor, "current") == []


def test_a_units_guards_for_an_officer_masked_on_screen_and_the_export_audited(ledgers: Ledgers) -> None:
    from sqlmodel import Session, select

    from flows.errors import ActRefused
    from flows.oversight.guard_roster import export_unit_guards, guard_rows, unit_guards
    from store.models import AuditEntry

    w = ledgers.world
    code = w.applicant.credit_code or ""
    guards = unit_guards(w.uow(), w.prefecture.actor, code)
    assert len(guards) == 6  # C in 天山区 and B in 沙依巴克区, 3 each; the cancelled filing's are gone
    assert {g.case_number for g in guards} == {ledgers.c_tianshan.number, ledgers.b_shayibake.number}
    shown = guard_rows(guards, masked=True)
    assert shown[0]["居民身份证号码"] == "1101**********002X" and shown[0]["手机号码"] == "138****0001"
    assert len(unit_guards(w.uow(), w.county.actor, code)) == 3  # 天山区 sees its own filing only
    assert unit_guards(w.uow(), w.other_prefecture.actor, code) == []
    with pytest.raises(ActRefused):
        unit_guards(w.uow(), w.applicant.actor, code)
    data = export_unit_guards(w.uow(), w.prefecture.actor, code, unit_name="乌鲁木齐幸福物业服务有限公司")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)][0] == "11010519491231002X"
    with Session(w.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "export_guards")).one()
    assert entry.actor_id == w.prefecture.user_id and entry.subject == f"unit:{code}" and entry.detail["rows"] == 6
    assert "11010519491231002X" not in str(entry.detail)  # no personal data in the log
