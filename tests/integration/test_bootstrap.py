"""Production bootstrap: the demo seed refuses production, and the first administrator comes from the CLI
with a one-time password that must be changed at the first login (then the second factor is enrolled)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from flows.identity.login import Next, log_in
from flows.review import Role
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
