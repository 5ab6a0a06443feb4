"""Load with websocket clients: many applicants filing at once, against one `streamlit run` or a deployment.

    python scripts/load_ws.py [--sessions 100] [--think 0] [--time-limit 600] [--stagger 0.1]

The same applicant units, session-cookie logins and kind-C filing as scripts/load.py, but each applicant
is a small asyncio client that speaks Streamlit's browser protocol itself instead of a Chromium context,
so a hundred of them fit on the machine next to the server. Per session, as the browser does:

- `GET /_stcore/health` (the server sets the `_streamlit_xsrf` cookie; behind nginx also the replica
  cookie), then a websocket to `/_stcore/stream` with the cookies it holds (the session cookie
  `__Host-baoan_session` among them), an Origin header and the
  sub-protocols `streamlit, <xsrf token>`;
- every interaction is one `BackMsg.rerun_script` carrying the session's widget states (the values it
  has set on widgets still on the page, plus the clicked button's trigger); widgets are found by their
  label in the `delta` messages of the last run; the interaction ends with the `script_finished` that
  is not "finished early for a rerun" (the server runs the app's own `st.rerun()`s itself);
- a file is uploaded like the browser does it: `file_urls_request` over the websocket, an HTTP PUT of a
  multipart form to the URL the server names (with the `X-Xsrftoken` header), then a rerun with the
  file uploader's state.

The applicant does what the page asks, as a person would: choose the business, confirm the instructions,
answer each question, upload the roster (Excel) and every material, skip the optional one, submit (29
interactions). An answer is *acknowledged* when its run finished and the page moved on; the page asking
an acknowledged question again is a lost answer (counted, and an error), and at the end every answer is
compared with the database.

With `reconnect` (the `--url` mode against a deployment), a dropped websocket is handled as the browser
does: check `/_stcore/health` until the server (now another replica, through the proxy) answers, open a
new websocket (a new Streamlit session, which resumes from the database and the login cookie) and rerun
with the widget values the tab still holds; the interrupted interaction is then done again if the page
still asks for it. Such interactions are counted as interrupted, not timed.

What these clients do not do: run the page's JavaScript (the session cookie, which the server sets at a real
login, is sent as a header), load the static files, or tell the server which messages they have cached (so the server
sends every message in full). An error is an exception element, a Python error sent to the page, an
error message where none is expected, a page that asks nothing the walk knows, a timeout or (without
reconnect) a dropped connection. Printed: p50 / p95 / max per interaction kind and overall, filings
completed (and counted in the database), errors, the server's CPU and resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import ssl
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo  # noqa: E402
from streamlit.proto.Common_pb2 import (  # noqa: E402
    FileUploaderState,
    FileURLs,
    FileURLsRequest,
    StringArray,
    UploadedFileInfo,
)
from streamlit.proto.Element_pb2 import Element  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402
from websockets.typing import Origin, Subprotocol  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy import Engine

from scripts.load import (  # noqa: E402
    COOKIE,
    TEXT_ANSWERS,
    UPLOADS,
    Results,
    _cpu_seconds,
    _free_port,
    _rss_mb,
    _start_server,
    _stop,
    prepare,
    report,
)

MAX_SESSIONS = 200
XSRF_COOKIE = "_streamlit_xsrf"
PAGE = "assistant"
STEP_TIMEOUT = 60.0
MAX_INTERACTIONS = 60  # a filing takes 29: more means the walk is going round in circles
PROXY_BUSY = (502, 503, 504)  # nginx: no replica could take the request (deploy/nginx/baoan.conf, @unavailable)
UPLOAD_TRIES = 4
UPLOAD_RETRY_PAUSE_S = 5.0  # nginx takes a failed replica out for fail_timeout (10 s)
WIDGETS = ("button", "checkbox", "selectbox", "text_input", "text_area", "date_input", "file_uploader",
           "download_button", "chat_input", "multiselect", "radio")
DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
BUSINESS = "办理：自行招用保安员单位备案"
READ = "我已阅读并知晓以上须知"
UNIT_TYPE = "物业服务企业"
REGION = (("州、市、地", "乌鲁木齐市"), ("县（市、区）", "天山区"))
DATE_LABEL = "开始保安服务的日期"
ROSTER_UPLOAD = "或上传填好的Excel"
SKIP = "不提供此项材料"
SUBMIT = "确认无误，提交申请"
SUBMITTED = "提交成功"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Unexpected(Exception):
    """The page is not what the walk expects next (or shows an error)."""


class Dropped(Exception):
    """The websocket closed under a running interaction (the server went away)."""


@dataclass(frozen=True)
class Target:
    """Where the clients connect: a replica directly (http) or the proxy (https, with its certificate)."""

    scheme: str
    host: str
    port: int
    cafile: str | None = None

    @classmethod
    def parse(cls, url: str, cafile: str | None = None) -> Target:
        parts = urlsplit(url)
        if parts.hostname is None or parts.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url}")
        if not parts.hostname.startswith("127.") and parts.hostname not in ("localhost", "::1"):
            raise ValueError("load is only ever sent to this machine (127.0.0.0/8)")
        return cls(parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), cafile)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.cafile) if self.scheme == "https" else None


@dataclass
class Http:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


async def http(target: Target, method: str, path: str, headers: dict[str, str], body: bytes = b"",
               timeout: float = STEP_TIMEOUT, source: str | None = None) -> Http:
    """One HTTP/1.1 request on its own connection (all a browser-like client needs here)."""
    context = target.ssl_context()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(
        target.host, target.port, ssl=context, server_hostname=target.host if context else None,
        local_addr=(source, 0) if source else None), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {target.host}:{target.port}", f"Content-Length: {len(body)}",
                 "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    pairs = [(k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines)]
    return Http(int(status_line.split()[1]), pairs, rest)


def _multipart(filename: str, mime: str, data: bytes) -> tuple[str, bytes]:
    boundary = f"----loadws{uuid.uuid4().hex}"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n").encode()
    return f"multipart/form-data; boundary={boundary}", head + data + f"\r\n--{boundary}--\r\n".encode()


def _label(element: Element) -> tuple[str, str, Any] | None:
    """(kind, label, proto) of a widget element, else None."""
    kind = element.WhichOneof("type")
    if kind not in WIDGETS:
        return None
    proto: Any = getattr(element, kind)
    return kind, str(getattr(proto, "label", "")), proto


def _texts(element: Element) -> Iterator[str]:
    kind = element.WhichOneof("type")
    if kind in ("markdown", "text", "alert", "heading", "code"):
        yield str(getattr(element, kind).body).replace("**", "")  # as shown: bold markers are not text
    widget = _label(element)
    if widget is not None:
        yield widget[1]


class Session:
    """One browser tab on a page of the app (the assistant by default), speaking the websocket protocol."""

    def __init__(self, target: Target, token: str, timeout: float, *, source: str | None = None,
                 page: str = PAGE, query: str = "") -> None:
        self.target, self.timeout, self.source = target, timeout, source
        self.page, self.query = page, query
        self.jar: dict[str, str] = {COOKIE: token}  # what the browser holds: login, XSRF, replica cookies
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.session_id = ""
        self.page_hash = ""
        self.elements: dict[tuple[int, ...], Element] = {}  # the page after the last finished run
        self._run: dict[tuple[int, ...], Element] = {}  # the run in progress
        self._blocks: set[tuple[int, ...]] = set()  # where the run in progress drew blocks
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this client has set
        self._finished: asyncio.Future[int] | None = None
        self._file_urls: dict[str, asyncio.Future[FileURLs]] = {}
        self.problems: list[str] = []  # exceptions and Python errors the server sent
        self.busy_uploads = 0  # uploads the proxy answered 502/503/504 and that were chosen again

    @property
    def xsrf(self) -> str:
        return self.jar.get(XSRF_COOKIE, "")

    def cookies(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.jar.items())

    def _keep(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie = pair.partition("=")
                self.jar[key.strip()] = cookie.strip()

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> Http:
        answer = await http(self.target, method, path, {"Cookie": self.cookies(), **(headers or {})}, body,
                            timeout=self.timeout, source=self.source)
        self._keep(answer.headers)
        return answer

    async def open(self) -> None:
        """What a browser does on loading the page: health check (XSRF cookie), websocket, first run."""
        answer = await self.request("GET", "/_stcore/health")
        if answer.status != 200:
            raise Unexpected(f"health check answered {answer.status}")
        await self._connect()
        await self.rerun()

    async def _connect(self) -> None:
        protocols = [Subprotocol("streamlit"), *([Subprotocol(self.xsrf)] if self.xsrf else [])]
        scheme = "wss" if self.target.scheme == "https" else "ws"
        extra: dict[str, Any] = {"local_addr": (self.source, 0)} if self.source else {}
        self.ws = await connect(f"{scheme}://{self.target.host}:{self.target.port}/_stcore/stream",
                                origin=Origin(self.target.origin), subprotocols=protocols,
                                additional_headers={"Cookie": self.cookies()}, open_timeout=self.timeout,
                                ping_interval=None, proxy=None, max_size=None, ssl=self.target.ssl_context(),
                                **extra)
        if self.ws.response is not None:
            self._keep(list(self.ws.response.headers.raw_items()))
        self.reader = asyncio.create_task(self._read())

    async def reconnect(self, deadline: float) -> None:
        """As the browser's frontend does after losing its websocket: health check until the server (through
        the proxy, another replica) answers, a new websocket, a rerun with the widget values the tab holds."""
        await self.close()
        pause = 0.1
        while True:
            try:
                answer = await self.request("GET", "/_stcore/health")
                if answer.status == 200:
                    await self._connect()
                    await self.rerun()
                    return
            except (OSError, TimeoutError, InvalidHandshake, Dropped):
                pass
            if time.monotonic() > deadline:
                raise Unexpected("could not reconnect within the time-out")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
        self.ws, self.reader = None, None

    async def _read(self) -> None:
        ws = self.ws
        assert ws is not None
        try:
            async for data in ws:
                if isinstance(data, bytes):
                    self._handle(ForwardMsg.FromString(data))
        except ConnectionClosed:
            pass
        finally:
            if self._finished is not None and not self._finished.done():
                self._finished.set_exception(Dropped("the server closed the websocket"))
            for future in self._file_urls.values():
                if not future.done():
                    future.set_exception(Dropped("the server closed the websocket"))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._run = {}
            self._blocks = set()
            if msg.new_session.initialize.session_id:
                self.session_id = msg.new_session.initialize.session_id
        elif kind == "navigation":  # the page being run (new_session names the main script)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "add_block":
            path = tuple(msg.metadata.delta_path)
            self._run.pop(path, None)  # a block where an element was (st.empty)
            self._blocks.add(path)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            path = tuple(msg.metadata.delta_path)
            if path in self._blocks:  # an element where a block was (a placeholder emptied) takes its elements
                self._blocks.discard(path)
                for inside in [p for p in self._run if p[:len(path)] == path]:
                    del self._run[inside]
            self._run[path] = element
            if element.WhichOneof("type") == "exception":
                self.problems.append(f"exception on the page: {element.exception.type}: "
                                     f"{element.exception.message[:200]}")
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            error = msg.session_event.script_compilation_exception
            self.problems.append(f"script error: {error.type}: {error.message[:200]}")
        elif kind == "page_not_found":
            self.problems.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "file_urls_response":
            future = self._file_urls.pop(msg.file_urls_response.response_id, None)
            if future is not None and not future.done():
                if msg.file_urls_response.error_msg or not msg.file_urls_response.file_urls:
                    future.set_exception(Unexpected(f"no upload URL: {msg.file_urls_response.error_msg}"))
                else:
                    future.set_result(msg.file_urls_response.file_urls[0])
        elif kind == "script_finished" and msg.script_finished in DONE:
            self.elements = self._run
            if self._finished is not None and not self._finished.done():
                self._finished.set_result(msg.script_finished)

    async def _send(self, msg: BackMsg) -> None:
        if self.ws is None:
            raise Dropped("no websocket")
        try:
            await self.ws.send(msg.SerializeToString())
        except ConnectionClosed:
            raise Dropped("the server closed the websocket") from None

    async def rerun(self, *triggers: WidgetState) -> None:
        """One rerun with the widget states (and the triggers), until the run (chain) finishes."""
        state = ClientState(
            query_string=self.query, page_script_hash=self.page_hash, page_name="" if self.page_hash else self.page,
            widget_states=WidgetStates(widgets=[*self.values.values(), *triggers]),
            context_info=ContextInfo(timezone="Asia/Shanghai", timezone_offset=-480, locale="zh-CN",
                                     url=f"{self.target.origin}/{self.page}" + (f"?{self.query}" if self.query else ""),
                                     is_embedded=False,
                                     color_scheme="light"))
        self._finished = asyncio.get_running_loop().create_future()
        await self._send(BackMsg(rerun_script=state))
        try:
            status = await asyncio.wait_for(self._finished, self.timeout)
        except TimeoutError:
            raise Unexpected(f"no script_finished within {self.timeout:.0f} s") from None
        # As the browser does: forget the values of widgets that are no longer on the page.
        present = {proto.id for _kind, _label, proto in self.widgets()}
        self.values = {k: v for k, v in self.values.items() if k in present}
        if self.problems:
            raise Unexpected(self.problems[0])
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            raise Unexpected("the script did not compile")

    # ---------------------------------------------------------------- what is on the page
    def widgets(self) -> Iterator[tuple[str, str, Any]]:
        for path in sorted(self.elements):
            widget = _label(self.elements[path])
            if widget is not None:
                yield widget

    def find(self, kind: str, label: str) -> Any | None:
        for found_kind, found_label, proto in self.widgets():
            if found_kind == kind and found_label == label:
                return proto
        return None

    def widget(self, kind: str, label: str) -> Any:
        found = self.find(kind, label)
        if found is None:
            raise Unexpected(f"no {kind} labelled {label!r} on the page; it shows: {self.summary()}")
        return found

    def text(self) -> str:
        return "\n".join(t for path in sorted(self.elements) for t in _texts(self.elements[path]))

    def summary(self) -> str:
        return " | ".join(self.text().split("\n"))[-300:]

    def check_no_error(self) -> None:
        errors = [e.alert.body for e in self.elements.values()
                  if e.WhichOneof("type") == "alert" and e.alert.format == e.alert.ERROR]
        if errors:
            raise Unexpected(f"error message on the page: {errors[0][:200]}")

    # ---------------------------------------------------------------- interactions
    async def click(self, label: str) -> None:
        button = self.widget("button", label)
        if button.disabled:
            raise Unexpected(f"the button {label!r} is disabled")
        await self.rerun(WidgetState(id=button.id, trigger_value=True))

    async def tick(self, label: str) -> None:
        box = self.widget("checkbox", label)
        self.values[box.id] = WidgetState(id=box.id, bool_value=True)
        await self.rerun()

    async def choose(self, label: str, option: str) -> None:
        box = self.widget("selectbox", label)
        if option not in box.options:
            raise Unexpected(f"{label!r} has no option {option!r}")
        self.values[box.id] = WidgetState(id=box.id, string_value=option)
        await self.rerun()

    def chose(self, label: str, option: str) -> bool:
        box = self.find("selectbox", label)
        return box is not None and self.values.get(box.id) == WidgetState(id=box.id, string_value=option)

    def ticked(self, label: str) -> bool:
        box = self.find("checkbox", label)
        return box is not None and self.values.get(box.id) == WidgetState(id=box.id, bool_value=True)

    async def submit_form(self, kind: str, label: str, value: WidgetState, button: str = "确定") -> None:
        """Fill a field of a form and press its submit button (the browser sends both in one rerun)."""
        field = self.widget(kind, label)
        value.id = field.id
        self.values[field.id] = value
        for found_kind, found_label, proto in self.widgets():
            if (found_kind == "button" and found_label == button and proto.is_form_submitter
                    and proto.form_id == field.form_id):
                await self.rerun(WidgetState(id=proto.id, trigger_value=True))
                return
        raise Unexpected(f"no submit button {button!r} in the form of {label!r}")

    async def upload(self, label: str, filename: str, mime: str, data: bytes) -> None:
        """Choose a file in a file uploader: upload URL, HTTP PUT, then the rerun with its state. When the proxy
        answers that no replica could take the file (502/503/504: "系统繁忙…请稍后"), the session is checked and
        the file chosen again after a pause, as a person does (at most UPLOAD_TRIES times; counted)."""
        uploader = self.widget("file_uploader", label)
        for attempt in range(1, UPLOAD_TRIES + 1):
            urls = await self._upload_urls(filename)
            content_type, body = _multipart(filename, mime, data)
            try:
                answer = await self.request("PUT", urls.upload_url, {"X-Xsrftoken": self.xsrf,
                                                                     "Content-Type": content_type,
                                                                     "Origin": self.target.origin}, body)
            except OSError:
                raise Dropped("the upload's connection failed") from None
            if answer.status in (200, 204):
                break
            # The replica holding this session may have gone (the proxy then sends the file elsewhere): a rerun
            # over the websocket tells, raising Dropped when it is gone.
            await self.rerun()
            if answer.status not in PROXY_BUSY or attempt == UPLOAD_TRIES:
                raise Unexpected(f"upload answered {answer.status}: {answer.body[:200]!r}")
            self.busy_uploads += 1
            await asyncio.sleep(UPLOAD_RETRY_PAUSE_S)
        info = UploadedFileInfo(name=filename, size=len(data), file_id=urls.file_id, file_urls=urls)
        self.values[uploader.id] = WidgetState(id=uploader.id,
                                               file_uploader_state_value=FileUploaderState(uploaded_file_info=[info]))
        await self.rerun()

    async def _upload_urls(self, filename: str) -> FileURLs:
        request_id = uuid.uuid4().hex
        future: asyncio.Future[FileURLs] = asyncio.get_running_loop().create_future()
        self._file_urls[request_id] = future
        await self._send(BackMsg(file_urls_request=FileURLsRequest(request_id=request_id, file_names=[filename],
                                                                   session_id=self.session_id)))
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise Unexpected("no upload URL within the time-out") from None


def roster_workbook() -> bytes:
    """The kind-C roster template filled with the demo's three guards (what an applicant uploads)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from flows import clock
    from flows.filing.roster_excel import template
    from flows.kinds import get_filing
    from store.demo import demo_answers

    question = get_filing("C").question("guards")
    book = load_workbook(io.BytesIO(template(question)))
    sheet = book.worksheets[0]
    for row, guard in enumerate(demo_answers("C", today=clock.today())["guards"], start=2):
        for column, spec in enumerate(question.columns, start=1):
            sheet.cell(row=row, column=column, value=guard.get(spec.id))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class Walk:
    target: Target
    results: Results
    pdf: bytes
    roster: bytes
    think: float
    timeout: float
    reconnect: bool = False
    source_addresses: bool = False  # each session from its own loopback address (127.0.1.x), as real visitors
    lost: list[str] = field(default_factory=list)  # acknowledged answers asked again
    interrupted: int = 0  # interactions cut by a dropped websocket (done again after reconnecting)
    reconnects: int = 0
    reconnect_seconds: list[float] = field(default_factory=list)
    busy_uploads: int = 0  # uploads chosen again after the proxy answered 502/503/504
    acknowledged: dict[int, dict[str, str]] = field(default_factory=dict)  # user id -> answer -> value given
    sessions: dict[int, Session] = field(default_factory=dict)  # user id -> its tab, while it runs
    finished: set[int] = field(default_factory=set)  # user ids whose walk has ended


