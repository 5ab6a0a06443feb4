"""Every page starts here: title, who is logged in, the role's menu, pilot notice, feedback."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal, overload

import streamlit as st

from flows import clock, environment, feedback
from flows.config import get_config, overrides_in_force
from flows.errors import DomainError
from flows.review import ROLE_LABELS, Role
from store.accounts import Account
from store.admin import config_overrides
from store.bootstrap import has_demo_data
from store.feedback import SqlFeedbackStore
from store.reports import warm_up_in_background
from ui import portal
from ui.session import address, current_account, engine, holds_session_cookie, logout_button
from ui.text import md_escape

APP_TITLE = "保安业务网上自助办理"
ROOT = Path(__file__).resolve().parent.parent
FAVICON = ROOT / "web" / "assets" / "favicon.png"

# (page file, label, icon, roles that see it; None = everyone, including visitors)
MENU: tuple[tuple[str, str, str, frozenset[Role] | None], ...] = (
    ("streamlit_app.py", "首页", ":material/home:", None),
    ("pages/assistant.py", "申请办理", ":material/edit_note:", frozenset({Role.APPLICANT})),
    ("pages/my_cases.py", "我的办件", ":material/folder_open:", frozenset({Role.APPLICANT})),
    ("pages/queue.py", "待办队列", ":material/inbox:", frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE})),
    ("pages/ledger.py", "台账", ":material/table_view:", frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE})),
    ("pages/report.py", "工作通报", ":material/bar_chart:", frozenset({Role.PREFECTURE, Role.PROVINCE})),
    ("pages/feedback_inbox.py", "意见反馈", ":material/forum:", frozenset({Role.PREFECTURE, Role.PROVINCE})),
    ("pages/units.py", "单位核验", ":material/domain_verification:", frozenset({Role.COUNTY, Role.PREFECTURE,
                                                                            Role.PROVINCE})),
    ("pages/admin.py", "系统管理", ":material/settings:", frozenset({Role.ADMIN})),
    ("pages/audit.py", "审计日志", ":material/policy:", frozenset({Role.AUDITOR})),
    ("pages/unit_accounts.py", "单位账号", ":material/group:", frozenset({Role.APPLICANT})),
    ("pages/password.py", "修改密码", ":material/key:", frozenset(Role)),
    ("pages/service_guide.py", "办事指南", ":material/menu_book:", None),
    ("pages/verify.py", "证书核验", ":material/verified:", None),
)


@overload
def page_setup(title: str, *, page_id: str, roles: Iterable[Role] | None = None,
               public: Literal[False] = False) -> Account: ...
@overload
def page_setup(title: str, *, page_id: str, roles: Iterable[Role] | None = None,
               public: Literal[True]) -> Account | None: ...
def page_setup(title: str, *, page_id: str, roles: Iterable[Role] | None = None,
               public: bool = False) -> Account | None:
    """Draw the frame of a page and check access; stops the page when the visitor may not see it
    (a page that is not public therefore always has the account)."""
    portal.check(page_id)  # first: a page this portal (env PORTAL) does not have answers 页面不存在, queries nothing
    # A file of this server's, not a Material icon (those are drawn from fonts.gstatic.com as favicons).
    st.set_page_config(page_title=f"{title} - {APP_TITLE}", page_icon=str(FAVICON), layout="wide")
    _environment_marker()
    overrides_in_force(config_overrides(engine()))  # the administrator's names and pilot dates, for this run
    account = portal.check_account(current_account())  # no officer on the internet, no applicant on the police network
    st.session_state["page_id"] = page_id
    if account is not None and account.role in (Role.PREFECTURE, Role.PROVINCE):
        warm_up_in_background(engine())  # the progress report's read model, once per process
    _sidebar(account)
    _pilot_notice(account)
    allowed = set(roles) if roles is not None else None
    if st.session_state.get("expired"):
        st.info("登录已失效（超过30分钟未操作，或已在别处退出登录），请重新登录。已填写的内容都已保存，重新登录后可以接着办理。",
                icon=":material/timer_off:")
    if st.session_state.pop("second_factor_missing", False):
        st.warning("公安机关工作人员和系统管理员须使用动态口令登录。请退出后重新登录，并填写动态验证码。",
                   icon=":material/phonelink_lock:")
    if not public and account is None:
        st.title(title)
        st.warning("请先登录后再使用此功能。")
        st.page_link("streamlit_app.py", label="前往登录", icon=":material/login:")
        st.stop()
    if allowed is not None and (account is None or account.role not in allowed):
        st.title(title)
        st.error("您无权访问此页面。")
        st.page_link("streamlit_app.py", label="返回首页", icon=":material/home:")
        st.stop()
    return account


def _sidebar(account: Account | None) -> None:
    with st.sidebar:
        st.markdown(f"**{APP_TITLE}**")
        st.caption(get_config().department)
        for path, label, icon, roles in MENU:
            if not (ROOT / path).exists() or not portal.shows(path):
                continue  # a page not shipped in this build, or not on this portal
            if roles is None or (account is not None and account.role in roles):
                st.page_link(path, label=label, icon=icon)
        st.divider()
        if account is not None:
            who = account.unit_name or account.display_name
            st.caption(f"{ROLE_LABELS[account.role]}  \n{md_escape(who)}" if who != ROLE_LABELS[account.role]
                       else md_escape(who))
        if account is not None or holds_session_cookie():  # a dead or refused session's cookie goes too
            logout_button()


def _environment_marker() -> None:
    """演示环境 on every page of the demo; a production start refuses a database holding the demo seed."""
    if environment.is_demo():
        # No icon: a badge's icon is read out by its name ("science icon") to screen readers.
        st.badge(f"{environment.DEMO_MARK}：页面上的单位、人员和办件均为演示数据，请勿录入真实个人信息", color="orange")
    elif _demo_data_present():
        st.error("此数据库含演示数据（python -m store.seed），不能以生产环境（APP_ENV=production）运行。"
                 "请使用新的数据库，并用 python -m store.bootstrap create-admin 创建系统管理员。")
        st.stop()


def _demo_data_present() -> bool:
    cached = st.session_state.get("demo_data_checked")
    if cached is None:
        cached = st.session_state["demo_data_checked"] = has_demo_data(engine())
    return bool(cached)


def link(path: str, label: str, icon: str) -> None:
    """A link to another page of the app (left out when that page is not part of this build)."""
    if (ROOT / path).exists() and portal.shows(path):
        st.page_link(path, label=label, icon=icon)


def pilot_active() -> bool:
    return get_config().pilot_active(clock.today())


def _pilot_notice(account: Account | None) -> None:
    """The pilot notice with the feedback control beside it, in the page itself (a phone hides the sidebar)."""
    if not pilot_active():
        return
    pilot = get_config().pilot
    notice, feedback = st.columns([5, 1], vertical_alignment="center")
    notice.info(f"试运行期间（{pilot.start:%Y年%m月%d日}至{pilot.end:%Y年%m月%d日}）：{pilot.notice}",
                icon=":material/campaign:")
    with feedback:
        _feedback_control(account)


def set_feedback_context(*, step: str = "", kind: str = "", case_id: int | None = None) -> None:
    """Tell the feedback control where the user is, so a report names the page, step, kind and case
    (the case places it in a prefecture, whose officers see it)."""
    st.session_state["feedback_step"] = step
    st.session_state["feedback_kind"] = kind
    st.session_state["feedback_case"] = case_id


def _feedback_control(account: Account | None) -> None:
    with st.popover("意见反馈", icon=":material/rate_review:", width="stretch"):
        # Not cleared on submit and no max_chars: a text refused (too long) stays to be shortened.
        nonce = st.session_state.get("feedback_nonce", 0)
        if thanks := st.session_state.pop("feedback_thanks", None):
            st.success(thanks)
        with st.form("pilot_feedback", border=False):
            text = st.text_area("您遇到的问题或建议", key=f"feedback_text_{nonce}", placeholder="例如：这里不知道填什么")
            st.caption(f"最多{feedback.FEEDBACK_MAX}个字。")
            rating = st.selectbox("本页使用感受（可选）", ("不评价", *feedback.RATINGS), key="feedback_rating")
            sent = st.form_submit_button("提交反馈")
        if sent:
            try:
                feedback.send_feedback(SqlFeedbackStore(engine()), user_id=account.user_id if account else None,
                                       address=address(), now=clock.now(),
                                       page=str(st.session_state.get("page_id", "")),
                                       step=str(st.session_state.get("feedback_step", "")),
                                       kind=str(st.session_state.get("feedback_kind", "")), text=text,
                                       rating=None if rating == "不评价" else rating,
                                       case_id=st.session_state.get("feedback_case"))
            except DomainError as error:
                st.error(error.message)
            else:
                st.session_state["feedback_nonce"] = nonce + 1  # an empty box for the next one
                st.session_state["feedback_thanks"] = "感谢您的反馈，我们会尽快处理。"
                st.rerun()


def show_error(message: str) -> None:
    """A refusal or problem, as plain text (never rendered as Markdown or HTML)."""
    st.error(md_escape(message), icon=":material/error:")
