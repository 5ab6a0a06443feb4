"""Verdict rules and the network source against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flows.screening import (
    CATEGORIES,
    CategoryResult,
    Outcome,
    SourceFailed,
    approval_blocker,
    combine,
    run_screening,
)
from flows.screening_network import NetworkSource

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

    def do_POST(self) -> None:  # noqa: N802
        Handler.requests += 1
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


@pytest.fixture
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.requests = 0
    Handler.release.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/check"
    Handler.release.set()
    server.shutdown()
    Handler.mode = "ok"


def test_the_network_source_reports_hits_and_clears(service: str) -> None:
    result = run_screening([NetworkSource(service)], "11010519491231002X", at=AT)
    assert result.fugitive_hit and result.hits[0].reference == "TX1"
    assert not result.not_done


@pytest.mark.parametrize("mode", ["slow", "500", "garbage"])
def test_a_slow_failing_or_nonsense_service_gives_not_done(service: str, mode: str) -> None:
    Handler.mode = mode
    source = NetworkSource(service, timeout=0.3, retries=1, backoff=0.01)
    result = run_screening([source], "11010519491231002X", at=AT)
    assert len(result.not_done) == 5 and not result.hits
    # One try and one retry, then it gives up; a malformed answer is not asked again.
    assert Handler.requests == (1 if mode == "garbage" else 2)
    assert result.not_done[0].detail


def test_an_unreachable_service_gives_not_done() -> None:
    result = run_screening([NetworkSource("http://127.0.0.1:9/none", timeout=0.3, retries=0)], "x", at=AT)
    assert len(result.not_done) == 5
