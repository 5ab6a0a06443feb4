"""The ledger, report and administrator's pages through AppTest: who sees what, exports equal the tables."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from flows import cases, clock
from flows.oversight import tables
from flows.ports import CaseView
from flows.review.screening import EMBEDDED, NETWORK, OFF
from flows.review.transitions import Act, Role
from store import screening
from store.accounts import HASHER, Account, create_user, demo_password_hash, get_account
from store.demo import DEMO_PASSWORD
from store.models import AuditEntry, BaselineUnit, CalendarOverride, Case, User
from tests.app.conftest import open_page, texts
from tests.support import World, submitted


def do(world: World, who: Account, case: CaseView, what: Act, **kwargs: object) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), who.actor, case.id, what, expected_version=version,
                             **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file a page hands to a download button, by file name (AppTest cannot click them)."""
    found: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self: MemoryMediaFileStorage, path_or_data: str | bytes, mimetype: str, kind: Any,
             filename: str | None = None) -> str:
        if isinstance(path_or_data, bytes) and filename:
            found[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    deferred = MediaFileManager.add_deferred

    def make_now(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None, coordinates: str,
                 file_name: str | None = None, **kwargs: Any) -> str:
        """A file made on click: made here, as the click would."""
        data = data_callable()
        if file_name:
            found[file_name] = data.encode("utf-8") if isinstance(data, str) else data
        return deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", make_now)
    return found


@pytest.fixture
def filed_world(app_world: World) -> Iterator[World]:
    """Two filed C cases in 乌鲁木齐市 (one later overdue-free), one open case, one filed in 克拉玛依市."""
    w = app_world
    day = clock.today() - timedelta(days=3)
    for _ in range(2):
        case = submitted(w, "C", today=day)
        for who, what in ((w.county, Act.CONFIRM), (w.prefecture, Act.ACCEPT), (w.prefecture, Act.APPROVE)):
            case = do(w, who, case, what)
    submitted(w, "C", today=clock.today() - timedelta(days=20))  # open and overdue
    user_id = create_user(w.engine, login="county650202", password=DEMO_PASSWORD, display_name="独山子",
                          role=Role.COUNTY, region_code="650202", password_hash=demo_password_hash(DEMO_PASSWORD))
    karamay = get_account(w.engine, user_id)
    assert karamay is not None
    case = submitted(w, "C", today=day, applicant=w.other_applicant, prefecture="650200", county="650202")
    for who, what in ((karamay, Act.CONFIRM), (w.other_prefecture, Act.ACCEPT), (w.other_prefecture, Act.APPROVE)):
        case = do(w, who, case, what)
    yield w


def cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def table_cells(at: AppTest, column: str) -> list[list[Any]]:
    """The cells of the page's table (data grid or plain table) that has this column (header row first)."""
    frame = next(d.value for d in (*at.dataframe, *at.table) if column in d.value.columns)
    return [list(frame.columns)] + [[cell(v) for v in row] for row in frame.itertuples(index=False)]


def sheet_cells(data: bytes, sheet: str) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data))
    return [list(r) for r in book[sheet].iter_rows(values_only=True)]


def only(downloads: dict[str, bytes], prefix: str, suffix: str) -> bytes:
    names = [n for n in downloads if n.startswith(prefix) and n.endswith(suffix)]
    assert len(names) == 1, names
    return downloads[names[0]]


def overdue_filter(chart: Any) -> list[str]:
    """The filters of the chart's red-triangle layer (the overdue count of each region)."""
    spec = json.loads(chart.proto.spec)
    layer = next(part for part in spec["layer"] if part["mark"].get("shape") == "triangle-left")
    return [t["filter"] for t in layer.get("transform", []) if "filter" in t]


def test_province_report_shows_every_prefecture_and_its_excel_equals_the_table(
        filed_world: World, downloads: dict[str, bytes]) -> None:
    at = open_page("pages/report.py", filed_world.province)
    assert not at.exception, [e.value for e in at.exception]
    page = table_cells(at, "收件")
    assert len(page) == 1 + 15 and page[1][0] == "乌鲁木齐市" and page[-1][0] == "合计"
    urumqi = dict(zip(page[0], page[1], strict=True))
    assert (urumqi["收件"], urumqi["已办结（通过/备案）"], urumqi["在办"], urumqi["超期"]) == (3, 2, 1, 1)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts  # the chart is drawn
    assert overdue_filter(charts[0]) == ["datum['超期'] > 0"]  # a triangle where a case is overdue, none at zero
    excel = sheet_cells(only(downloads, "工作通报_", ".xlsx"), "工作通报")
    assert excel == page  # cell by cell
    assert [m.value for m in at.metric][:4] == ["4", "1", "3", "1"]


