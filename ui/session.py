"""Who is logged in: the session lives on the server; the browser holds only its token, in an HttpOnly cookie
that the `/auth/*` routes set and clear (web/auth.py). No page script ever sees or writes it.

A login finished on a page (ui/login.py) ends in `finish_login`: a single-use ticket, posted by the page to
`/auth/session`, which sets the cookie and brings the browser back; the next script run reads the cookie
from the websocket handshake (`st.context.cookies`).
"""

from __future__ import annotations

import html
import secrets
import time

import streamlit as st
from sqlalchemy import Engine

from flows.identity import sessions
from flows.identity.login import SECOND_FACTOR_ROLES
from store.accounts import Account, session_account
from store.db import default_engine
from store.identity import SqlIdentityStore
from ui import keys
from web.clients import client_address
from web.cookies import SESSION_COOKIE, VISITOR_COOKIE
from web.headers import LOGIN_SUBMIT_SCRIPT

RECHECK_SECONDS = 30.0
NO_COOKIES = "浏览器未允许本网站使用Cookie，无法保持登录。请在浏览器设置中允许本网站的Cookie后刷新页面。"


def engine() -> Engine:
    return default_engine()


def identity() -> SqlIdentityStore:
    return SqlIdentityStore(engine())


def address() -> str:
    """The client's address as the throttles and the audit log know it (web/clients.py)."""
    peer = st.context.ip_address  # Streamlit hides loopback peers (None): they are 127.0.0.1
    return client_address(peer if isinstance(peer, str) and peer else "127.0.0.1")


def visitor_key() -> str:
    """This browser's visitor cookie; without one (cookies off, or AppTest) a key for this tab only."""
    value = st.context.cookies.get(VISITOR_COOKIE)
    if isinstance(value, str) and value:
        return value
    fallback = st.session_state.get(keys.VISITOR_FALLBACK)
    if not isinstance(fallback, str):
        fallback = st.session_state[keys.VISITOR_FALLBACK] = "tab-" + secrets.token_urlsafe(24)
    return fallback


def _forget(*, expired: bool) -> None:
    for key in [k for k in st.session_state.keys() if k != keys.VISITOR_FALLBACK]:
        del st.session_state[key]
    st.session_state[keys.LOGGED_OUT] = True
    st.session_state[keys.EXPIRED] = expired


def _admitted(account: Account | None) -> Account | None:
    """Officers and administrators count as logged in only with a second factor."""
    if account is not None and account.role in SECOND_FACTOR_ROLES and not account.second_factor:
        st.session_state[keys.SECOND_FACTOR_MISSING] = True
        return None
    return account


def current_account() -> Account | None:
    """The logged-in account, from this tab's state or from the browser's session cookie.

    An open tab is checked against its server-side session at most every RECHECK_SECONDS: after 30 minutes
    without any action, 12 hours in all, a log-out elsewhere, a password change or a disabled account it is
    logged out (with a word why; its work is kept).
    """
    account = st.session_state.get("account")
    if isinstance(account, Account):
        token = st.session_state.get("token")
        checked = float(st.session_state.get(keys.ACCOUNT_CHECKED, 0.0))
        if isinstance(token, str) and time.monotonic() - checked < RECHECK_SECONDS:
            return _admitted(account)
        fresh = session_account(engine(), token) if isinstance(token, str) else None
        if fresh is not None:
            st.session_state.update(signed_in_state(fresh, token))  # type: ignore[arg-type]
            return _admitted(fresh)
        _forget(expired=True)
        return None
    if st.session_state.get(keys.LOGGED_OUT):
        return None
    token = st.context.cookies.get(SESSION_COOKIE)
    if isinstance(token, str) and token:
        fresh = session_account(engine(), token)
        if fresh is not None:
            st.session_state.update(signed_in_state(fresh, token))
            return _admitted(fresh)
        st.session_state[keys.EXPIRED] = True  # the browser still holds a token of an ended session
        st.session_state[keys.LOGGED_OUT] = True
    return None


def signed_in_state(account: Account, token: str) -> dict[str, object]:
    """What a logged-in tab holds in its session state (test and bench harnesses set the same)."""
    return {"account": account, "token": token, keys.ACCOUNT_CHECKED: time.monotonic()}


def end_this_session() -> None:
    """End this tab's server-side session (a refused account); the browser's dead cookie goes at logout."""
    token = st.session_state.get("token") or st.context.cookies.get(SESSION_COOKIE)
    if isinstance(token, str) and token:
        sessions.log_out(identity(), token)
    _forget(expired=False)


def finish_login(user_id: int, *, second_factor: bool, next_path: str, notice: str = "登录成功，正在进入…") -> None:
    """The login is complete: a single-use ticket for this browser, posted to /auth/session by the page
    (a plain form button if scripts are blocked). Stops the script."""
    visitor = st.context.cookies.get(VISITOR_COOKIE)
    ticket = sessions.issue_ticket(identity(), user_id, visitor=visitor if isinstance(visitor, str) and visitor
                                   else visitor_key(), next_path=next_path, second_factor=second_factor)
    st.session_state[keys.LOGIN_TICKET] = ticket  # AppTest reads it; a browser posts it
    for key in ("pending_login", keys.TOTP_SECRET, "recovery_codes"):
        st.session_state.pop(key, None)
    if not (isinstance(visitor, str) and visitor):
        st.error(NO_COOKIES)
        st.stop()
    st.success(notice, icon=":material/login:")
    form = (f'<form id="baoan-login" method="post" action="/auth/session">'
            f'<input type="hidden" name="ticket" value="{html.escape(ticket)}">'
            '<button type="submit">如果页面没有自动跳转，请点击这里继续</button></form>')
    st.html(form + f"<script>{LOGIN_SUBMIT_SCRIPT}</script>",
            unsafe_allow_javascript=True)
    st.stop()


def holds_session_cookie() -> bool:
    return bool(st.context.cookies.get(SESSION_COOKIE))


def logout_button() -> None:
    """A plain form posting to /auth/logout: the route ends the session and clears the cookie."""
    st.html('<form method="post" action="/auth/logout" style="margin:0">'
            '<button type="submit" style="padding:0.25rem 0.75rem;border:1px solid #d5dce8;border-radius:0.25rem;'
            'background:#ffffff;color:#1c2430;cursor:pointer;font:inherit">退出登录</button></form>')
