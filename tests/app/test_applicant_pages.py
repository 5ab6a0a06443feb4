"""The applicant's and the public's pages (My cases, service guide, verification) and the
province's feedback inbox, driven through Streamlit's AppTest."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from flows import cases, clock
from flows.errors import FieldError, NotFound
from flows.ports import CaseView, ReturnItem
from flows.review.deadlines import WorkCalendar
from flows.review.transitions import Act
from store.accounts import Account
from store.feedback import add_feedback, list_feedback, rating_for_case, triage
from store.uow import SqlUnitOfWork
from store.verification import FREE_FAILURES, LIMITER
from tests.app.conftest import open_page as _open_page
from tests.app.conftest import texts
from tests.support import World, filled_draft, submitted
from ui.text import md_escape

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = "内部意见：电话核实过，不要告诉申请人"


def open_page(page: str, account: Account | None, **query: str) -> AppTest:
    """Open a page as `account`, or as a visitor (AppTest has no cookie jar: mark the session logged out)."""
    if account is not None:
        return _open_page(page, account, **query)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["logged_out"] = True
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    return at


def _act(world: World, case: CaseView, *steps: tuple[str, Act], **options: object) -> CaseView:
    officers = {"county": world.county, "prefecture": world.prefecture, "province": world.province}
    for who, act in steps:
        case = cases.act_on_case(world.uow(), officers[who].actor, case.id, act, expected_version=case.version,
                                 **options)  # type: ignore[arg-type]
    return case


def _returned(world: World) -> CaseView:
    case = submitted(world, "C", today=clock.today())
    case = _act(world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT))
    return _act(world, case, ("prefecture", Act.RETURN), comment="请一并改正后重新提交", internal_comment=INTERNAL,
                items=(ReturnItem("guard_duties", "【材料】保安员岗位职责", "未加盖单位公章"),
                       ReturnItem("area_size", "【填报】守护区域面积", "面积与实际不符")))


def _approved(world: World) -> CaseView:
    case = submitted(world, "C", today=clock.today())
    return _act(world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))


def _code(world: World, case: CaseView) -> str:
    with world.uow() as uow:
        codes = [d.verification_code for d in uow.documents(case.id) if d.verification_code]
    assert len(codes) == 1
    return codes[0]


def _everything(at: AppTest) -> str:
    """Every text on the page, including expanders' and containers' contents and widget labels."""
    parts = [texts(at)]
    parts.extend(str(b.label) for b in at.button)
    parts.extend(str(e.label) for e in at.expander)
    return "\n".join(parts)


# ------------------------------------------------------------------ My cases
def test_my_cases_lists_only_the_own_units_cases(app_world: World) -> None:
    own = submitted(app_world, "C", today=clock.today())
    other = submitted(app_world, "C", today=clock.today(), applicant=app_world.other_applicant)
    at = open_page("pages/my_cases.py", app_world.applicant)
    shown = texts(at)
    assert not at.exception
    assert own.number and own.number in shown
    assert other.number and other.number not in shown
    assert "乌鲁木齐市公安局天山区分局" in shown  # the county organ holds it
    # The due date with the working days left: never more than the 5 the applicant was told (a filing of a
    # Saturday is received on Monday and counted from Tuesday: 6 working days to its due date, 5 shown).
    left = WorkCalendar().working_days_between(clock.today(), own.due_on) if own.due_on else -1
    assert left in (5, 6) and "剩余5个工作日" in shown


def test_the_applicant_marks_every_message_read_with_one_button(app_world: World) -> None:
    case = submitted(app_world, "C", today=clock.today())
    cases.act_on_case(app_world.uow(), app_world.county.actor, case.id, Act.CONFIRM, expected_version=case.version)
    at = open_page("pages/my_cases.py", app_world.applicant)
    assert any("消息通知（2条未读）" in e.label for e in at.expander)
    next(b for b in at.button if b.label == "全部标为已读").click()
    at.run()
    assert not at.exception
    assert not any("未读" in e.label for e in at.expander)
    assert not [b for b in at.button if b.label == "全部标为已读"]


def test_a_returned_case_shows_every_item_and_never_the_internal_comment(app_world: World) -> None:
    case = _returned(app_world)
    at = open_page("pages/my_cases.py", app_world.applicant)
    shown = _everything(at)
    assert not at.exception
    assert "保安员岗位职责" in shown and "未加盖单位公章" in shown
    assert "守护区域面积" in shown and "面积与实际不符" in shown
    assert "请一并改正后重新提交" in shown
    assert "补正材料告知书" in shown  # the notice is listed for download
    assert INTERNAL not in shown and "不要告诉申请人" not in shown
    assert at.button(key=f"correct-{case.id}").label == "去补正"


def test_correct_opens_the_assistant_on_that_case(app_world: World) -> None:
    case = _returned(app_world)
    at = open_page("pages/my_cases.py", app_world.applicant)
    at.button(key=f"correct-{case.id}").click().run()
    assert not at.exception
    assert at.session_state["case_id"] == case.id  # the assistant took the case from ?case=<id>
    assert "补正" in texts(at)


def test_a_due_date_in_a_year_not_yet_official_is_marked_estimated_wherever_it_shows(app_world: World) -> None:
    case = submitted(app_world, "C", today=date(2026, 12, 28))  # five working days run into 2027
    assert case.due_on is not None and case.due_on.year == 2027
    listed = open_page("pages/my_cases.py", app_world.applicant)
    assert not listed.exception
    assert f"{case.due_on:%Y-%m-%d}（预计）" in texts(listed)
    assistant = open_page("pages/assistant.py", app_world.applicant, case=str(case.id))
    assert not assistant.exception
    assert "（预计，以国务院公布的节假日安排为准）" in texts(assistant)
    queue = open_page("pages/queue.py", app_world.county)
    assert not queue.exception
    assert f"{case.due_on:%Y-%m-%d}（预计）" in texts(queue)


def test_a_draft_offers_continue(app_world: World) -> None:
    draft = filled_draft(app_world, "C", today=clock.today())
    at = open_page("pages/my_cases.py", app_world.applicant)
    assert draft.created_at is not None
    assert md_escape(f"草稿（{clock.show(draft.created_at)}开始填写）") in texts(at)  # not its row id
    assert f"编号 {draft.id}" not in texts(at)
    at.button(key=f"continue-{draft.id}").click().run()
    assert not at.exception
    assert at.session_state["case_id"] == draft.id


def test_a_draft_is_deleted_after_a_confirmation_and_cancelling_keeps_it(app_world: World) -> None:
    draft = filled_draft(app_world, "C", today=clock.today())
    at = open_page("pages/my_cases.py", app_world.applicant)
    at.session_state["case_id"] = draft.id  # the assistant was working on it
    at.button(key=f"discard-{draft.id}").click().run()
    assert "确定删除此草稿吗？已填写的内容和上传的材料将一并删除，不能恢复。" in texts(at)
    at.button(key=f"discard-no-{draft.id}").click().run()
    assert "确定删除此草稿吗" not in texts(at)
    with app_world.uow() as uow:
        assert uow.case(draft.id).stage == "draft"  # nothing happens without confirming
    at.button(key=f"discard-{draft.id}").click().run()
    at.button(key=f"discard-yes-{draft.id}").click().run()
    assert not at.exception
    assert "草稿已删除。" in texts(at)
    assert [t.value for t in at.toast] == ["草稿已删除。"]  # seen where the page stays scrolled to the button
    assert not [b for b in at.button if b.key == f"continue-{draft.id}"]  # the card is gone
    assert "case_id" not in at.session_state  # the assistant will not try to resume it
    with app_world.uow() as uow, pytest.raises(NotFound):
        uow.case(draft.id)


def test_withdraw_asks_for_confirmation_first(app_world: World) -> None:
    case = submitted(app_world, "C", today=clock.today())
    at = open_page("pages/my_cases.py", app_world.applicant)
    at.button(key=f"withdraw-{case.id}").click().run()
    with app_world.uow() as uow:
        assert uow.case(case.id).stage == "county_confirm"  # nothing happens before confirming
    assert "确定撤回此申请吗" in texts(at)
    at.button(key=f"withdraw-yes-{case.id}").click().run()
    assert not at.exception
    with app_world.uow() as uow:
        assert uow.case(case.id).stage == "withdrawn"
    assert "已撤回" in texts(at)


def test_no_withdraw_after_acceptance(app_world: World) -> None:
    case = _act(app_world, submitted(app_world, "C", today=clock.today()), ("county", Act.CONFIRM),
                ("prefecture", Act.ACCEPT))
    at = open_page("pages/my_cases.py", app_world.applicant)
    assert not [b for b in at.button if b.key == f"withdraw-{case.id}"]


def test_an_ended_case_is_rated_once_and_the_rating_is_shown(app_world: World) -> None:
    case = _approved(app_world)
    at = open_page("pages/my_cases.py", app_world.applicant)
    assert "备案证明" in texts(at)
    at.radio(key=f"rating-{case.id}").set_value("满意")
    at.text_area(key=f"rating-text-{case.id}").input("网上办理很方便")
    next(b for b in at.button if b.label == "提交评价").click().run()
    assert not at.exception
    given = rating_for_case(app_world.engine, case.id)
    assert given is not None and given.rating == "满意" and given.text == "网上办理很方便"
    shown = texts(at)
    assert "您的评价" in shown and "满意" in shown
    assert not [r for r in at.radio if r.key == f"rating-{case.id}"]  # no second rating form
    assert len(list_feedback(app_world.engine, category="rating")) == 1


def test_a_rating_comment_over_500_characters_is_refused_in_words_and_kept(app_world: World) -> None:
    """Before: the field's max_chars made the browser drop a longer paste whole, and the rating went in bare."""
    case = _approved(app_world)
    at = open_page("pages/my_cases.py", app_world.applicant)
    at.radio(key=f"rating-{case.id}").set_value("满意")
    at.text_area(key=f"rating-text-{case.id}").input("好" * 501)
    next(b for b in at.button if b.label == "提交评价").click().run()
    assert not at.exception
    assert "评价意见最多500个字，您填写了501个字，请精简后再提交。" in texts(at)
    assert rating_for_case(app_world.engine, case.id) is None
    assert at.text_area(key=f"rating-text-{case.id}").value == "好" * 501