def test_prefecture_report_shows_its_counties_only(filed_world: World) -> None:
    at = open_page("pages/report.py", filed_world.prefecture)
    page = table_cells(at, "收件")
    names = [row[0] for row in page[1:]]
    assert names[0] == "天山区" and "克拉玛依市" not in names and "独山子区" not in names
    assert page[-1][1] == 3  # 合计 received


@pytest.mark.parametrize("who", ["county", "applicant"])
def test_the_report_is_refused_to_counties_and_applicants(filed_world: World, who: str) -> None:
    at = open_page("pages/report.py", getattr(filed_world, who))
    assert "您无权访问此页面。" in texts(at)


def test_ledger_table_and_its_excel_and_region_picker(filed_world: World, downloads: dict[str, bytes]) -> None:
    at = open_page("pages/ledger.py", filed_world.province)
    assert not at.exception, [e.value for e in at.exception]
    page = table_cells(at, "备案证明编号")
    assert len(page) == 1 + 2  # one row per unit: the unit that filed twice in 乌鲁木齐市 is one row
    urumqi = dict(zip(page[0], page[1], strict=True))
    assert urumqi["备案件数"] == 2 and urumqi["保安员人数"] == 6 and "；" in urumqi["备案证明编号"]
    assert [(m.label, m.value) for m in at.metric][:3] == [("单位数", "2"), ("备案件数", "3"), ("保安员人数合计", "9")]
    # (an empty text is an empty cell, read back as None: a C filing leaves the branch columns empty)
    assert sheet_cells(only(downloads, "台账_在册备案单位_", ".xlsx"), "在册备案单位") == \
        [[None if v == "" else v for v in row] for row in page]
    assert len(sheet_cells(only(downloads, "台账_在册备案单位_", ".xlsx"), "备案明细")) == 1 + 3
    at.selectbox(key="ledger_prefecture").set_value("650200").run()
    narrowed = table_cells(at, "备案证明编号")
    assert len(narrowed) == 2 and narrowed[1][0] == "克拉玛依市独山子区"

    county = open_page("pages/ledger.py", filed_world.sibling_county)
    assert "没有符合条件的记录。" in texts(county)
    prefecture = open_page("pages/ledger.py", filed_world.prefecture)
    assert len(table_cells(prefecture, "备案证明编号")) == 1 + 1
    assert "您无权访问此页面。" in texts(open_page("pages/ledger.py", filed_world.applicant))


def test_an_open_ledger_shows_a_filing_approved_meanwhile_at_its_next_run(filed_world: World) -> None:
    """The ledger keeps its rows between runs while no act happened: an approval elsewhere shows at the next
    click, not only after the officer leaves and comes back."""
    w = filed_world
    at = open_page("pages/ledger.py", w.prefecture)
    assert [(m.label, m.value) for m in at.metric][:2] == [("单位数", "1"), ("备案件数", "2")]
    case = submitted(w, "C", today=clock.today() - timedelta(days=1), applicant=w.other_applicant)
    for who, what in ((w.county, Act.CONFIRM), (w.prefecture, Act.ACCEPT), (w.prefecture, Act.APPROVE)):
        case = do(w, who, case, what)
    at.run()
    assert [(m.label, m.value) for m in at.metric][:2] == [("单位数", "2"), ("备案件数", "3")]
    assert len(table_cells(at, "备案证明编号")) == 1 + 2


@pytest.fixture
def administrator(app_world: World) -> Account:
    user_id = create_user(app_world.engine, login="admin", password=DEMO_PASSWORD, display_name="系统管理员",
                          role=Role.ADMIN, region_code="650000", password_hash=demo_password_hash(DEMO_PASSWORD))
    account = get_account(app_world.engine, user_id)
    assert account is not None
    return account


def open_admin(administrator: Account, tab: str = "账号管理") -> AppTest:
    """The administration page with one of its tabs open (only the open tab is drawn)."""
    at = open_page("pages/admin.py", administrator)
    if tab != "账号管理":
        at.session_state["admin_tab"] = tab
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def audit_actions(world: World) -> list[str]:
    with Session(world.engine) as session:
        return [a.action for a in session.exec(select(AuditEntry))]


