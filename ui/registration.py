"""Registering inside the conversation, one field at a time; joining a unit by invitation; or logging in.

Everything typed before the account exists (the business chosen, the instructions read, each field, the SMS
step) is kept on the server under the browser's visitor cookie (flows/identity/registration.py), so a refresh,
a crash or a second tab continue where the visitor was. The password is asked last and never kept.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from flows import environment
from flows.errors import DomainError, FieldError
from flows.identity import passwords, registration, units
from flows.identity.accounts import (
    INVITED_FIELDS,
    REGISTRATION_FIELDS,
    RegistrationField,
    check_registration_field,
)
from store.accounts import HASHER, invitation_unit_name
from store.outbox import code_sms_gateway
from ui.login import login_form
from ui.session import address, engine, finish_login, identity, visitor_key
from ui.text import md_escape

MODES = {"register": "首次使用，注册单位账号", "invite": "有邀请码，加入本单位", "login": "已有账号，登录"}
NEXT_PATH = "/assistant"
REGISTERED = "registered"  # the query parameter of the first visit after registering
# What the draft keeps of the account being made (the rest, the business chosen, stays for the assistant).
ACCOUNT_KEYS = ("mode", "fields", "challenge_id", "mobile_verified", "demo_code", "invitation_hash",
                "invitation_mobile", "invitation_purpose")


def visitor_draft() -> dict[str, Any]:
    return registration.load_draft(identity(), visitor_key())


def remember(draft: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Keep changes to the draft (None removes a key); returns the draft as now kept."""
    updated = {k: v for k, v in {**draft, **changes}.items() if v is not None}
    if updated != draft:
        registration.save_draft(identity(), visitor_key(), updated)
    return updated


def forget_account_steps(draft: dict[str, Any]) -> dict[str, Any]:
    return remember(draft, **dict.fromkeys(ACCOUNT_KEYS))


def forget_all() -> None:
    registration.forget_draft(identity(), visitor_key())


def _error(message: str) -> None:
    st.error(md_escape(message), icon=":material/error:")


def _bubble(question: str, answer: str) -> None:
    with st.chat_message("assistant"):
        st.write(question)
    with st.chat_message("user"):
        st.text(answer)


def register_or_log_in(draft: dict[str, Any]) -> None:
    """Draw the account part of the conversation; a finished registration or login leaves for /auth/session."""
    with st.chat_message("assistant"):
        st.write("办理前需要一个单位账号。首次使用请按提示注册，只需填写一次；本单位已有账号的，请向单位账号管理员索取邀请码加入。")
        saved = draft.get("mode") if draft.get("mode") in MODES else "register"
        mode = st.segmented_control("账号", list(MODES), format_func=MODES.__getitem__, default=saved,
                                    key="account_mode", label_visibility="collapsed") or saved
    if mode != draft.get("mode"):
        draft = remember(draft, mode=mode)
    if mode == "login":
        with st.chat_message("assistant"):
            login_form(key="assistant-login", next_path=NEXT_PATH, login_label="登录名（注册时的手机号码）")
        return
    if mode == "invite" and not draft.get("invitation_hash"):
        _ask_invitation(draft)
        return
    fields: dict[str, str] = dict(draft.get("fields") or {})
    for spec in INVITED_FIELDS if mode == "invite" else REGISTRATION_FIELDS:
        if spec.id in fields:
            _bubble(f"请输入{spec.label}。", fields[spec.id])
            continue
        _ask_field(draft, spec)
        _start_over(draft)
        return
    if not draft.get("mobile_verified"):
        _prove_mobile(draft, fields["mobile"])
        _start_over(draft)
        return
    _bubble("请输入短信验证码。", "（已验证）")
    if mode == "invite":
        name = invitation_unit_name(engine(), str(draft["invitation_hash"]))
        role = "单位账号管理员" if draft.get("invitation_purpose") == "transfer" else "经办人"
        with st.chat_message("assistant"):
            st.write(f"手机号码已验证。您将以{role}身份加入：{md_escape(name) if name else '（邀请已失效）'}。")
    _set_password(draft)
    _start_over(draft)


def _ask_invitation(draft: dict[str, Any]) -> None:
    with st.chat_message("assistant"):
        st.write("请输入单位账号管理员给您的邀请码（10位字母和数字，72小时内有效，只能使用一次）。")
        with st.form("reg-invitation", border=False):
            code = st.text_input("邀请码", label_visibility="collapsed", placeholder="10位字母和数字")
            sent = st.form_submit_button("确定", type="primary")
        if sent:
            try:
                invitation = units.check_invitation(identity(), code, address=address())
            except FieldError as error:
                _error(error.message)
            else:
                remember(draft, invitation_hash=units.invitation_hash(code), invitation_mobile=invitation.mobile,
                         invitation_purpose=invitation.purpose, fields={})
                st.rerun()