def test_an_officers_text_over_its_limit_is_refused_never_cut(app_world: World) -> None:
    case = submitted(app_world, "C", today=clock.today())
    for field, options in (("comment", {"comment": "因" * 1001}), ("internal_comment", {"internal_comment": "内" * 1001}),
                           ("items", {"items": (ReturnItem("area_size", "守护区域面积", "不" * 201),),
                                      "comment": "请补正"})):
        act = Act.RETURN if field == "items" else Act.CONFIRM
        with pytest.raises(FieldError, match="最多") as refused:
            _act(app_world, case, ("county", act), **options)
        assert refused.value.field == field
    with app_world.uow() as uow:
        assert uow.case(case.id).stage == "county_confirm"  # nothing happened
    reply_to = add_feedback(app_world.engine, user_id=app_world.applicant.user_id, page="assistant", step="名单",
                            kind="C", text="看不懂")
    from flows.oversight.feedback import triage as triage_use_case
    from store.feedback import SqlFeedbackStore
    with pytest.raises(FieldError, match="回复最多1000个字，您填写了1001个字"):
        triage_use_case(SqlFeedbackStore(app_world.engine), reply_to, status="accepted", reply="复" * 1001,
                        actor_id=app_world.province.user_id)


def test_an_open_case_cannot_be_rated(app_world: World) -> None:
    case = submitted(app_world, "C", today=clock.today())
    at = open_page("pages/my_cases.py", app_world.applicant)
    assert not [r for r in at.radio if r.key == f"rating-{case.id}"]


