"""Personal files over plain HTTP (web/files.py), as any client holding a link would ask for them: only a
live session of someone who may see the case gets the bytes, and an officer's download is in the audit log."""

from __future__ import annotations

import http.client
import io
import secrets
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.identity import sessions
from store.accounts import account_by_login
from store.db import make_engine
from store.identity import SqlIdentityStore
from store.models import AuditEntry
from store.uow import SqlUnitOfWork
from tests.e2e.conftest import AppServer
from tests.e2e.filing import register_unit, submit_c_case

pytestmark = pytest.mark.e2e

COUNTY, SIBLING = "xian650102", "xian650103"  # the case's county (天山区) and another one


@pytest.fixture
def engine(app_server: AppServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATA_DIR", str(app_server.data_dir))  # uploads go into the app's blob store
    engine = make_engine(f"sqlite:///{app_server.data_dir}/app.db")
    yield engine
    engine.dispose()


def get(server: AppServer, path: str, cookie: str = "") -> tuple[http.client.HTTPResponse, bytes]:
    where = urlsplit(server.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=120)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    return response, response.read()


def session_cookie(server: AppServer, engine: Engine, user_id: int, *, second_factor: bool = True) -> str:
    """A session started the way a browser's login ends: a ticket for this visitor, posted to /auth/session."""
    visitor = secrets.token_urlsafe(24)
    ticket = sessions.issue_ticket(SqlIdentityStore(engine), user_id, visitor=visitor, next_path="/",
                                   second_factor=second_factor)
    where = urlsplit(server.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    connection.request("POST", "/auth/session", body=f"ticket={ticket}",
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Cookie": f"__Host-baoan_visitor={visitor}"})
    response = connection.getresponse()
    response.read()
    cookie = (response.getheader("set-cookie") or "").split(";")[0]
    assert cookie.startswith("__Host-baoan_session=") and len(cookie) > 30, cookie
    return cookie


def downloads(engine: Engine, user_id: int, subject: str) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.actor_id == user_id, AuditEntry.subject == subject,
            col(AuditEntry.action).startswith("download_")).order_by(col(AuditEntry.id)))]


def test_files_go_only_to_a_live_session_allowed_to_see_the_case_and_officers_downloads_are_recorded(
        app_server: AppServer, engine: Engine) -> None:
    owner = register_unit(engine, unit_name="乌鲁木齐星河物业服务有限公司", seed=6161, contact="吴星",
                          mobile="13877776161")
    stranger = register_unit(engine, unit_name="乌鲁木齐远山物业服务有限公司", seed=6162, contact="郑山",
                             mobile="13877776162")
    case = submit_c_case(engine, owner, days_ago=1)
    with SqlUnitOfWork(engine, read_only=True) as uow:
        photo = next(m for m in uow.materials(case.id) if m.filename == "营业执照.jpg")
    county, sibling = account_by_login(engine, COUNTY), account_by_login(engine, SIBLING)
    assert county is not None and sibling is not None
    subject = f"case:{case.id}"
    material, dossier = f"/files/case/{case.id}/material/{photo.id}", f"/files/case/{case.id}/dossier"

    # No session, a made-up one, the wrong unit, another county, an officer without the second factor: refused.
    for path in (material, dossier):
        refused, body = get(app_server, path)
        assert refused.status == 403 and "请先登录" in body.decode()
        assert refused.getheader("cache-control") == "no-store"
        assert get(app_server, path, "__Host-baoan_session=made-up")[0].status == 403
    for cookie in (session_cookie(app_server, engine, stranger.user_id),
                   session_cookie(app_server, engine, sibling.user_id)):
        for path in (material, dossier):
            refused, body = get(app_server, path, cookie)
            assert refused.status == 404 and b"JFIF" not in body and b"%PDF" not in body
    half = session_cookie(app_server, engine, county.user_id, second_factor=False)
    assert get(app_server, material, half)[0].status == 403
    assert downloads(engine, sibling.user_id, subject) == [] and downloads(engine, county.user_id, subject) == []

    # The unit's own account gets its file (not recorded: its own).
    own, body = get(app_server, material, session_cookie(app_server, engine, owner.user_id))
    assert own.status == 200 and body[:3] == b"\xff\xd8\xff" and own.getheader("content-type") == "image/jpeg"

    # The county officer gets the file and the merged dossier, each download recorded.
    cookie = session_cookie(app_server, engine, county.user_id)
    got, body = get(app_server, material, cookie)
    assert got.status == 200 and body[:3] == b"\xff\xd8\xff"
    assert got.getheader("cache-control") == "no-store" and got.getheader("x-content-type-options") == "nosniff"
    disposition = got.getheader("content-disposition") or ""
    assert disposition.startswith("attachment;") and unquote(disposition.split("UTF-8''")[1]) == "营业执照.jpg"
    merged, data = get(app_server, dossier, cookie)
    assert merged.status == 200 and merged.getheader("content-type") == "application/pdf"
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    assert f"{case.number}-全部材料.pdf" in unquote(merged.getheader("content-disposition") or "")
    assert downloads(engine, county.user_id, subject) == ["download_material", "download_dossier"]
