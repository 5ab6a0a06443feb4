"""Middleware: every browser gets a visitor cookie on its first page (see web/cookies.py)."""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.cookies import VISITOR_COOKIE, VISITOR_MAX_AGE, cookie_in

_SKIP = ("/static/", "/_stcore/", "/auth/")


def visitor_cookie_header(value: str) -> str:
    return f"{VISITOR_COOKIE}={value}; Max-Age={VISITOR_MAX_AGE}; Path=/; Secure; HttpOnly; SameSite=Lax"


def _has_visitor(scope: Scope) -> bool:
    return bool(cookie_in(scope, VISITOR_COOKIE))


class VisitorCookie:
    """Adds Set-Cookie for a new visitor key to a page response when the browser has none (pure ASGI: the
    websocket and streamed responses pass untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(_SKIP) or _has_visitor(scope):
            await self.app(scope, receive, send)
            return
        header = visitor_cookie_header(secrets.token_urlsafe(32))

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", header)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


MIDDLEWARE = [Middleware(VisitorCookie)]
