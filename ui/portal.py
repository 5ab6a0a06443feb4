"""Two portals, one store: applicants reach the product from the internet, officers from the police network.

One setting, env `PORTAL`, decides what this server is:

- `internet`: home and login, the assistant (with registration), 我的办件, 单位账号, 修改密码, the service
  guide and certificate verification. Every other page answers only "页面不存在" before it runs a query, and
  appears in no menu. An officer or administrator account is not accepted here.
- `police`: home and login, and the officers' and administrator's pages. The applicants' and the
  public pages answer "页面不存在"; an applicant account is not accepted here.
- unset or empty: both at once (the demo and development).

Which portal serves a page is the page's entry in ui/registry.py (`Page.portal`): home and 修改密码 are
on both.
"""

from __future__ import annotations

import os

import streamlit as st

from flows.review.transitions import Role
from store.accounts import Account
from ui.registry import HOME, PAGES, Portal, page_key
from ui.session import end_this_session

__all__ = ["HOME", "Portal", "page_key"]

# Pages by id, from the registry.
BOTH_PORTALS = frozenset(p.id for p in PAGES if p.portal == Portal.BOTH)
INTERNET_PAGES = frozenset(p.id for p in PAGES if p.portal in (Portal.INTERNET, Portal.BOTH))
INTERNET_ONLY = INTERNET_PAGES - BOTH_PORTALS
# Who may be logged in on each portal.
ROLES: dict[Portal, frozenset[Role]] = {
    Portal.INTERNET: frozenset({Role.APPLICANT}),
    Portal.POLICE: frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE, Role.ADMIN, Role.AUDITOR}),
    Portal.BOTH: frozenset(Role),
}
NOT_FOUND = "页面不存在"
WRONG_PORTAL = {
    Portal.INTERNET: "公安机关工作人员和系统管理员请通过公安网入口登录，互联网入口仅供申请单位使用。",
    Portal.POLICE: "申请单位请通过互联网入口登录办理业务，公安网入口仅供公安机关工作人员使用。",
}


def current() -> Portal:
    """The portal this server runs as (env PORTAL); an unknown value stops the server's pages, never opens them."""
    raw = os.environ.get("PORTAL", "").strip().lower()
    if not raw:
        return Portal.BOTH
    try:
        portal = Portal(raw)
    except ValueError:
        raise ValueError(f"PORTAL must be 'internet', 'police' or unset, not {raw!r}") from None
    return portal


def serves(page_id: str, portal: Portal | None = None) -> bool:
    """Whether this portal has the page at all."""
    portal = portal or current()
    if portal == Portal.INTERNET:
        return page_id in INTERNET_PAGES
    if portal == Portal.POLICE:
        return page_id not in INTERNET_ONLY
    return True


def shows(path: str) -> bool:
    """Whether a menu or a link may point at this page file on this portal."""
    return serves(page_key(path))


def admits(role: Role, portal: Portal | None = None) -> bool:
    """Whether an account of this role may be logged in on this portal."""
    return role in ROLES[portal or current()]


def check(page_id: str) -> None:
    """First thing on every page: a page this portal does not have answers "页面不存在" and stops.

    Nothing before this reads the session or the database, so such a page runs no query at all.
    """
    if not serves(page_id):
        st.title(NOT_FOUND)
        st.stop()


def check_account(account: Account | None) -> Account | None:
    """The account, or None (its session ended, with a word on where to go) when its role does not belong here."""
    if account is None or admits(account.role):
        return account
    end_this_session()  # its cookie, now dead, goes with the next logout (the sidebar offers it)
    st.error(WRONG_PORTAL[current()])
    return None