@dataclass(frozen=True)
class Action:
    """What the page asks next: the interaction's name (for timing), the answer it gives (None: not an
    answer kept in the database), and the interaction itself."""

    name: str
    answer: str | None
    value: str
    run: Callable[[], Awaitable[None]]


def next_action(session: Session, w: Walk, state: dict[str, Any]) -> Action | None:
    """What a person does with the page as it is (None: the filing is submitted)."""
    text = session.text()
    if SUBMITTED in text:
        return None
    if session.find("button", SUBMIT) is not None:
        return Action("submit", None, "", lambda: session.click(SUBMIT))
    for label, _following in UPLOADS:
        if session.find("file_uploader", label) is not None:
            return Action("upload a PDF", f"material {label}", f"{label}.pdf",
                          lambda lb=label: session.upload(lb, f"{lb}.pdf", "application/pdf", w.pdf))  # type: ignore[misc]
    if session.find("button", SKIP) is not None:
        return Action("skip an optional material", "optional material", "skipped", lambda: session.click(SKIP))
    if session.find("file_uploader", ROSTER_UPLOAD) is not None:
        if state.get("roster uploaded in") == session.session_id:
            return Action("confirm the roster", "roster", "3 guards", lambda: session.click("确定"))

        async def upload_roster() -> None:
            await session.upload(ROSTER_UPLOAD, "保安员名单.xlsx", XLSX, w.roster)
            state["roster uploaded in"] = session.session_id

        return Action("upload the roster (Excel)", None, "", upload_roster)
    if session.find("date_input", DATE_LABEL) is not None:
        today = time.strftime("%Y-%m-%d")
        return Action("answer a date", DATE_LABEL, today, lambda: session.submit_form(
            "date_input", DATE_LABEL, WidgetState(string_array_value=StringArray(data=[today]))))
    for label, value, _following in TEXT_ANSWERS:
        for kind in ("text_input", "text_area"):
            if session.find(kind, label) is not None:
                return Action("answer a text question", label, value, lambda k=kind, lb=label, v=value: session.submit_form(  # type: ignore[misc]
                    k, lb, WidgetState(string_value=v)))
    if session.find("selectbox", REGION[0][0]) is not None:
        for label, option in REGION:
            if session.find("selectbox", label) is not None and not session.chose(label, option):
                return Action("choose from a list", None, "", lambda lb=label, o=option: session.choose(lb, o))  # type: ignore[misc]
        return Action("answer a region", "region", "乌鲁木齐市 天山区", lambda: session.click("确定"))
    if session.find("button", UNIT_TYPE) is not None:
        return Action("answer a choice", "unit type", UNIT_TYPE, lambda: session.click(UNIT_TYPE))
    if session.find("checkbox", READ) is not None and not session.ticked(READ):
        return Action("tick a checkbox", None, "", lambda: session.tick(READ))
    if session.find("button", "开始办理") is not None:
        return Action("start", "draft", "started", lambda: session.click("开始办理"))
    if session.find("button", BUSINESS) is not None:
        if state.get("submit sent"):  # a new session after the submission: no open draft any more
            return None
        if "draft" in w.acknowledged.get(state["user"], {}):
            raise Unexpected("the open draft disappeared (the page offers to start a new business)")
        return Action("choose the business", None, "", lambda: session.click(BUSINESS))
    raise Unexpected(f"the page asks nothing the walk knows; it shows: {session.summary()}")


