"""单位账号: who acts for this unit. Everyone sees the unit's status and its accounts; the unit's administrator
invites colleagues (single use, 72 hours, for one mobile number) and removes them."""

from __future__ import annotations

import streamlit as st

from flows.clock import show
from flows.errors import DomainError
from flows.identity import units
from flows.identity.ports import UNIT_ROLE_LABELS, UnitRole
from store.accounts import unit_people
from ui.layout import page_setup, set_feedback_context, show_error
from ui.session import engine, identity
from ui.text import md_escape, plain_cells

account = page_setup("unit_accounts")
assert account is not None and account.unit_id is not None
set_feedback_context(step="单位账号")
st.title("单位账号")
flash = st.session_state.pop("unit_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")

unit = unit_people(engine(), account.unit_id)
assert unit is not None
st.markdown(f"**{md_escape(unit.name)}**　统一社会信用代码 {unit.credit_code}")
st.caption("单位名称以营业执照为准，随申请提交并印在证明上。名称已变更或注册时填写有误的，请携带营业执照原件到县级公安机关"
           "窗口核验更正。")
if unit.verified_at:
    st.caption(f"单位状态：已核验（{show(unit.verified_at)}，公安机关已核对营业执照）")
else:
    st.warning("单位状态：待核验。首次办理业务时，公安机关会核对贵单位的营业执照；核验前可正常填写和提交申请。",
               icon=":material/pending:")

st.subheader("本单位的账号")
people = [{"姓名": p.display_name, "手机号码": p.mobile,
           "身份": UNIT_ROLE_LABELS[p.unit_role] if p.unit_role else UNIT_ROLE_LABELS[UnitRole.MEMBER],
           "状态": "正常" if p.active else "已移除", "注册时间": show(p.created_at)} for p in unit.people]
st.table(plain_cells(people))

if not account.unit_admin:
    st.caption("需要邀请同事或移除账号，请联系本单位的账号管理员。")
    st.stop()

st.subheader("邀请同事加入")
st.caption("填写同事的姓名和手机号码，生成邀请码后告诉他本人。同事在“申请办理”中选择“有邀请码，加入本单位”，"
           "输入邀请码并用这个手机号码接收短信验证码后即可加入。邀请码72小时内有效，只能使用一次。")
code = st.session_state.pop("new_invitation_code", None)
if code:
    st.info(f"邀请码：**{code}**（只显示这一次，请告知被邀请的同事本人）", icon=":material/key:")
with st.form("invite", clear_on_submit=True):
    name_col, mobile_col = st.columns(2)
    contact = name_col.text_input("同事姓名")
    mobile = mobile_col.text_input("同事手机号码")
    sent = st.form_submit_button("生成邀请码", type="primary")
if sent:
    try:
        st.session_state["new_invitation_code"] = units.invite(identity(), account.user_id, mobile=mobile,
                                                               contact=contact)
    except DomainError as error:
        show_error(error.message)
    else:
        st.rerun()

if unit.invitations:
    st.markdown("**尚未使用的邀请**")
    for invitation in unit.invitations:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.write(f"{md_escape(invitation.contact)}（{invitation.mobile}），{show(invitation.expires_at)}前有效")
        if row.button("作废", key=f"revoke-{invitation.invitation_id}"):
            try:
                units.revoke_invitation(identity(), account.user_id, invitation.invitation_id)
            except DomainError as error:
                show_error(error.message)
            else:
                st.session_state["unit_flash"] = "邀请已作废。"
                st.rerun()

others = [p for p in unit.people if p.active and p.user_id != account.user_id]
if others:
    st.subheader("移除账号")
    st.caption("被移除的账号立即退出登录、不能再登录；本单位的办件都保留。")
    by_id = {p.user_id: p for p in others}
    chosen = st.selectbox("选择要移除的账号", list(by_id), format_func=lambda i: f"{by_id[i].display_name}（{by_id[i].mobile}）",
                          key="remove_member")
    sure = st.checkbox("确认移除该账号", key="remove_sure")
    if st.button("移除", key="remove_button", disabled=not sure) and chosen is not None:
        try:
            units.remove_member(identity(), account.user_id, chosen)
        except DomainError as error:
            show_error(error.message)
        else:
            st.session_state["unit_flash"] = f"已移除{md_escape(by_id[chosen].display_name)}的账号。"
            st.session_state.pop("remove_sure", None)
            st.rerun()
