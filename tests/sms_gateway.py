"""A real local HTTP SMS gateway for tests: the app posts {"mobile", "text"} as JSON (store.outbox.HttpSmsGateway),
the test reads the messages (and the codes in them) back. A ThreadingHTTPServer on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SmsGateway:
    """Started with `running()`; `url` to configure (SMS_GATEWAY), `messages` as received, `failing` to refuse,
    `held` cleared to keep every request waiting."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.failing = False
        self.held = threading.Event()  # cleared: every request waits until it is set again (a slow gateway)
        self.held.set()
        self.requests = 0  # requests received, answered or not
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with gateway._lock:
                    gateway.requests += 1
                gateway.held.wait()
                if gateway.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                message = json.loads(body.decode("utf-8"))
                with gateway._lock:
                    gateway.messages.append((str(message["mobile"]), str(message["text"])))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def texts_to(self, mobile: str) -> list[str]:
        with self._lock:
            return [text for to, text in self.messages if to == mobile]

    def last_code(self, mobile: str, *, timeout: float = 10.0) -> str:
        """The 6-digit code of the newest message to `mobile` (waits for it to arrive)."""
        deadline = time.monotonic() + timeout
        while True:
            texts = self.texts_to(mobile)
            if texts:
                found = re.search(r"\d{6}", texts[-1])
                assert found, texts[-1]
                return found.group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no SMS to {mobile} within {timeout} s")
            time.sleep(0.05)

    def wait_for_requests(self, count: int, *, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.requests < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} requests within {timeout} s")
            time.sleep(0.05)

    def wait_for_count(self, mobile: str, count: int, *, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.texts_to(mobile)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} SMS to {mobile} within {timeout} s")
            time.sleep(0.05)


@contextmanager
def running() -> Iterator[SmsGateway]:
    gateway = SmsGateway()
    thread = threading.Thread(target=gateway.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.server.shutdown()
        gateway.server.server_close()
