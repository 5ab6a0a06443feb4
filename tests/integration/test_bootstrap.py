"""Production bootstrap: the demo seed refuses production, and the first administrator comes from the CLI
with a one-time password that must be changed at the first login (then the second factor is enrolled)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from flows.identity.login import Next, log_in
from flows.review.transitions import Role
from store import bootstrap, seed
from store.accounts import HASHER
from store.identity import SqlIdentityStore

POLICE = frozenset({Role.COUNTY, Role.PREFECTURE, Role.PROVINCE, Role.ADMIN})


def test_the_demo_seed_refuses_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(SystemExit, match="create-admin"):
        seed.main()
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ValueError, match="APP_ENV"):
        seed.main()


def test_create_admin_prints_a_one_time_password_to_change_at_the_first_login(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bootstrap, "default_engine", lambda: engine)
    assert bootstrap.main(["create-admin", "--login", "root_admin"]) == 0
    printed = capsys.readouterr().out
    password = printed.split("一次性密码：")[1].split()[0]
    result = log_in(SqlIdentityStore(engine), HASHER, login="root_admin", password=password,
                    admitted_roles=POLICE, scope="police", address="")
    assert result.next == Next.CHANGE_PASSWORD
    assert bootstrap.main(["create-admin", "--login", "root_admin"]) == 1  # never a second one by that name
    assert "已存在" in capsys.readouterr().err
    assert bootstrap.main(["reset-login", "root_admin"]) == 0
    again = capsys.readouterr().out.split("一次性密码：")[1].split()[0]
    assert again != password
    assert not bootstrap.has_demo_data(engine)


def test_the_auditor_comes_from_the_cli_and_the_administrator_cannot_manage_it(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """三权分立: the administrator neither lists, resets, disables nor redirects the security auditor's account."""
    from flows.errors import FieldError
    from flows.oversight import admin
    from store.accounts import account_by_login
    from store.admin import SqlAdminStore, list_staff

    monkeypatch.setattr(bootstrap, "default_engine", lambda: engine)
    assert bootstrap.main(["create-auditor", "--login", "shenji1"]) == 0
    password = capsys.readouterr().out.split("一次性密码：")[1].split()[0]
    result = log_in(SqlIdentityStore(engine), HASHER, login="shenji1", password=password,
                    admitted_roles=POLICE | {Role.AUDITOR}, scope="police", address="")
    assert result.next == Next.CHANGE_PASSWORD
    assert bootstrap.main(["create-admin", "--login", "root_admin"]) == 0
    auditor, root = account_by_login(engine, "shenji1"), account_by_login(engine, "root_admin")
    assert auditor is not None and auditor.role == Role.AUDITOR and root is not None
    assert [a.login for a in list_staff(engine)] == ["root_admin"]
    for change in (lambda: admin.reset_password(SqlAdminStore(engine), auditor.user_id, actor_id=root.user_id),
                   lambda: admin.set_active(SqlAdminStore(engine), auditor.user_id, False, actor_id=root.user_id),
                   lambda: admin.set_email(SqlAdminStore(engine), auditor.user_id, "x@example.org", actor_id=root.user_id)):
        with pytest.raises(FieldError, match="三权分立"):
            change()
    assert bootstrap.main(["reset-login", "shenji1"]) == 0  # the server's operator can