def test_administrator_creates_disables_and_resets_an_officer(app_world: World, administrator: Account) -> None:
    at = open_admin(administrator)
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="new_role").set_value(Role.PREFECTURE).run()
    at.selectbox(key="new_prefecture").set_value("653100").run()
    at.text_input[[t.label for t in at.text_input].index("登录名")].input("zhou653100b")
    at.text_input[[t.label for t in at.text_input].index("初始密码")].input("Kashi2026pass")
    at.button[[b.label for b in at.button].index("创建账号")].click().run()
    assert "已创建账号“zhou653100b”" in texts(at), texts(at)
    with Session(app_world.engine) as session:
        user = session.exec(select(User).where(User.login == "zhou653100b")).one()
    assert (user.role, user.region_code, user.display_name) == ("prefecture", "653100", "喀什地区公安局治安管理支队")

    at.selectbox(key="manage_user").set_value(user.id).run()
    # Both log the officer out at once: a click alone (a slip) does nothing, a tick first is needed.
    assert at.button(key="toggle_user").disabled and at.button(key="reset_button").disabled
    at.checkbox(key=f"sure_disable_{user.id}").check().run()
    at.button(key="toggle_user").click().run()
    at.checkbox(key=f"sure_reset_{user.id}").check().run()
    at.button(key="reset_button").click().run()
    shown = texts(at)
    assert "一次性密码：" in shown, shown
    one_time = shown.split("一次性密码：")[1].split("（")[0]
    with Session(app_world.engine) as session:
        user = session.exec(select(User).where(User.login == "zhou653100b")).one()
    assert user.active is False
    assert user.must_change_password and user.totp_secret is None  # changed and enrolled again at the next login
    assert HASHER.verify(user.password_hash, one_time)
    assert {"create_user", "disable_user", "password_reset"} <= set(audit_actions(app_world))


def test_a_calendar_correction_recomputes_due_dates_and_officers_are_warned_of_a_missing_year(
        app_world: World, administrator: Account) -> None:
    case = submitted(app_world, "C", today=date(2026, 12, 28))  # due in January 2027, a year not yet official
    assert case.due_on == date(2027, 1, 5)  # 12-29, 12-30, 12-31, (01-01 off), 01-04, 01-05
    home = open_page("streamlit_app.py", app_world.county)
    assert "2027年的节假日安排尚未录入" in texts(home)

    at = open_admin(administrator, "节假日日历")
    assert "2027年的国务院节假日安排尚未录入" in texts(at)
    at.date_input[0].set_value(date(2027, 1, 4))
    at.selectbox[[s.label for s in at.selectbox].index("当天")].set_value("休息日（放假）")
    at.text_input[[t.label for t in at.text_input].index("说明")].input("2027年元旦调休")
    at.button[[b.label for b in at.button].index("保存")].click().run()
    assert "1个办件的办结期限已重新计算" in texts(at), texts(at)
    with Session(app_world.engine) as session:
        assert session.get(Case, case.id).due_on == date(2027, 1, 6)  # type: ignore[union-attr]
        assert session.get(CalendarOverride, date(2027, 1, 4)) is not None
    # One correction does not make 2027 official: the administrator marks the year's schedule complete.
    assert "2027年的节假日安排尚未录入" in texts(open_page("streamlit_app.py", app_world.county))
    at.selectbox(key="complete_year").set_value(2027).run()
    at.button(key="complete_year_button").click().run()
    assert "2027年已标记为已录入完毕" in texts(at), texts(at)
    assert "2027年的节假日安排尚未录入" not in texts(open_page("streamlit_app.py", app_world.county))
    assert "calendar_day" in audit_actions(app_world)


def test_officers_see_overdue_and_due_today_counts_on_entering(app_world: World) -> None:
    submitted(app_world, "C", today=clock.today() - timedelta(days=30))
    home = open_page("streamlit_app.py", app_world.county)
    assert "您的待办中有1件已超期" in texts(home)