def _check(draft: dict[str, Any], spec: RegistrationField, raw: str) -> str:
    value = check_registration_field(spec.id, raw)
    if spec.id == "credit_code":
        units.check_code_free(identity(), value)
    if spec.id == "mobile" and draft.get("invitation_mobile") and value != draft["invitation_mobile"]:
        raise FieldError("此邀请码不是发给这个手机号码的。请核对手机号码，或向单位账号管理员确认邀请时填写的号码。",
                         field="mobile")
    return value


def _ask_field(draft: dict[str, Any], spec: RegistrationField) -> None:
    with st.chat_message("assistant"):
        st.write(f"请输入{spec.label}。")
        st.caption(spec.hint)
        with st.form(f"reg-{spec.id}", border=False):
            raw = st.text_input(spec.label, label_visibility="collapsed", key=f"reg-input-{spec.id}")
            sent = st.form_submit_button("确定", type="primary")
        if sent:
            try:
                value = _check(draft, spec, raw)
            except FieldError as error:
                _error(error.message)
            else:
                remember(draft, fields={**(draft.get("fields") or {}), spec.id: value})
                st.rerun()


def _prove_mobile(draft: dict[str, Any], mobile: str) -> None:
    with st.chat_message("assistant"):
        st.write(f"为确认手机号码 {mobile} 由您本人使用，请获取并输入6位短信验证码。")
        if draft.get("demo_code") and environment.is_demo():
            st.info(f"{environment.DEMO_MARK}：本演示未接入短信平台，验证码为 **{draft['demo_code']}**"
                    "（正式环境只以短信发送到手机，不在页面显示）。", icon=":material/science:")
        has_code = bool(draft.get("challenge_id"))
        row = st.container(horizontal=True)
        if row.button("重新获取验证码" if has_code else "获取短信验证码", key="sms-send",
                      type="secondary" if has_code else "primary"):
            try:
                sent = registration.send_code(identity(), code_sms_gateway(), mobile=mobile, purpose="register",
                                              address=address(), demo=environment.is_demo())
            except DomainError as error:
                _error(error.message)
            else:
                remember(draft, challenge_id=sent.challenge_id, demo_code=sent.demo_code)
                st.rerun()
        if row.button("更改手机号码", key="sms-change-mobile"):
            fields = {k: v for k, v in (draft.get("fields") or {}).items() if k != "mobile"}
            remember(draft, fields=fields, challenge_id=None, demo_code=None)
            st.rerun()
        if not has_code:
            return
        st.caption("验证码已发送，5分钟内有效。")
        with st.form("reg-sms", border=False):
            code = st.text_input("短信验证码", max_chars=6)
            confirmed = st.form_submit_button("确定", type="primary")
        if confirmed:
            try:
                registration.verify_code(identity(), int(draft["challenge_id"]), mobile=mobile, code=code)
            except FieldError as error:
                _error(error.message)
            else:
                remember(draft, mobile_verified=True, demo_code=None)
                st.rerun()


def _set_password(draft: dict[str, Any]) -> None:
    with st.chat_message("assistant"):
        st.write("最后，请设置登录密码。以后用手机号码和这个密码登录。")
        st.caption("至少8位，须同时包含字母和数字；不能是常见密码，不能包含手机号码或信用代码。")
        with st.form("reg-password", border=False):
            password = st.text_input("登录密码", type="password")
            again = st.text_input("再次输入密码", type="password")
            sent = st.form_submit_button("确定", type="primary")
    if not sent:
        return
    try:
        passwords.check_typed_twice(password, again)
        user_id = registration.register(identity(), HASHER, draft=draft, password=password, address=address())
    except FieldError as error:
        _error(error.message)
        _undo(draft, error.field)
        return
    forget_account_steps(draft)
    finish_login(user_id, second_factor=False, next_path=f"{NEXT_PATH}?{REGISTERED}=1",
                 notice="注册成功，正在进入…")


def _undo(draft: dict[str, Any], field: str | None) -> None:
    """After a refusal at the last step, ask again what caused it."""
    fields = dict(draft.get("fields") or {})
    if field in ("credit_code", "mobile"):
        fields.pop(field, None)
        remember(draft, fields=fields, challenge_id=None, mobile_verified=None, demo_code=None)
    elif field == "sms":
        remember(draft, challenge_id=None, mobile_verified=None, demo_code=None)
    elif field == "invitation":
        remember(draft, invitation_hash=None, invitation_mobile=None, invitation_purpose=None, fields={},
                 challenge_id=None, mobile_verified=None, demo_code=None)


def _start_over(draft: dict[str, Any]) -> None:
    if (draft.get("fields") or draft.get("invitation_hash")) and st.button("清空已填写的内容，重新开始", key="reg-restart"):
        forget_account_steps(draft)
        st.rerun()