async def walk(w: Walk, user_id: int, token: str) -> None:
    """One applicant's kind-C filing through the assistant page, doing what each page asks; timed."""
    source = f"127.0.1.{user_id % 250 + 1}" if w.source_addresses else None
    session = Session(w.target, token, w.timeout, source=source)
    w.sessions[user_id] = session
    given = w.acknowledged.setdefault(user_id, {})
    state: dict[str, Any] = {"user": user_id}
    at = ["open the assistant"]

    async def survive(run: Callable[[], Awaitable[None]]) -> bool:
        """Run an interaction; False when the websocket dropped under it (and, with reconnect, it is back)."""
        try:
            await run()
            return True
        except Dropped:
            if not w.reconnect:
                raise
        w.interrupted += 1
        started = time.perf_counter()
        await session.reconnect(time.monotonic() + w.timeout)
        w.reconnects += 1
        w.reconnect_seconds.append(time.perf_counter() - started)
        return False

    try:
        start = time.perf_counter()
        if await survive(session.open):
            w.results.add("open the assistant", time.perf_counter() - start)
        session.check_no_error()
        for _ in range(MAX_INTERACTIONS):
            action = next_action(session, w, state)
            if action is None:
                w.results.completed += 1
                return
            at[0] = action.name
            if action.answer is not None and action.answer in given:
                w.lost.append(f"session {user_id}: {action.answer} was acknowledged and is asked again")
                raise Unexpected(f"an acknowledged answer is asked again: {action.answer}")
            if w.think:
                await asyncio.sleep(random.uniform(0.5, 1.5) * w.think)
            if action.name == "submit":
                state["submit sent"] = True
            start = time.perf_counter()
            if await survive(action.run):
                w.results.add(action.name, time.perf_counter() - start)
                session.check_no_error()
                if action.answer is not None:
                    given[action.answer] = action.value
        raise Unexpected(f"not submitted after {MAX_INTERACTIONS} interactions")
    except Exception as error:  # noqa: BLE001 - every failure of a session is counted and reported
        w.results.errors.append(f"session {user_id} at '{at[0]}': {type(error).__name__}: "
                                f"{(str(error).splitlines() or [''])[0][:300]}")
    finally:
        w.finished.add(user_id)
        w.busy_uploads += session.busy_uploads
        await session.close()