def test_unread_messages_are_counted_and_marked_read(app_world: World) -> None:
    submitted(app_world, "C", today=clock.today())
    at = open_page("pages/my_cases.py", app_world.applicant)
    assert "1条未读" in _everything(at)
    at.button(key="read-all").click().run()
    assert "条未读" not in _everything(at)


def test_the_applicant_sees_the_provinces_reply_to_its_feedback(app_world: World) -> None:
    item = add_feedback(app_world.engine, user_id=app_world.applicant.user_id, page="assistant", step="保安员名单",
                        kind="C", text="这里不知道填什么")
    triage(app_world.engine, item, status="accepted", reply="已在表格下方增加填写示例", actor_id=app_world.province.user_id)
    at = open_page("pages/my_cases.py", app_world.applicant)
    shown = texts(at)
    assert "这里不知道填什么" in shown and "已在表格下方增加填写示例" in shown and "已采纳" in shown


@pytest.mark.parametrize("who", ["county", "prefecture", "province", "visitor"])
def test_my_cases_refuses_officers_and_visitors(app_world: World, who: str) -> None:
    account = None if who == "visitor" else getattr(app_world, who)
    at = open_page("pages/my_cases.py", account)
    assert not at.exception
    shown = texts(at)
    assert "您无权访问此页面" in shown or "请先登录" in shown
    assert not at.button.len or all(not str(b.key or "").startswith("withdraw") for b in at.button)


