"""The app's own cookies, all set by the server (web/auth.py, web/visitor.py), never by page scripts.

- `__Host-baoan_session`: the session token. HttpOnly (no script reads it), Secure, SameSite=Strict, Path=/,
  no Domain (the `__Host-` prefix makes the browser insist on all of that), 12 hours at most.
- `__Host-baoan_visitor`: a random key for what a visitor typed before having an account (registration draft)
  and the binding of a login ticket to one browser. HttpOnly, Secure, SameSite=Lax (so it comes along when
  the visitor arrives by a link), Path=/, 7 days. It proves nothing about who the visitor is.

Chromium accepts Secure cookies from http://localhost and http://127.0.0.1 (verified); any other address must
be served over HTTPS, as GB/T 22239 requires anyway.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from starlette.types import Scope

from flows.identity.registration import DRAFT_LIFETIME
from flows.identity.sessions import LIFETIME

SESSION_COOKIE = "__Host-baoan_session"
VISITOR_COOKIE = "__Host-baoan_visitor"
SESSION_MAX_AGE = int(LIFETIME.total_seconds())
VISITOR_MAX_AGE = int(DRAFT_LIFETIME.total_seconds())


def cookie_in(scope: Scope, name: str) -> str:
    """The value of cookie `name` in an ASGI request's headers ("" when absent or the header is malformed)."""
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return ""
            if name in jar:
                return jar[name].value
    return ""
