"""Units and who may act for them.

- A unit is claimed once: the first account of a credit code (its mobile proven by an SMS code) becomes the
  unit's administrator. A claimed code is refused without a word about the unit, with the way out: the
  county bureau verifies the licence and can hand the unit to its rightful owner.
- A unit is unverified (待核验) until an officer has checked its business licence: at the county's
  confirmation (the prefecture's acceptance for kind A) of its first case, or in a unit verification.
- Colleagues join only by the administrator's invitation: single use, 72 hours, for one mobile number.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows import clock
from flows.errors import ActRefused, DomainError, FieldError
from flows.filing.answers import clean_text
from flows.filing.identifiers import check_mobile, mask_mobile
from flows.identity.ports import IdentityStore, InvitationRecord, UnitRecord, UnitRole, UserRecord
from flows.identity.throttle import Limits, address_key, after_failure, wait_seconds
from flows.kinds import all_filings
from flows.regions import get_regions
from flows.review.transitions import Role

CLAIMED = ("该统一社会信用代码已有单位账号，不能重复注册。如果您是该单位的工作人员，请向本单位的账号管理员索取邀请码后加入；"
           "如果贵单位从未在本系统注册过，请联系县级公安机关核验（请携带营业执照和法定代表人身份证明），"
           "核验后公安机关可将单位账号转交给贵单位。")
INVITE_WRONG = "邀请码不正确，请核对后重新输入（邀请码为10位字母和数字）。"
INVITE_EXPIRED = "邀请码已过期，请联系邀请您的单位账号管理员重新邀请。"
INVITE_USED = "该邀请码已使用过，不能再次使用。如需加入，请联系单位账号管理员重新邀请。"
INVITE_REVOKED = "该邀请码已作废，请联系单位账号管理员重新邀请。"
INVITE_LIFETIME = timedelta(hours=72)
TRANSFER_LIFETIME = timedelta(days=7)
UNIT_VERIFIERS = frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE})
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Wrong invitation codes from one address: 10 free, then growing delays.
INVITE_GUESSES = Limits(free=10, max_delay=timedelta(minutes=15), window=timedelta(hours=1))


def new_invitation_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def invitation_hash(code: str) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode("ascii", "replace")).hexdigest()


def unit_name(value: str) -> str:
    name = clean_text(value, max_length=80, label="单位名称", single_line=True)
    if len(name) < 2:
        raise FieldError("请填写营业执照或登记证书上的单位全称。", field="unit_name")
    return name


def contact_name(value: str) -> str:
    name = clean_text(value, max_length=30, label="联系人姓名", single_line=True)
    if not name:
        raise FieldError("请填写联系人姓名。", field="contact")
    return name


# ------------------------------------------------------------------ claiming
def check_code_free(store: IdentityStore, credit_code: str) -> None:
    """Refuse a credit code that is claimed already (CLAIMED: nothing about the unit, and the way out)."""
    with store:
        if store.unit_by_code(credit_code) is not None:
            raise FieldError(CLAIMED, field="credit_code")


def add_applicant(store: IdentityStore, *, unit_name: str, credit_code: str, contact: str, mobile: str,
                  password_hash: str, now: datetime, invitation: InvitationRecord | None = None,
                  address: str = "") -> int:
    """Inside an open transaction, for a caller that has proven the mobile: the unit's first account (it claims
    the unit) or, with an invitation, a colleague joining it. Returns the new account's id."""
    if store.user_by_login(mobile) is not None:
        raise FieldError("该手机号码已注册，请直接登录（忘记密码的，可点击登录处的“忘记密码？”凭短信验证码重新设置）。", field="mobile")
    if invitation is None:
        if store.unit_by_code(credit_code) is not None:
            raise FieldError(CLAIMED, field="credit_code")
        unit_id = store.add_unit(name=unit_name, credit_code=credit_code, now=now)
        role = UnitRole.ADMIN
    else:
        unit_id, role = invitation.unit_id, invitation.unit_role
        store.update_invitation(invitation.id, used_at=now)
    user_id = store.add_user(login=mobile, display_name=contact, role=Role.APPLICANT, password_hash=password_hash,
                             now=now, unit_id=unit_id, unit_role=role, mobile=mobile)
    if invitation is not None:
        store.update_invitation(invitation.id, used_by=user_id)
        store.audit(actor_id=user_id, action="transfer_accepted" if invitation.purpose == "transfer"
                    else "invitation_used", subject=f"unit:{unit_id}",
                    detail={"invitation": invitation.id, "address": address})
    else:
        store.audit(actor_id=user_id, action="unit_claimed", subject=f"unit:{unit_id}", detail={"address": address})
    return user_id


