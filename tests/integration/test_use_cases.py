"""Every use case on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from flows import cases
from flows.clock import CHINA, chinese_date
from flows.errors import ActRefused, DomainError, FieldError, NotFound, StaleCase
from flows.ports import CaseChange, ReturnItem
from flows.review.transitions import Act, Stage
from store import audit
from store.models import AuditEntry, CaseEvent, Notification
from store.queries import home_summary
from tests.support import World, filled_draft, make_world, submitted

TODAY = date(2026, 11, 27)  # a Friday
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=CHINA)


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def act(world: World, who: str, case_id: int, what: Act, **kwargs: object):  # type: ignore[no-untyped-def]
    actor = getattr(world, who).actor
    with world.uow() as uow:
        version = uow.case(case_id).version
    return cases.act_on_case(world.uow(), actor, case_id, what, expected_version=version, now=NOW,
                             **kwargs)  # type: ignore[arg-type]


def test_submission_places_case_in_its_county_with_a_number_and_a_five_day_deadline(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    assert case.stage == Stage.COUNTY_CONFIRM
    assert case.number is not None and case.number.startswith("C20261127")
    assert (case.prefecture_code, case.county_code) == ("650100", "650102")
    assert case.due_on == date(2026, 12, 4)  # Fri + 5 working days


def test_a_draft_missing_a_material_cannot_be_submitted(world: World) -> None:
    draft = filled_draft(world, "C", today=TODAY)
    with world.uow() as uow:
        uow.session.exec  # noqa: B018 (the uow is usable)
    from store.models import CaseMaterial

    with Session(world.engine) as session:
        row = session.exec(select(CaseMaterial).where(CaseMaterial.case_id == draft.id)).first()
        assert row is not None
        row.current = False
        session.add(row)
        session.commit()
    with pytest.raises(FieldError) as refused:
        cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version, now=NOW)
    assert "尚未上传" in refused.value.message


def test_kind_c_travels_county_prefecture_return_resubmit_and_is_filed(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    act(world, "county", case.id, Act.CONFIRM)
    act(world, "prefecture", case.id, Act.ACCEPT)
    items = (ReturnItem("guard_rules", "【材料】保安员管理制度", "未加盖公章"),
             ReturnItem("area_size", "【填报】守护区域面积", "与平面图不符"))
    returned = act(world, "prefecture", case.id, Act.RETURN, items=items, comment="请一并改正")
    assert returned.stage == Stage.RETURNED and returned.open_items == ("guard_rules", "area_size")
    assert returned.due_on is None
    # The applicant's home counts the returned case once, as 待补正 (before: also as 办理中, 5 for 4 cases).
    from store.queries import home_summary

    counts = dict(home_summary(world.engine, world.applicant.actor).counts)
    assert counts == {"填写中": 0, "办理中": 0, "待补正": 1, "已办结": 0}

    # Only the named items may be changed; both must be corrected before resubmitting.
    with pytest.raises(ActRefused):
        cases.save_answer(world.uow(), world.applicant.actor, case.id, "unit_address", "别处", today=TODAY)
    with pytest.raises(ActRefused, match="请先补正"):
        cases.submit(world.uow(), world.applicant.actor, case.id, expected_version=returned.version, now=NOW)
    cases.save_answer(world.uow(), world.applicant.actor, case.id, "area_size", "约4万平方米", today=TODAY)
    from store.demo import demo_pdf

    cases.upload_material(world.uow(), world.applicant.actor, case.id, "guard_rules", filename="rules.pdf",
                          data=demo_pdf("rules v2"))
    with world.uow() as uow:
        version = uow.case(case.id).version
    later = datetime(2026, 12, 1, 9, 30, tzinfo=CHINA)
    again = cases.submit(world.uow(), world.applicant.actor, case.id, expected_version=version, now=later)
    assert again.number == case.number
    assert again.stage == Stage.COUNTY_CONFIRM
    assert again.due_on == date(2026, 12, 8)  # the count restarts from the resubmission

    act(world, "county", case.id, Act.CONFIRM)
    act(world, "prefecture", case.id, Act.ACCEPT)
    filed = act(world, "prefecture", case.id, Act.APPROVE)
    assert filed.stage == Stage.APPROVED
    with world.uow() as uow:
        history = [e.act for e in uow.events(case.id)]
        return_event = next(e for e in uow.events(case.id) if e.act == Act.RETURN)
    assert history == [Act.SUBMIT, Act.CONFIRM, Act.ACCEPT, Act.RETURN, Act.RESUBMIT, Act.CONFIRM, Act.ACCEPT,
                       Act.APPROVE]
    assert [i.item_id for i in return_event.items] == ["guard_rules", "area_size"]
    with Session(world.engine) as session:
        assert audit.verify_chain(session) is None
        messages = session.exec(select(Notification).where(Notification.user_id == world.applicant.user_id)).all()
        assert len(messages) == len(history)


def test_kind_a_goes_through_the_province_and_can_be_sent_back_to_the_prefecture(world: World) -> None:
    case = submitted(world, "A", today=TODAY)
    assert case.stage == Stage.PREFECTURE_ACCEPT and case.county_code is None
    act(world, "prefecture", case.id, Act.ACCEPT)
    reported = act(world, "prefecture", case.id, Act.REPORT, comment="同意变更", opinion="favourable")
    assert reported.stage == Stage.PROVINCE_ACCEPT
    with pytest.raises(FieldError):
        act(world, "province", case.id, Act.RETURN_TO_PREFECTURE)
    back = act(world, "province", case.id, Act.RETURN_TO_PREFECTURE, comment="请补充工作经历核查意见")
    assert back.stage == Stage.PREFECTURE_REVIEW
    act(world, "prefecture", case.id, Act.REPORT, comment="已核查", opinion="favourable")
    act(world, "province", case.id, Act.ACCEPT)
    assert act(world, "province", case.id, Act.APPROVE).stage == Stage.APPROVED


def test_a_second_filing_while_one_stands_is_flagged_for_the_officer(world: World) -> None:
    first = submitted(world, "C", today=TODAY)
    assert not [w for w in first.warnings if "重复申报" in w]
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, first.id, what)
    second = submitted(world, "C", today=TODAY)
    assert [w for w in second.warnings if "重复申报" in w] == [
        f"重复申报提示：本单位已有有效的自行招用保安员单位备案（办件编号{first.number}，"
        f"{chinese_date(NOW.astimezone(CHINA).date())}办结），请核实本次申报是否重复。"]
    # Once the first is being cancelled, a new filing is no longer a second one.
    submitted(world, "D", today=TODAY, filing_ref={"case_id": first.id})
    third = submitted(world, "C", today=TODAY)
    assert not [w for w in third.warnings if "重复申报" in w]


def test_kind_d_cancels_the_original_filing_when_filed(world: World) -> None:
    original = submitted(world, "C", today=TODAY)
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, original.id, what)
    with Session(world.engine) as session:  # the approval tells what to do next, not a state's name
        told = session.exec(select(Notification.text).where(Notification.case_id == original.id)
                            .order_by(col(Notification.id).desc())).first()
    assert told == f"您的办件{original.number}已办结，备案证明已出具，请在“我的办件”中下载。"
    choices = cases.filing_choices(world.uow(), world.applicant.actor)
    assert [c.case_id for c in choices] == [original.id]
    cancel = submitted(world, "D", today=TODAY, filing_ref={"case_id": original.id})
    assert (cancel.prefecture_code, cancel.county_code) == ("650100", "650102")
    assert cases.filing_choices(world.uow(), world.applicant.actor) == []  # already being cancelled
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, cancel.id, what)
    with world.uow() as uow:
        assert uow.case(original.id).cancelled


def test_reject_needs_reasons_and_withdraw_only_before_acceptance(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    act(world, "county", case.id, Act.CONFIRM)
    act(world, "prefecture", case.id, Act.ACCEPT)
    with pytest.raises(ActRefused, match="不能“撤回申请”"):
        act(world, "applicant", case.id, Act.WITHDRAW)
    with pytest.raises(FieldError, match="“不予备案”须写明理由"):  # the act by its name for a filing
        act(world, "prefecture", case.id, Act.REJECT)
    assert act(world, "prefecture", case.id, Act.REJECT, comment="守护区域不属于本单位").stage == Stage.REJECTED
    # A filing is refused as 不予备案, as its decision's title says (before: the notice said 不予通过).
    with Session(world.engine) as session:
        told = session.exec(select(Notification.text).where(Notification.case_id == case.id)
                            .order_by(col(Notification.id).desc())).first()
    assert told == f"您的办件{case.number}：不予备案，当前状态：已办结（不予备案）。"
    # ... and so does the officer's list of latest cases on the home page.
    latest = home_summary(world.engine, world.prefecture.actor).rows
    assert [r["状态"] for r in latest if r["办件编号"] == case.number] == ["已办结（不予备案）"]
    other = submitted(world, "C", today=TODAY)
    assert act(world, "applicant", other.id, Act.WITHDRAW).stage == Stage.WITHDRAWN


def test_officers_outside_the_jurisdiction_cannot_see_or_act(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    for who in ("sibling_county", "other_prefecture", "other_applicant"):
        with pytest.raises(NotFound):
            act(world, who, case.id, Act.CONFIRM)
    with pytest.raises(ActRefused, match="应由县级公安机关办理"):
        act(world, "prefecture", case.id, Act.CONFIRM)
    with pytest.raises(ActRefused, match="不能“受理”"):
        act(world, "prefecture", case.id, Act.ACCEPT)
    with pytest.raises(ActRefused):
        act(world, "province", case.id, Act.CONFIRM)


def test_stale_view_is_refused_with_the_changed_by_someone_else_message(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    act(world, "county", case.id, Act.CONFIRM)
    with pytest.raises(StaleCase) as stale:
        cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT,
                          expected_version=case.version, now=NOW)
    assert "此办件已被他人处理" in stale.value.message


def test_twenty_officers_accepting_at_once_exactly_one_wins(world: World) -> None:
    case = submitted(world, "C", today=TODAY)
    act(world, "county", case.id, Act.CONFIRM)
    with world.uow() as uow:
        version = uow.case(case.id).version
    results: list[str] = []
    barrier = threading.Barrier(20)

    def attempt() -> None:
        barrier.wait()
        try:
            cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT,
                              expected_version=version, now=NOW)
            results.append("won")
        except DomainError as error:
            results.append(type(error).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1, results
    assert len(results) == 20
    with Session(world.engine) as session:
        accepts = session.exec(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.act == Act.ACCEPT)).one()
        assert accepts == 1
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() > 0
        assert audit.verify_chain(session) is None


def _pdf_text(data: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).replace(" ", "")


def test_the_correction_notice_lists_exactly_the_items_chosen(world: World) -> None:
    from store import blobs

    case = submitted(world, "C", today=TODAY)
    act(world, "county", case.id, Act.CONFIRM)
    act(world, "prefecture", case.id, Act.ACCEPT)
    items = (ReturnItem("guard_rules", "【材料】保安员管理制度", "未加盖公章"),
             ReturnItem("area_size", "【填报】守护区域面积", "与平面图不符"))
    act(world, "prefecture", case.id, Act.RETURN, items=items, comment="请一并改正")
    with world.uow() as uow:
        docs = {d.doc_type: d for d in uow.documents(case.id)}
    assert set(docs) == {"acceptance_notice", "correction_notice"}
    text = _pdf_text(blobs.get(docs["correction_notice"].sha256))
    assert "补正材料告知书" in text and "保安员管理制度" in text and "未加盖公章" in text
    assert "守护区域面积" in text and "与平面图不符" in text and "请一并改正" in text
    assert "保安员岗位职责" not in text  # a material that was not named


def test_filing_issues_a_certificate_with_a_verification_code_and_cancellation_marks_it(world: World) -> None:
    from store import blobs

    original = submitted(world, "C", today=TODAY)
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, original.id, what)
    with world.uow() as uow:
        certificate = next(d for d in uow.documents(original.id) if d.doc_type == "filing_certificate")
    assert certificate.verification_code and len(certificate.verification_code) >= 26
    text = _pdf_text(blobs.get(certificate.sha256))
    assert "备案证明" in text and world.applicant.unit_name in text and certificate.number in text
    cancel = submitted(world, "D", today=TODAY, filing_ref={"case_id": original.id})
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, cancel.id, what)
    with world.uow() as uow:
        assert next(d for d in uow.documents(original.id) if d.doc_type == "filing_certificate").status == "cancelled"
        cancel_doc = next(d for d in uow.documents(cancel.id) if d.doc_type == "cancellation_certificate")
    assert certificate.number in _pdf_text(blobs.get(cancel_doc.sha256))


def test_a_filing_is_cancelled_once_even_when_two_cancellation_requests_were_filled_in(world: World) -> None:
    original = submitted(world, "C", today=TODAY)
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, original.id, what)
    # Two cancellation drafts filled in before either is submitted (two tabs): both name the filing.
    first, second = (filled_draft(world, "D", today=TODAY, filing_ref={"case_id": original.id}) for _ in range(2))
    request = cases.submit(world.uow(), world.applicant.actor, first.id, expected_version=first.version, now=NOW)
    with pytest.raises(FieldError, match="已有另一份撤销申请在办理") as refused:
        cases.submit(world.uow(), world.applicant.actor, second.id, expected_version=second.version, now=NOW)
    assert refused.value.field == "filing_ref"
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, request.id, what)
    with world.uow() as uow:
        assert uow.case(original.id).cancelled and uow.case(second.id).stage == Stage.DRAFT


def test_a_second_cancellation_that_got_through_is_refused_at_approval_with_a_reason(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    original = submitted(world, "C", today=TODAY)
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        act(world, who, original.id, what)
    # Submitted at the same moment from two tabs (on PostgreSQL neither sees the other yet): both are in.
    draft = filled_draft(world, "D", today=TODAY, filing_ref={"case_id": original.id})
    requests = [submitted(world, "D", today=TODAY, filing_ref={"case_id": original.id})]
    with monkeypatch.context() as race:  # checked before the first request had committed: it passes
        race.setattr(cases, "_check_filing_ref", lambda uow, case, raw: raw)
        requests.append(cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=draft.version,
                                     now=NOW))
    for who, what in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT)):
        for request in requests:
            act(world, who, request.id, what)
    act(world, "prefecture", requests[0].id, Act.APPROVE)
    with world.uow() as uow:
        cancelled = uow.case(original.id)
    with pytest.raises(ActRefused, match="已由另一份撤销申请撤销"):
        act(world, "prefecture", requests[1].id, Act.APPROVE)
    act(world, "prefecture", requests[1].id, Act.REJECT, comment="该备案已撤销")
    with world.uow() as uow:
        assert uow.case(original.id) == cancelled  # cancelled once, not changed again


@pytest.mark.parametrize("name", ["due_date", "version", "id", "where_id"])
def test_a_change_naming_what_a_case_cannot_take_writes_nothing(world: World, name: str) -> None:
    """A misspelt or forbidden field fails loudly instead of being left out of the UPDATE."""
    case = submitted(world, "C", today=TODAY)
    change = CaseChange(act=Act.CONFIRM, to_stage=Stage.PREFECTURE_ACCEPT, actor=world.county.actor, at=NOW,
                        updates={name: 1})
    with world.uow() as uow, pytest.raises(ValueError, match=name):
        uow.apply(uow.case(case.id), change)
    with world.uow() as uow:
        assert uow.case(case.id) == case
        assert [e.act for e in uow.events(case.id)] == [Act.SUBMIT]


def test_a_resubmission_keeps_the_returned_items_values_from_before_the_correction(world: World) -> None:
    from flows.filing.corrections import corrections
    from store.demo import demo_pdf

    case = submitted(world, "C", today=date(2026, 11, 2))
    act(world, "county", case.id, Act.CONFIRM)
    act(world, "prefecture", case.id, Act.ACCEPT)
    items = (ReturnItem("area_size", "【填报】守护区域面积", "与平面图不符"),
             ReturnItem("guard_rules", "【材料】保安员管理制度", "未盖章"),
             ReturnItem("area_address", "【填报】守护区域地址", "请核对"))
    act(world, "prefecture", case.id, Act.RETURN, items=items)
    applicant = world.applicant.actor
    for value in ("约4万平方米", "约4.2万平方米"):  # changed twice: the value before the first change is kept
        cases.save_answer(world.uow(), applicant, case.id, "area_size", value, today=date(2026, 11, 3))
    cases.upload_material(world.uow(), applicant, case.id, "guard_rules", filename="管理制度-盖章.pdf",
                          data=demo_pdf("stamped"))
    cases.save_answer(world.uow(), applicant, case.id, "area_address", "乌鲁木齐市天山区幸福路6号",
                      today=date(2026, 11, 3))  # confirmed as it was
    with world.uow() as uow:
        version = uow.case(case.id).version
    cases.submit(world.uow(), applicant, case.id, expected_version=version)
    draft = cases.load_draft(world.uow(), world.county.actor, case.id)
    found = {c.item_id: c for c in corrections(draft.filing, draft.events, draft.answers,
                                               list(draft.materials.values()), draft.state.before_correction)}
    assert (found["area_size"].before, found["area_size"].after, found["area_size"].changed) == \
        ("约3.5万平方米", "约4.2万平方米", True)
    assert found["guard_rules"].is_file and found["guard_rules"].after == "管理制度-盖章.pdf"
    assert found["guard_rules"].before.endswith(".pdf") and found["guard_rules"].before != "管理制度-盖章.pdf"
    assert not found["area_address"].changed
    # A first submission shows no changes; neither does a case returned again (until resubmitted).
    assert corrections(draft.filing, [e for e in draft.events if e.act != Act.RESUBMIT], draft.answers, [],
                       draft.state.before_correction) == []


def test_a_branch_given_its_head_offices_credit_code_is_refused_at_the_question(world: World) -> None:
    """An outside review filed a branch under its head office's credit code and nothing said so: the rule was
    declared on the question (differs_from) but the use case never gave it the other answers to compare with."""
    draft = filled_draft(world, "E", today=TODAY)
    own = world.applicant.credit_code
    with pytest.raises(FieldError, match="填写的是总公司的统一社会信用代码") as refused:
        cases.save_answer(world.uow(), world.applicant.actor, draft.id, "branch_uscc", own, today=TODAY)
    assert refused.value.field == "branch_uscc"
    with world.uow() as uow:
        assert uow.answers(draft.id)["branch_uscc"] != own  # the answer stored before stays


def test_an_address_in_another_place_than_the_one_chosen_is_refused_when_saved(world: World) -> None:
    """A walk: the address rule was declared (in_region) and unit-tested, but saving the answer did not give the
    check the chosen place, so 乌鲁木齐市沙依巴克区… was taken under 天山区 (the same gap as differs_from had)."""
    draft = filled_draft(world, "C", today=TODAY)  # the demo's place: 乌鲁木齐市天山区
    with pytest.raises(FieldError, match="写的是沙依巴克区") as refused:
        cases.save_answer(world.uow(), world.applicant.actor, draft.id, "unit_address", "乌鲁木齐市沙依巴克区友好路1号",
                          today=TODAY)
    assert refused.value.field == "unit_address"
    cases.save_answer(world.uow(), world.applicant.actor, draft.id, "unit_address", "天山区友好路1号", today=TODAY)
    with world.uow() as uow:
        assert uow.answers(draft.id)["unit_address"] == "天山区友好路1号"
