"""The /auth routes and the visitor cookie over plain HTTP, as a hostile client would call them."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import AppServer

pytestmark = pytest.mark.e2e


def request(server: AppServer, method: str, path: str, *, headers: dict[str, str] | None = None,
            body: str | None = None) -> http.client.HTTPResponse:
    where = urlsplit(server.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    return connection.getresponse()


def form(ticket: str, **headers: str) -> dict[str, object]:
    return {"headers": {"Content-Type": "application/x-www-form-urlencoded", **headers}, "body": f"ticket={ticket}"}


def test_a_first_page_gets_an_http_only_visitor_cookie_and_the_routes_refuse_strangers(app_server: AppServer) -> None:
    page = request(app_server, "GET", "/")
    cookie = page.getheader("set-cookie") or ""
    assert cookie.startswith("__Host-baoan_visitor=")
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    again = request(app_server, "GET", "/", headers={"Cookie": cookie.split(";")[0]})
    assert again.getheader("set-cookie") is None  # kept, not replaced

    forged = request(app_server, "POST", "/auth/session", **form("made-up-ticket"))  # type: ignore[arg-type]
    assert forged.status == 303 and forged.getheader("location") == "/?login=expired"
    assert "baoan_session" not in (forged.getheader("set-cookie") or "")
    foreign = request(app_server, "POST", "/auth/logout", headers={"Origin": "http://evil.example"})
    assert foreign.status == 403
    foreign_login = request(app_server, "POST", "/auth/session",
                            **form("x", Origin="http://evil.example"))  # type: ignore[arg-type]
    assert foreign_login.status == 403
    linked = request(app_server, "GET", "/auth/session?ticket=x")  # a link cannot log anyone in: POST only
    assert "baoan_session" not in (linked.getheader("set-cookie") or "")
    out = request(app_server, "POST", "/auth/logout")
    assert out.status == 303 and out.getheader("location") == "/"
    cleared = out.getheader("set-cookie") or ""
    assert cleared.startswith('__Host-baoan_session=""') or cleared.startswith("__Host-baoan_session=;")
    assert "Max-Age=0" in cleared and "Secure" in cleared
