"""Units on a real database (SQLite and PostgreSQL): claimed once with a proven mobile (a real local HTTP SMS
gateway), refused without a word about the unit, joined only by a single-use invitation, verified at the first
confirmation, handed to the rightful owner by an officer — each audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows import cases, clock
from flows.errors import ActRefused, DomainError, FieldError
from flows.identity import registration, sessions, units
from flows.identity.login import LoginRefused, log_in
from flows.review.transitions import Act, Role
from store.accounts import HASHER, get_account, register_applicant, start_session
from store.identity import SqlIdentityStore
from store.models import AuditEntry, Case, Notification, Unit
from store.outbox import HttpSmsGateway
from tests.sms_gateway import SmsGateway, running
from tests.support import filled_draft, make_registration, make_world, submitted

STRANGER = "13955550099"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with running() as server:
        yield server


def proven_draft(engine: Engine, gateway: SmsGateway, fields: dict[str, str], **extra: Any) -> dict[str, Any]:
    """A registration draft whose mobile has been proven with the code the gateway received."""
    store = SqlIdentityStore(engine)
    sent = registration.send_code(store, HttpSmsGateway(gateway.url), mobile=fields["mobile"], purpose="register",
                                  address="", demo=False)
    assert sent.demo_code is None
    registration.verify_code(store, sent.challenge_id, mobile=fields["mobile"], code=gateway.last_code(fields["mobile"]))
    return {"fields": fields, "challenge_id": sent.challenge_id, "mobile_verified": True, **extra}


def audit_text(engine: Engine) -> str:
    with Session(engine) as session:
        return json.dumps([(e.action, e.subject, e.detail) for e in session.exec(select(AuditEntry))],
                          ensure_ascii=False)


def test_a_claimed_credit_code_is_refused_without_a_word_about_the_unit(engine: Engine, gateway: SmsGateway) -> None:
    world = make_world(engine)
    owner = world.applicant
    assert owner.credit_code and owner.unit_name
    with pytest.raises(FieldError) as refused:
        units.check_code_free(SqlIdentityStore(engine), owner.credit_code)
    message = refused.value.message
    assert message == units.CLAIMED and "县级公安机关" in message
    for secret in (owner.unit_name, owner.display_name, owner.mobile or "", "幸福"):
        assert secret not in message
    # Even with a proven mobile and the right unit name, the last step refuses the same way.
    draft = proven_draft(engine, gateway, {"unit_name": owner.unit_name, "credit_code": owner.credit_code,
                                           "contact": "冒用者", "mobile": STRANGER})
    with pytest.raises(FieldError) as again:
        registration.register(SqlIdentityStore(engine), HASHER, draft=draft, password="Stranger2026x")
    assert again.value.message == units.CLAIMED
    account = get_account(engine, owner.user_id)
    assert account is not None and account.unit_id == owner.unit_id  # the rightful user is untouched


def test_an_sms_code_that_is_wrong_expired_or_reused_gets_a_clear_message(engine: Engine, gateway: SmsGateway) -> None:
    store = SqlIdentityStore(engine)
    sms = HttpSmsGateway(gateway.url)
    now = clock.now()
    sent = registration.send_code(store, sms, mobile=STRANGER, purpose="register", address="", demo=False, now=now)
    code = gateway.last_code(STRANGER)
    assert "5分钟内有效" in gateway.texts_to(STRANGER)[-1]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(FieldError, match="还可输入4次"):
        registration.verify_code(store, sent.challenge_id, mobile=STRANGER, code=wrong, now=now)
    with pytest.raises(FieldError, match="请60秒后|请\\d+秒后再重新获取"):
        registration.send_code(store, sms, mobile=STRANGER, purpose="register", address="", demo=False, now=now)
    with pytest.raises(FieldError, match="已过期"):
        registration.verify_code(store, sent.challenge_id, mobile=STRANGER, code=code, now=now + timedelta(minutes=6))
    later = now + timedelta(minutes=7)
    fresh = registration.send_code(store, sms, mobile=STRANGER, purpose="register", address="", demo=False, now=later)
    code = gateway.last_code(STRANGER)
    registration.verify_code(store, fresh.challenge_id, mobile=STRANGER, code=code, now=later)
    with pytest.raises(FieldError, match="已使用过"):
        registration.verify_code(store, fresh.challenge_id, mobile=STRANGER, code=code, now=later)
    locked = registration.send_code(store, sms, mobile=STRANGER, purpose="register", address="", demo=False,
                                    now=later + timedelta(minutes=2))
    for _ in range(5):
        with pytest.raises(FieldError) as error:
            registration.verify_code(store, locked.challenge_id, mobile=STRANGER, code=wrong,
                                     now=later + timedelta(minutes=2))
    assert error.value.message == registration.CODE_LOCKED
    assert code not in audit_text(engine)


def test_without_a_gateway_production_refuses_and_the_demo_shows_the_code(engine: Engine, gateway: SmsGateway) -> None:
    store = SqlIdentityStore(engine)
    with pytest.raises(DomainError) as refused:
        registration.send_code(store, None, mobile=STRANGER, purpose="register", address="", demo=False)
    assert refused.value.message == registration.NO_GATEWAY
    shown = registration.send_code(store, None, mobile=STRANGER, purpose="register", address="", demo=True)
    assert shown.demo_code is not None and len(shown.demo_code) == 6
    gateway.failing = True
    with pytest.raises(DomainError, match="短信发送失败"):
        registration.send_code(store, HttpSmsGateway(gateway.url), mobile="13955550098", purpose="register",
                               address="", demo=False)


def test_a_registration_draft_never_keeps_a_password(engine: Engine) -> None:
    with pytest.raises(ValueError, match="password"):
        registration.save_draft(SqlIdentityStore(engine), "visitor", {"fields": {"mobile": STRANGER},
                                                                      "password": "x"})
    registration.save_draft(SqlIdentityStore(engine), "visitor", {"kind": "C", "fields": {"mobile": STRANGER}})
    assert registration.load_draft(SqlIdentityStore(engine), "visitor")["fields"] == {"mobile": STRANGER}
    assert registration.load_draft(SqlIdentityStore(engine), "another browser") == {}


def test_a_colleague_joins_once_by_invitation_and_is_removed(engine: Engine, gateway: SmsGateway) -> None:
    world = make_world(engine)
    store = SqlIdentityStore(engine)
    colleague = "13955550077"
    with pytest.raises(ActRefused):  # only the unit's administrator invites
        units.invite(store, world.county.user_id, mobile=colleague, contact="王芳")
    code = units.invite(store, world.applicant.user_id, mobile=colleague, contact="王芳")
    invitation = units.check_invitation(store, code.lower().replace("-", " "))
    assert invitation.unit_id == world.applicant.unit_id and invitation.mobile == colleague
    draft = proven_draft(engine, gateway, {"contact": "王芳", "mobile": colleague},
                         invitation_hash=units.invitation_hash(code))
    member_id = registration.register(store, HASHER, draft=draft, password="Wangfang2026")
    member = get_account(engine, member_id)
    assert member is not None and member.unit_id == world.applicant.unit_id and not member.unit_admin
    with pytest.raises(FieldError) as reused:
        units.check_invitation(store, code)
    assert reused.value.message == units.INVITE_USED
    with pytest.raises(FieldError) as wrong:
        units.check_invitation(store, "ABCDE-FGHJK")
    assert wrong.value.message == units.INVITE_WRONG
    expired = units.invite(store, world.applicant.user_id, mobile="13955550076", contact="李四")
    with pytest.raises(FieldError) as late:
        units.check_invitation(store, expired, now=clock.now() + timedelta(hours=73))
    assert late.value.message == units.INVITE_EXPIRED
    for refused in (units.INVITE_USED, units.INVITE_WRONG, units.INVITE_EXPIRED):
        assert "幸福" not in refused and "马丽" not in refused
    with pytest.raises(ActRefused):  # a member cannot invite or remove
        units.invite(store, member_id, mobile="13955550075", contact="赵五")
    token = start_session(engine, member_id)
    units.remove_member(store, world.applicant.user_id, member_id)
    assert sessions.resume(store, token) is None
    with pytest.raises(LoginRefused):
        log_in(store, HASHER, login=colleague, password="Wangfang2026", admitted_roles=frozenset({Role.APPLICANT}),
               scope="internet", address="")
    with pytest.raises(DomainError, match="未找到该账号"):  # another unit's administrator learns nothing
        units.remove_member(store, world.other_applicant.user_id, world.applicant.user_id)
    actions = audit_text(engine)
    assert "invitation_created" in actions and "invitation_used" in actions and "member_removed" in actions
    assert code not in actions and code.replace("-", "") not in actions


def test_the_first_confirmation_checks_the_licence_of_an_unverified_unit(engine: Engine) -> None:
    world = make_world(engine)
    fresh = register_applicant(engine, make_registration())  # unverified: 待核验
    assert not fresh.unit_verified
    day = date(2026, 11, 2)
    draft = filled_draft(world, "C", today=day, applicant=fresh)
    case = cases.submit(world.uow(), fresh.actor, draft.id, expected_version=draft.version)
    with pytest.raises(FieldError) as refused:
        cases.act_on_case(world.uow(), world.county.actor, case.id, Act.CONFIRM, expected_version=case.version)
    assert refused.value.message == cases.LICENCE_MISSING
    cases.act_on_case(world.uow(), world.county.actor, case.id, Act.CONFIRM, expected_version=case.version,
                      licence_checked=True)
    account = get_account(engine, fresh.user_id)
    assert account is not None and account.unit_verified
    with Session(engine) as session:
        unit = session.get(Unit, fresh.unit_id)
        assert unit is not None and unit.verified_by == world.county.user_id
    assert "unit_verified" in audit_text(engine)


def test_kind_a_is_verified_at_the_prefectures_acceptance(engine: Engine) -> None:
    world = make_world(engine)
    company = register_applicant(engine, make_registration())
    draft = filled_draft(world, "A", today=date(2026, 11, 2), applicant=company)
    case = cases.submit(world.uow(), company.actor, draft.id, expected_version=draft.version)
    with pytest.raises(FieldError, match="待核验"):
        cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT, expected_version=case.version)
    cases.act_on_case(world.uow(), world.prefecture.actor, case.id, Act.ACCEPT, expected_version=case.version,
                      licence_checked=True)
    account = get_account(engine, company.user_id)
    assert account is not None and account.unit_verified


def test_an_officer_hands_a_taken_unit_to_its_rightful_owner(engine: Engine, gateway: SmsGateway) -> None:
    world = make_world(engine)
    impostor = register_applicant(engine, make_registration())
    store = SqlIdentityStore(engine)
    token = start_session(engine, impostor.user_id)
    summary = units.look_up_unit(store, world.county.user_id, "91650100MA77TEB291")
    assert summary is not None and summary.admin_mobile == "138****1234" and summary.accounts == 1
    with pytest.raises(ActRefused):
        units.look_up_unit(store, world.applicant.user_id, "91650100MA77TEB291")
    with pytest.raises(FieldError, match="营业执照"):
        units.transfer_unit(store, world.county.user_id, summary.unit_id, name="乌鲁木齐真明辉物业服务有限公司",
                            contact="张真", mobile="13955550066", reason="冒用注册", licence_checked=False,
                            representative_checked=True)
    code = units.transfer_unit(store, world.county.user_id, summary.unit_id, name="乌鲁木齐真明辉物业服务有限公司",
                               contact="张真", mobile="13955550066", reason="他人冒用本单位信用代码注册",
                               licence_checked=True, representative_checked=True)
    assert sessions.resume(store, token) is None  # the impostor is out at once
    draft = proven_draft(engine, gateway, {"contact": "张真", "mobile": "13955550066"},
                         invitation_hash=units.invitation_hash(code))
    owner = get_account(engine, registration.register(store, HASHER, draft=draft, password="Zhenming2026"))
    assert owner is not None and owner.unit_admin and owner.unit_id == impostor.unit_id
    assert owner.unit_name == "乌鲁木齐真明辉物业服务有限公司" and owner.unit_verified
    impostor_now = get_account(engine, impostor.user_id)
    assert impostor_now is not None
    with pytest.raises(LoginRefused):
        log_in(store, HASHER, login=impostor.login, password="Demo2026abc", admitted_roles=frozenset({Role.APPLICANT}),
               scope="internet", address="")
    logged = audit_text(engine)
    assert "unit_transferred" in logged and "他人冒用本单位信用代码注册" in logged and "transfer_accepted" in logged




def test_the_counter_corrects_a_units_name_from_its_licence_and_its_open_cases_follow(engine: Engine) -> None:
    world = make_world(engine)
    applicant = world.applicant
    old = applicant.unit_name
    new = "乌鲁木齐更名后物业服务有限公司"
    day = date(2026, 11, 2)
    first = filled_draft(world, "C", today=day)
    sent = cases.submit(world.uow(), applicant.actor, first.id, expected_version=first.version)
    decided = cases.withdraw(world.uow(), applicant.actor, sent.id, expected_version=sent.version)
    second = filled_draft(world, "C", today=day)
    in_review = cases.submit(world.uow(), applicant.actor, second.id, expected_version=second.version)
    draft = filled_draft(world, "C", today=day)
    store = SqlIdentityStore(engine)
    with pytest.raises(FieldError, match="单位全称"):
        units.verify_unit(store, world.county.user_id, applicant.unit_id or 0, licence_checked=True,
                          representative_checked=True, name=" ")
    with pytest.raises(DomainError, match="无需重复核验"):  # verified already: its first verification is kept
        units.verify_unit(store, world.county.user_id, applicant.unit_id or 0, licence_checked=True,
                          representative_checked=True, name=old)
    assert units.verify_unit(store, world.county.user_id, applicant.unit_id or 0, licence_checked=True,
                             representative_checked=True, name=f"  {new} ")  # renamed
    account = get_account(engine, applicant.user_id)
    assert account is not None and account.unit_name == new and account.unit_verified
    resumed = cases.load_draft(world.uow(), account.actor, draft.id)
    assert resumed.case.unit_name == new and new in resumed.answers.values()
    with Session(engine) as session:
        named = {c.id: c.unit_name for c in session.exec(select(Case)).all()}
    assert named[in_review.id] == new  # a case in review: its documents will carry the name on the licence
    assert named[decided.id] == old  # a decided case keeps the name it was decided under
    again = cases.submit(world.uow(), account.actor, draft.id, expected_version=resumed.case.version)
    assert again.unit_name == new
    with Session(engine) as session:
        told = session.exec(select(Notification).where(Notification.user_id == applicant.user_id)).all()
    assert any("更正为" in n.text and new in n.text for n in told)
    logged = audit_text(engine)
    assert "unit_renamed" in logged and "name_before" in logged and old in logged and new in logged


def test_only_an_organ_whose_area_the_unit_belongs_to_verifies_renames_or_hands_it_over(engine: Engine) -> None:
    world = make_world(engine)
    store = SqlIdentityStore(engine)
    local = register_applicant(engine, make_registration())  # 91650100…: registered by 乌鲁木齐市's authority
    assert local.unit_id is not None
    stranger = units.look_up_unit(store, world.other_prefecture.user_id, "91650100MA77TEB291")
    assert stranger is not None and not stranger.in_jurisdiction  # 克拉玛依 sees it, may not act on it
    for officer in (world.other_prefecture,):
        with pytest.raises(ActRefused, match="不在本机关辖区"):
            units.verify_unit(store, officer.user_id, local.unit_id, licence_checked=True,
                              representative_checked=True, name="别人改的名字有限公司")
        with pytest.raises(ActRefused, match="不在本机关辖区"):
            units.transfer_unit(store, officer.user_id, local.unit_id, name="别人改的名字有限公司", contact="张三",
                                mobile="13955550066", reason="冒用", licence_checked=True, representative_checked=True)
    own = units.look_up_unit(store, world.county.user_id, "91650100MA77TEB291")
    assert own is not None and own.in_jurisdiction  # a district of 乌鲁木齐市: the city-registered company's counter
    assert not units.verify_unit(store, world.county.user_id, local.unit_id, licence_checked=True,
                                 representative_checked=True)  # verified, its name unchanged
    verified = units.look_up_unit(store, world.county.user_id, "91650100MA77TEB291")
    assert verified is not None and verified.in_jurisdiction and not verified.may_hand_over
    with pytest.raises(ActRefused, match="州、市、地公安机关"):  # a verified unit is not taken by one county
        units.transfer_unit(store, world.county.user_id, local.unit_id, name="乌鲁木齐明辉物业服务有限公司",
                            contact="张真", mobile="13955550066", reason="冒用", licence_checked=True,
                            representative_checked=True)
    units.transfer_unit(store, world.prefecture.user_id, local.unit_id, name="乌鲁木齐明辉物业服务有限公司",
                        contact="张真", mobile="13955550066", reason="经核对营业执照，原账号系他人冒用注册",
                        licence_checked=True, representative_checked=True)
    # A unit registered elsewhere (a Beijing company) belongs where it files: its cases' county and prefecture.
    beijing = world.applicant
    assert beijing.credit_code and beijing.credit_code[2:4] == "11"
    assert not units.look_up_unit(store, world.county.user_id, beijing.credit_code).in_jurisdiction  # type: ignore[union-attr]
    submitted(world, "C", today=date(2026, 11, 2))  # filed in 天山区 (650102)
    assert units.look_up_unit(store, world.county.user_id, beijing.credit_code).in_jurisdiction  # type: ignore[union-attr]
    assert not units.look_up_unit(store, world.sibling_county.user_id, beijing.credit_code).in_jurisdiction  # type: ignore[union-attr]
    assert units.look_up_unit(store, world.province.user_id, beijing.credit_code).in_jurisdiction  # type: ignore[union-attr]
