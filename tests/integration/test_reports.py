"""Every figure of the progress report against values computed by hand, across National Day 2026.

The official calendar around it (chinesecalendar): Fri-Sun 09-25..27 Mid-Autumn off, Mon-Wed
09-28..30 working, Thu 10-01 .. Wed 10-07 off, Thu 10-08 and Fri 10-09 working, Sat 10-10 a make-up
working day, Sun 10-11 off. The report covers 2026-09-01 .. 2026-10-31 (as of 10-31).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from flows import cases
from flows.clock import CHINA
from flows.oversight.reports import TOTAL, Report, build_report
from flows.ports import CaseView, ReturnItem
from flows.review.transitions import Act, Actor, Role, Stage
from store.accounts import Account, create_user, demo_password_hash, get_account
from store.demo import DEMO_CODES, DEMO_IDS, DEMO_PASSWORD
from store.models import Case, CaseEvent
from store.reports import (
    forget_models,
    histories,
    progress_report,
    read_model,
    scope_of,
    warm_up_in_background,
)
from store.uow import load_calendar
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
    numbers["c3"] = c3.id

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
    c6 = do(w, pref, c6, Act.REPORT, d(10, 9), comment="拟同意", opinion="favourable")
    c6 = do(w, prov, c6, Act.ACCEPT, d(10, 12))
    c6 = do(w, prov, c6, Act.RETURN_TO_PREFECTURE, d(10, 16), comment="请补充核查")
    c6 = do(w, pref, c6, Act.REPORT, d(10, 19), comment="已核查", opinion="favourable")
    c6 = do(w, prov, c6, Act.ACCEPT, d(10, 20))
    c6 = do(w, prov, c6, Act.APPROVE, d(10, 20))

    # 7: submitted after the range: not counted.
    submitted(w, "C", today=d(11, 2))

    # 8: in on Fri 10-30 (due 11-06), confirmed 11-03: after the as-of day, so still at the county.
    c8 = submitted(w, "C", today=d(10, 30))
    do(w, county, c8, Act.CONFIRM, d(11, 3))
    numbers["c8"] = c8.id
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
        "地区": "乌鲁木齐市", "收件": 6, "在办": 2, "已办结（通过/备案）": 3, "退回": 2, "不予通过/备案": 0, "已撤回": 1,
        "超期": 1, "按时办结率（%）": 33.3, "一次办结率（%）": 66.7,
        "县级确认用时中位数（工作日）": 1.0,  # 1, 2, 1, 1, 1 (cases 1, 2, 3 twice, 4)
        "州市地审核用时中位数（工作日）": 3.0,  # 4, 4, 3, 2, 1 (cases 1, 2, 3, 6 twice)
        "公安厅审批用时中位数（工作日）": 3.5,  # 6 and 1 (case 6)
    }
    karamay = row(table, "克拉玛依市")
    assert karamay == {
        "地区": "克拉玛依市", "收件": 1, "在办": 0, "已办结（通过/备案）": 0, "退回": 0, "不予通过/备案": 1, "已撤回": 0,
        "超期": 0, "按时办结率（%）": 100.0, "一次办结率（%）": None,
        "县级确认用时中位数（工作日）": 0.0, "州市地审核用时中位数（工作日）": 5.0, "公安厅审批用时中位数（工作日）": None,
    }
    total = row(table, TOTAL)
    assert total == {
        "地区": TOTAL, "收件": 7, "在办": 2, "已办结（通过/备案）": 3, "退回": 2, "不予通过/备案": 1, "已撤回": 1,
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
    assert row(other, TOTAL)["收件"] == 1 and row(other, "独山子区")["不予通过/备案"] == 1


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
    from flows.oversight.admin import set_calendar_day
    from store.admin import SqlAdminStore

    set_calendar_day(SqlAdminStore(data.world.engine), date(2026, 10, 13), is_working=False, note="测试", actor_id=None)
    table = progress_report(data.world.engine, data.world.province.actor, start=START, end=END, today=TODAY).table()
    assert row(table, "乌鲁木齐市")["按时办结率（%）"] == 100.0


# ------------------------------------------------------------------ the read model (store/reports.py)
def from_scratch(engine: Engine, actor: Actor, *, start: date, end: date, today: date,
                 kinds: list[str] | None = None) -> Report:
    """The report computed the old way: one query over every event, no read model, nothing kept."""
    as_of = min(end, today)
    scope = scope_of(actor)
    with Session(engine) as session:
        calendar = load_calendar(session)
    return build_report(histories(engine, actor, start=start, end=as_of, kinds=kinds), regions=scope.regions,
                        by=scope.by, calendar=calendar, as_of=as_of)


def same_as_from_scratch(engine: Engine, actor: Actor, *, start: date = START, end: date = END,
                         today: date = TODAY, kinds: list[str] | None = None) -> list[dict[str, object]]:
    table = progress_report(engine, actor, start=start, end=end, kinds=kinds, today=today).table()
    assert table == from_scratch(engine, actor, start=start, end=end, kinds=kinds, today=today).table()
    return table


def add_event(engine: Engine, *, event_id: int, case_id: int, act: Act, from_stage: Stage, to_stage: Stage,
              day: date, actor_id: int) -> None:
    """An event written by hand with the id a transaction would have been given, and the case moved with it."""
    with Session(engine) as session:
        session.add(CaseEvent(id=event_id, case_id=case_id, act=act, from_stage=from_stage, to_stage=to_stage,
                              actor_id=actor_id, actor_role="prefecture", actor_name="州级审核人员", at=at(day)))
        case = session.get(Case, case_id)
        assert case is not None
        case.stage = to_stage
        session.add(case)
        session.commit()


def highest_event_id(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.max(CaseEvent.id))).one() or 0)


def test_the_report_after_an_act_reads_only_the_new_events(data: Data) -> None:
    engine, province = data.world.engine, data.world.province.actor
    before = same_as_from_scratch(engine, province)
    model = read_model(engine)
    loads = model.full_loads
    with data.world.uow() as uow:
        c3 = uow.case(data.numbers["c3"])
    c3 = do(data.world, data.world.prefecture, c3, Act.ACCEPT, d(10, 14))
    do(data.world, data.world.prefecture, c3, Act.APPROVE, d(10, 15))
    after = same_as_from_scratch(engine, province)
    assert model.full_loads == loads and model.loaded == model.last_id  # read incrementally, nothing missed
    assert row(before, "乌鲁木齐市")["在办"] == 2 and row(after, "乌鲁木齐市")["在办"] == 1
    assert row(after, "乌鲁木齐市")["已办结（通过/备案）"] == 4
    assert row(after, "乌鲁木齐市")["超期"] == 0  # case 3 is no longer running
    same_as_from_scratch(engine, data.world.prefecture.actor)
    same_as_from_scratch(engine, data.world.county.actor)


def test_an_event_committed_after_a_higher_id_was_read_is_counted(data: Data) -> None:
    engine, province = data.world.engine, data.world.province.actor
    end = TODAY  # case 8 (confirmed 11-03) counts
    same_as_from_scratch(engine, province, end=end)
    model = read_model(engine)
    loads, top = model.full_loads, highest_event_id(engine)
    c3, c8 = data.numbers["c3"], data.numbers["c8"]
    pref = data.world.prefecture.user_id
    # Transaction T1 is given ids top+1, top+2 (case 8 accepted and approved) but commits last; T2 is
    # given top+3 (case 3 accepted) and commits first, and a report reads it in between.
    add_event(engine, event_id=top + 3, case_id=c3, act=Act.ACCEPT, from_stage=Stage.PREFECTURE_ACCEPT,
              to_stage=Stage.PREFECTURE_REVIEW, day=d(11, 4), actor_id=pref)
    middle = same_as_from_scratch(engine, province, end=end)
    assert model.last_id == top + 3
    add_event(engine, event_id=top + 1, case_id=c8, act=Act.ACCEPT, from_stage=Stage.PREFECTURE_ACCEPT,
              to_stage=Stage.PREFECTURE_REVIEW, day=d(11, 4), actor_id=pref)
    add_event(engine, event_id=top + 2, case_id=c8, act=Act.APPROVE, from_stage=Stage.PREFECTURE_REVIEW,
              to_stage=Stage.APPROVED, day=d(11, 5), actor_id=pref)
    after = same_as_from_scratch(engine, province, end=end)
    approved = row(middle, TOTAL)["已办结（通过/备案）"]
    assert isinstance(approved, int) and row(after, TOTAL)["已办结（通过/备案）"] == approved + 1
    assert (model.full_loads, model.repairs) == (loads, 1)  # the cases concerned were read again, not all
    assert model.loaded == highest_event_id(engine) == top + 3


def test_a_gap_older_than_the_window_reads_everything_again(data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    import store.reports

    engine, province = data.world.engine, data.world.province.actor
    top = highest_event_id(engine)
    c3, c8 = data.numbers["c3"], data.numbers["c8"]
    pref = data.world.prefecture.user_id
    add_event(engine, event_id=top + 10, case_id=c3, act=Act.ACCEPT, from_stage=Stage.PREFECTURE_ACCEPT,
              to_stage=Stage.PREFECTURE_REVIEW, day=d(11, 4), actor_id=pref)
    monkeypatch.setattr(store.reports, "_WINDOW", 2)
    same_as_from_scratch(engine, province, end=TODAY)
    model = read_model(engine)
    loads = model.full_loads
    add_event(engine, event_id=top + 1, case_id=c8, act=Act.ACCEPT, from_stage=Stage.PREFECTURE_ACCEPT,
              to_stage=Stage.PREFECTURE_REVIEW, day=d(11, 4), actor_id=pref)
    same_as_from_scratch(engine, province, end=TODAY)
    assert model.full_loads == loads + 1 and model.loaded == top + 2


def test_a_calendar_correction_after_the_report_was_read_changes_its_figures(data: Data) -> None:
    from flows.oversight.admin import set_calendar_day
    from store.admin import SqlAdminStore

    engine, province = data.world.engine, data.world.province.actor
    before = same_as_from_scratch(engine, province)
    loads = read_model(engine).full_loads
    # 10-13 off: cases 2 and 6 are on time, and case 2's prefecture visit (10-09 .. 10-14) is one day shorter.
    set_calendar_day(SqlAdminStore(engine), date(2026, 10, 13), is_working=False, note="测试", actor_id=None)
    after = same_as_from_scratch(engine, province)
    assert row(before, "乌鲁木齐市")["按时办结率（%）"] == 33.3 and row(after, "乌鲁木齐市")["按时办结率（%）"] == 100.0
    assert row(after, TOTAL)["州市地审核用时中位数（工作日）"] != row(before, TOTAL)["州市地审核用时中位数（工作日）"]
    assert read_model(engine).full_loads == loads  # the events were not read again, only the figures recounted


# ------------------------------------------------------------------ the read model against random histories
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
# Which acts a case may take from each stage (kind A goes to the province; the others pass the county).
_NEXT: dict[Stage, list[tuple[Act, Stage]]] = {
    Stage.COUNTY_CONFIRM: [(Act.CONFIRM, Stage.PREFECTURE_ACCEPT), (Act.CONFIRM, Stage.PREFECTURE_ACCEPT),
                           (Act.RETURN, Stage.RETURNED), (Act.WITHDRAW, Stage.WITHDRAWN)],
    Stage.PREFECTURE_ACCEPT: [(Act.ACCEPT, Stage.PREFECTURE_REVIEW), (Act.ACCEPT, Stage.PREFECTURE_REVIEW),
                              (Act.RETURN, Stage.RETURNED)],
    Stage.PREFECTURE_REVIEW: [(Act.APPROVE, Stage.APPROVED), (Act.REJECT, Stage.REJECTED),
                              (Act.RETURN, Stage.RETURNED)],
    Stage.PROVINCE_ACCEPT: [(Act.ACCEPT, Stage.PROVINCE_REVIEW)],
    Stage.PROVINCE_REVIEW: [(Act.APPROVE, Stage.APPROVED), (Act.REJECT, Stage.REJECTED),
                            (Act.RETURN_TO_PREFECTURE, Stage.PREFECTURE_REVIEW)],
    Stage.RETURNED: [(Act.RESUBMIT, Stage.DRAFT), (Act.WITHDRAW, Stage.WITHDRAWN)],  # DRAFT: the kind's entry
}
_PLACES = [("650100", "650102"), ("650100", "650103"), ("650200", "650202")]


@dataclass
class _Random:
    """A data set written by hand, events with explicit ids, some committed out of id order."""

    engine: Engine
    rng: random.Random
    unit_id: int
    user_id: int
    next_id: int
    stages: dict[int, tuple[str, Stage, date]] = field(default_factory=dict)  # case -> kind, stage, last day
    held: list[tuple[int, int, Act, Stage, date, tuple[str, str | None] | None]] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)  # cases with a held event: nothing else happens to them

    def new_case(self, session: Session) -> None:
        kind = self.rng.choice("AACCBD")
        prefecture, county = self.rng.choice(_PLACES)
        day = date(2026, 9, 1) + timedelta(days=self.rng.randrange(80))
        case = Case(kind=kind, definition_version=1, unit_id=self.unit_id, applicant_user_id=self.user_id,
                    unit_name="随机单位", credit_code=DEMO_CODES[0], stage=Stage.DRAFT, prefecture_code=prefecture,
                    county_code=None if kind == "A" else county)
        session.add(case)
        session.flush()
        assert case.id is not None
        self.stages[case.id] = (kind, Stage.DRAFT, day)
        if self.rng.random() < 0.9:  # some drafts stay drafts
            self.write(session, self.next_event(), case.id, Act.SUBMIT, self.entry(kind), day, None)

    def entry(self, kind: str) -> Stage:
        return Stage.PREFECTURE_ACCEPT if kind == "A" else Stage.COUNTY_CONFIRM

    def next_event(self) -> int:
        self.next_id += 1
        return self.next_id

    def write(self, session: Session, event_id: int, case_id: int, act: Act, to: Stage, day: date,
              move: tuple[str, str | None] | None) -> None:
        kind, stage, _ = self.stages[case_id]
        session.add(CaseEvent(id=event_id, case_id=case_id, act=act, from_stage=stage, to_stage=to,
                              actor_id=self.user_id, actor_role="county", actor_name="随机", at=at(day)))
        case = session.get(Case, case_id)
        assert case is not None
        case.stage = to
        if act in (Act.SUBMIT, Act.RESUBMIT):
            case.submitted_at = at(day)
        if move is not None:
            case.prefecture_code, case.county_code = move
        session.add(case)
        self.stages[case_id] = (kind, to, day)

    def act(self, session: Session, case_id: int) -> None:
        kind, stage, last = self.stages[case_id]
        choices = _NEXT.get(stage, [])
        if not choices or case_id in self.busy:
            return
        act, to = self.rng.choice(choices)
        if act == Act.APPROVE and stage == Stage.PREFECTURE_REVIEW and kind == "A":
            act, to = Act.REPORT, Stage.PROVINCE_ACCEPT
        if to == Stage.DRAFT:
            to = self.entry(kind)
        move = None
        if act == Act.RESUBMIT and self.rng.random() < 0.4:  # a resubmission moves the case
            prefecture, county = self.rng.choice(_PLACES)
            move = (prefecture, None if kind == "A" else county)
        day = last + timedelta(days=self.rng.choice([0, 1, 1, 2, 3, 5, 8]))
        event_id = self.next_event()
        if self.rng.random() < 0.1:  # its transaction commits later, after higher ids were read
            self.held.append((event_id, case_id, act, to, day, move))
            self.busy.add(case_id)
            return
        self.write(session, event_id, case_id, act, to, day, move)

    def round(self, new_cases: int, acts: int) -> None:
        with Session(self.engine) as session:
            for _ in range(new_cases):
                self.new_case(session)
            for case_id in self.rng.sample(sorted(self.stages), min(acts, len(self.stages))):
                self.act(session, case_id)
            session.commit()
        if self.held and self.rng.random() < 0.7:
            with Session(self.engine) as session:
                for event_id, case_id, act, to, day, move in self.held:
                    self.write(session, event_id, case_id, act, to, day, move)
                session.commit()
            self.held, self.busy = [], set()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_read_model_agrees_with_a_reading_from_scratch(engine: Engine, seed: int) -> None:
    from flows.oversight.admin import set_calendar_day
    from store.admin import SqlAdminStore

    w = make_world(engine)
    assert w.applicant.unit_id is not None
    data = _Random(engine, random.Random(seed), w.applicant.unit_id, w.applicant.user_id,
                   highest_event_id(engine) + 100)
    officers = [w.province.actor, w.prefecture.actor, w.other_prefecture.actor, w.county.actor,
                w.sibling_county.actor, w.applicant.actor,  # store.queries.visible: its unit's cases
                Actor(w.county.user_id, Role.COUNTY, None)]  # no region: `county_code IS NULL`, as visible() writes it
    questions: list[tuple[date, date, list[str] | None]] = [
        (date(2026, 9, 1), date(2026, 12, 31), None), (date(2026, 9, 15), date(2026, 10, 20), None),
        (date(2026, 10, 1), date(2026, 11, 10), ["A", "B"])]
    today = date(2026, 11, 20)
    for number in range(8):
        data.round(new_cases=40, acts=120)
        if number in (3, 6):
            day = date(2026, 9, 1) + timedelta(days=data.rng.randrange(90))
            set_calendar_day(SqlAdminStore(engine), day, is_working=day.weekday() >= 5, note="随机", actor_id=None)
        for officer in officers:
            for start, end, kinds in questions:
                same_as_from_scratch(engine, officer, start=start, end=end, today=today, kinds=kinds)
    model = read_model(engine)
    assert model.full_loads == 1 and model.repairs > 0
    assert len([c for c in model.cases.values() if c.stage != Stage.DRAFT]) > 250


def test_the_first_officer_page_loads_the_read_model_in_the_background(data: Data) -> None:
    engine = data.world.engine
    forget_models()
    thread = warm_up_in_background(engine)
    assert thread is not None
    thread.join(timeout=60)
    model = read_model(engine)
    assert model.full_loads == 1 and model.loaded == model.last_id > 0  # loaded before anyone asked for a report
    assert warm_up_in_background(engine) is None  # once per process and database
    same_as_from_scratch(engine, data.world.province.actor)
    assert model.full_loads == 1  # the report used what the warm-up read
