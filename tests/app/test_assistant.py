"""The guided assistant page, driven through Streamlit's AppTest."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from streamlit.testing.v1 import AppTest

from flows import cases, clock
from flows.config import get_config
from flows.kinds import get_filing
from store.demo import demo_answers, demo_pdf
from tests.app.conftest import open_page, texts
from tests.support import World


def _start_c(world: World) -> AppTest:
    at = open_page("pages/assistant.py", world.applicant)
    at.button(key="kind-C").click().run()
    assert "自行招用保安员单位备案网上操作须知" in texts(at)
    assert at.button(key="start-C").disabled  # cannot go on before confirming the instructions
    at.checkbox(key="read-C").check().run()
    at.button(key="start-C").click().run()
    return at


def _draft_id(world: World) -> int:
    from store.queries import open_draft

    row = open_draft(world.engine, world.applicant.unit_id or -1)
    assert row is not None and row.id is not None
    return row.id


def _fill(world: World, case_id: int, upto: str) -> None:
    """Answer the C questions through the use cases up to (not including) `upto`."""
    for qid, value in demo_answers("C", today=clock.today()).items():
        if qid == upto:
            return
        cases.save_answer(world.uow(), world.applicant.actor, case_id, qid, value, today=clock.today())


def test_known_answers_are_never_asked_and_the_first_question_is_unit_type(app_world: World) -> None:
    at = _start_c(app_world)
    shown = texts(at)
    assert "单位类型" in shown
    assert "单位名称" not in shown and "统一社会信用代码" not in shown  # known from the account
    assert not at.exception


def test_a_choice_is_answered_by_a_button_and_saved_at_once(app_world: World) -> None:
    at = _start_c(app_world)
    next(b for b in at.button if b.label == "物业服务企业").click().run()
    with app_world.uow() as uow:
        assert uow.answers(_draft_id(app_world))["unit_type"] == "物业服务企业"
    assert "单位所在地" in texts(at)


def test_a_region_message_goes_once_the_applicant_chooses(app_world: World) -> None:
    """Before: “请选择州、市、地。” stayed under the box after 乌鲁木齐市 was chosen, until the next 确定."""
    at = _start_c(app_world)
    next(b for b in at.button if b.label == "物业服务企业").click().run()
    next(b for b in at.button if b.label == "确定").click().run()
    assert "请选择州、市、地。" in [str(e.value) for e in at.error]
    next(s for s in at.selectbox if s.label == "州、市、地").select("650100").run()
    assert not at.error, [str(e.value) for e in at.error]
    assert "县（市、区）" in [s.label for s in at.selectbox]


PRINCIPAL_ID = str(demo_answers("C", today=clock.today())["principal_id"])


@pytest.mark.parametrize(("qid", "label", "typed", "says"), [
    # A mistyped check character is named by its position.
    ("principal_id", "法定代表人（主要负责人）居民身份证号码", "110105194912310021", "第18位"),
    # The principal's number typed for a deputy of another name: one number, two people.
    ("deputy_id", "分管保安工作的负责人居民身份证号码", PRINCIPAL_ID, "此号码已作为"),
])
def test_a_refused_id_number_says_why_and_keeps_the_question(app_world: World, qid: str, label: str, typed: str,
                                                            says: str) -> None:
    at = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, qid)
    at.run()
    assert label in texts(at)
    at.text_input[0].input(typed)
    next(b for b in at.button if b.label == "确定").click().run()
    assert says in texts(at)
    with app_world.uow() as uow:
        assert qid not in uow.answers(case_id)


def test_a_late_service_start_date_warns_but_lets_the_applicant_go_on(app_world: World) -> None:
    at = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, "service_start")
    at.run()
    at.date_input[0].set_value(clock.today() - timedelta(days=40))
    next(b for b in at.button if b.label == "确定").click().run()
    shown = texts(at)
    assert "已超过30日" in shown
    assert "保安员名单" in shown  # the next question


def test_a_new_session_resumes_at_the_same_step(app_world: World) -> None:
    at = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, "area_description")
    fresh = open_page("pages/assistant.py", app_world.applicant)  # a refresh: new session, same account
    shown = texts(fresh)
    assert "欢迎回来" in shown and "守护区域基本情况" in shown
    del at


def test_summary_groups_answers_and_a_change_link_returns_to_the_summary(app_world: World) -> None:
    at = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, "__end__")
    for m in get_filing("C").materials:
        if m.required:
            cases.upload_material(app_world.uow(), app_world.applicant.actor, case_id, m.id,
                                  filename=f"{m.id}.pdf", data=demo_pdf(m.id))
    cases.skip_material(app_world.uow(), app_world.applicant.actor, case_id, "other")
    at.run()
    shown = texts(at)
    assert "请核对" in shown and "守护区域" in shown and "上传的材料" in shown
    # A question typed at the summary is answered below it, by the box it was typed in (before: 2,500 px up).
    at.chat_input[0].set_value("制度文件需要盖章吗？").run()
    in_order = [str(getattr(node, "value", "")) for node in at.main]
    asked = in_order.index("制度文件需要盖章吗？")
    assert asked > max(i for i, value in enumerate(in_order) if "守护区域" in value)
    assert any("公章" in value for value in in_order[asked:])
    at.button(key="edit-area_size").click().run()
    at.text_input[0].input("约5万平方米")
    next(b for b in at.button if b.label == "确定").click().run()
    assert "请核对" in texts(at)
    with app_world.uow() as uow:
        assert uow.answers(case_id)["area_size"] == "约5万平方米"
    at.button(key="submit").click().run()
    shown = texts(at)
    assert "提交成功" in shown and "办件编号" in shown and "办结期限" in shown
    assert "天山区" in shown  # the receiving organ: the county confirms first
    assert not at.exception


def test_a_renamed_jpeg_is_refused_with_its_reason_and_a_real_pdf_is_accepted(app_world: World) -> None:
    from io import BytesIO

    from PIL import Image

    at = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, "__end__")
    at.run()
    assert "法人资格证明" in texts(at)
    buffer = BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    at.get("file_uploader")[0].set_value(("licence.pdf", buffer.getvalue(), "application/pdf")).run()
    shown = texts(at)
    assert "JPEG" in shown and "法人资格证明" in shown  # refused, the same question again
    with app_world.uow() as uow:
        assert uow.materials(case_id) == []
    at.get("file_uploader")[0].set_value(("licence.pdf", demo_pdf("licence"), "application/pdf")).run()
    assert "保安服务管理制度" in texts(at)  # accepted: on to the next material
    with app_world.uow() as uow:
        assert [m.material_id for m in uow.materials(case_id)] == ["legal_person_proof"]


def test_a_question_typed_in_the_chat_is_answered_from_the_instructions_naming_the_passage(app_world: World) -> None:
    at = _start_c(app_world)
    at.chat_input[0].set_value("制度文件需要盖章吗？").run()
    shown = texts(at)
    assert "《自行招用保安员单位备案网上操作须知》" in shown and "公章" in shown
    at.chat_input[0].set_value("今天天气怎么样").run()
    shown = texts(at)
    assert "没有找到" in shown and "乌鲁木齐" in shown or "0991" in shown


def test_a_returned_case_reopens_only_the_named_items_then_resubmits(app_world: World) -> None:
    from datetime import datetime

    from flows.ports import ReturnItem
    from flows.review.transitions import Act, Stage
    from tests.support import submitted

    case = submitted(app_world, "C", today=clock.today())
    for officer, act in ((app_world.county, Act.CONFIRM), (app_world.prefecture, Act.ACCEPT)):
        with app_world.uow() as uow:
            version = uow.case(case.id).version
        cases.act_on_case(app_world.uow(), officer.actor, case.id, act, expected_version=version,
                          now=datetime.now(clock.CHINA))
    with app_world.uow() as uow:
        version = uow.case(case.id).version
    cases.act_on_case(app_world.uow(), app_world.prefecture.actor, case.id, Act.RETURN, expected_version=version,
                      items=(ReturnItem("area_size", "【填报】守护区域面积", "与平面图不符"),), comment="请改正")
    at = open_page("pages/assistant.py", app_world.applicant, case=str(case.id))
    shown = texts(at)
    assert "一次性告知" in shown and "与平面图不符" in shown and "守护区域面积" in shown
    assert "单位类型" not in shown  # nothing else is asked again
    at.text_input[0].input("约6万平方米")
    next(b for b in at.button if b.label == "确定").click().run()
    assert "已补正" in texts(at)
    at.button(key="submit").click().run()
    with app_world.uow() as uow:
        again = uow.case(case.id)
        assert uow.answers(case.id)["area_size"] == "约6万平方米"
    assert again.stage == Stage.COUNTY_CONFIRM and again.number == case.number
    assert "提交成功" in texts(at)


HOSTILE = ("<script>alert(1)</script>", "[点我](javascript:alert(1))", "x" * 600, "\u202egnp.exe", "' OR 1=1 --")


@pytest.mark.parametrize("kind", ["A", "B", "C"])
def test_broken_input_at_every_typed_step_gives_a_chinese_message_never_a_traceback(app_world: World,
                                                                                     kind: str) -> None:
    from flows.filing.guide import asked_questions
    from flows.filing.schema import QType

    at = open_page("pages/assistant.py", app_world.applicant)
    at.button(key=f"kind-{kind}").click().run()
    at.checkbox(key=f"read-{kind}").check().run()
    at.button(key=f"start-{kind}").click().run()
    case_id = _draft_id(app_world)
    answers = demo_answers(kind, today=clock.today())
    typed = (QType.TEXT, QType.LONG_TEXT, QType.USCC, QType.ID_NUMBER, QType.MOBILE, QType.PHONE, QType.NUMBER)
    for index, q in enumerate(asked_questions(get_filing(kind), answers)):
        if q.type in typed:
            at.run()
            field = at.text_area[0] if q.type == QType.LONG_TEXT else at.text_input[0]
            field.input(HOSTILE[index % len(HOSTILE)])
            next(b for b in at.button if b.label == "确定").click().run()
            assert not at.exception, q.id
            assert "Traceback" not in texts(at)
        cases.save_answer(app_world.uow(), app_world.applicant.actor, case_id, q.id, answers[q.id],
                          today=clock.today())


def test_the_administrators_pilot_notice_and_dates_show_on_every_page_without_a_code_change(
        app_world: World) -> None:
    from datetime import date

    from flows.oversight.admin import set_pilot
    from store.admin import SqlAdminStore

    set_pilot(SqlAdminStore(app_world.engine), start=date(2026, 1, 1), end=date(2099, 12, 31), notice="管理员修改的试运行提示",
              actor_id=None)
    at = open_page("pages/assistant.py", app_world.applicant)
    assert "管理员修改的试运行提示" in texts(at)
    assert get_config().pilot.notice != "管理员修改的试运行提示"  # the page run's settings stayed in its own run
    set_pilot(SqlAdminStore(app_world.engine), start=date(2020, 1, 1), end=date(2020, 1, 2), notice="已结束",
              actor_id=None)
    at = open_page("pages/assistant.py", app_world.applicant)
    assert "试运行期间" not in texts(at)  # the pilot has ended: no notice


def test_a_60000_page_pdf_is_refused_at_the_upload_field_with_the_page_cap(app_world: World) -> None:
    from bench.hostile_files import many_pages

    at = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, "__end__")
    at.run()
    at.get("file_uploader")[0].set_value(("licence.pdf", many_pages(60_000), "application/pdf")).run()
    shown = texts(at)
    assert "文件共 60000 页，超过每项材料 300 页的上限" in shown.replace("\\", "") and "法人资格证明" in shown
    assert not at.exception
    with app_world.uow() as uow:
        assert uow.materials(case_id) == []


def test_a_property_company_opening_a_security_companies_business_is_pointed_to_its_own(app_world: World) -> None:
    """A review: a property company could start 跨省提供服务备案 without a word that it is for security companies."""
    at = open_page("pages/assistant.py", app_world.applicant)  # 乌鲁木齐幸福物业服务有限公司
    at.button(key="kind-B").click().run()
    assert [w.value for w in at.warning if "由保安服务公司办理" in str(w.value)], texts(at)
    assert "应办理“自行招用保安员单位备案”" in texts(at)
    at.button(key="other-kind").click().run()
    at.button(key="kind-C").click().run()
    assert "自行招用保安员单位备案网上操作须知" in texts(at)
    assert not [w for w in at.warning if "选择其他业务" in str(w.value)]  # its own business: no warning


def test_the_warning_is_recalled_above_the_first_question_once_the_instructions_are_confirmed(
        app_world: World) -> None:
    """A review: once the instructions were confirmed, nothing recalled that the business was another kind of
    unit's; the property company went on into the security companies' questions."""
    at = open_page("pages/assistant.py", app_world.applicant)  # 乌鲁木齐幸福物业服务有限公司
    at.button(key="kind-B").click().run()
    at.checkbox(key="read-B").check().run()
    at.button(key="start-B").click().run()
    reminders = [str(w.value) for w in at.warning if str(w.value).startswith("提醒：")]
    assert reminders and "由保安服务公司办理" in reminders[0] and "办理其他业务" in reminders[0]
    at.button(key="switch-business").click().run()  # the button the reminder names
    at.button(key="kind-C").click().run()
    at.checkbox(key="read-C").check().run()
    at.button(key="start-C").click().run()
    assert "单位类型" in texts(at)  # the first question of its own business...
    assert not [w for w in at.warning if str(w.value).startswith("提醒：")]  # ...with no reminder


def test_a_file_given_in_a_second_tab_at_a_step_the_first_tab_passed_is_kept_not_dropped(app_world: World) -> None:
    """A review: with one draft open in two tabs, a file uploaded in the tab left behind was dropped without a
    word (the step had moved on, so its uploader was no longer drawn). The later upload is the one kept."""
    first = _start_c(app_world)
    case_id = _draft_id(app_world)
    _fill(app_world, case_id, "__end__")
    first.run()
    second = open_page("pages/assistant.py", app_world.applicant)  # the same draft in another tab
    assert "法人资格证明" in texts(first) and "法人资格证明" in texts(second)
    second.get("file_uploader")[0].set_value(("second.pdf", demo_pdf("second"), "application/pdf")).run()
    assert "保安服务管理制度" in texts(second)  # the second tab went on
    first.get("file_uploader")[0].set_value(("first.pdf", demo_pdf("first"), "application/pdf")).run()
    assert not first.exception
    with app_world.uow() as uow:
        kept = {m.material_id: m.filename for m in uow.materials(case_id)}
    assert kept == {"legal_person_proof": "first.pdf"}  # the later upload, not dropped
    assert "first.pdf" in texts(first) and "保安服务管理制度" in texts(first)
    # Both tabs now ask for the next material; the second gives it, the first then gives a file that is refused.
    second.run()
    second.get("file_uploader")[0].set_value(("rules.pdf", demo_pdf("rules"), "application/pdf")).run()
    first.get("file_uploader")[0].set_value(("rules.exe", b"MZ\x90\x00not a document", "application/pdf")).run()
    assert "您刚才上传的文件未被采用，仍使用上面的文件" in texts(first)  # said, not dropped
    with app_world.uow() as uow:
        assert {m.material_id: m.filename for m in uow.materials(case_id)}["service_rules"] == "rules.pdf"


def _roster_workbook(ids: list[str]) -> bytes:
    from openpyxl import load_workbook

    from flows.filing.roster_excel import template

    book = load_workbook(BytesIO(template(get_filing("C").question("guards"))))
    sheet = book.worksheets[0]
    for row, id_number in enumerate(ids, start=2):
        sheet.cell(row=row, column=1, value=f"保安员{row - 1}")
        sheet.cell(row=row, column=2, value=id_number)
        sheet.cell(row=row, column=4, value=f"1389910000{row}")
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_corrected_roster_workbook_clears_the_refusal_of_the_rows_it_replaces(app_world: World) -> None:
    """A review: the red refusal of the rows confirmed before stayed on screen after a corrected workbook was
    uploaded, until 确定 was pressed again."""
    at = _start_c(app_world)
    _fill(app_world, _draft_id(app_world), "guards")
    at.run()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    good = [p["id_number"] for p in demo_answers("C", today=clock.today())["guards"]][:2]
    at.get("file_uploader")[0].set_value(("名单.xlsx", _roster_workbook([good[0], "110105194912310021"]), xlsx)).run()
    next(b for b in at.button if b.label == "确定").click().run()
    refusal = [e.value for e in at.error]
    assert refusal and "第3行" in str(refusal[0])  # the bad number, by its row in Excel
    at.get("file_uploader")[0].set_value(("名单2.xlsx", _roster_workbook(good), xlsx)).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]  # the refusal spoke of rows no longer shown
