"""Home: log in, and see the cases you may see."""

from __future__ import annotations

import streamlit as st

from flows.clock import show, today
from flows.documents.fonts import fallbacks
from flows.kinds import all_filings
from flows.review.transitions import OFFICER_ROLES, Role
from store.admin import calendar_gaps
from store.queries import home_summary
from store.queue import queue_counts
from store.screening import fugitive_alerts
from ui import login, portal, registry
from ui.applicant_home import needs_me_now
from ui.layout import APP_TITLE, link, public_page_setup, set_feedback_context
from ui.session import engine
from ui.text import md_escape

account = public_page_setup("home")
set_feedback_context(step="首页")
st.title(APP_TITLE)


def _applicant_intro() -> None:
    st.subheader("不用跑腿，网上办理")
    # The way in first: on a phone it is on the first screen, above the list of businesses.
    link("assistant", label="开始办理（首次使用可在办理过程中注册）", icon=":material/edit_note:")
    st.write("保安服务公司和自行招用保安员的单位，可以在这里网上办理以下业务，"
             "全程有办理助手一步一步引导，进度随时可查，证书网上下载。")
    for filing in all_filings().values():
        st.markdown(f"**{filing.title}**  \n{filing.summary}")
    link("service_guide", label="查看办事指南", icon=":material/menu_book:")
    link("verify", label="核验备案证明真伪", icon=":material/verified:")


def _police_intro() -> None:
    st.subheader("公安机关审核工作平台")
    st.write("本入口供县级、州市地公安机关和公安厅的审核人员以及系统管理员使用：处理申请单位网上提交的办件"
             "（确认、受理、审核、审批），查看台账和进度通报。")
    st.caption("申请单位请通过互联网入口办理业务。工作人员账号由系统管理员开设，忘记密码请联系系统管理员。")


if account is None and login.pending() is not None:  # a new password or the second factor: the whole width
    login.login_form(key="login", next_path="/")
    st.stop()
if account is None:
    police = portal.current() == portal.Portal.POLICE
    intro, form = st.columns([3, 2], gap="large")
    with intro:
        if police:
            _police_intro()
        else:
            _applicant_intro()
    with form:
        st.subheader("登录")
        if st.query_params.get("login") == "expired":
            st.warning("登录未完成（登录凭证已使用或超过1分钟），请重新登录。", icon=":material/timer_off:")
        login.login_form(key="login", next_path="/",
                   login_placeholder="工作人员登录名" if police else "申请单位填注册时的手机号码")
    st.stop()

summary = home_summary(engine(), account.actor)
st.subheader(f"您好，{md_escape(account.display_name)}")
if account.role == Role.APPLICANT:
    needs_me_now(engine(), account)  # first: a returned case, a draft, a notice to download
cols = st.columns(len(summary.counts) or 1)
for col, (label, count) in zip(cols, summary.counts, strict=False):
    col.metric(label, count)
for alert in fugitive_alerts(engine(), account.actor):
    st.error(f"紧急：办件{alert.number}（{md_escape(alert.unit_name)}）的拟任法定代表人自动比对比中网上逃犯"
             f"（{show(alert.at)}），请立即核查并依法处置。", icon=":material/crisis_alert:")
    st.page_link(registry.page("case").file, label=f"打开办件 {alert.number}", query_params={"id": str(alert.case_id)},
                 icon=":material/open_in_new:")
if account.role in OFFICER_ROLES:
    waiting = queue_counts(engine(), account.actor)
    if waiting.overdue or waiting.due_today:
        st.warning(f"您的待办中有{waiting.overdue}件已超期、{waiting.due_today}件今天到期，请优先办理。",
                   icon=":material/alarm:")
    else:
        st.caption(f"待办{waiting.waiting}件，无超期或今天到期的办件。")
if account.role in (*OFFICER_ROLES, Role.ADMIN):
    gaps = calendar_gaps(engine(), today())
    if gaps:
        st.warning(f"{'、'.join(map(str, gaps))}年的节假日安排尚未录入，落在该年的办结期限为估算值，"
                   "请系统管理员在“系统管理 → 节假日日历”中录入。", icon=":material/event_busy:")
if account.role == Role.ADMIN and not fallbacks():
    st.warning("文书的后备字体（fonts-hanazono）未安装：含生僻字（如“䶮”“𠮷”）的单位名称和姓名在填写时会被拒绝。"
               "请在服务器上安装 fonts-hanazono（make run 会自动安装）。", icon=":material/font_download_off:")
if account.role == Role.APPLICANT:
    link("assistant", label="办理新业务或继续填写", icon=":material/edit_note:")
    link("my_cases", label="查看我的办件", icon=":material/folder_open:")
elif account.role in (Role.COUNTY, Role.PREFECTURE, Role.PROVINCE):
    link("queue", label="进入待办队列", icon=":material/inbox:")
elif account.role == Role.ADMIN:
    link("admin", label="进入系统管理", icon=":material/settings:")
elif account.role == Role.AUDITOR:
    link("audit", label="查看审计日志", icon=":material/policy:")
if summary.rows:
    st.markdown("**最近的办件**")
    st.dataframe(summary.rows, hide_index=True, width="stretch")
else:
    st.caption("暂无可查看的办件。")
