"""The page's own additions to Streamlit's front end, served by this server and nothing else.

- `assets/zh-cn.js` puts Chinese on Streamlit's built-in widget texts ("Press Enter to submit form",
  the file uploader's "Upload", table toolbar tips, date placeholders...), which Streamlit 1.67 has
  no option for.
- `assets/app.css` holds the few layout rules the pages need (the narrow-screen roster).

`PageAdditions` writes both into Streamlit's `index.html` as it is served (and marks the page as
Chinese); `ROUTES` serves them at `./ui-assets/<name>` from this server, so a page fetches nothing
from another host and a Content-Security-Policy of `'self'` allows them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS = Path(__file__).resolve().parent / "assets"
PREFIX = "/ui-assets/"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}
SERVED = ("zh-cn.js", "app.css", "favicon.png")
# Streamlit's own files and endpoints: never its index.html, passed through untouched.
PASS_THROUGH = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/files/", PREFIX)
TITLE = "保安业务网上自助办理"
MARKER = b'id="root"'  # Streamlit's index.html, not some other HTML


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def asset(name: str) -> Asset:
    """One of the served files, read once per process."""
    path = ASSETS / name
    body = path.read_bytes()
    return Asset(body, TYPES[path.suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


async def serve_asset(request: Request) -> Response:
    name = str(request.path_params["name"])
    if name not in SERVED:
        return Response(status_code=404)
    found = asset(name)
    headers = {"ETag": found.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


ROUTES: list[BaseRoute] = [Route(PREFIX + "{name}", serve_asset, methods=["GET", "HEAD"])]


def _tags() -> bytes:
    version = {name: asset(name).etag.strip('"')[:12] for name in ("zh-cn.js", "app.css")}
    return (f'<link rel="stylesheet" href=".{PREFIX}app.css?v={version["app.css"]}" />'
            f'<script src=".{PREFIX}zh-cn.js?v={version["zh-cn.js"]}"></script>').encode()


def add_to_page(html: bytes) -> bytes:
    """Streamlit's index.html in Chinese, with the app's script and style; any other HTML as it is."""
    if MARKER not in html or b"</head>" not in html:
        return html
    html = html.replace(b'<html lang="en">', b'<html lang="zh-CN">', 1)
    html = html.replace(b"<title>Streamlit</title>", f"<title>{TITLE}</title>".encode(), 1)
    html = html.replace(b'href="./favicon.png"', f'href=".{PREFIX}favicon.png"'.encode(), 1)
    html = html.replace(b"You need to enable JavaScript to run this app.",
                        "请在浏览器中启用JavaScript后使用本系统。".encode(), 1)
    return html.replace(b"</head>", _tags() + b"</head>", 1)


def _header(message: Message, name: bytes) -> bytes:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return b""


class PageAdditions:
    """ASGI middleware: adds the app's script and style to every page Streamlit serves (see module doc).

    The page is asked for uncompressed and without validators, so the body can be changed and its
    length set again; it is 8 KB, everything else passes through as it was.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or scope.get("method") != "GET" or path.startswith(PASS_THROUGH):
            await self.app(scope, receive, send)
            return
        dropped = (b"accept-encoding", b"if-none-match", b"if-modified-since")
        scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() not in dropped])
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_changed(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _header(message, b"content-type").startswith(b"text/html"):
                    start = message  # held until the whole body is here
                    return
                await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = add_to_page(b"".join(chunks))
            kept = [(k, v) for k, v in start.get("headers", [])
                    if k.lower() not in (b"content-length", b"etag", b"last-modified")]
            await send({**start, "headers": [*kept, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_changed)