def test_applicant_text_is_shown_as_typed_not_as_markdown(app_world: World) -> None:
    case = submitted(app_world, "C", today=clock.today())
    case = _act(app_world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT))
    _act(app_world, case, ("prefecture", Act.RETURN), comment="[点此](http://evil.example) **粗体**")
    at = open_page("pages/my_cases.py", app_world.applicant)
    shown = texts(at)
    assert "\\[点此\\]\\(http" in shown  # escaped: shown as typed, never a link
    assert "\\*\\*粗体\\*\\*" in shown


# ------------------------------------------------------------------ service guide
def test_the_service_guide_opens_without_login_and_shows_the_c_materials(app_world: World) -> None:
    at = open_page("pages/service_guide.py", None)
    assert not at.exception
    shown = texts(at)
    tables = "\n".join(t.value.to_string() for t in at.table)
    for label in ("法人资格证明", "保安服务管理制度", "岗位责任制度", "保安员管理制度", "保安员岗位职责"):
        assert label in tables
    assert "营业执照、事业单位法人证书或社会团体法人登记证书" in tables  # the material's hint
    assert "自行招用保安员单位备案" in shown
    assert "开始保安服务之日起30日内" in shown  # when, from the same instructions the assistant uses
    assert "县（市、区）公安机关确认" in shown  # the route
    assert "0991-5586122" in tables  # the contacts from configuration
    assert "请先登录" not in shown


# ------------------------------------------------------------------ verification
def _verify(code: str | None = None, typed: str | None = None, at: AppTest | None = None) -> AppTest:
    if at is None:
        at = open_page("pages/verify.py", None, **({"code": code} if code is not None else {}))
    if typed is not None:
        at.text_input(key="verify_code").input(typed)
        next(b for b in at.button if b.label == "核验").click().run()
    return at


def _changed(code: str) -> str:
    index = len(code) // 2
    return code[:index] + ("A" if code[index] != "A" else "B") + code[index + 1:]


def test_verify_a_genuine_valid_certificate_from_the_qr_link(app_world: World) -> None:
    case = _approved(app_world)
    at = _verify(code=_code(app_world, case))
    shown = texts(at)
    assert not at.exception
    assert "真实有效" in shown and "有效" in shown
    assert "乌鲁木齐幸福物业服务有限公司" in shown and "自行招用保安员单位备案" in shown
    assert "备字〔" in shown  # the certificate number


def test_verify_by_typing_the_code_loosely(app_world: World) -> None:
    code = _code(app_world, _approved(app_world))
    loose = " " + "-".join(code[i:i + 4] for i in range(0, len(code), 4)).lower() + " "
    at = _verify(typed=loose)
    assert "真实有效" in texts(at)


def test_verify_one_changed_character_is_not_found(app_world: World) -> None:
    code = _code(app_world, _approved(app_world))
    at = _verify(typed=_changed(code))
    shown = texts(at)
    assert "未找到该证明，请核对验证码" in shown and "真实有效" not in shown


def test_verify_an_unknown_code_is_not_found(app_world: World) -> None:
    at = _verify(code="AAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert "未找到该证明" in texts(at)


def test_verify_a_cancelled_filing_shows_cancelled(app_world: World) -> None:
    filed = _approved(app_world)
    code = _code(app_world, filed)
    today = clock.today()
    cancel = submitted(app_world, "D", today=today,
                       filing_ref={"case_id": filed.id})
    _act(app_world, cancel, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))
    at = _verify(code=code)
    shown = texts(at)
    assert "已撤销" in shown and "真实有效" not in shown