def create_applicant(store: IdentityStore, *, unit_name: str, credit_code: str, contact: str, mobile: str,
                     password_hash: str, now: datetime | None = None) -> int:
    """add_applicant in its own transaction (the demo seed and test builders: their mobiles are made up)."""
    with store:
        user_id = add_applicant(store, unit_name=unit_name, credit_code=credit_code, contact=contact, mobile=mobile,
                                password_hash=password_hash, now=now or clock.now())
        store.commit()
        return user_id


# ------------------------------------------------------------------ invitations
def _unit_admin(store: IdentityStore, user_id: int) -> UserRecord:
    user = store.user(user_id)
    if user is None or not user.active or user.role != Role.APPLICANT or user.unit_role != UnitRole.ADMIN \
            or user.unit_id is None:
        raise ActRefused("只有单位账号管理员可以管理本单位的账号。")
    return user


def invite(store: IdentityStore, admin_id: int, *, mobile: str, contact: str,
           now: datetime | None = None) -> str:
    """An invitation of a colleague by mobile number; returns the code to hand over (shown once)."""
    now = now or clock.now()
    try:
        mobile = check_mobile(mobile)
    except FieldError as error:
        error.field = "mobile"
        raise
    contact = contact_name(contact)
    code = new_invitation_code()
    with store:
        admin = _unit_admin(store, admin_id)
        assert admin.unit_id is not None
        for old in store.open_invitations(admin.unit_id, now):
            if old.mobile == mobile:
                store.update_invitation(old.id, revoked_at=now)
        invitation_id = store.add_invitation(
            unit_id=admin.unit_id, code_hash=invitation_hash(code), purpose="invite", unit_role=UnitRole.MEMBER,
            mobile=mobile, contact=contact, created_by=admin.id, now=now, expires_at=now + INVITE_LIFETIME)
        store.audit(actor_id=admin.id, action="invitation_created", subject=f"unit:{admin.unit_id}",
                    detail={"invitation": invitation_id, "mobile": mask_mobile(mobile)})
        store.commit()
    return code


def revoke_invitation(store: IdentityStore, admin_id: int, invitation_id: int, *, now: datetime | None = None) -> None:
    now = now or clock.now()
    with store:
        admin = _unit_admin(store, admin_id)
        found = [i for i in store.open_invitations(admin.unit_id or -1, now) if i.id == invitation_id]
        if not found:
            raise DomainError("该邀请已使用、已过期或已作废。")
        store.update_invitation(invitation_id, revoked_at=now)
        store.audit(actor_id=admin.id, action="invitation_revoked", subject=f"unit:{admin.unit_id}",
                    detail={"invitation": invitation_id})
        store.commit()


def remove_member(store: IdentityStore, admin_id: int, member_id: int) -> None:
    """The member's account is disabled and its sessions end; the unit's cases stay with the unit."""
    with store:
        admin = _unit_admin(store, admin_id)
        member = store.user(member_id)
        if member is None or member.unit_id != admin.unit_id or member.role != Role.APPLICANT:
            raise DomainError("未找到该账号。")
        if member.id == admin.id:
            raise ActRefused("不能移除自己的账号。")
        if not member.active:
            raise DomainError("该账号已移除。")
        store.update_user(member.id, active=False)
        store.end_sessions_of(member.id)
        store.audit(actor_id=admin.id, action="member_removed", subject=f"user:{member.id}",
                    detail={"unit": admin.unit_id})
        store.commit()


def check_invitation(store: IdentityStore, code: str, *, address: str = "",
                     now: datetime | None = None) -> InvitationRecord:
    """The invitation behind a code, or a FieldError(field="invitation") saying plainly what is wrong with it
    (never anything about the unit). Wrong codes from one address slow down."""
    now = now or clock.now()
    key = address_key("invite", address)
    with store:
        state = store.throttle(key)
        wait = wait_seconds(state, now)
        if wait:
            raise FieldError(f"输入错误次数过多，请{wait}秒后再试。", field="invitation")
        found = store.invitation_by_hash(invitation_hash(code)) if 8 <= len(code.strip()) <= 20 else None
        if found is None:
            store.save_throttle(after_failure(state, key, INVITE_GUESSES, now))
            store.audit(actor_id=None, action="invitation_wrong", subject="invitation", detail={"address": address})
            store.commit()
            raise FieldError(INVITE_WRONG, field="invitation")
    if found.used_at is not None:
        raise FieldError(INVITE_USED, field="invitation")
    if found.revoked_at is not None:
        raise FieldError(INVITE_REVOKED, field="invitation")
    if found.expires_at <= now:
        raise FieldError(INVITE_EXPIRED, field="invitation")
    return found


