"""The login form of this portal, and what a login may need before it becomes a session: a new password
(after a one-time or expired one) and, for officers and administrators, enrolling the second factor."""

from __future__ import annotations

import io
import time

import segno
import streamlit as st

from flows import environment
from flows.config import get_config
from flows.errors import DomainError
from flows.filing.identifiers import check_mobile, mask_mobile
from flows.identity import passwords, recovery, totp
from flows.identity.login import (
    SECOND_FACTOR_ROLES,
    Next,
    change_password,
    confirm_enrolment,
    log_in,
    step_after_password,
)
from flows.review.transitions import Role
from store.accounts import HASHER
from store.demo import DEMO_TOTP_SECRET
from store.outbox import code_sms_gateway
from ui import keys, portal
from ui.session import address, finish_login, identity
from ui.text import inline_picture, md_escape

PENDING = "pending_login"  # {"user_id", "second_factor", "since"}: password checked, steps remain
PENDING_SECONDS = 600
RESET = "password_reset"  # the 忘记密码 steps of this tab: {"mobile", "challenge_id", "demo_code"}
RESET_DONE = "password_reset_done"


def _show_error(message: str) -> None:
    st.error(md_escape(message), icon=":material/error:")


def portal_takes_codes() -> bool:
    """Whether this portal admits roles that log in with a second factor."""
    return bool(portal.ROLES[portal.current()] & SECOND_FACTOR_ROLES)


def pending() -> dict[str, object] | None:
    """The login whose password was checked in this tab and that still needs a step (within 10 minutes)."""
    found = st.session_state.get(PENDING)
    if isinstance(found, dict) and time.monotonic() - float(found.get("since", 0)) < PENDING_SECONDS:
        return found
    st.session_state.pop(PENDING, None)
    return None


def login_form(*, key: str, next_path: str, login_label: str = "登录名", login_placeholder: str = "") -> None:
    """The form, or the steps a checked login still needs; a finished login leaves for /auth/session."""
    waiting = pending()
    if waiting is not None:
        _pending_steps(waiting, next_path)
        return
    applicants = Role.APPLICANT in portal.ROLES[portal.current()]
    if applicants and isinstance(st.session_state.get(RESET), dict):
        _password_reset(st.session_state[RESET])
        return
    if st.session_state.pop(RESET_DONE, None):
        st.success("密码已重置，请用新密码登录。", icon=":material/check_circle:")
    with_code = portal_takes_codes()
    with st.form(key):
        login = st.text_input(login_label, placeholder=login_placeholder)
        password = st.text_input("密码", type="password")
        code = ""
        if with_code:
            code = st.text_input("动态验证码", max_chars=11, placeholder="身份验证器中的6位数字，或一个恢复码")
            st.caption("公安机关工作人员和系统管理员填写；申请单位不用填。尚未绑定动态口令的工作人员可不填，登录后绑定。"
                       if portal.ROLES[portal.current()] & {Role.APPLICANT} else "尚未绑定动态口令的（首次登录或管理员重置后）可不填，登录后绑定。")
        sent = st.form_submit_button("登录", type="primary")
    if applicants:
        st.button("忘记密码？", key=f"{key}-forgot", type="tertiary", on_click=_start_reset)
    if portal.current() == portal.Portal.INTERNET:
        st.caption("公安机关工作人员和系统管理员请通过公安网入口登录。")
    if with_code and environment.is_demo():
        st.caption(f"{environment.DEMO_MARK}：演示账号的动态口令密钥为 `{DEMO_TOTP_SECRET}`，"
                   "可添加到任一身份验证器（见使用说明）。")
    if not sent:
        return
    try:
        result = log_in(identity(), HASHER, login=login, password=password, code=code,
                        admitted_roles=portal.ROLES[portal.current()], scope=str(portal.current()), address=address())
    except DomainError as error:
        _show_error(error.message)
        return
    if result.next == Next.DONE:
        finish_login(result.user_id, second_factor=result.second_factor, next_path=next_path)
    st.session_state[PENDING] = {"user_id": result.user_id, "second_factor": result.second_factor,
                                 "login": login.strip(), "since": time.monotonic()}
    st.rerun()


def _start_reset() -> None:
    st.session_state[RESET] = {}


def _end_reset() -> None:
    st.session_state.pop(RESET, None)


