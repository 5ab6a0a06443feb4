"""The middleware stack, outermost first, applied to every response (Streamlit's pages, its static
files and websocket handshake, and the routes of `web.routes`)."""

from __future__ import annotations

from starlette.middleware import Middleware

from web import headers, media, visitor
from web.front_end import PageAdditions

MIDDLEWARE: list[Middleware] = [*headers.MIDDLEWARE, *media.MIDDLEWARE, *visitor.MIDDLEWARE, Middleware(PageAdditions)]