# ------------------------------------------------------------------ the officers' unit verification
@dataclass(frozen=True)
class UnitSummary:
    """What an officer sees of a unit when its people come to the counter (personal data masked)."""

    unit_id: int
    name: str
    credit_code: str
    created_at: datetime
    verified_at: datetime | None
    accounts: int
    admin_contact: str
    admin_mobile: str
    in_jurisdiction: bool = True  # whether this officer may verify or correct the unit
    may_hand_over: bool = True  # whether this officer may hand the unit to its rightful owner


OUT_OF_JURISDICTION = ("该单位不在本机关辖区（按其统一社会信用代码的登记机关和办件所在地），不能由本机关核验或转交。"
                       "请告知来人到单位所在地的县级公安机关办理。")
VERIFIED_TRANSFER = "该单位已经核验，转交须由州、市、地公安机关或自治区公安厅办理。"


def _in_jurisdiction(store: IdentityStore, officer: UserRecord, unit: UnitRecord) -> bool:
    """Where a unit belongs: the division of the authority that registered it (characters 3–8 of its credit
    code) and the places (county, prefecture) of its cases. The province acts for any unit; a prefecture or
    a county for a unit belonging within it; a county also for a unit registered by its prefecture's own
    authority (a city-registered company comes to its district's counter)."""
    if officer.role == Role.PROVINCE:
        return True
    own = officer.region_code or ""
    regions = get_regions()
    if own not in regions:
        return False
    registered_by = unit.credit_code[2:8]
    if any(regions.contains(own, code) for code in {registered_by, *store.unit_case_regions(unit.id)}):
        return True
    return officer.role == Role.COUNTY and regions.prefecture_of(own).code == registered_by


def _may_hand_over(officer: UserRecord, unit: UnitRecord) -> bool:
    """Taking a verified unit from its people is for a prefecture or the province, not one county."""
    return not (unit.verified and officer.role == Role.COUNTY)


def _unit_in_reach(store: IdentityStore, officer: UserRecord, unit_id: int) -> UnitRecord:
    unit = store.unit(unit_id)
    if unit is None:
        raise DomainError("未找到该单位。")
    if not _in_jurisdiction(store, officer, unit):
        raise ActRefused(OUT_OF_JURISDICTION)
    return unit


def _officer(store: IdentityStore, officer_id: int) -> UserRecord:
    officer = store.user(officer_id)
    if officer is None or not officer.active or officer.role not in UNIT_VERIFIERS:
        raise ActRefused("只有公安机关审核人员可以核验单位。")
    return officer


def _masked_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def look_up_unit(store: IdentityStore, officer_id: int, credit_code: str, *, address: str = "") -> UnitSummary | None:
    """A unit by its exact credit code, for the counter; every look-up is audited."""
    with store:
        officer = _officer(store, officer_id)
        unit = store.unit_by_code(credit_code)
        store.audit(actor_id=officer.id, action="unit_lookup", subject=f"unit:{unit.id}" if unit else "unit:none",
                    detail={"address": address})
        store.commit()
        if unit is None:
            return None
        members = [m for m in store.unit_members(unit.id) if m.active]
        admin = next((m for m in members if m.unit_role == UnitRole.ADMIN), None)
        return UnitSummary(unit_id=unit.id, name=unit.name, credit_code=unit.credit_code, created_at=unit.created_at,
                           verified_at=unit.verified_at, accounts=len(members),
                           admin_contact=_masked_name(admin.display_name) if admin else "",
                           admin_mobile=mask_mobile(admin.mobile or "") if admin else "",
                           in_jurisdiction=(reach := _in_jurisdiction(store, officer, unit)),
                           may_hand_over=reach and _may_hand_over(officer, unit))


def _checked(licence: bool, representative: bool) -> None:
    if not licence:
        raise FieldError("请先核对营业执照（或登记证书）原件，确认单位名称和统一社会信用代码。", field="licence")
    if not representative:
        raise FieldError("请先核对法定代表人（主要负责人）身份证件，或其授权委托书和经办人身份证件。", field="representative")