def test_settings_are_saved_and_audited(app_world: World, administrator: Account) -> None:
    at = open_admin(administrator, "省级设置")
    deadline = next(d for d in at.date_input if d.label == "集中备案截止日期")
    deadline.set_value(date(2027, 3, 31))
    at.button[[b.label for b in at.button].index("保存截止日期")].click().run()
    assert "集中备案截止日期已保存" in texts(at)
    province = open_page("pages/report.py", app_world.province)
    assert "2027年3月31日" in texts(province)
    names = at.text_input[[t.label for t in at.text_input].index("州市地机关名称模板")]
    names.input("{name}公安局治安支队")
    at.button[[b.label for b in at.button].index("保存名称")].click().run()
    assert "名称已保存" in texts(at)
    from store.admin import effective_config

    assert effective_config(app_world.engine).organ_for("650100") == "乌鲁木齐市公安局治安支队"
    assert audit_actions(app_world).count("setting") == 2


def test_screening_import_counts_source_switch_and_batch_removal(app_world: World, administrator: Account) -> None:
    at = open_admin(administrator, "自动比对数据")
    data = "身份证号码,类别,编号\n65050219851111004X,网上逃犯,T-1\n650102197001010018,刑事犯罪前科,X-1\n坏号码,网上逃犯,T-2\n"
    at.file_uploader[0].set_value(("t.csv", data.encode(), "text/csv"))
    at.text_input[[t.label for t in at.text_input].index("批次名称")].input("测试批次")
    at.button[[b.label for b in at.button].index("导入")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "导入完成：新增2条，已有0条，错误1行。" in texts(at), texts(at)
    assert "第4行" in texts(at)
    batch_id = next(b.id for b in screening.batches(app_world.engine) if b.name == "测试批次")
    values = {m.label: m.value for m in at.metric}  # the same page run counts what it imported (before: 0 until reload)
    assert values["网上逃犯"] == "1" and values["刑事犯罪前科"] == "1"
    at = open_admin(administrator, "自动比对数据")
    values = {m.label: m.value for m in at.metric}
    assert values["网上逃犯"] == "1" and values["刑事犯罪前科"] == "1"
    at.selectbox(key="remove_batch").set_value(batch_id).run()
    at.button(key="remove_batch_button").click().run()
    assert f"批次{batch_id}已移除" in texts(at)
    assert {m.label: m.value for m in at.metric}["网上逃犯"] == "0"
    radio = next(r for r in at.radio if r.label == "比对数据来源")
    radio.set_value(OFF)
    at.button[[b.label for b in at.button].index("保存来源设置")].click().run()
    assert screening.configured_sources(app_world.engine) == []
    at.button(key="test_network").click().run()
    assert "请先填写并保存比对服务地址" in texts(at)


@pytest.mark.parametrize(("name", "data"), [("名单.xlsx", b"PK\x03\x04 not really a workbook"),
                                            ("名单.xlsx", b"%PDF-1.4 a renamed PDF"), ("名单.csv", b"")])
def test_a_damaged_list_file_is_refused_in_chinese_and_nothing_is_imported(
        app_world: World, administrator: Account, filed_world: World, name: str, data: bytes) -> None:
    """Before: the screening import showed a traceback, the baseline import an English class name."""
    at = open_admin(administrator, "自动比对数据")
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    at.button[[b.label for b in at.button].index("导入")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = texts(at)
    assert (tables.UNREADABLE_TABLE if data else tables.EMPTY_TABLE) in said
    assert "Error" not in said and "Zip" not in said and screening.batches(app_world.engine) == []

    report = open_page("pages/report.py", filed_world.province)
    report.file_uploader(key="baseline_file").set_value((name, data, "application/octet-stream"))
    report.button[[b.label for b in report.button].index("导入")].click().run()
    assert not report.exception, [e.value for e in report.exception]
    said = texts(report)
    assert (tables.UNREADABLE_TABLE if data else tables.EMPTY_TABLE) in said and "Error" not in said
    with Session(filed_world.engine) as session:
        assert session.exec(select(BaselineUnit)).first() is None  # nothing imported


@pytest.mark.parametrize(("typed", "says"), [("http://10.0.0.8/compare", "加密传输"),
                                             ("file:///etc/passwd", "加密传输"),
                                             ("https://evil.example/compare", "不在允许的主机名单")])
def test_the_screening_address_field_refuses_other_schemes_and_hosts_in_chinese(
    app_world: World, administrator: Account, monkeypatch: pytest.MonkeyPatch, typed: str, says: str,
) -> None:
    monkeypatch.setenv("SCREENING_ALLOWED_HOSTS", "compare.police.net")
    at = open_admin(administrator, "自动比对数据")
    at.text_input[[t.label for t in at.text_input].index("公安网比对服务地址")].input(typed)
    at.button[[b.label for b in at.button].index("保存来源设置")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert says in texts(at)
    assert screening.get_setting(app_world.engine, "screening_network_url", "") == ""  # nothing saved
    at.text_input[[t.label for t in at.text_input].index("公安网比对服务地址")].input(
        "https://compare.police.net/compare")
    at.button[[b.label for b in at.button].index("保存来源设置")].click().run()
    assert screening.get_setting(app_world.engine, "screening_network_url", "") == "https://compare.police.net/compare"


def test_choosing_the_network_service_without_its_address_is_refused_at_the_field(
    app_world: World, administrator: Account,
) -> None:
    """Else every comparison would end 未完成 with nothing on the page saying why."""
    at = open_admin(administrator, "自动比对数据")
    next(r for r in at.radio if r.label == "比对数据来源").set_value(NETWORK)
    at.button[[b.label for b in at.button].index("保存来源设置")].click().run()
    assert "选择“公安网比对服务”时，请填写比对服务地址。" in texts(at)
    assert screening.get_setting(app_world.engine, "screening_source", EMBEDDED) == EMBEDDED  # nothing saved


def test_the_admin_page_draws_only_the_open_tab(app_world: World, administrator: Account) -> None:
    """Each tab reads its own tables: a run of the page draws the tab the administrator has open, not all five."""
    at = open_admin(administrator)
    buttons = {b.label for b in at.button}
    assert "创建账号" in buttons and "保存截止日期" not in buttons and "立即发送一轮" not in buttons
    at = open_admin(administrator, "省级设置")
    buttons = {b.label for b in at.button}
    assert "保存截止日期" in buttons and "创建账号" not in buttons
    at.run()  # a rerun (any click) keeps the tab open
    assert "保存截止日期" in {b.label for b in at.button}


@pytest.mark.parametrize("who", ["province", "prefecture", "applicant"])
def test_only_the_administrator_opens_the_admin_page(app_world: World, who: str) -> None:
    assert "您无权访问此页面。" in texts(open_page("pages/admin.py", getattr(app_world, who)))



def test_province_imports_the_baseline_and_sees_coverage(filed_world: World) -> None:
    from store.demo import DEMO_CODES

    at = open_page("pages/report.py", filed_world.province)
    data = ("单位名称,统一社会信用代码,所属地区\n"
            f"乌鲁木齐幸福物业服务有限公司,{DEMO_CODES[0]},乌鲁木齐市天山区\n"
            f"尚未办理的单位,{DEMO_CODES[2]},650103\n"
            "坏代码单位,123,650103\n")
    at.file_uploader(key="baseline_file").set_value(("底数.csv", data.encode("utf-8"), "text/csv"))
    at.button[[b.label for b in at.button].index("导入")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "已新增2家、更新0家单位。" in shown and "第4行" in shown
    coverage = table_cells(at, "底数单位")
    urumqi = dict(zip(coverage[0], coverage[1], strict=True))
    assert (urumqi["地区"], urumqi["底数单位"], urumqi["已备案"], urumqi["未启动"]) == ("乌鲁木齐市", 2, 1, 1)
    waiting = table_cells(at, "状态")
    assert [row[1] for row in waiting[1:]] == ["尚未办理的单位"]
    prefecture = open_page("pages/report.py", filed_world.prefecture)
    assert not any(b.label == "导入" for b in prefecture.button)  # only the province imports


def test_an_administrator_sets_an_organs_name_code_and_seal_for_the_documents_issued_afterwards(
        app_world: World, administrator: Account) -> None:
    from store.admin import effective_config

    at = open_admin(administrator, "省级设置")
    at.selectbox(key="organ_region").set_value("652900").run()
    at.text_input(key="organ_name_652900").input("阿克苏地区公安处")
    at.text_input(key="organ_code_652900").input("阿公处")
    at.text_input(key="organ_seal_652900").input("阿克苏地区公安处")
    at.button[[b.label for b in at.button].index("保存机关设置")].click().run()
    assert "机关设置已保存" in texts(at), texts(at)
    organ = effective_config(app_world.engine).issuing_organ("652900")
    assert (organ.name, organ.code, organ.seal) == ("阿克苏地区公安处", "阿公处", "阿克苏地区公安处")
    assert organ.undertaker == "阿克苏地区公安局治安管理支队"  # left as it was: the file's template
    assert effective_config(app_world.engine).issuing_organ("650100").code == "乌公"  # others unchanged
    assert "setting" in audit_actions(app_world)
