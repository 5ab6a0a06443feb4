"""An open tab is logged out after 30 minutes without any action, 12 hours after its login, or when its
session ends elsewhere, and told why; its work is kept. A staff session without a second factor is no login."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from store.models import WebSession, utcnow
from tests.app.conftest import open_page, texts
from tests.support import World

EXPIRED = "登录已失效（超过30分钟未操作，或已在别处退出登录）"


def _logged_in(world: World) -> AppTest:
    at = open_page("streamlit_app.py", world.applicant)
    assert not at.exception
    assert f"您好，{world.applicant.display_name}" in texts(at)
    return at


def _age(world: World, **ago: timedelta) -> None:
    with Session(world.engine) as session:
        session.execute(update(WebSession).values(**{column: utcnow() - delta for column, delta in ago.items()}))
        session.commit()


def test_an_open_tab_idle_for_thirty_minutes_is_logged_out(app_world: World) -> None:
    at = _logged_in(app_world)
    _age(app_world, last_seen=timedelta(minutes=31))
    at.session_state["account_checked"] = 0.0  # the last check was long ago
    at.switch_page("pages/my_cases.py").run()
    shown = texts(at)
    assert EXPIRED in shown and "请先登录后再使用此功能。" in shown
    assert "account" not in at.session_state
    with Session(app_world.engine) as session:
        assert session.exec(select(WebSession)).one().ended  # ended on the server, not only forgotten


def test_a_session_ends_twelve_hours_after_login_even_when_in_use(app_world: World) -> None:
    at = _logged_in(app_world)
    _age(app_world, created_at=timedelta(hours=12, minutes=1), last_seen=timedelta(minutes=1))
    at.session_state["account_checked"] = 0.0
    at.switch_page("pages/my_cases.py").run()
    assert EXPIRED in texts(at)


def test_a_tab_in_use_stays_logged_in(app_world: World) -> None:
    at = _logged_in(app_world)
    _age(app_world, last_seen=timedelta(minutes=20))
    at.session_state["account_checked"] = 0.0
    at.switch_page("pages/my_cases.py").run()
    assert EXPIRED not in texts(at) and "我的办件" in texts(at)
    with Session(app_world.engine) as session:
        seen = session.exec(select(WebSession)).one().last_seen
    assert utcnow() - seen < timedelta(minutes=1)  # the check extended the session


def test_a_session_ended_elsewhere_ends_the_tab_too(app_world: World) -> None:
    at = _logged_in(app_world)
    with Session(app_world.engine) as session:
        session.execute(update(WebSession).values(ended=True))
        session.commit()
    at.session_state["account_checked"] = 0.0
    at.run()
    assert EXPIRED in texts(at) and "登录" in texts(at)
