"""The two portals (ui/portal.py, env PORTAL): no officer page is reachable on the internet portal, and no
applicant page on the police network; neither shows the other's pages in a menu or runs a query for them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from streamlit.testing.v1 import AppTest

from flows.review.transitions import Role
from store.accounts import Account
from tests.app.conftest import ROOT, open_page, texts
from tests.support import World
from ui import portal, registry

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
INTERNET = [p for p in PAGES if portal.page_key(p) in portal.INTERNET_PAGES]
INTERNET_ONLY = [p for p in INTERNET if portal.page_key(p) in portal.INTERNET_ONLY]  # not on the police network
POLICE = [p for p in PAGES if p not in INTERNET]


def _page_id(path: str) -> str:
    """The page id a page passes to page_setup (or public_page_setup), read from its source."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("page_setup", "public_page_setup")
                and node.args and isinstance(node.args[0], ast.Constant)):
            return str(node.args[0].value)
    raise AssertionError(f"{path} does not call page_setup(\"<page id>\")")


@contextmanager
def counted_queries(world: World) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(world.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(world.engine, "before_cursor_execute", record)


def _home(account: Account | None) -> AppTest:
    at = open_page("streamlit_app.py", account)
    assert not at.exception
    return at


def _links(at: AppTest) -> set[str]:
    """The pages the menu and the page link to, by page id."""
    return {str(link.proto.page) or portal.HOME for link in at.get("page_link")}


def _ids(paths: list[str]) -> set[str]:
    return {portal.page_key(p) for p in paths}


def test_each_page_id_is_its_file_name_so_the_portal_knows_every_page() -> None:
    assert PAGES and POLICE
    for path in PAGES:
        assert _page_id(path) == portal.page_key(path), path
    assert _page_id("streamlit_app.py") == portal.HOME


def test_the_registry_names_every_page_file_once_and_each_page_asks_for_its_own_entry() -> None:
    assert sorted(p.file for p in registry.PAGES) == sorted([*PAGES, "streamlit_app.py"])
    for entry in registry.PAGES:
        assert _page_id(entry.file) == entry.id == portal.page_key(entry.file)
        setup = "public_page_setup" if entry.public else "page_setup"
        assert f"{setup}(\"{entry.id}\")" in (ROOT / entry.file).read_text(encoding="utf-8"), entry.file


WHO = ("visitor", "applicant", "county", "prefecture", "province", "admin", "auditor")
ROLE_OF = {"visitor": None, "applicant": Role.APPLICANT, "county": Role.COUNTY, "prefecture": Role.PREFECTURE,
           "province": Role.PROVINCE, "admin": Role.ADMIN, "auditor": Role.AUDITOR}


def test_the_access_matrix_is_the_registry(app_world: World) -> None:
    """Every page x every role (and a visitor): the page refuses exactly whom its registry entry does not
    admit, and the menu lists exactly the entries for that role."""
    accounts = {who: _account(app_world, who) for who in WHO}
    for who, account in accounts.items():
        role = ROLE_OF[who]
        menu = {str(link.proto.page) or portal.HOME for link in _home(account).sidebar.get("page_link")}
        assert menu == {p.id for p in registry.PAGES if p.in_menu_of(role)}, who
        for entry in registry.PAGES:
            if entry.admits(role):
                continue
            at = open_page(entry.file, account)
            shown = texts(at)
            assert not at.exception, (who, entry.id)
            assert ("请先登录后再使用此功能。" if account is None else "您无权访问此页面。") in shown, (who, entry.id)


def test_the_portal_setting_is_internet_police_or_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in (("internet", portal.Portal.INTERNET), (" Police ", portal.Portal.POLICE),
                            ("", portal.Portal.BOTH)):
        monkeypatch.setenv("PORTAL", value)
        assert portal.current() == expected
    monkeypatch.delenv("PORTAL")
    assert portal.current() == portal.Portal.BOTH
    monkeypatch.setenv("PORTAL", "intranet")
    with pytest.raises(ValueError, match="PORTAL"):
        portal.current()


@pytest.mark.parametrize("who", ["visitor", "applicant", "county", "prefecture", "province", "admin"])
def test_no_officer_or_admin_page_is_reachable_on_the_internet_portal(app_world: World, who: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "internet")
    account = None if who == "visitor" else _admin(app_world) if who == "admin" else getattr(app_world, who)
    at = _home(account)
    assert not _links(at) & _ids(POLICE)
    for path in POLICE:
        with counted_queries(app_world) as queries:
            at.switch_page(path).run()
        assert not at.exception, path
        assert texts(at).strip() == portal.NOT_FOUND, path
        assert queries == [], f"{path} ran {len(queries)} queries before answering 页面不存在"
        assert not at.get("page_link") and not at.button, path  # nothing but the answer


def test_on_the_internet_portal_an_applicant_has_the_applicant_pages_and_no_other(app_world: World,
                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "internet")
    at = _home(app_world.applicant)
    assert _links(at) == _ids(["streamlit_app.py", *INTERNET])
    for path in INTERNET:
        at.switch_page(path).run()
        assert not at.exception, path
        assert portal.NOT_FOUND not in texts(at), path


def test_an_officer_session_is_not_accepted_on_the_internet_portal(app_world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "internet")
    at = _home(app_world.prefecture)
    assert portal.WRONG_PORTAL[portal.Portal.INTERNET] in texts(at)
    assert "account" not in at.session_state
    assert "登录" in texts(at)  # back to the visitor's home with the login form


def test_on_the_police_portal_applicant_pages_do_not_exist_and_officer_pages_work(app_world: World,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "police")
    at = _home(app_world.province)
    links = _links(at)
    assert not links & _ids(INTERNET_ONLY)
    assert {"queue", "ledger", "report", "feedback_inbox", "password"} <= links
    for path in INTERNET_ONLY:
        with counted_queries(app_world) as queries:
            at.switch_page(path).run()
        assert texts(at).strip() == portal.NOT_FOUND and queries == [], path
    at.switch_page("pages/queue.py").run()
    assert not at.exception and "待办队列" in texts(at)


def test_an_applicant_session_is_not_accepted_on_the_police_portal(app_world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "police")
    at = _home(app_world.applicant)
    assert portal.WRONG_PORTAL[portal.Portal.POLICE] in texts(at)
    assert "account" not in at.session_state


def test_without_the_setting_both_portals_are_served_for_the_demo(app_world: World,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL", raising=False)
    officer = _home(app_world.prefecture)
    officer.switch_page("pages/queue.py").run()
    assert "待办队列" in texts(officer) and portal.NOT_FOUND not in texts(officer)
    applicant = _home(app_world.applicant)
    applicant.switch_page("pages/assistant.py").run()
    assert portal.NOT_FOUND not in texts(applicant)


def _account(world: World, who: str) -> Account | None:
    if who == "visitor":
        return None
    if who in ("admin", "auditor"):
        return _staff(world, ROLE_OF[who] or Role.ADMIN)
    account: Account = getattr(world, who)
    return account


def _staff(world: World, role: Role) -> Account:
    from store.accounts import create_user, demo_password_hash, get_account
    from store.demo import DEMO_PASSWORD

    user_id = create_user(world.engine, login=role.value, password=DEMO_PASSWORD, display_name=role.value,
                          role=role, password_hash=demo_password_hash(DEMO_PASSWORD))
    account = get_account(world.engine, user_id)
    assert account is not None
    return account


def _admin(world: World) -> Account:
    from flows.review.transitions import Role
    from store.accounts import create_user, demo_password_hash, get_account
    from store.demo import DEMO_PASSWORD

    user_id = create_user(world.engine, login="admin", password=DEMO_PASSWORD, display_name="系统管理员",
                          role=Role.ADMIN, password_hash=demo_password_hash(DEMO_PASSWORD))
    account = get_account(world.engine, user_id)
    assert account is not None
    return account




def test_the_police_portal_home_greets_officers_not_applicants(app_world: World,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "police")
    shown = texts(_home(None))
    assert "公安机关审核工作平台" in shown
    assert "开始办理" not in shown and "不用跑腿" not in shown
    assert not _links(_home(None)) & _ids(INTERNET_ONLY)


def test_the_internet_portal_home_invites_applicants(app_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL", "internet")
    shown = texts(_home(None))
    assert "不用跑腿" in shown and "公安机关审核工作平台" not in shown
