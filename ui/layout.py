"""Every page starts here: title, who is logged in, the role's menu, pilot notice, feedback."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from flows import clock, environment
from flows.clock import chinese_date
from flows.config import get_config, overrides_in_force
from flows.errors import DomainError
from flows.oversight import feedback
from flows.review.transitions import ROLE_LABELS, Role
from store.accounts import Account
from store.admin import config_overrides
from store.bootstrap import has_demo_data
from store.feedback import SqlFeedbackStore
from store.reports import warm_up_in_background
from ui import keys, portal, registry
from ui.session import address, current_account, engine, holds_session_cookie, logout_button
from ui.text import inline_picture, md_escape

APP_TITLE = "保安业务网上自助办理"
ROOT = Path(__file__).resolve().parent.parent
FAVICON = ROOT / "web" / "assets" / "favicon.png"
_FAVICON_URL = inline_picture(FAVICON.read_bytes())  # not a /media/ URL: those need a session (web/media.py)

def page_setup(page_id: str) -> Account:
    """Draw the frame of a page only a logged-in account of the page's roles may open (ui/registry.py), and
    check access: whoever may not see it gets a word on why and the page stops, so the account is there."""
    entry = registry.page(page_id)
    assert not entry.public, f"{page_id} is public: public_page_setup"
    account = _frame(entry)
    if account is None:
        st.title(entry.title)
        st.warning("请先登录后再使用此功能。")
        st.page_link(registry.page(registry.HOME).file, label="前往登录", icon=":material/login:")
        st.stop()
    return account


def public_page_setup(page_id: str) -> Account | None:
    """Draw the frame of a page a visitor may open too; the account, or None for a visitor."""
    entry = registry.page(page_id)
    assert entry.public, f"{page_id} is not public: page_setup"
    return _frame(entry)


def _frame(entry: registry.Page) -> Account | None:
    portal.check(entry.id)  # first: a page this portal (env PORTAL) does not have answers 页面不存在, queries nothing
    # A file of this server's, not a Material icon (those are drawn from fonts.gstatic.com as favicons).
    st.set_page_config(page_title=f"{entry.title} - {APP_TITLE}", page_icon=_FAVICON_URL, layout="wide")
    _environment_marker()
    overrides_in_force(config_overrides(engine()))  # the administrator's names and pilot dates, for this run
    account = portal.check_account(current_account())  # no officer on the internet, no applicant on the police network
    st.session_state[keys.PAGE_ID] = entry.id
    if account is not None and account.role in (Role.PREFECTURE, Role.PROVINCE):
        warm_up_in_background(engine())  # the progress report's read model, once per process
    _sidebar(account)
    _pilot_notice(account)
    if st.session_state.get(keys.EXPIRED):
        st.info("登录已失效（超过30分钟未操作，或已在别处退出登录），请重新登录。已填写的内容都已保存，重新登录后可以接着办理。",
                icon=":material/timer_off:")
    if st.session_state.pop(keys.SECOND_FACTOR_MISSING, False):
        st.warning("公安机关工作人员和系统管理员须使用动态口令登录。请退出后重新登录，并填写动态验证码。",
                   icon=":material/phonelink_lock:")
    if account is not None and not entry.admits(account.role):
        st.title(entry.title)
        st.error("您无权访问此页面。")
        st.page_link(registry.page(registry.HOME).file, label="返回首页", icon=":material/home:")
        st.stop()
    return account


def _sidebar(account: Account | None) -> None:
    with st.sidebar:
        st.markdown(f"**{APP_TITLE}**")
        st.caption(get_config().department)
        for entry in registry.PAGES:
            if not registry.shipped(entry) or not portal.serves(entry.id):
                continue  # a page not shipped in this build, or not on this portal
            if entry.in_menu_of(account.role if account is not None else None):
                st.page_link(entry.file, label=entry.label, icon=entry.icon)
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
        with st.container(key="demo-mark"):  # app.css lets it wrap: on a phone the warning's end was cut off
            st.badge(f"{environment.DEMO_MARK}：页面上的单位、人员和办件均为演示数据，请勿录入真实个人信息", color="orange")
    elif _demo_data_present():
        st.error("此数据库含演示数据（python -m store.seed），不能以生产环境（APP_ENV=production）运行。"
                 "请使用新的数据库，并用 python -m store.bootstrap create-admin 创建系统管理员。")
        st.stop()


def _demo_data_present() -> bool:
    cached = st.session_state.get(keys.DEMO_DATA_CHECKED)
    if cached is None:
        cached = st.session_state[keys.DEMO_DATA_CHECKED] = has_demo_data(engine())
    return bool(cached)


def link(page_id: str, label: str, icon: str) -> None:
    """A link to another page of the app (left out when that page is not part of this build or this portal)."""
    entry = registry.page(page_id)
    if registry.shipped(entry) and portal.serves(entry.id):
        st.page_link(entry.file, label=label, icon=icon)


def pilot_active() -> bool:
    return get_config().pilot_active(clock.today())


def _pilot_notice(account: Account | None) -> None:
    """The pilot notice with the feedback control beside it, in the page itself (a phone hides the sidebar)."""
    if not pilot_active():
        return
    pilot = get_config().pilot
    notice, feedback = st.columns([5, 1], vertical_alignment="center")
    notice.info(f"试运行期间（{chinese_date(pilot.start)}至{chinese_date(pilot.end)}）：{pilot.notice}",
                icon=":material/campaign:")
    with feedback:
        _feedback_control(account)


def set_feedback_context(*, step: str = "", kind: str = "", case_id: int | None = None) -> None:
    """Tell the feedback control where the user is, so a report names the page, step, kind and case
    (the case places it in a prefecture, whose officers see it)."""
    st.session_state[keys.FEEDBACK_STEP] = step
    st.session_state[keys.FEEDBACK_KIND] = kind
    st.session_state[keys.FEEDBACK_CASE] = case_id


def _feedback_control(account: Account | None) -> None:
    with st.popover("意见反馈", icon=":material/rate_review:", width="stretch"):
        # Not cleared on submit and no max_chars: a text refused (too long) stays to be shortened.
        nonce = st.session_state.get(keys.FEEDBACK_NONCE, 0)
        if thanks := st.session_state.pop(keys.FEEDBACK_THANKS, None):
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
                                       page=str(st.session_state.get(keys.PAGE_ID, "")),
                                       step=str(st.session_state.get(keys.FEEDBACK_STEP, "")),
                                       kind=str(st.session_state.get(keys.FEEDBACK_KIND, "")), text=text,
                                       rating=None if rating == "不评价" else rating,
                                       case_id=st.session_state.get(keys.FEEDBACK_CASE))
            except DomainError as error:
                st.error(error.message)
            else:
                st.session_state[keys.FEEDBACK_NONCE] = nonce + 1  # an empty box for the next one
                st.session_state[keys.FEEDBACK_THANKS] = "感谢您的反馈，我们会尽快处理。"
                st.rerun()


def show_error(message: str) -> None:
    """A refusal or problem, as plain text (never rendered as Markdown or HTML)."""
    st.error(md_escape(message), icon=":material/error:")
