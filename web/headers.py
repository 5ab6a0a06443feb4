"""Security headers on every response: Streamlit's page, its static files, its websocket handshake's
HTTP answers and the routes of `web.routes`.

The Content-Security-Policy is as strict as Streamlit 1.67 allows:
- scripts only from this server, plus inline scripts by their SHA-256 (Streamlit's own in its index.html,
  1.67: `window.prerenderReady = false`, and the login page's form submit, `LOGIN_SUBMIT_SCRIPT`);
  no `'unsafe-eval'` (Streamlit's Vega charts use the CSP-safe expression interpreter), only
  `'wasm-unsafe-eval'` (compiling WebAssembly, which a page of the report uses; it allows no JavaScript eval);
- styles need `'unsafe-inline'` (Streamlit's emotion CSS-in-JS writes `<style>` elements and style attributes);
- images also from `data:` and `blob:` (previews, QR codes), the websocket and fetches to this server only;
- no framing by anyone (`frame-ancestors 'none'`, plus the older `X-Frame-Options: DENY`), forms post only here.

HSTS is sent only when the request came over TLS: uvicorn sets the scheme from `X-Forwarded-Proto` only for
the trusted proxies of `FORWARDED_ALLOW_IPS` (see web/clients.py), so a forged header from anyone else
does not count.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import streamlit
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The login page's script (ui/session.py): posts the single-use ticket form to /auth/session.
LOGIN_SUBMIT_SCRIPT = "document.getElementById('baoan-login').submit();"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def streamlit_inline_scripts() -> list[str]:
    """The inline scripts of the index.html this Streamlit serves (1.67: `window.prerenderReady = false`)."""
    index = Path(streamlit.__file__).resolve().parent / "static" / "index.html"
    return [body.decode("utf-8") for body in INLINE_SCRIPT.findall(index.read_bytes())]


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval' " + " ".join(script_hash(s) for s in (*streamlit_inline_scripts(), LOGIN_SUBMIT_SCRIPT)),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"
HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


class SecurityHeaders:
    """Pure ASGI middleware (streamed responses and the websocket pass untouched): sets `HEADERS` on every
    HTTP response, replacing any the app set itself, and HSTS over TLS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS:
                    headers[name] = value
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


MIDDLEWARE = [Middleware(SecurityHeaders)]
