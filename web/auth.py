"""Login and logout as HTTP endpoints: the only places the session cookie is set or cleared.

- POST /auth/session (form field `ticket`): a login finished in the app (password, second factor, forced
  password change or TOTP enrolment) left a single-use, one-minute ticket bound to this browser's visitor
  cookie; it becomes a new server-side session and its token goes into the HttpOnly cookie. Then 303 to the
  page the login started on. A bad ticket leads home with `?login=expired`.
- POST /auth/logout: the session behind the cookie ends on the server and the cookie is cleared.

Both refuse a POST from another origin (the Origin header, which browsers send with every form POST).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from flows.identity import sessions
from store.db import default_engine
from store.identity import SqlIdentityStore
from web.clients import client_address
from web.cookies import SESSION_COOKIE, SESSION_MAX_AGE, VISITOR_COOKIE

NO_STORE = {"Cache-Control": "no-store"}


def same_origin(request: Request) -> bool:
    """No Origin header (an older client), or one naming this very host. Under `Referrer-Policy: no-referrer`
    (web/headers.py) browsers send `Origin: null` even for the page's own form: then the browser's own
    `Sec-Fetch-Site` (no page script can set it) must say same-origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return request.headers.get("sec-fetch-site") == "same-origin"
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _address(request: Request) -> str:
    return client_address(request.client.host if request.client else None)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=NO_STORE)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


async def start_session(request: Request) -> Response:
    if not same_origin(request):
        return PlainTextResponse("forbidden", status_code=403, headers=NO_STORE)
    form = await request.form()
    ticket = str(form.get("ticket", ""))
    store = SqlIdentityStore(default_engine())
    previous = request.cookies.get(SESSION_COOKIE, "")
    started = await run_in_threadpool(sessions.redeem_ticket, store, ticket,
                                      visitor=request.cookies.get(VISITOR_COOKIE, ""), address=_address(request))
    if started is None:
        return _redirect("/?login=expired")
    if previous:  # a login in a browser that still held another session: that one ends
        await run_in_threadpool(sessions.log_out, store, previous)
    response = _redirect(started.next_path)
    response.set_cookie(SESSION_COOKIE, started.token, max_age=SESSION_MAX_AGE, path="/", secure=True,
                        httponly=True, samesite="strict")
    return response


async def end_session(request: Request) -> Response:
    if not same_origin(request):
        return PlainTextResponse("forbidden", status_code=403, headers=NO_STORE)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        await run_in_threadpool(sessions.log_out, SqlIdentityStore(default_engine()), token)
    response = _redirect("/")
    clear_session_cookie(response)
    return response


ROUTES: list[BaseRoute] = [
    Route("/auth/session", start_session, methods=["POST"]),
    Route("/auth/logout", end_session, methods=["POST"]),
]