def _password_reset(state: dict[str, object]) -> None:
    """忘记密码: the mobile registered with (the login), an SMS code to it, and the new password."""
    st.markdown("**重置登录密码**")
    st.caption("申请单位账号可凭注册时的手机号码（即登录名）接收短信验证码，重新设置密码。"
               "公安机关工作人员和系统管理员忘记密码的，请联系系统管理员重置。")
    mobile = str(state.get("mobile", ""))
    if not state.get("challenge_id"):
        with st.form("reset-mobile"):
            typed = st.text_input("手机号码（登录名）", value=mobile, max_chars=20, placeholder="注册时填写的11位手机号码")
            sent = st.form_submit_button("获取短信验证码", type="primary")
        if sent:
            _send_reset_code(typed)
        st.button("返回登录", key="reset-back", on_click=_end_reset)
        return
    st.info(f"{recovery.SENT}（手机号码：{mask_mobile(mobile)}）", icon=":material/sms:")
    if state.get("demo_code") and environment.is_demo():
        st.info(f"{environment.DEMO_MARK}：本演示未接入短信平台，验证码为 **{state['demo_code']}**"
                "（正式环境只以短信发送到手机，不在页面显示）。", icon=":material/science:")
    with st.form("reset-password"):
        code = st.text_input("短信验证码", max_chars=6)
        new, again = _new_password_fields()
        done = st.form_submit_button("重置密码", type="primary")
    if done:
        try:
            passwords.check_typed_twice(new, again)
            recovery.reset_password(identity(), HASHER, mobile=mobile, challenge_id=int(str(state["challenge_id"])),
                                    code=code, new=new, scope=str(portal.current()), address=address())
        except DomainError as error:
            _show_error(error.message)
        else:
            _end_reset()
            st.session_state[RESET_DONE] = True
            st.rerun()
    row = st.container(horizontal=True)
    if row.button("重新获取验证码", key="reset-resend"):
        _send_reset_code(mobile)
    if row.button("更改手机号码", key="reset-change"):
        st.session_state[RESET] = {"mobile": mobile}
        st.rerun()
    row.button("返回登录", key="reset-back", on_click=_end_reset)


def _send_reset_code(mobile: str) -> None:
    try:
        sent = recovery.send_reset_code(identity(), code_sms_gateway(), mobile=mobile, address=address(),
                                        demo=environment.is_demo())
    except DomainError as error:
        _show_error(error.message)
        return
    st.session_state[RESET] = {"mobile": check_mobile(mobile), "challenge_id": sent.challenge_id,
                               "demo_code": sent.demo_code}
    st.rerun()


def _forget_login() -> None:
    for name in (PENDING, keys.TOTP_SECRET, "recovery_codes"):
        st.session_state.pop(name, None)


def _pending_steps(pending: dict[str, object], next_path: str) -> None:
    user_id = int(str(pending["user_id"]))
    codes = st.session_state.get("recovery_codes")
    if isinstance(codes, list):  # just enrolled: the codes are shown once, then the login completes
        _show_recovery_codes(codes)
        if st.button("我已妥善保存恢复码，进入系统", type="primary", key="codes_saved"):
            finish_login(user_id, second_factor=True, next_path=next_path)
        return
    step = step_after_password(identity(), user_id)
    if step is None:
        _forget_login()
        st.rerun()
    if step == Next.DONE:
        finish_login(user_id, second_factor=bool(pending.get("second_factor")), next_path=next_path)
    if step == Next.CHANGE_PASSWORD:
        _new_password(user_id)
    else:
        _enrol(user_id, str(pending.get("login", "")))
    if st.button("取消登录", key="cancel_login"):
        _forget_login()
        st.rerun()


def _new_password_fields() -> tuple[str, str]:
    """The new password typed twice (inside a form)."""
    new = st.text_input("新密码", type="password", help="至少8位，须同时包含字母和数字，不能是常见密码")
    return new, st.text_input("再次输入新密码", type="password")


def _new_password(user_id: int) -> None:
    st.info("为了账号安全，请先设置新密码（首次登录、管理员重置后或密码已使用超过90天时需要）。", icon=":material/key:")
    with st.form("new_password"):
        new, again = _new_password_fields()
        sent = st.form_submit_button("设置新密码", type="primary")
    if sent:
        try:
            passwords.check_typed_twice(new, again)
            change_password(identity(), HASHER, user_id, new=new, current=None)
        except DomainError as error:
            _show_error(error.message)
        else:
            st.rerun()


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=5, border=2)
    return out.getvalue()


def _enrol(user_id: int, login: str) -> None:
    secret = st.session_state.get(keys.TOTP_SECRET)
    if not isinstance(secret, str):
        secret = st.session_state[keys.TOTP_SECRET] = totp.new_secret()
    st.info("公安机关工作人员和系统管理员须使用动态口令（第二重身份验证）。请用手机上的身份验证器"
            "（支持基于时间的动态口令的任一验证器应用）扫描下面的二维码，再输入它显示的6位数字。",
            icon=":material/phonelink_lock:")
    uri = totp.provisioning_uri(secret, login=login, issuer=get_config().department)
    st.image(inline_picture(qr_png(uri)), caption="用身份验证器扫描此二维码", width=220)
    st.caption("无法扫码时，可在验证器中手动添加，密钥为：")
    st.code(secret, language=None)
    with st.form("enrol"):
        code = st.text_input("验证器显示的6位数字", max_chars=6)
        sent = st.form_submit_button("完成绑定", type="primary")
    if sent:
        try:
            st.session_state["recovery_codes"] = confirm_enrolment(identity(), user_id, secret=secret, code=code)
        except DomainError as error:
            _show_error(error.message)
        else:
            st.rerun()


def _show_recovery_codes(codes: list[str]) -> None:
    st.success("动态口令已绑定。", icon=":material/check_circle:")
    st.warning("下面是10个恢复码：手机丢失或无法使用验证器时，可在“动态验证码”处输入其中一个登录，每个只能用一次。"
               "请抄写或打印后妥善保管，它们只显示这一次。", icon=":material/warning:")
    st.code("\n".join(codes), language=None)

