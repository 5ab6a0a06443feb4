"""nginx in front of the replicas, as a browser and an attacker meet it: HTTPS only, the app's own headers
and cookies passed on, the replica cookie, Streamlit's internal figures hidden, uploads above the app's
limit refused at the door, and per-address limits on the HTTP routes that log in, register, send SMS
codes and verify certificates."""

from __future__ import annotations

import re
import urllib.request

import pytest

from deploy.topology import Topology, max_upload_mb
from scripts.load_ws import Http, Target, http
from tests.topology.conftest import LIMITS, run

ROUTE = re.compile(r"__Host-baoan-route=(r\d+); Path=/; Max-Age=\d+; Secure; HttpOnly; SameSite=Lax")


def _get(topology: Topology, path: str, *, source: str, method: str = "GET", cookie: str = "",
         headers: dict[str, str] | None = None, body: bytes = b"") -> Http:
    target = Target.parse(topology.url, str(topology.cafile))
    return run(http(target, method, path, {**({"Cookie": cookie} if cookie else {}), **(headers or {})},
                            body, source=source))


def _header(answer: Http, name: str) -> list[str]:
    return [value for key, value in answer.headers if key == name]


def test_plain_http_is_redirected_to_https(topology: Topology) -> None:
    site = (topology.root / "nginx" / "baoan.conf").read_text(encoding="utf-8")
    port = int(re.search(r"listen 127\.0\.0\.1:(\d+);", site).group(1))  # type: ignore[union-attr]
    answer = run(http(Target("http", "127.0.0.1", port), "GET", "/verify?code=ABC", {},
                              source="127.0.2.1"))
    assert answer.status == 301
    assert _header(answer, "location") == [f"https://127.0.0.1:{topology.https_port}/verify?code=ABC"]


def test_a_page_comes_over_tls_with_the_apps_headers_and_a_replica_cookie(topology: Topology) -> None:
    page = _get(topology, "/", source="127.0.2.2")
    assert page.status == 200 and b"<html" in page.body.lower()
    direct = urllib.request.urlopen(f"{topology.replica_url(0)}/", timeout=10)
    for name in ("cache-control", "content-type"):  # what the app says about its page, unchanged
        assert _header(page, name)[0].split(";")[0] == direct.headers[name].split(";")[0]
    # Exactly one HSTS header: the app's own (it trusts the proxy's X-Forwarded-Proto), else the proxy's.
    assert [h.split(";")[0] for h in _header(page, "strict-transport-security")] == ["max-age=31536000"]
    assert any(ROUTE.fullmatch(c) for c in _header(page, "set-cookie"))

    health = _get(topology, "/_stcore/health", source="127.0.2.2", cookie="__Host-baoan-route=r2")
    cookies = _header(health, "set-cookie")
    xsrf = [c for c in cookies if c.startswith("_streamlit_xsrf=")]
    assert xsrf and "Secure" in xsrf[0], "the app's own cookie arrives, marked Secure by the proxy"
    # A browser already pinned is not moved by a request other than its websocket's handshake.
    assert not [c for c in cookies if ROUTE.fullmatch(c)]


def test_streamlits_internal_figures_are_not_served_to_the_internet(topology: Topology) -> None:
    assert urllib.request.urlopen(f"{topology.replica_url(0)}/_stcore/metrics", timeout=10).status == 200
    assert _get(topology, "/_stcore/metrics", source="127.0.2.3").status == 404


def test_an_upload_above_the_apps_limit_is_refused_by_the_proxy(topology: Topology) -> None:
    too_big = b"0" * ((max_upload_mb() + 2) * 1024 * 1024)
    answer = _get(topology, "/_stcore/upload_file/some-session/some-file", source="127.0.2.4", method="PUT",
                  headers={"Content-Type": "multipart/form-data; boundary=x"}, body=too_big)
    assert answer.status == 413
    assert f"单个文件不能超过{max_upload_mb()} MB" in answer.body.decode()
    log = (topology.logs / "replica-r1.log").read_text() + (topology.logs / "replica-r2.log").read_text()
    assert "some-session" not in log


@pytest.mark.parametrize(("path", "burst", "source"), [
    ("/auth/session", LIMITS.login_burst, "127.0.3.10"), ("/auth/logout", LIMITS.login_burst, "127.0.3.20"),
    ("/verify", LIMITS.verify_burst, "127.0.3.40")])
def test_one_address_hammering_login_or_verification_is_refused(topology: Topology, path: str, burst: int,
                                                                    source: str) -> None:
    method = "GET" if path == "/verify" else "POST"
    statuses = []
    while 429 not in statuses and len(statuses) < burst + 100:
        statuses.append(_get(topology, path, source=source, method=method).status)
    # Within the burst nothing is refused; beyond it, faster than the rate, requests are refused.
    assert 429 in statuses and statuses.index(429) >= burst + 1, statuses
    refused = _get(topology, path, source=source, method=method)
    assert refused.status == 429 and "操作过于频繁" in refused.body.decode()
    other = _get(topology, path, source=source.rsplit(".", 1)[0] + ".99", method=method)
    assert other.status != 429, "another address is not affected"