def server_tracebacks(log: Path) -> list[str]:
    """The last line of each traceback in a server's log (what the redacted exception elements hide)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found, inside = [], False
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            inside = True
        elif inside and line and not line.startswith((" ", "\t")):
            found.append(f"{line[:300]} (log line {index + 1})")
            inside = False
    return found


def submitted_in_database(engine: Engine) -> int:
    """Kind-C cases with a submission time."""
    from sqlalchemy import text

    with engine.connect() as connection:
        count = connection.execute(text(
            "SELECT count(*) FROM \"case\" WHERE kind = 'C' AND submitted_at IS NOT NULL")).scalar_one()
    return int(count)


def _plain(value: Any) -> Any:
    """A stored answer as given: JSON text parsed (SQLite), ID numbers decrypted (store.keys)."""
    import json

    from store.keys import unseal

    if isinstance(value, str) and value.startswith('"'):  # SQLite's JSON text of a string
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return unseal(value)


def answers_missing_in_database(w: Walk, engine: Engine) -> list[str]:
    """Every acknowledged text and date answer compared with what the database holds for that applicant."""
    from sqlalchemy import text

    from flows.kinds import get_filing

    by_label = {q.label: q.id for q in get_filing("C").questions}
    missing = []
    with engine.connect() as connection:
        for user_id, given in w.acknowledged.items():
            stored = {str(q): _plain(v) for q, v in connection.execute(text(
                "SELECT a.question_id, a.value FROM answer a JOIN \"case\" c ON c.id = a.case_id "
                "WHERE c.applicant_user_id = :user AND c.kind = 'C'"), {"user": user_id})}
            for label, value in given.items():
                question = by_label.get(label)
                if question is not None and str(stored.get(question, "")).strip('"') != value:
                    missing.append(f"user {user_id}: {label} = {value!r}, stored {stored.get(question)!r}")
    return missing


async def run_load(w: Walk, logins: list[tuple[int, str]], *, stagger: float, time_limit: float,
                   server_pids: list[int]) -> None:
    results = w.results

    async def sample_memory() -> None:
        while True:
            results.memory_mb.append(sum(_rss_mb(pid) for pid in server_pids))
            await asyncio.sleep(1)

    def cpu() -> float:
        total = 0.0
        for pid in server_pids:
            try:
                total += _cpu_seconds(pid)
            except OSError:  # a replica killed on purpose
                pass
        return total

    sampler = asyncio.create_task(sample_memory())
    try:
        # One visit first: the server's first script run imports everything (see load.py).
        warm = Session(w.target, logins[0][1], w.timeout)
        await warm.open()
        await warm.close()
        results.cpu_start = cpu()
        tasks = []
        for user_id, token in logins:
            tasks.append(asyncio.create_task(walk(w, user_id, token)))
            await asyncio.sleep(stagger)
        _done, pending = await asyncio.wait(tasks, timeout=time_limit)
        for task in pending:
            task.cancel()
            results.errors.append("a session did not finish within the time limit")
        if pending:
            await asyncio.wait(pending, timeout=10)
    finally:
        results.cpu_end = cpu()
        sampler.cancel()


def summary(w: Walk, sessions: int, seconds: float, engine: Engine, *, submitted_before: int = 0) -> str:
    """What the run measured, then the database's side of it (kind-C submissions beyond `submitted_before`)."""
    lines = [report(w.results, sessions, seconds)]
    in_db = submitted_in_database(engine) - submitted_before
    lines.append(f"submitted kind-C cases in the database: {in_db}")
    if in_db != w.results.completed:
        w.results.errors.append(f"{w.results.completed} filings completed but {in_db} submitted in the database")
        lines.append(f"  error: {w.results.errors[-1]}")
    missing = answers_missing_in_database(w, engine)
    acknowledged = sum(len(given) for given in w.acknowledged.values())
    lines.append(f"acknowledged answers: {acknowledged}, lost: {len(w.lost) + len(missing)}")
    for problem in (w.lost + missing)[:10]:
        lines.append(f"  lost: {problem}")
    w.lost.extend(missing)
    if w.reconnect:
        spent = sorted(w.reconnect_seconds)
        worst = f", longest {spent[-1] * 1000:.0f} ms" if spent else ""
        lines.append(f"reconnected sessions: {w.reconnects} (interrupted interactions done again: "
                     f"{w.interrupted}){worst}")
    lines.append(f"uploads chosen again after the proxy said busy (502/503/504): {w.busy_uploads}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/load_ws.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100, help=f"concurrent applicants (1-{MAX_SESSIONS})")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds an applicant pauses before each interaction (0: none)")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds for the whole run")
    parser.add_argument("--stagger", type=float, default=0.1, help="seconds between two sessions' starts")
    parser.add_argument("--timeout", type=float, default=STEP_TIMEOUT, help="seconds per interaction")
    parser.add_argument("--keep", action="store_true", help="keep the temporary DATA_DIR (and the server log)")
    parser.add_argument("--option", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a `streamlit run` option to try (repeatable)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    data_dir = Path(tempfile.mkdtemp(prefix="load-ws-"))
    results = Results()
    server = None
    w: Walk | None = None
    try:
        logins = prepare(data_dir, args.sessions)
        from store.demo import demo_pdf

        port = _free_port()
        w = Walk(Target("http", "127.0.0.1", port), results, demo_pdf("load test material"), roster_workbook(),
                 args.think, args.timeout)
        server = _start_server(data_dir, port, args.option)
        started = time.perf_counter()
        client_cpu = time.process_time()
        asyncio.run(run_load(w, logins, stagger=args.stagger, time_limit=args.time_limit,
                             server_pids=[server.pid]))
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        from store.db import default_engine

        print(summary(w, args.sessions, seconds, default_engine()))
        print(f"client CPU: {client_cpu:.1f} s in {seconds:.0f} s (these websocket clients, one process)"
              + (f"; think time {args.think:g} s mean" if args.think else "; no think time"))
        tracebacks = server_tracebacks(data_dir / "streamlit.log")
        if tracebacks:
            print(f"server log: {len(tracebacks)} tracebacks; the first ends: {tracebacks[0]}")
    finally:
        if server is not None:
            _stop(server)
        if args.keep:
            print(f"data and server log kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if w is not None and not results.errors and not w.lost else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
