"""修改密码: every user changes their own password here (all their other logins end); officers and
administrators can also renew their recovery codes."""

from __future__ import annotations

import streamlit as st

from flows.errors import DomainError
from flows.identity import passwords
from flows.identity.login import SECOND_FACTOR_ROLES, change_password, regenerate_recovery_codes
from flows.identity.passwords import STAFF_PASSWORD_AGE
from store.accounts import HASHER
from ui.layout import page_setup, set_feedback_context, show_error
from ui.session import finish_login, identity

account = page_setup("password")
set_feedback_context(step="修改密码")
st.title("修改密码")
if st.query_params.get("changed") == "1":
    st.success("密码已修改。您在其他浏览器或设备上的登录都已退出。", icon=":material/check_circle:")

staff = account.role in SECOND_FACTOR_ROLES
st.caption("新密码至少8位，须同时包含字母和数字；不能是常见密码，不能包含手机号码或登录名。"
           + (f"公安机关工作人员和系统管理员的密码每{STAFF_PASSWORD_AGE.days}天须更换一次。" if staff else ""))
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("当前密码", type="password")
    new = st.text_input("新密码", type="password")
    again = st.text_input("再次输入新密码", type="password")
    sent = st.form_submit_button("修改密码", type="primary")
if sent:
    try:
        passwords.check_typed_twice(new, again)
        change_password(identity(), HASHER, account.user_id, new=new, current=current)
    except DomainError as error:
        show_error(error.message)
    else:
        # Every session of the account has ended, this one too: this browser gets a fresh one.
        finish_login(account.user_id, second_factor=account.second_factor, next_path="/password?changed=1")

if staff:
    st.subheader("恢复码")
    st.caption("手机丢失或无法使用身份验证器时，可用恢复码代替动态验证码登录，每个只能用一次。重新生成后，原来未用的恢复码全部作废。")
    if st.button("重新生成恢复码", key="renew_codes"):
        try:
            codes = regenerate_recovery_codes(identity(), account.user_id)
        except DomainError as error:
            show_error(error.message)
        else:
            st.warning("新的恢复码只显示这一次，请抄写或打印后妥善保管。", icon=":material/warning:")
            st.code("\n".join(codes), language=None)
