"""AppTest fixtures: a world of accounts in a private SQLite database, and a page opener."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from flows.identity.login import SECOND_FACTOR_ROLES
from store.accounts import Account, start_session
from store.db import default_engine
from tests.support import World, make_world
from ui.session import signed_in_state

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_world(data_dir: object) -> Iterator[World]:
    """Accounts and an empty case store in this test's DATA_DIR, used by the app's own engine."""
    default_engine.cache_clear()
    yield make_world(default_engine())
    default_engine().dispose()
    default_engine.cache_clear()


def open_page(page: str, account: Account | None, **query: str) -> AppTest:
    """Run the app's entry point logged in as `account`, then switch to `page` (e.g. pages/assistant.py)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    if account is not None:
        staff = account.role in SECOND_FACTOR_ROLES  # a finished staff login has passed its second factor
        token = start_session(default_engine(), account.user_id, second_factor=staff)
        for key, value in signed_in_state(replace(account, second_factor=staff), token).items():
            at.session_state[key] = value
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    if page != "streamlit_app.py":
        at.switch_page(page).run()
    return at


def shown_cell(value: object) -> object:
    """A table cell as a person reads it: st.table renders Markdown, so the page escapes text cells (ui.text)."""
    return value.replace("\\", "").replace("\u2060", "") if isinstance(value, str) else value


def texts(at: AppTest) -> str:
    """Everything the page shows as text, joined (for 'sees' assertions)."""
    parts: list[str] = []
    for kind in ("markdown", "text", "caption", "error", "warning", "success", "info", "title", "subheader"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)