def test_repeated_failures_slow_the_visitor_down(app_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # The doubling delays themselves are the limiter's (unit tests); here the first one lasts a minute, so the
    # runs below never outlast it however slow the machine.
    monkeypatch.setattr(LIMITER, "delay_after", lambda failures: 60 if failures >= FREE_FAILURES else 0)
    code = _code(app_world, _approved(app_world))
    at = _verify(typed="ZZZZZZZZZZZZZZZZZZZZZZZZZ1")
    for _ in range(FREE_FAILURES - 1):
        at = _verify(typed="ZZZZZZZZZZZZZZZZZZZZZZZZZ1", at=at)
    at = _verify(typed=code, at=at)  # even a right code waits
    shown = texts(at)
    assert "请" in shown and "秒后再试" in shown and "真实有效" not in shown
    reloaded = _verify(typed=code)  # a reload (a new session) from the same address: still waits
    assert "秒后再试" in texts(reloaded) and "真实有效" not in texts(reloaded)


# ------------------------------------------------------------------ feedback inbox
@pytest.mark.parametrize("who", ["applicant", "county", "visitor"])
def test_the_feedback_inbox_refuses_applicants_counties_and_visitors(app_world: World, who: str) -> None:
    account = None if who == "visitor" else getattr(app_world, who)
    add_feedback(app_world.engine, user_id=None, page="assistant", step="x", kind="C", text="秘密反馈内容")
    at = open_page("pages/feedback_inbox.py", account)
    shown = texts(at)
    assert "您无权访问此页面" in shown or "请先登录" in shown
    assert "秘密反馈内容" not in shown


def test_a_prefecture_sees_only_feedback_about_its_own_regions_service_and_cannot_triage(app_world: World) -> None:
    w = app_world
    own = submitted(w, "C", today=clock.today())  # placed in 乌鲁木齐市
    other = submitted(w, "C", today=clock.today(), applicant=w.other_applicant, prefecture="650200", county="650202")
    add_feedback(w.engine, user_id=w.applicant.user_id, page="assistant", step="核对并提交", kind="C",
                 text="本地办件的反馈", case_id=own.id)
    add_feedback(w.engine, user_id=w.county.user_id, page="queue", step="待办队列", kind="", text="本地县局的反馈")
    add_feedback(w.engine, user_id=w.other_applicant.user_id, page="assistant", step="核对并提交", kind="C",
                 text="外地办件的反馈", case_id=other.id)
    add_feedback(w.engine, user_id=None, page="home", step="首页", kind="", text="不知道哪里的反馈")
    at = open_page("pages/feedback_inbox.py", w.prefecture)
    shown = texts(at)
    assert not at.exception
    assert "本地办件的反馈" in shown and "本地县局的反馈" in shown
    assert "外地办件的反馈" not in shown and "不知道哪里的反馈" not in shown
    assert not [b for b in at.button if b.label == "保存处理结果"]  # the province triages
    province = texts(open_page("pages/feedback_inbox.py", w.province))
    assert all(t in province for t in ("本地办件的反馈", "外地办件的反馈", "不知道哪里的反馈"))


def test_triage_has_no_preselected_result_and_refuses_to_save_without_one(app_world: World) -> None:
    item = add_feedback(app_world.engine, user_id=app_world.applicant.user_id, page="assistant",
                        step="第4步：守护区域", kind="C", text="这里不知道填什么")
    at = open_page("pages/feedback_inbox.py", app_world.province)
    assert not [b for b in at.button if b.label == "保存处理结果"]  # each entry's form opens on 处理
    at.button(key=f"triage-open-{item}").click().run()
    assert at.selectbox(key=f"triage-status-{item}").value is None
    at.text_area(key=f"triage-reply-{item}").input("收到")
    next(b for b in at.button if b.label == "保存处理结果").click().run()
    assert "请先选择处理结果" in texts(at)
    assert list_feedback(app_world.engine)[0].status == "new"
    next(b for b in at.button if b.label == "取消").click().run()  # closes the form, saves nothing
    assert not [b for b in at.button if b.label == "保存处理结果"] and at.button(key=f"triage-open-{item}").label == "处理"
    assert list_feedback(app_world.engine)[0].status == "new"


def test_the_province_marks_feedback_accepted_with_a_reply_the_sender_sees(app_world: World) -> None:
    item = add_feedback(app_world.engine, user_id=app_world.applicant.user_id, page="assistant",
                        step="第4步：守护区域", kind="C", text="这里不知道填什么")
    at = open_page("pages/feedback_inbox.py", app_world.province)
    shown = texts(at)
    assert not at.exception
    assert "这里不知道填什么" in shown and "申请办理" in shown and "第4步：守护区域" in shown
    assert "自行招用保安员单位备案" in shown
    at.button(key=f"triage-open-{item}").click().run()
    at.selectbox(key=f"triage-status-{item}").set_value("accepted")
    at.text_area(key=f"triage-reply-{item}").input("感谢，已增加填写示例")
    next(b for b in at.button if b.label == "保存处理结果").click().run()
    assert not at.exception
    row = list_feedback(app_world.engine)[0]
    assert row.status == "accepted" and row.reply == "感谢，已增加填写示例"
    assert "已标记为“已采纳”" in texts(at) and not [b for b in at.button if b.label == "保存处理结果"]  # closed
    assert at.button(key=f"triage-open-{item}").label == "修改处理结果"
    mine = open_page("pages/my_cases.py", app_world.applicant)
    assert "感谢，已增加填写示例" in texts(mine)


def test_the_inbox_filters_by_category_rating_and_page(app_world: World) -> None:
    case = _approved(app_world)
    add_feedback(app_world.engine, user_id=app_world.applicant.user_id, page="my_cases", step="办件评价", kind="C",
                 text="办得快", rating="满意", case_id=case.id, category="rating")
    add_feedback(app_world.engine, user_id=None, page="home", step="首页", kind="", text="首页文字太小")
    at = open_page("pages/feedback_inbox.py", app_world.province)
    at.selectbox(key="inbox-category").set_value("服务评价").run()
    shown = texts(at)
    assert "办得快" in shown and "首页文字太小" not in shown
    assert case.number is not None and case.number in shown
    at.selectbox(key="inbox-rating").set_value("不满意").run()
    assert "办得快" not in texts(at)
    at.selectbox(key="inbox-rating").set_value("全部")
    at.selectbox(key="inbox-category").set_value("全部")
    at.selectbox(key="inbox-page").set_value("home").run()
    shown = texts(at)
    assert "首页文字太小" in shown and "办得快" not in shown


def test_download_names_follow_the_case_number(app_world: World) -> None:
    from ui.applicant_view import download_name

    case = _returned(app_world)
    with SqlUnitOfWork(app_world.engine) as uow:
        docs = uow.documents(case.id)
    notice = next(d for d in docs if d.doc_type == "correction_notice")
    assert download_name(case, notice, 1) == f"{case.number}-补正材料告知书.pdf"
    assert download_name(case, notice, 2) == f"{case.number}-补正材料告知书-2.pdf"


def test_my_cases_shows_ten_at_a_time_and_filters_by_who_holds_the_case(app_world: World) -> None:
    w = app_world
    applicant = w.applicant
    assert applicant.unit_name and applicant.credit_code and applicant.mobile
    for _ in range(11):
        cases.start_draft(w.uow(), applicant.actor, "C", unit_name=applicant.unit_name,
                          credit_code=applicant.credit_code, contact=applicant.display_name, mobile=applicant.mobile)
    filed = _approved(w)
    at = open_page("pages/my_cases.py", applicant)
    assert not at.exception
    more = [b for b in at.button if b.label.startswith("显示更多")]
    assert [b.label for b in more] == ["显示更多（还有2件）"]
    assert filed.number is not None and filed.number in texts(at)  # newest first
    more[0].click().run()
    assert not [b for b in at.button if b.label.startswith("显示更多")]
    at.radio(key="case-filter").set_value("已办结").run()
    shown = texts(at)
    assert filed.number in shown and not [b for b in at.button if b.label.startswith("显示更多")]
    at.radio(key="case-filter").set_value("办理中").run()
    assert "没有符合条件的办件。" in texts(at)


def test_anonymous_feedback_is_limited_per_address_across_reloads(app_world: World,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.identity.abuse import Rule
    from flows.oversight import feedback

    monkeypatch.setattr(feedback.ANONYMOUS_LIMITER, "rule", Rule(free_failures=1_000_000, attempts=2))

    def send(text: str) -> AppTest:
        at = _open_page("pages/verify.py", None)  # a fresh session each time: a reload
        at.text_area(key="feedback_text_0").input(text)
        at.button[[b.label for b in at.button].index("提交反馈")].click().run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    send("第一条")
    send("第二条")
    refused = send("第三条")
    assert "反馈过于频繁" in texts(refused)
    assert sorted(f.text for f in list_feedback(app_world.engine)) == ["第一条", "第二条"]


def test_a_unit_name_with_a_line_break_is_approved_and_its_certificate_verifies(app_world: World) -> None:
    from sqlmodel import Session

    from store.models import Case

    case = submitted(app_world, "C", today=clock.today())
    with Session(app_world.engine) as session:  # a name stored before the one-line rule, or by another path
        row = session.get(Case, case.id)
        assert row is not None
        row.unit_name = "哈密\n换行物业有限公司"
        session.add(row)
        session.commit()
        version = row.version
    case = dataclasses.replace(case, version=version)
    # Signing the certificate at approval used to raise here.
    filed = _act(app_world, case, ("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE))
    at = _verify(code=_code(app_world, filed))
    assert "真实有效" in texts(at)
