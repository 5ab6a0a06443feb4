"""Middleware: Streamlit's `/media/<id>` files (what `st.download_button` hands over: issued documents, the
ledger's and the audit log's exports, a unit's guard list) only to a browser with a live session.

Streamlit answers `/media/` to anyone holding the address, and the address outlives the page: an officer's
download stayed fetchable after logging out, from any other browser. Pictures never go there (`st.image` is
given data: URLs, ui.text.inline_picture); what does is refused with 404 unless the request carries the session
cookie of a session still open, past its second factor where the role needs one, as the file routes ask
(web/files.py). What remains: another logged-in person holding the exact address, a hash of the file's bytes.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.identity.login import SECOND_FACTOR_ROLES
from store.accounts import session_account
from store.db import default_engine
from web.cookies import SESSION_COOKIE, cookie_in

PREFIX = "/media/"
NOT_FOUND = "未找到该文件，或您无权查看。"


def _live(token: str) -> bool:
    account = session_account(default_engine(), token)
    return account is not None and (account.role not in SECOND_FACTOR_ROLES or account.second_factor)


class MediaNeedsSession:
    """404 for `/media/...` without a live session (pure ASGI: everything else passes untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PREFIX):
            token = cookie_in(scope, SESSION_COOKIE)
            if not token or not await run_in_threadpool(_live, token):
                refused = PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
                await refused(scope, receive, send)
                return
            await self.app(scope, receive, _in_chinese(send))
            return
        await self.app(scope, receive, send)


def _in_chinese(send: Send) -> Send:
    """Streamlit's own 404 for a file it no longer holds ("File not found") said in Chinese."""
    replaced = False

    async def sending(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 404:
            replaced = True
            body = NOT_FOUND.encode()
            await send({"type": "http.response.start", "status": 404, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": body, "more_body": False})
        elif not (replaced and message["type"] == "http.response.body"):
            await send(message)

    return sending


MIDDLEWARE = [Middleware(MediaNeedsSession)]
