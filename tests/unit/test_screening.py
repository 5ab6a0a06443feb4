"""Verdict rules and the network source against a real local HTTPS server (its own CA, a bearer token)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from adapters.screening_http import NetworkSource, Transport, check_address
from flows.errors import FieldError
from flows.review.screening import (
    CATEGORIES,
    CategoryResult,
    Outcome,
    SourceFailed,
    approval_blocker,
    combine,
    run_screening,
)

AT = datetime(2026, 11, 27, tzinfo=UTC)


def test_a_hit_beats_a_clear_and_a_missing_category_is_not_done() -> None:
    merged = combine([CategoryResult("fugitive", Outcome.CLEAR, "a"), CategoryResult("fugitive", Outcome.HIT, "b"),
                      CategoryResult("criminal", Outcome.CLEAR, "a")])
    by = {r.category: r.outcome for r in merged}
    assert by["fugitive"] == Outcome.HIT and by["criminal"] == Outcome.CLEAR
    assert by["drug_rehab"] == Outcome.NOT_DONE


def test_a_failing_source_gives_not_done_never_clear() -> None:
    class Down:
        name = "down"
        categories = CATEGORIES

        def check(self, id_number: str) -> list[CategoryResult]:
            raise SourceFailed("连接失败")

    result = run_screening([Down()], "11010519491231002X", at=AT)
    assert all(r.outcome == Outcome.NOT_DONE for r in result.results)
    assert approval_blocker(result, "") is not None
    assert approval_blocker(result, "人工核查无误") is None


def test_no_source_at_all_blocks_approval() -> None:
    assert approval_blocker(run_screening([], "11010519491231002X", at=AT), "") is not None
    assert approval_blocker(None, "") is not None


class Handler(BaseHTTPRequestHandler):
    mode = "ok"
    requests = 0
    release = threading.Event()  # a "slow" answer waits for this: longer than any client time-out

    token = "test-token-not-a-secret"

    def do_POST(self) -> None:  # noqa: N802
        Handler.requests += 1
        if self.headers.get("Authorization") != f"Bearer {Handler.token}":
            self.send_response(401)
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        if Handler.mode == "slow":
            Handler.release.wait(60)
        if Handler.mode == "500":
            self.send_response(500)
            self.end_headers()
            return
        payload: bytes
        if Handler.mode == "garbage":
            payload = b"{not json"
        else:
            hit = body["id_number"].endswith("X")
            payload = json.dumps({"results": [{"category": c, "hit": hit and c == "fugitive",
                                               "reference": "TX1" if hit and c == "fugitive" else ""}
                                              for c in CATEGORIES]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the certificate is its own CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "screening test")])
    now = dt.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    return _self_signed(tmp_path)


@pytest.fixture
def transport(tls_files: tuple[Path, Path]) -> Transport:
    return Transport(frozenset({"127.0.0.1"}), Handler.token, ca_file=str(tls_files[0]))


@pytest.fixture
def service(tls_files: tuple[Path, Path]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.requests = 0
    Handler.release.clear()
    yield f"https://127.0.0.1:{server.server_address[1]}/check"
    Handler.release.set()
    server.shutdown()
    Handler.mode = "ok"


def test_the_network_source_reports_hits_and_clears(service: str, transport: Transport) -> None:
    result = run_screening([NetworkSource(service, transport)], "11010519491231002X", at=AT)
    assert result.fugitive_hit and result.hits[0].reference == "TX1"
    assert not result.not_done


@pytest.mark.parametrize("mode", ["slow", "500", "garbage"])
def test_a_slow_failing_or_nonsense_service_gives_not_done(service: str, transport: Transport, mode: str) -> None:
    Handler.mode = mode
    source = NetworkSource(service, transport, timeout=0.3, retries=1, backoff=0.01)
    result = run_screening([source], "11010519491231002X", at=AT)
    assert len(result.not_done) == 5 and not result.hits
    # One try and one retry, then it gives up; a malformed answer is not asked again.
    assert Handler.requests == (1 if mode == "garbage" else 2)
    said = {"slow": "等待应答超时", "500": "服务返回错误，HTTP 500", "garbage": "返回的数据无法识别"}[mode]
    assert said in result.not_done[0].detail and "Error" not in result.not_done[0].detail


def test_an_unreachable_service_gives_not_done(transport: Transport) -> None:
    result = run_screening([NetworkSource("https://127.0.0.1:9/none", transport, timeout=0.3, retries=0)], "x",
                           at=AT)
    assert len(result.not_done) == 5
    assert "连接被拒绝" in result.not_done[0].detail  # nothing listens on the discard port


@pytest.mark.parametrize(("url", "says"), [
    ("http://127.0.0.1/check", "https://"), ("file:///etc/passwd", "https://"), ("ftp://127.0.0.1/x", "https://"),
    ("HTTP://127.0.0.1/check", "https://"), ("https://", "不完整"), ("https://user:pw@127.0.0.1/check", "用户名"),
    ("https://evil.example/check", "不在允许的主机名单"), ("https://127.0.0.1.evil.example/check", "不在允许的主机名单"),
])
def test_other_schemes_hosts_and_credentials_are_refused_at_the_field_in_chinese(
    url: str, says: str, transport: Transport,
) -> None:
    with pytest.raises(FieldError) as refused:
        check_address(url, transport)
    assert says in refused.value.message
    assert check_address(" https://127.0.0.1:8443/compare ", transport) == "https://127.0.0.1:8443/compare"


def test_an_address_stored_before_the_rules_or_a_missing_token_sends_nothing(service: str, transport: Transport) -> None:
    plain = service.replace("https://", "http://")
    for source in (NetworkSource(plain, transport), NetworkSource(service, Transport(frozenset({"127.0.0.1"}))),
                   NetworkSource(service, Transport(frozenset({"localhost"}), Handler.token))):
        with pytest.raises(SourceFailed):
            source.check("11010519491231002X")
    assert Handler.requests == 0  # the ID number never left


def test_a_wrong_token_or_an_unknown_certificate_gives_not_done(service: str, transport: Transport) -> None:
    wrong = Transport(transport.allowed_hosts, "guessed", ca_file=transport.ca_file)
    assert len(run_screening([NetworkSource(service, wrong, retries=0)], "x", at=AT).not_done) == 5
    untrusted = Transport(transport.allowed_hosts, Handler.token)  # the system CAs do not know the test's
    refused = run_screening([NetworkSource(service, untrusted, retries=0)], "x", at=AT).not_done
    assert len(refused) == 5 and "证书校验失败" in refused[0].detail
    assert Handler.requests == 1  # the unknown certificate ended the handshake before any request


def test_the_transport_comes_from_the_environment() -> None:
    found = Transport.from_environment({"SCREENING_ALLOWED_HOSTS": " Compare.Police.Net , 10.1.2.3",
                                        "SCREENING_TOKEN": "t"})
    assert found.allowed_hosts == {"compare.police.net", "10.1.2.3"} and found.token == "t"
