"""Every figure of the progress report against values computed by hand, across National Day 2026.

The official calendar around it (chinesecalendar): Fri-Sun 09-25..27 Mid-Autumn off, Mon-Wed
09-28..30 working, Thu 10-01 .. Wed 10-07 off, Thu 10-08 and Fri 10-09 working, Sat 10-10 a make-up
working day, Sun 10-11 off. The report covers 2026-09-01 .. 2026-10-31 (as of 10-31).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from sqlalchemy import Engine

from flows import cases
from flows.clock import CHINA
from flows.ports import CaseView, ReturnItem
from flows.reports import TOTAL
from flows.review import Act, Role
from store.accounts import Account, create_user, demo_password_hash, get_account
from store.demo import DEMO_IDS, DEMO_PASSWORD
from store.reports import progress_report
from tests.support import World, make_world, submitted

START, END = date(2026, 9, 1), date(2026, 10, 31)
TODAY = date(2026, 11, 28)


def at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA)


@dataclass
class Data:
    world: World
    karamay_county: Account
    numbers: dict[str, int]


def _officer(engine: Engine, login: str, role: Role, region: str) -> Account:
    user_id = create_user(engine, login=login, password=DEMO_PASSWORD, display_name=login, role=role,
                          region_code=region, password_hash=demo_password_hash(DEMO_PASSWORD))
    account = get_account(engine, user_id)
    assert account is not None
    return account


def do(world: World, who: Account, case: CaseView, what: Act, day: date, **kwargs: object) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), who.actor, case.id, what, expected_version=version, now=at(day),
                             **kwargs)  # type: ignore[arg-type]


def d(month: int, day: int) -> date:
    return date(2026, month, day)


@pytest.fixture
def data(engine: Engine) -> Data:
    w = make_world(engine)
    karamay = _officer(engine, "county650202", Role.COUNTY, "650202")
    pref, prov, county = w.prefecture, w.province, w.county
    numbers: dict[str, int] = {}

    # 1: in on 09-29, due 10-12; confirmed 09-30, accepted 10-08, approved 10-12: on time, first pass.
    c1 = submitted(w, "C", today=d(9, 29))
    for who, what, day in ((county, Act.CONFIRM, d(9, 30)), (pref, Act.ACCEPT, d(10, 8)), (pref, Act.APPROVE, d(10, 12))):
        c1 = do(w, who, c1, what, day)
    numbers["c1"] = c1.id

    # 2: in on 09-30, due 10-13; approved 10-14: one working day late.
    c2 = submitted(w, "C", today=d(9, 30))
    for who, what, day in ((county, Act.CONFIRM, d(10, 9)), (pref, Act.ACCEPT, d(10, 13)), (pref, Act.APPROVE, d(10, 14))):
        c2 = do(w, who, c2, what, day)

    # 3: in on 09-28 (due 10-10), returned 10-09 in time, resubmitted 10-12 (due 10-19), confirmed
    #    10-13, then nothing: in progress and overdue as of 10-31.
    c3 = submitted(w, "C", today=d(9, 28))
    c3 = do(w, county, c3, Act.CONFIRM, d(9, 29))
    c3 = do(w, pref, c3, Act.ACCEPT, d(9, 30))
    c3 = do(w, pref, c3, Act.RETURN, d(10, 9), items=(ReturnItem("guards", "【填报】保安员名单", "请补充"),))
    guards = [{"name": "张伟", "id_number": DEMO_IDS[0], "certificate_no": "新6501001", "mobile": "13899100001"}]
    cases.save_answer(w.uow(), w.applicant.actor, c3.id, "guards", guards, today=d(10, 12))
    with w.uow() as uow:
        version = uow.case(c3.id).version
    c3 = cases.submit(w.uow(), w.applicant.actor, c3.id, expected_version=version, now=at(d(10, 12)))
    c3 = do(w, county, c3, Act.CONFIRM, d(10, 13))

    # 4: in on 10-08, returned by the county 10-09, withdrawn 10-10.
    c4 = submitted(w, "C", today=d(10, 8))
    c4 = do(w, county, c4, Act.RETURN, d(10, 9), comment="材料不全")
    c4 = do(w, w.applicant, c4, Act.WITHDRAW, d(10, 10), comment="申请单位撤回")

    # 5: 克拉玛依市 独山子区: in and confirmed 10-09, accepted 10-12, rejected 10-15 (due 10-15): on time.
    c5 = submitted(w, "C", today=d(10, 9), applicant=w.other_applicant, prefecture="650200", county="650202")
    c5 = do(w, karamay, c5, Act.CONFIRM, d(10, 9))
    c5 = do(w, w.other_prefecture, c5, Act.ACCEPT, d(10, 12))
    c5 = do(w, w.other_prefecture, c5, Act.REJECT, d(10, 15), comment="不符合条件")

    # 6: kind A in on 09-30; reported 10-09 (prefecture due 10-13); the province (due 10-15) returns it
    #    to the prefecture 10-16, late; reported again 10-19, accepted and approved 10-20.
    c6 = submitted(w, "A", today=d(9, 30))
    c6 = do(w, pref, c6, Act.ACCEPT, d(10, 8))
    c6 = do(w, pref, c6, Act.REPORT, d(10, 9), comment="拟同意")
    c6 = do(w, prov, c6, Act.ACCEPT, d(10, 12))
    c6 = do(w, prov, c6, Act.RETURN_TO_PREFECTURE, d(10, 16), comment="请补充核查")
    c6 = do(w, pref, c6, Act.REPORT, d(10, 19), comment="已核查")
    c6 = do(w, prov, c6, Act.ACCEPT, d(10, 20))
    c6 = do(w, prov, c6, Act.APPROVE, d(10, 20))

    # 7: submitted after the range: not counted.
    submitted(w, "C", today=d(11, 2))

    # 8: in on Fri 10-30 (due 11-06), confirmed 11-03: after the as-of day, so still at the county.
    c8 = submitted(w, "C", today=d(10, 30))
    do(w, county, c8, Act.CONFIRM, d(11, 3))
    return Data(w, karamay, numbers)


def row(report_table: list[dict[str, object]], name: str) -> dict[str, object]:
    return next(r for r in report_table if r["地区"] == name)


def test_province_report_figures_match_the_hand_computed_values(data: Data) -> None:
    report = progress_report(data.world.engine, data.world.province.actor, start=START, end=END, today=TODAY)
    assert report.as_of == END
    table = report.table()
    assert [r["地区"] for r in table][:2] == ["乌鲁木齐市", "克拉玛依市"]
    assert len(table) == 15  # 14 prefectures and the total

    urumqi = row(table, "乌鲁木齐市")
    assert urumqi == {
        "地区": "乌鲁木齐市", "收件": 6, "在办": 2, "已办结（通过/备案）": 3, "退回": 2, "不予通过": 0, "已撤回": 1,
        "超期": 1, "按时办结率（%）": 33.3, "一次办结率（%）": 66.7,
        "县级确认用时中位数（工作日）": 1.0,  # 1, 2, 1, 1, 1 (cases 1, 2, 3 twice, 4)
        "州市地审核用时中位数（工作日）": 3.0,  # 4, 4, 3, 2, 1 (cases 1, 2, 3, 6 twice)
        "公安厅审批用时中位数（工作日）": 3.5,  # 6 and 1 (case 6)
    }
    karamay = row(table, "克拉玛依市")
    assert karamay == {
        "地区": "克拉玛依市", "收件": 1, "在办": 0, "已办结（通过/备案）": 0, "退回": 0, "不予通过": 1, "已撤回": 0,
        "超期": 0, "按时办结率（%）": 100.0, "一次办结率（%）": None,
        "县级确认用时中位数（工作日）": 0.0, "州市地审核用时中位数（工作日）": 5.0, "公安厅审批用时中位数（工作日）": None,
    }
    total = row(table, TOTAL)
    assert total == {
        "地区": TOTAL, "收件": 7, "在办": 2, "已办结（通过/备案）": 3, "退回": 2, "不予通过": 1, "已撤回": 1,
        "超期": 1, "按时办结率（%）": 50.0, "一次办结率（%）": 66.7,
        "县级确认用时中位数（工作日）": 1.0, "州市地审核用时中位数（工作日）": 3.5, "公安厅审批用时中位数（工作日）": 3.5,
    }
    hotan = row(table, "和田地区")
    assert hotan["收件"] == 0 and hotan["按时办结率（%）"] is None


def test_prefecture_sees_its_counties_only(data: Data) -> None:
    report = progress_report(data.world.engine, data.world.prefecture.actor, start=START, end=END, today=TODAY)
    table = report.table()
    names = [r["地区"] for r in table]
    assert names[0] == "天山区" and "独山子区" not in names and "克拉玛依市" not in names
    tianshan = row(table, "天山区")
    assert (tianshan["收件"], tianshan["在办"], tianshan["已办结（通过/备案）"], tianshan["超期"]) == (5, 2, 2, 1)
    assert tianshan["按时办结率（%）"] == 50.0  # cases 1 (on time) and 2 (late)
    direct = row(table, "（市级直接受理）")  # kind A has no county
    assert (direct["收件"], direct["已办结（通过/备案）"], direct["按时办结率（%）"]) == (1, 1, 0.0)
    assert row(table, TOTAL)["收件"] == 6

    other = progress_report(data.world.engine, data.world.other_prefecture.actor, start=START, end=END,
                            today=TODAY).table()
    assert row(other, TOTAL)["收件"] == 1 and row(other, "独山子区")["不予通过"] == 1


def test_overdue_is_counted_as_of_the_end_of_the_range(data: Data) -> None:
    # As of 10-19 case 3 is on its last day (due 10-19): not overdue yet; the next day it is.
    before = progress_report(data.world.engine, data.world.province.actor, start=START, end=date(2026, 10, 19),
                             today=TODAY).table()
    after = progress_report(data.world.engine, data.world.province.actor, start=START, end=date(2026, 10, 20),
                            today=TODAY).table()
    assert row(before, "乌鲁木齐市")["超期"] == 0
    assert row(after, "乌鲁木齐市")["超期"] == 1


def test_date_range_and_kind_filter(data: Data) -> None:
    only_a = progress_report(data.world.engine, data.world.province.actor, start=START, end=END, kinds=["A"],
                             today=TODAY).table()
    assert row(only_a, TOTAL)["收件"] == 1
    october = progress_report(data.world.engine, data.world.province.actor, start=date(2026, 10, 1), end=END,
                              today=TODAY).table()
    assert row(october, TOTAL)["收件"] == 3  # cases 4, 5, 8
    with_november = progress_report(data.world.engine, data.world.province.actor, start=START,
                                    end=date(2026, 11, 30), today=TODAY)
    assert with_november.as_of == TODAY
    assert row(with_november.table(), TOTAL)["收件"] == 8


def test_a_calendar_correction_changes_the_on_time_rate(data: Data) -> None:
    # With 10-13 declared a day off, case 2 (due 10-13 → 10-14) and case 6 (the province's due day
    # 10-15 → 10-16) are on time.
    from store.admin import set_calendar_day

    set_calendar_day(data.world.engine, date(2026, 10, 13), is_working=False, note="测试", actor_id=None)
    table = progress_report(data.world.engine, data.world.province.actor, start=START, end=END, today=TODAY).table()
    assert row(table, "乌鲁木齐市")["按时办结率（%）"] == 100.0


# ------------------------------------------------------------------ baseline coverage
def test_baseline_import_and_coverage_per_region(engine: Engine) -> None:
    from store.baseline import coverage, import_baseline
    from store.demo import DEMO_CODES

    w = make_world(engine)
    filed_case = submitted(w, "C", today=d(11, 2))  # 幸福物业 (DEMO_CODES[0]): filed below
    for who, what in ((w.county, Act.CONFIRM), (w.prefecture, Act.ACCEPT), (w.prefecture, Act.APPROVE)):
        filed_case = do(w, who, filed_case, what, d(11, 3))
    submitted(w, "C", today=d(11, 2), applicant=w.other_applicant, prefecture="650200", county="650202")
    rows = [
        (2, {"单位名称": "乌鲁木齐幸福物业服务有限公司", "统一社会信用代码": DEMO_CODES[0], "所属地区": "乌鲁木齐市天山区"}),
        (3, {"单位名称": "克拉玛依安泰物业有限公司", "统一社会信用代码": DEMO_CODES[1], "所属地区": "650202",
             "业务类型": "C"}),
        (4, {"单位名称": "尚未办理的单位", "统一社会信用代码": DEMO_CODES[2], "所属地区": "乌鲁木齐市"}),
        (5, {"单位名称": "代码错误的单位", "统一社会信用代码": "91650100MA77TEB290", "所属地区": "650102"}),
        (6, {"单位名称": "地区错误的单位", "统一社会信用代码": "91110000600037341L", "所属地区": "火星"}),
    ]
    result = import_baseline(engine, iter(rows), actor_id=None)
    assert (result.added, result.updated) == (3, 0)
    assert [line for line, _ in result.errors] == [5, 6]
    again = import_baseline(engine, iter(rows[:1]), actor_id=None)
    assert (again.added, again.updated, again.errors) == (0, 1, [])

    province = coverage(engine, w.province.actor)
    by_name = {r.name: r for r in province.regions}
    urumqi, karamay = by_name["乌鲁木齐市"], by_name["克拉玛依市"]
    assert (urumqi.known, urumqi.filed, urumqi.in_progress, urumqi.not_started, urumqi.rate) == (2, 1, 0, 1, 50.0)
    assert (karamay.known, karamay.filed, karamay.in_progress, karamay.not_started) == (1, 0, 1, 0)
    assert (province.total.known, province.total.filed) == (3, 1)
    assert [u.name for u in province.not_started] == ["尚未办理的单位"]

    prefecture = coverage(engine, w.prefecture.actor)
    names = [r.name for r in prefecture.regions]
    assert names[0] == "天山区" and "（未注明县）" in names  # the unit listed with the prefecture only
    assert prefecture.total.known == 2
    assert coverage(engine, w.other_prefecture.actor).total.known == 1
    assert coverage(engine, w.county.actor).total.known == 1
