"""单位核验: when a company says its credit code was registered by someone else, or an unverified unit comes to
the counter, the officer checks the business licence and the legal representative's ID, then verifies the
unit or hands it to its rightful owner. Every look-up and decision is audited."""

from __future__ import annotations

import streamlit as st

from flows.clock import show
from flows.errors import DomainError, FieldError
from flows.filing.identifiers import check_uscc
from flows.identity import units
from ui.layout import page_setup, set_feedback_context, show_error
from ui.session import address, identity
from ui.text import md_escape

account = page_setup("units")
set_feedback_context(step="单位核验")
st.title("单位核验")
st.caption("用于：①单位反映其统一社会信用代码已被他人注册；②单位账号待核验，需在窗口核对证照。"
           "请当面核对营业执照（或登记证书）原件和法定代表人（主要负责人）身份证件，或其授权委托书和经办人身份证件。")
flash = st.session_state.pop("units_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
code = st.session_state.pop("transfer_code", None)
if code:
    st.info(f"转交码：**{code}**　请交给该单位的经办人本人（只显示这一次，7天内有效）。经办人在互联网端“申请办理”中选择"
            "“有邀请码，加入本单位”，输入转交码，并用登记的手机号码接收短信验证码后，即成为该单位的账号管理员。",
            icon=":material/key:")

FOUND = "units_found"  # (credit code, summary or None) of the last look-up: each look-up is audited once


def look_up(credit_code: str) -> None:
    st.session_state[FOUND] = (credit_code, units.look_up_unit(identity(), account.user_id, credit_code,
                                                               address=address()))


with st.form("lookup"):
    raw = st.text_input("统一社会信用代码（18位，以营业执照为准）")
    looked = st.form_submit_button("查询", type="primary")
if looked:
    try:
        look_up(check_uscc(raw))
    except FieldError as error:
        show_error(error.message)
        st.session_state.pop(FOUND, None)

found = st.session_state.get(FOUND)
if not found:
    st.stop()
credit_code, summary = found
if summary is None:
    st.info("本系统中没有以该代码注册的单位账号。该单位可直接在互联网端注册。")
    st.stop()

st.subheader(md_escape(summary.name), anchor=False)
st.markdown(f"统一社会信用代码：{summary.credit_code}　注册时间：{show(summary.created_at)}")
st.markdown(f"状态：{'已核验（' + show(summary.verified_at) + '）' if summary.verified_at else '待核验'}　"
            f"现有账号：{summary.accounts}个　账号管理员：{md_escape(summary.admin_contact or '—')} {summary.admin_mobile}")

if not summary.in_jurisdiction:
    st.warning(units.OUT_OF_JURISDICTION, icon=":material/block:")
    st.stop()

verify_tab, transfer_tab = st.tabs(["更正单位名称" if summary.verified_at else "核验通过", "转交给合法单位"])
with verify_tab:
    if summary.verified_at:
        st.caption("该单位已核验。单位名称已变更或登记有误的，核对营业执照原件后按执照更正；尚未办结的办件一并更正。")
    else:
        st.caption("证照上的统一社会信用代码与上述一致，且来人确为该单位的法定代表人或其委托的经办人时使用。"
                   "单位名称已变更或注册时填写有误的，按营业执照更正。")
    with st.form("verify"):
        verified_name = st.text_input("营业执照上的单位名称", value=summary.name, key="v_name")
        licence = st.checkbox("已核对营业执照（或登记证书）原件：单位名称与上面填写的一致，统一社会信用代码与上述一致")
        representative = st.checkbox("已核对法定代表人（主要负责人）身份证件，或其授权委托书和经办人身份证件")
        verify = st.form_submit_button("更正单位名称" if summary.verified_at else "核验通过", type="primary")
    if verify:
        try:
            renamed = units.verify_unit(identity(), account.user_id, summary.unit_id, licence_checked=licence,
                                        representative_checked=representative, name=verified_name)
        except DomainError as error:
            show_error(error.message)
        else:
            look_up(credit_code)
            now_named = md_escape(st.session_state[FOUND][1].name)
            st.session_state["units_flash"] = (f"单位名称已按营业执照更正为“{now_named}”。" if renamed
                                               else f"{now_named}已核验。")
            st.rerun()

with transfer_tab:
    if not summary.may_hand_over:
        st.info(units.VERIFIED_TRANSFER, icon=":material/info:")
        st.stop()
    st.warning("转交后，该单位现有的全部账号立即停用并退出登录，未使用的邀请作废；单位名称改为营业执照上的名称；"
               "办件保留在该单位名下。此操作记入审计日志。", icon=":material/warning:")
    with st.form("transfer"):
        name = st.text_input("转交后的单位名称（以营业执照为准）", value=summary.name)
        contact_col, mobile_col = st.columns(2)
        contact = contact_col.text_input("新账号管理员姓名")
        mobile = mobile_col.text_input("新账号管理员手机号码")
        reason = st.text_area("转交原因", placeholder="如：他人冒用本单位信用代码注册，经核对营业执照和法定代表人身份证件，转交本单位（最多200字）")
        licence_t = st.checkbox("已核对营业执照（或登记证书）原件", key="t_licence")
        representative_t = st.checkbox("已核对法定代表人（主要负责人）身份证件，或其授权委托书和经办人身份证件", key="t_rep")
        sure = st.checkbox("确认转交：停用该单位现有全部账号", key="t_sure")
        transfer = st.form_submit_button("转交单位账号", type="primary")
    if transfer:
        try:
            if not sure:
                raise FieldError("请勾选“确认转交”。", field="sure")
            st.session_state["transfer_code"] = units.transfer_unit(
                identity(), account.user_id, summary.unit_id, name=name, contact=contact, mobile=mobile,
                reason=reason, licence_checked=licence_t, representative_checked=representative_t)
        except DomainError as error:
            show_error(error.message)
        else:
            st.session_state["units_flash"] = "单位账号已转交，原有账号已全部停用。"
            look_up(credit_code)
            st.rerun()
