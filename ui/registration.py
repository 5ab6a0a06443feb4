"""Registering inside the conversation, one field at a time; or logging in to an existing account."""

from __future__ import annotations

import streamlit as st

from flows.accounts import REGISTRATION_FIELDS, check_registration, check_registration_field
from flows.errors import DomainError, FieldError
from store.accounts import authenticate, register_applicant
from ui.session import engine, log_in
from ui.text import md_escape


def register_or_log_in() -> bool:
    """Draw the registration conversation; True once the visitor is logged in."""
    values: dict[str, str] = st.session_state.setdefault("registration", {})
    with st.chat_message("assistant"):
        st.write("办理前需要一个单位账号。首次使用请按提示注册，只需填写一次，以后办理任何业务都不用再填。")
        mode = st.segmented_control("账号", ["首次使用，注册", "已有账号，登录"], default="首次使用，注册",
                                    key="account_mode", label_visibility="collapsed")
    if mode == "已有账号，登录":
        return _log_in()
    for spec in REGISTRATION_FIELDS:
        if spec.id in values:
            with st.chat_message("assistant"):
                st.write(f"请输入{spec.label}。")
            with st.chat_message("user"):
                st.text("●●●●●●●●" if spec.secret else values[spec.id])
            continue
        with st.chat_message("assistant"):
            st.write(f"请输入{spec.label}。")
            st.caption(spec.hint)
            with st.form(f"reg-{spec.id}", border=False):
                raw = st.text_input(spec.label, type="password" if spec.secret else "default",
                                    label_visibility="collapsed", key=f"reg-input-{spec.id}")
                confirm = ""
                if spec.secret:
                    confirm = st.text_input("再次输入密码", type="password", key="reg-confirm")
                sent = st.form_submit_button("确定", type="primary")
            if sent:
                try:
                    if spec.secret and raw != confirm:
                        raise FieldError("两次输入的密码不一致，请重新输入。", field=spec.id)
                    values[spec.id] = check_registration_field(spec.id, raw)
                except FieldError as error:
                    st.error(md_escape(error.message), icon=":material/error:")
                else:
                    if spec.secret:
                        return _create(values)
                    st.rerun()
        return False
    return False


def _create(values: dict[str, str]) -> bool:
    try:
        account = register_applicant(engine(), check_registration(values))
    except FieldError as error:
        st.error(md_escape(error.message), icon=":material/error:")
        if error.field:
            values.pop(error.field, None)
        values.pop("password", None)
        return False
    log_in(account)
    st.session_state.pop("registration", None)
    st.rerun()
    return True


def _log_in() -> bool:
    with st.chat_message("assistant"):
        with st.form("assistant-login", border=False):
            login = st.text_input("登录名（注册时的手机号码）")
            password = st.text_input("密码", type="password")
            sent = st.form_submit_button("登录", type="primary")
        if sent:
            try:
                log_in(authenticate(engine(), login, password))
            except DomainError as error:
                st.error(md_escape(error.message), icon=":material/error:")
                return False
            st.rerun()
    return False