def _unit_name_questions() -> frozenset[str]:
    """The questions of every filing whose answer is the unit's name from the account."""
    return frozenset(q.id for f in all_filings().values() for q in f.questions if q.prefill == "unit.name")


def verify_unit(store: IdentityStore, officer_id: int, unit_id: int, *, licence_checked: bool,
                representative_checked: bool, name: str | None = None, now: datetime | None = None) -> bool:
    """The licence and legal representative checked at the counter: the unit is verified. `name`: the unit's
    name as on the licence, when it was registered wrongly or has changed since (also for a unit verified
    before): its cases not yet decided take it, decided ones and documents issued keep theirs; its accounts are
    told. Only an organ whose area the unit belongs to acts (`_in_jurisdiction`). Returns whether the name
    changed."""
    _checked(licence_checked, representative_checked)
    new_name = unit_name(name) if name is not None else None
    now = now or clock.now()
    with store:
        officer = _officer(store, officer_id)
        unit = _unit_in_reach(store, officer, unit_id)
        renamed = new_name is not None and new_name != unit.name
        if unit.verified and not renamed:
            raise DomainError(f"该单位已于{clock.show(unit.verified_at)}核验，无需重复核验。单位名称有变更的，请在上面填写营业执照上的名称。")
        changes: dict[str, object] = {"name": new_name} if renamed else {}
        if not unit.verified:  # the first verification is kept: who checked the licence first, and when
            changes |= {"verified_at": now, "verified_by": officer.id}
        store.update_unit(unit_id, **changes)
        detail: dict[str, object] = {"how": "counter"}
        if renamed:
            assert new_name is not None
            renamed_cases = store.rename_open_cases(unit_id, new_name, _unit_name_questions())
            detail |= {"name_before": unit.name, "name_after": new_name, "cases_renamed": renamed_cases}
            for member in store.unit_members(unit_id):
                if member.active:
                    store.notify(member.id, f"公安机关已核对贵单位的营业执照，将单位名称由“{unit.name}”更正为“{new_name}”。"
                                            "尚未办结的办件（含草稿）已一并更正；已办结的办件及已出具的文书不变。", now)
        store.audit(actor_id=officer.id, action="unit_renamed" if renamed and unit.verified else "unit_verified",
                    subject=f"unit:{unit_id}", detail=detail)
        store.commit()
    return renamed


def transfer_unit(store: IdentityStore, officer_id: int, unit_id: int, *, name: str, contact: str, mobile: str,
                  reason: str, licence_checked: bool, representative_checked: bool,
                  now: datetime | None = None) -> str:
    """Hand a unit to its rightful owner: every current account of the unit is disabled and logged out, open
    invitations are revoked, the name is set as on the licence, the unit is verified, and a transfer code for
    the owner's mobile is returned (valid 7 days) with which they set up the unit's administrator account."""
    _checked(licence_checked, representative_checked)
    now = now or clock.now()
    name = unit_name(name)
    contact = contact_name(contact)
    try:
        mobile = check_mobile(mobile)
    except FieldError as error:
        error.field = "mobile"
        raise
    reason = clean_text(reason, max_length=200, label="转交原因")
    if not reason:
        raise FieldError("请写明转交原因（如：他人冒用本单位信用代码注册）。", field="reason")
    code = new_invitation_code()
    with store:
        officer = _officer(store, officer_id)
        unit = _unit_in_reach(store, officer, unit_id)
        if not _may_hand_over(officer, unit):
            raise ActRefused(VERIFIED_TRANSFER)
        disabled = []
        for member in store.unit_members(unit_id):
            if member.active:
                store.update_user(member.id, active=False)
                store.end_sessions_of(member.id)
                disabled.append(member.id)
        for old in store.open_invitations(unit_id, now):
            store.update_invitation(old.id, revoked_at=now)
        store.update_unit(unit_id, name=name, verified_at=now, verified_by=officer.id)
        invitation_id = store.add_invitation(
            unit_id=unit_id, code_hash=invitation_hash(code), purpose="transfer", unit_role=UnitRole.ADMIN,
            mobile=mobile, contact=contact, created_by=officer.id, now=now, expires_at=now + TRANSFER_LIFETIME)
        store.audit(actor_id=officer.id, action="unit_transferred", subject=f"unit:{unit_id}",
                    detail={"reason": reason, "accounts_disabled": disabled, "invitation": invitation_id,
                            "mobile": mask_mobile(mobile), "name_before": unit.name, "name_after": name})
        store.commit()
    return code
