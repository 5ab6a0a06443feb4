"""The officers' queue and case pages, driven through Streamlit's AppTest.

The matrix: every officer role x both pages x a case in / outside their jurisdiction shows or
refuses what it must; applicants and visitors are refused both pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

import store.screening
from flows import cases, clock
from flows.ports import CaseView
from flows.review.screening import CATEGORIES, CategoryResult, Outcome
from flows.review.transitions import Act, Stage
from store.models import AuditEntry
from tests.app.conftest import ROOT, open_page, shown_cell, texts
from tests.support import World, filled_draft, submitted

NOT_FOUND = "未找到该办件，或您无权查看。"
STALE = "此办件已被他人处理"


def act(world: World, who: str, case: CaseView, what: Act, **kwargs: object) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), getattr(world, who).actor, case.id, what, expected_version=version,
                             **kwargs)  # type: ignore[arg-type]


@dataclass
class Desk:
    world: World
    at_county: CaseView  # C, 天山区, waits on the county
    at_prefecture: CaseView  # C, 天山区, confirmed: waits on the prefecture of 乌鲁木齐市
    at_province: CaseView  # A, 乌鲁木齐市, reported: waits on the province


@pytest.fixture
def desk(app_world: World) -> Desk:
    today = clock.today()
    at_county = submitted(app_world, "C", today=today - timedelta(days=1))
    at_prefecture = act(app_world, "county", submitted(app_world, "C", today=today - timedelta(days=2)),
                        Act.CONFIRM)
    a_case = submitted(app_world, "A", today=today - timedelta(days=3))
    cases.rescreen(app_world.uow(), app_world.prefecture.actor, a_case.id, [])  # no source answered
    at_province = act(app_world, "prefecture", act(app_world, "prefecture", a_case, Act.ACCEPT), Act.REPORT,
                      comment="拟同意", internal_comment="已电话核实原法定代表人辞任", opinion="favourable",
                      justification="比对服务故障，已人工核查无异常")
    return Desk(app_world, at_county, at_prefecture, at_province)


def open_case(world: World, who: str, case_id: int | str) -> AppTest:
    return open_page("pages/case.py", getattr(world, who), id=str(case_id))


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stage_of(world: World, case_id: int) -> Stage:
    with world.uow() as uow:
        return uow.case(case_id).stage


# (officer, the case that waits on that officer's role, whether it is in their jurisdiction)
MATRIX = [
    ("county", "at_county", True),
    ("sibling_county", "at_county", False),
    ("prefecture", "at_prefecture", True),
    ("other_prefecture", "at_prefecture", False),
    ("province", "at_province", True),
]


@pytest.mark.parametrize(("who", "which", "own"), MATRIX)
def test_queue_lists_a_case_only_for_the_officers_of_its_jurisdiction(desk: Desk, who: str, which: str,
                                                                      own: bool) -> None:
    case: CaseView = getattr(desk, which)
    at = open_page("pages/queue.py", getattr(desk.world, who))
    assert not at.exception
    shown = texts(at)
    assert "待办队列" in shown
    assert (str(case.number) in shown) is own
    assert [m.value for m in at.metric][0] == ("1" if own else "0")
    if not own:
        assert "目前没有等待您办理的办件" in shown


@pytest.mark.parametrize(("who", "which", "own"), MATRIX)
def test_case_page_opens_by_url_only_within_the_officers_jurisdiction(desk: Desk, who: str, which: str,
                                                                      own: bool) -> None:
    case: CaseView = getattr(desk, which)
    at = open_case(desk.world, who, case.id)
    assert not at.exception
    shown = texts(at)
    if own:
        assert f"办件 {case.number}" in shown
        assert NOT_FOUND not in shown
        assert [b for b in at.button if b.key and b.key.startswith("act-")]
    else:
        assert NOT_FOUND in shown
        assert str(case.number) not in shown and case.unit_name not in shown
        assert not [b for b in at.button if b.key and b.key.startswith("act-")]


@pytest.mark.parametrize("raw", ["999999", "abc", "", "-1", "1 OR 1=1"])
def test_a_missing_or_malformed_id_gets_the_same_answer_as_a_case_out_of_reach(desk: Desk, raw: str) -> None:
    at = open_case(desk.world, "prefecture", raw)
    assert NOT_FOUND in texts(at)
    assert not at.exception


@pytest.mark.parametrize("page", ["pages/queue.py", "pages/case.py"])
def test_applicants_and_visitors_cannot_open_officer_pages(desk: Desk, page: str) -> None:
    at = open_page(page, desk.world.applicant, id=str(desk.at_county.id))
    assert "您无权访问此页面。" in texts(at)
    assert str(desk.at_county.number) not in texts(at)
    # A visitor: no account in the session (AppTest has no cookie jar, so mark the session as logged out).
    visitor = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    visitor.session_state["logged_out"] = True
    visitor.run()
    visitor.query_params["id"] = str(desk.at_county.id)
    visitor.switch_page(page).run()
    assert "请先登录" in texts(visitor)
    assert str(desk.at_county.number) not in texts(visitor)


def test_a_province_officer_sees_any_case_but_has_no_act_where_it_is_not_theirs(desk: Desk) -> None:
    at = open_case(desk.world, "province", desk.at_county.id)
    shown = texts(at)
    assert f"办件 {desk.at_county.number}" in shown
    assert "当前环节无需您办理" in shown


def test_the_case_page_masks_numbers_until_revealed_and_shows_rosters_and_internal_comments(desk: Desk) -> None:
    at = open_case(desk.world, "province", desk.at_province.id)
    shown = texts(at).replace("\\", "")  # Markdown escapes the mask's stars
    assert "6501**********0017" in shown and "650104198807070017" not in shown  # masked by default
    assert "1988" not in shown and "（男" not in shown  # no sex or birth date without the reveal
    assert "139****0004" in shown and "13999100004" not in shown
    assert "内部意见（仅公安机关可见）：未完成比对仍予拟同意上报的理由：比对服务故障，已人工核查无异常" in shown
    assert "已电话核实原法定代表人辞任" in shown
    assert "【拟同意】拟同意" in shown
    history = next(t.value for t in at.table if "起始日期" in t.value.columns)  # the work history table
    assert [shown_cell(v) for v in history.iloc[0]] == ["2005-07-01", "2015-06-30", "某市公安局", "民警", "是"]
    click(at, "reveal-numbers")
    shown = texts(at)
    assert "650104198807070017（男，1988" in shown and "13999100004" in shown  # the proposed representative
    assert "已显示完整号码" in shown
    with Session(desk.world.engine) as session:
        reveals = session.exec(select(AuditEntry).where(AuditEntry.action == "reveal_personal_data")).all()
        opens = session.exec(select(AuditEntry).where(AuditEntry.action == "open_case")).all()
    assert [(e.actor_id, e.subject) for e in reveals] == [(desk.world.province.user_id, f"case:{desk.at_province.id}")]
    assert [(e.actor_id, e.subject) for e in opens] == [(desk.world.province.user_id, f"case:{desk.at_province.id}")]
    at.run()  # a rerun neither records the open again nor hides the numbers
    assert "650104198807070017" in texts(at)
    with Session(desk.world.engine) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "open_case")).all()) == 1
    click(at, "hide-numbers")
    assert "650104198807070017" not in texts(at)

    county = open_case(desk.world, "county", desk.at_county.id)
    roster = next(t.value for t in county.table if "居民身份证号码" in t.value.columns)
    assert shown_cell(list(roster["居民身份证号码"])[0]) == "1101**********002X"
    assert not county.dataframe or all("居民身份证号码" not in d.value.columns for d in county.dataframe)
    click(county, "reveal-numbers")
    roster = next(t.value for t in county.table if "居民身份证号码" in t.value.columns)
    assert shown_cell(list(roster["居民身份证号码"])[0]) == "11010519491231002X"


def test_the_queue_shows_the_working_days_left(desk: Desk) -> None:
    at = open_page("pages/queue.py", desk.world.county)
    row = next(m.value for m in at.markdown if "个工作日" in str(m.value) or "今天到期" in str(m.value))
    assert "-badge[" in row


def test_the_queue_search_finds_by_number_and_takes_wildcards_literally(desk: Desk) -> None:
    at = open_page("pages/queue.py", desk.world.prefecture)
    assert str(desk.at_prefecture.number) in texts(at)
    at.text_input(key="queue_search").input("%").run()
    assert str(desk.at_prefecture.number) not in texts(at)
    assert "没有符合条件的待办办件" in texts(at)
    at.text_input(key="queue_search").input(str(desk.at_prefecture.number)[-6:]).run()
    assert str(desk.at_prefecture.number) in texts(at)


def test_opening_a_case_from_the_queue_goes_to_its_page(desk: Desk) -> None:
    at = open_page("pages/queue.py", desk.world.county)
    links = [link.proto for link in at.page_link if link.value == "办理"]
    assert [(link.page, link.query_string) for link in links] == [("case", f"id={desk.at_county.id}")]
    at.query_params["id"] = str(desk.at_county.id)  # where the link leads (AppTest follows no link)
    at.switch_page("pages/case.py").run()
    assert f"办件 {desk.at_county.number}" in texts(at)


def test_county_confirms_through_the_page_and_the_case_moves_to_the_prefecture(desk: Desk) -> None:
    world = desk.world
    at = open_case(world, "county", desk.at_county.id)
    click(at, "act-confirm")
    assert "即将办理：确认" in texts(at)  # before: 确认办理：确认
    at.text_area(key="act_internal").input("材料已核对")
    click(at, "act_do")
    assert "已办理“确认”" in texts(at)
    assert stage_of(world, desk.at_county.id) == Stage.PREFECTURE_ACCEPT
    assert "待州、市、地公安机关受理" in texts(at)  # the page shows the fresh case
    assert "当前环节无需您办理" in texts(at)
    with world.uow() as uow:
        assert uow.events(desk.at_county.id)[-1].internal_comment == "材料已核对"


def test_cancel_leaves_the_case_as_it_was(desk: Desk) -> None:
    at = open_case(desk.world, "county", desk.at_county.id)
    click(at, "act-confirm")
    click(at, "act_cancel")
    assert "确认办理" not in texts(at)
    assert stage_of(desk.world, desk.at_county.id) == Stage.COUNTY_CONFIRM


def test_a_stale_act_is_refused_with_the_fresh_case_shown(desk: Desk) -> None:
    world = desk.world
    at = open_case(world, "county", desk.at_county.id)
    click(at, "act-confirm")  # the officer opens the confirmation step on what they see...
    act(world, "county", desk.at_county, Act.RETURN, comment="另一位民警已退回")  # ...someone else acts first
    click(at, "act_do")
    shown = texts(at)
    assert STALE in shown
    assert "已退回，待补正" in shown
    assert stage_of(world, desk.at_county.id) == Stage.RETURNED


def test_prefecture_accepts_then_returns_with_itemised_reasons_in_one_notice(desk: Desk) -> None:
    world, case_id = desk.world, desk.at_prefecture.id
    at = open_case(world, "prefecture", case_id)
    click(at, "act-accept")
    click(at, "act_do")
    assert stage_of(world, case_id) == Stage.PREFECTURE_REVIEW
    click(at, "act-return")
    at.multiselect(key="act_items").select("guard_rules").select("area_size").run()
    at.text_input(key="act_reason_guard_rules").input("未加盖单位公章")
    at.text_area(key="act_comment").input("请一并改正后重新提交")
    click(at, "act_do")
    assert "请填写“【填报】守护区域面积”需要补正的原因。" in texts(at)  # one reason missing: nothing happens
    assert stage_of(world, case_id) == Stage.PREFECTURE_REVIEW
    at.text_input(key="act_reason_area_size").input("与平面图不符")
    click(at, "act_do")
    assert stage_of(world, case_id) == Stage.RETURNED
    with world.uow() as uow:
        event = uow.events(case_id)[-1]
        case = uow.case(case_id)
    assert [(i.item_id, i.reason) for i in event.items] == [("guard_rules", "未加盖单位公章"),
                                                            ("area_size", "与平面图不符")]
    assert event.comment == "请一并改正后重新提交"
    assert case.open_items == ("guard_rules", "area_size")
    shown = texts(at)
    assert "未加盖单位公章" in shown and "与平面图不符" in shown  # in the history


def test_reject_needs_reasons(desk: Desk) -> None:
    world, case_id = desk.world, desk.at_prefecture.id
    act(world, "prefecture", desk.at_prefecture, Act.ACCEPT)
    at = open_case(world, "prefecture", case_id)
    click(at, "act-reject")
    assert "可在60日内申请行政复议" in texts(at)  # on the act's checklist, said once
    assert texts(at).count("行政复议") == 1
    click(at, "act_do")
    assert "须写明理由" in texts(at)
    assert stage_of(world, case_id) == Stage.PREFECTURE_REVIEW


def test_province_returns_an_a_case_to_the_prefecture_with_a_reason(desk: Desk) -> None:
    world, case_id = desk.world, desk.at_province.id
    at = open_case(world, "province", case_id)
    click(at, "act-return_to_prefecture")
    at.text_area(key="act_comment").input("请补充核实工作经历证明")
    click(at, "act_do")
    assert stage_of(world, case_id) == Stage.PREFECTURE_REVIEW
    back = open_case(world, "prefecture", case_id)
    assert "请补充核实工作经历证明" in texts(back)
    assert "act-report" in [b.key for b in back.button]


def test_the_late_filing_warning_is_shown_to_the_officer(app_world: World) -> None:
    today = clock.today()
    draft = filled_draft(app_world, "C", today=today)
    cases.save_answer(app_world.uow(), app_world.applicant.actor, draft.id, "service_start",
                      (today - timedelta(days=45)).isoformat(), today=today)
    late = cases.submit(app_world.uow(), app_world.applicant.actor, draft.id, expected_version=draft.version)
    at = open_case(app_world, "county", late.id)
    shown = [str(w.value) for w in at.warning]
    # Worded for the officer: what the dates say and what to do; never the applicant's 「您已超过30日」.
    assert any("逾期申报" in w and "相隔45日" in w and "超过30日的申报期限15日" in w for w in shown), shown
    assert not any("您" in w or "审核人员会看到" in w for w in shown), shown
    # The queue's badge counts the findings; before, any finding was labelled 申报时限提示.
    queue = "\n".join(str(m.value) for m in open_page("pages/queue.py", app_world.county).markdown)
    assert f":orange-badge[{len(late.warnings)}项提示]" in queue and "申报时限提示" not in queue


def test_an_overdue_case_is_flagged_red_in_the_queue(app_world: World) -> None:
    case = submitted(app_world, "C", today=clock.today() - timedelta(days=30))
    at = open_page("pages/queue.py", app_world.county)
    assert ":red-badge[已超期" in texts(at)
    assert str(case.number) in texts(at)
    assert [m.value for m in at.metric][1] == "1"


@dataclass
class FakeSource:
    """A screening source answering the same for everyone: `hits` are hit, the rest clear."""

    hits: tuple[str, ...] = ()
    name: str = "测试比对库"
    categories: tuple[str, ...] = CATEGORIES

    def check(self, id_number: str) -> list[CategoryResult]:
        return [CategoryResult(c, Outcome.HIT if c in self.hits else Outcome.CLEAR, self.name, reference="T1")
                for c in self.categories]


def test_a_comparison_not_done_shows_so_and_a_rerun_flags_a_fugitive_at_the_top(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store.screening, "configured_sources", lambda engine: [FakeSource(hits=("fugitive",))])
    at = open_case(desk.world, "prefecture", desk.at_province.id)  # filed with no source answering
    assert "自动比对未完成" in texts(at)
    assert "未比中" not in texts(at)
    click(at, "rescreen")
    errors = [str(e.value) for e in at.error]
    assert any("自动比对比中：网上逃犯（数据源：测试比对库，记录编号：T1）" in e for e in errors), errors
    queue = open_page("pages/queue.py", desk.world.province)
    assert ":red-badge[比中网上逃犯]" in texts(queue)


def test_approving_without_a_completed_comparison_needs_a_written_reason(desk: Desk) -> None:
    world, case_id = desk.world, desk.at_province.id
    act(world, "province", desk.at_province, Act.ACCEPT)
    at = open_case(world, "province", case_id)
    click(at, "act-approve")
    click(at, "act_do")
    assert "自动比对尚未完成" in texts(at)
    assert stage_of(world, case_id) == Stage.PROVINCE_REVIEW
    at.text_area(key="act_justification").input("比对服务故障，已人工核查无异常")
    click(at, "act_do")
    assert stage_of(world, case_id) == Stage.APPROVED
    assert "已办理“通过”" in texts(at)


def test_the_county_never_sees_comparison_results(desk: Desk) -> None:
    at = open_case(desk.world, "county", desk.at_county.id)
    assert "自动比对" not in texts(at)
    assert "rescreen" not in [b.key for b in at.button]


def test_showing_every_page_of_a_material_is_a_further_look_recorded(app_world: World) -> None:
    from fpdf import FPDF

    today = clock.today()
    draft = filled_draft(app_world, "C", today=today - timedelta(days=1))
    pdf = FPDF()
    for page in range(3):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.cell(0, 10, f"page {page + 1}")
    cases.upload_material(app_world.uow(), app_world.applicant.actor, draft.id, "other", filename="其他.pdf",
                          data=bytes(pdf.output()))
    with app_world.uow() as uow:
        version = uow.case(draft.id).version
        material = next(m for m in uow.materials(draft.id) if m.material_id == "other")
    cases.submit(app_world.uow(), app_world.applicant.actor, draft.id, expected_version=version, sources=[])
    at = open_case(app_world, "county", draft.id)
    assert "已显示前2页，共3页。" in texts(at)
    at.toggle(key=f"material-{material.id}-all").set_value(True).run()
    assert "已显示前2页" not in texts(at)  # every page drawn
    with Session(app_world.engine) as session:
        previews = session.exec(select(AuditEntry).where(AuditEntry.action == "preview_material",
                                                         AuditEntry.subject == f"case:{draft.id}")).all()
    assert [e.detail.get("pages") for e in previews if e.detail["material"] == material.id] == [None, "all"]
    assert all(e.actor_id == app_world.county.user_id for e in previews)


def test_the_case_page_warns_of_a_second_filing_while_one_stands(app_world: World) -> None:
    """An outside review approved a duplicate filing without seeing why the queue showed "1项提示": the case page
    replaced the stored notes with the answers' findings, and the duplicate's note was not among them."""
    today = clock.today()
    first = submitted(app_world, "C", today=today - timedelta(days=3))
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(app_world, who, first, what)
    second = submitted(app_world, "C", today=today - timedelta(days=1))
    at = open_case(app_world, "county", second.id)
    assert not at.exception
    assert f"重复申报提示：本单位已有有效的自行招用保安员单位备案（办件编号{first.number}" in texts(at)
    assert "重复申报提示" not in texts(open_case(app_world, "county", first.id))
