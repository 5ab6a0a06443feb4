"""Security headers on every response (web/headers.py), and the app still working in Chromium under its
Content-Security-Policy: no violation while a person logs in (the login's inline form submit) and opens
a chart, and no other site can frame it."""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import AppServer
from tests.e2e.helpers import assert_no_exception, goto, log_in, see

pytestmark = pytest.mark.e2e

ALWAYS = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


def request(server: AppServer, method: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    where = urlsplit(server.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response


def test_every_route_answers_with_the_security_headers(app_server: AppServer) -> None:
    page = request(app_server, "GET", "/")
    script = re.search(r'src="(\./static/js/[^"]+\.js)"', _body(app_server, "/"))
    assert script is not None
    paths = [("GET", "/"), ("GET", "/verify"), ("GET", "/_stcore/health"), ("GET", "/ui-assets/app.css"),
             ("GET", script.group(1)[1:]), ("GET", "/media/unknown.png"), ("GET", "/no-such-page/x.txt"),
             ("POST", "/auth/logout"), ("POST", "/auth/session")]
    for method, path in paths:
        response = request(app_server, method, path)
        for name in ALWAYS:
            assert response.getheader(name), (method, path, name)
        csp = response.getheader("content-security-policy") or ""
        assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
        assert "script-src 'self' 'wasm-unsafe-eval' 'sha256-" in csp and "object-src 'none'" in csp
        assert response.getheader("x-content-type-options") == "nosniff"
        assert response.getheader("referrer-policy") == "no-referrer"
        assert response.getheader("strict-transport-security") is None, (method, path)  # plain HTTP: no HSTS
    assert page.status == 200

    # Under no-referrer the browser's own form posts carry `Origin: null`: accepted only when the browser says
    # the post came from this very site.
    assert request(app_server, "POST", "/auth/logout", headers={"Origin": "null"}).status == 403
    assert request(app_server, "POST", "/auth/logout",
                   headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"}).status == 403
    assert request(app_server, "POST", "/auth/logout",
                   headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}).status == 303

    # Behind the TLS proxy (a trusted address: FORWARDED_ALLOW_IPS, 127.0.0.1 by default) HSTS is on.
    over_tls = request(app_server, "GET", "/", headers={"X-Forwarded-Proto": "https"})
    assert (over_tls.getheader("strict-transport-security") or "").startswith("max-age=31536000")


def _body(server: AppServer, path: str) -> str:
    where = urlsplit(server.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    connection.request("GET", path)
    return connection.getresponse().read().decode("utf-8")


def _watch_csp(page: Page) -> list[str]:
    """Every Content-Security-Policy violation the page reports, from the console and the DOM event."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script("""document.addEventListener('securitypolicyviolation', e => {
        (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI); });""")
    return seen


def test_the_app_works_under_its_policy_and_cannot_be_framed(
    app_server: AppServer, new_page: Callable[[], Page],
) -> None:
    page = new_page()
    console = _watch_csp(page)
    log_in(page, app_server.url, "ting")  # the ticket form is posted by the login's inline script
    goto(page, app_server.url, "report")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(state="visible", timeout=60_000)
    see(page, "工作通报")
    assert_no_exception(page)
    reported = page.evaluate("window.__csp || []")
    assert reported == [] and console == [], (reported, console)

    # Another site's page framing the app: the browser refuses (frame-ancestors 'none').
    stranger = new_page()
    stranger.set_content(f'<iframe id="f" src="{app_server.url}/" width="800" height="600"></iframe>')
    child = stranger.locator("#f").element_handle().content_frame()
    assert child is not None
    child.wait_for_load_state("load")
    # Served, Streamlit's page always holds <div id="root">; refused, the frame shows the browser's error page.
    assert child.locator("#root").count() == 0
