"""Who is logged in: kept in session state, restored after a refresh from a cookie checked in the database."""

from __future__ import annotations

import json
import time

import streamlit as st
from sqlalchemy import Engine

from store.accounts import Account, end_session, resume_session, start_session
from store.db import default_engine

COOKIE = "baoan_session"
RECHECK_SECONDS = 30.0


def engine() -> Engine:
    return default_engine()


def current_account() -> Account | None:
    """The logged-in account, from this session or from the browser's session cookie.

    An open tab is checked against its server-side session at most every RECHECK_SECONDS: after 30
    minutes without any action (or a log-out elsewhere, or a disabled account) it is logged out.
    """
    account = st.session_state.get("account")
    if isinstance(account, Account):
        token = st.session_state.get("token")
        checked = float(st.session_state.get("account_checked", 0.0))
        if isinstance(token, str) and time.monotonic() - checked < RECHECK_SECONDS:
            return account
        if isinstance(token, str) and resume_session(engine(), token) is not None:
            st.session_state["account_checked"] = time.monotonic()
            return account
        for key in list(st.session_state.keys()):
            del st.session_state[key]
        st.session_state["logged_out"] = True
        st.session_state["expired"] = True
        return None
    if st.session_state.get("logged_out"):
        return None
    token = st.context.cookies.get(COOKIE)
    if isinstance(token, str) and token:
        account = resume_session(engine(), token)
        if account is not None:
            st.session_state.update(signed_in_state(account, token))
            return account
    return None


def signed_in_state(account: Account, token: str) -> dict[str, object]:
    """What a logged-in tab holds in its session state (test and bench harnesses set the same)."""
    return {"account": account, "token": token, "account_checked": time.monotonic()}


def log_in(account: Account) -> None:
    """Start a server-side session; the browser gets its token as a cookie on the next draw."""
    st.session_state.update(signed_in_state(account, start_session(engine(), account.user_id)))
    st.session_state.pop("logged_out", None)
    st.session_state.pop("expired", None)


def log_out() -> None:
    token = st.session_state.get("token") or st.context.cookies.get(COOKIE)
    if isinstance(token, str) and token:
        end_session(engine(), token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["logged_out"] = True


def sync_cookie() -> None:
    """Make the browser's cookie match this session (set after login, cleared after logout)."""
    token = st.session_state.get("token")
    browser = st.context.cookies.get(COOKIE)
    browser = browser if isinstance(browser, str) else None
    if token and token != browser:
        value = json.dumps(f"{COOKIE}={token}; path=/; SameSite=Strict")
        st.html(f"<script>document.cookie = {value};</script>", unsafe_allow_javascript=True)
    elif not token and browser and st.session_state.get("logged_out"):
        value = json.dumps(f"{COOKIE}=; path=/; max-age=0; SameSite=Strict")
        st.html(f"<script>document.cookie = {value};</script>", unsafe_allow_javascript=True)
