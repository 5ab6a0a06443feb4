"""Production bootstrap: the first administrator, and a way back in when the last one is locked out.

    python -m store.bootstrap create-admin [--login admin] [--name 系统管理员]
    python -m store.bootstrap create-auditor [--login auditor] [--name 安全审计员]
    python -m store.bootstrap reset-login LOGIN

Each prints a one-time password (shown only there); the account must change it at its first login and then
enrols its second factor (TOTP). Both are audited. Run them where the database is reachable (the server).
"""

from __future__ import annotations

import argparse
import re
import sys

from sqlalchemy import Engine
from sqlmodel import Session

from flows.config import get_config
from flows.errors import DomainError
from flows.identity import passwords
from flows.identity.login import reset_credentials
from flows.review.transitions import ROLE_LABELS, Role
from store.accounts import HASHER, account_by_login, create_user, hash_password
from store.db import default_engine, write_session
from store.identity import SqlIdentityStore
from store.models import Setting, utcnow

LOGIN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
DEMO_DATA_KEY = "environment.demo_data"


def create_admin(engine: Engine, *, login: str, name: str, role: Role = Role.ADMIN) -> str:
    """A new administrator (or security auditor: the administrator cannot make or reset one) with a one-time
    password (returned)."""
    if not LOGIN.fullmatch(login):
        raise DomainError("登录名须为3至40位字母、数字或 _ . -。")
    if account_by_login(engine, login) is not None:
        raise DomainError(f"登录名“{login}”已存在；忘记密码请用 reset-login。")
    password = passwords.one_time_password()
    create_user(engine, login=login, password=password, password_hash=hash_password(password),
                display_name=name.strip()[:60] or ROLE_LABELS[role], role=role, region_code=get_config().province_code,
                must_change_password=True)
    return password


def reset_login(engine: Engine, *, login: str) -> str:
    """A one-time password for an existing account; its second factor is enrolled again at the next login."""
    account = account_by_login(engine, login)
    if account is None:
        raise DomainError(f"没有登录名为“{login}”的账号。")
    return reset_credentials(SqlIdentityStore(engine), HASHER, account.user_id, actor_id=None)


def mark_demo_data(engine: Engine) -> None:
    """The demo seed leaves this mark: a production start refuses a database that carries it."""
    with write_session(engine) as session:
        if session.get(Setting, DEMO_DATA_KEY) is None:
            session.add(Setting(key=DEMO_DATA_KEY, value=True, updated_at=utcnow()))
            session.commit()


def has_demo_data(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.get(Setting, DEMO_DATA_KEY) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store.bootstrap", description="创建首个系统管理员或重置登录。")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="创建系统管理员账号（一次性密码）")
    create.add_argument("--login", default="admin")
    create.add_argument("--name", default="系统管理员")
    auditor = commands.add_parser("create-auditor", help="创建安全审计员账号（一次性密码；系统管理员不能创建或重置）")
    auditor.add_argument("--login", default="auditor")
    auditor.add_argument("--name", default="安全审计员")
    reset = commands.add_parser("reset-login", help="为已有账号生成一次性密码并重置动态口令")
    reset.add_argument("login")
    args = parser.parse_args(argv)
    engine = default_engine()
    try:
        if args.command == "create-admin":
            password = create_admin(engine, login=args.login, name=args.name)
            print(f"已创建系统管理员账号“{args.login}”。")
        elif args.command == "create-auditor":
            password = create_admin(engine, login=args.login, name=args.name, role=Role.AUDITOR)
            print(f"已创建安全审计员账号“{args.login}”。")
        else:
            password = reset_login(engine, login=args.login)
            print(f"已重置账号“{args.login}”的密码和动态口令。")
    except DomainError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(f"一次性密码：{password}")
    print("此密码只显示这一次。首次登录时须修改密码，并用手机上的身份验证器扫码绑定动态口令。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
