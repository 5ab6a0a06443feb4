"""Load with websocket clients: up to 100 applicants filing at once against one `streamlit run`.

    python scripts/load_ws.py [--sessions 100] [--think 0] [--time-limit 600] [--stagger 0.1]

The same server set-up, applicant units, session-cookie logins and kind-C filing as scripts/load.py, but
each applicant is a small asyncio client that speaks Streamlit's browser protocol itself instead of a
Chromium context, so 100 of them fit on the machine next to the server. Per session, as the browser does:

- `GET /_stcore/health` (the server sets the `_streamlit_xsrf` cookie), then a websocket to
  `/_stcore/stream` with the cookies `baoan_session` and `_streamlit_xsrf`, an Origin header and the
  sub-protocols `streamlit, <xsrf token>`;
- every interaction is one `BackMsg.rerun_script` carrying the session's widget states (the values it
  has set on widgets still on the page, plus the clicked button's trigger); widgets are found by their
  label in the `delta` messages of the last run; the interaction ends with the `script_finished` that
  is not "finished early for a rerun" (the server runs the app's own `st.rerun()`s itself);
- a file is uploaded like the browser does it: `file_urls_request` over the websocket, an HTTP PUT of a
  multipart form to the URL the server names (with the `X-Xsrftoken` header), then a rerun with the
  file uploader's state.

The walk goes through the UI all the way, the roster included (its Excel upload, unlike load.py). What
these clients do not do: run the page's JavaScript (the cookie sync in `st.html`; the cookie is sent
as a header), load the static files, or tell the server which messages they have cached (so the
server sends every message in full).

Each interaction is timed from sending the rerun (or, for an upload, asking for the upload URL) until
the run finished; `--think` adds a pause between two interactions of a session (uniform in 0.5-1.5 x
the value, not timed). An error is an exception element, a Python error sent to the page, an error
message where none is expected, a page that does not show what comes next, a timeout or a dropped
connection. Printed: p50 / p95 / max per interaction kind and overall, filings completed (and
counted in the database), errors, the server's CPU and resident memory (sampled every second).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.typing import Origin, Subprotocol  # noqa: E402

from scripts.load import (  # noqa: E402
    COOKIE,
    MAX_SESSIONS,
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

XSRF_COOKIE = "_streamlit_xsrf"
PAGE = "assistant"
STEP_TIMEOUT = 60.0
WIDGETS = ("button", "checkbox", "selectbox", "text_input", "text_area", "date_input", "file_uploader",
           "download_button", "chat_input", "multiselect", "radio")
DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)


class Unexpected(Exception):
    """The page is not what the walk expects next (or shows an error)."""


@dataclass
class Http:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


async def http(host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"",
               timeout: float = STEP_TIMEOUT) -> Http:
    """One HTTP/1.1 request on its own connection (all a browser-like client needs here)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}",
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
    """One browser tab on the assistant page, speaking the websocket protocol."""

    def __init__(self, host: str, port: int, token: str, timeout: float) -> None:
        self.host, self.port, self.token, self.timeout = host, port, token, timeout
        self.xsrf = ""
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.session_id = ""
        self.page_hash = ""
        self.elements: dict[tuple[int, ...], Element] = {}  # the page after the last finished run
        self._run: dict[tuple[int, ...], Element] = {}  # the run in progress
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this client has set
        self._finished: asyncio.Future[int] | None = None
        self._file_urls: dict[str, asyncio.Future[FileURLs]] = {}
        self.problems: list[str] = []  # exceptions and Python errors the server sent

    def cookies(self) -> str:
        return f"{COOKIE}={self.token}" + (f"; {XSRF_COOKIE}={self.xsrf}" if self.xsrf else "")

    async def open(self) -> None:
        """What a browser does on loading the page: health check (XSRF cookie), websocket, first run."""
        answer = await http(self.host, self.port, "GET", "/_stcore/health", {"Cookie": self.cookies()},
                            timeout=self.timeout)
        if answer.status != 200:
            raise Unexpected(f"health check answered {answer.status}")
        for name, value in answer.headers:
            if name == "set-cookie" and value.startswith(f"{XSRF_COOKIE}="):
                self.xsrf = value.split(";", 1)[0].split("=", 1)[1]
        origin = f"http://{self.host}:{self.port}"
        protocols = [Subprotocol("streamlit"), *([Subprotocol(self.xsrf)] if self.xsrf else [])]
        self.ws = await connect(f"ws://{self.host}:{self.port}/_stcore/stream", origin=Origin(origin),
                                subprotocols=protocols, additional_headers={"Cookie": self.cookies()},
                                open_timeout=self.timeout, ping_interval=None, proxy=None, max_size=None)
        self.reader = asyncio.create_task(self._read())
        await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for data in self.ws:
                if isinstance(data, bytes):
                    self._handle(ForwardMsg.FromString(data))
        except ConnectionClosed:
            pass
        finally:
            if self._finished is not None and not self._finished.done():
                self._finished.set_exception(Unexpected("the server closed the websocket"))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._run = {}
            if msg.new_session.initialize.session_id:
                self.session_id = msg.new_session.initialize.session_id
        elif kind == "navigation":  # the page being run (new_session names the main script)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            self._run[tuple(msg.metadata.delta_path)] = element
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
        assert self.ws is not None
        await self.ws.send(msg.SerializeToString())

    async def rerun(self, *triggers: WidgetState) -> None:
        """One rerun with the widget states (and the triggers), until the run (chain) finishes."""
        state = ClientState(
            query_string="", page_script_hash=self.page_hash, page_name="" if self.page_hash else PAGE,
            widget_states=WidgetStates(widgets=[*self.values.values(), *triggers]),
            context_info=ContextInfo(timezone="Asia/Shanghai", timezone_offset=-480, locale="zh-CN",
                                     url=f"http://{self.host}:{self.port}/{PAGE}", is_embedded=False,
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

    def widget(self, kind: str, label: str) -> Any:
        for found_kind, found_label, proto in self.widgets():
            if found_kind == kind and found_label == label:
                return proto
        raise Unexpected(f"no {kind} labelled {label!r} on the page; it shows: {self.summary()}")

    def text(self) -> str:
        return "\n".join(t for path in sorted(self.elements) for t in _texts(self.elements[path]))

    def summary(self) -> str:
        return " | ".join(self.text().split("\n"))[-300:]

    def expect(self, *, text: str | None = None, field: str | None = None) -> None:
        errors = [e.alert.body for e in self.elements.values()
                  if e.WhichOneof("type") == "alert" and e.alert.format == e.alert.ERROR]
        if errors:
            raise Unexpected(f"error message on the page: {errors[0][:200]}")
        if text is not None and text not in self.text():
            raise Unexpected(f"the page does not show {text!r}; it shows: {self.summary()}")
        if field is not None and not any(label == field for _k, label, _p in self.widgets()):
            raise Unexpected(f"the page has no field {field!r}; it shows: {self.summary()}")

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
        """Choose a file in a file uploader: upload URL, HTTP PUT, then the rerun with its state."""
        uploader = self.widget("file_uploader", label)
        request_id = uuid.uuid4().hex
        future: asyncio.Future[FileURLs] = asyncio.get_running_loop().create_future()
        self._file_urls[request_id] = future
        await self._send(BackMsg(file_urls_request=FileURLsRequest(request_id=request_id, file_names=[filename],
                                                                   session_id=self.session_id)))
        try:
            urls = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise Unexpected("no upload URL within the time-out") from None
        content_type, body = _multipart(filename, mime, data)
        answer = await http(self.host, self.port, "PUT", urls.upload_url,
                            {"Cookie": self.cookies(), "X-Xsrftoken": self.xsrf, "Content-Type": content_type,
                             "Origin": f"http://{self.host}:{self.port}"}, body, timeout=self.timeout)
        if answer.status not in (200, 204):
            raise Unexpected(f"upload answered {answer.status}: {answer.body[:200]!r}")
        info = UploadedFileInfo(name=filename, size=len(data), file_id=urls.file_id, file_urls=urls)
        self.values[uploader.id] = WidgetState(id=uploader.id,
                                               file_uploader_state_value=FileUploaderState(uploaded_file_info=[info]))
        await self.rerun()


def roster_workbook() -> bytes:
    """The kind-C roster template filled with the demo's three guards (what an applicant uploads)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from flows import clock
    from flows.kinds import get_filing
    from flows.roster_excel import template
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
    host: str
    port: int
    results: Results
    pdf: bytes
    roster: bytes
    think: float
    timeout: float


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def walk(w: Walk, user_id: int, token: str) -> None:
    """One applicant's kind-C filing through the assistant page; every interaction timed."""
    session = Session(w.host, w.port, token, w.timeout)
    at = ["open the assistant"]

    async def step(name: str, action: Any, *, text: str | None = None, field: str | None = None) -> None:
        if w.think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * w.think)
        at[0] = name
        start = time.perf_counter()
        await action
        elapsed = time.perf_counter() - start
        session.expect(text=text, field=field)
        w.results.add(name, elapsed)

    try:
        await step("open the assistant", session.open(), text="请问您要办理哪项业务")
        await step("choose the business", session.click("办理：自行招用保安员单位备案"), text="网上操作须知")
        await step("tick a checkbox", session.tick("我已阅读并知晓以上须知"))
        await step("start", session.click("开始办理"), text="单位类型")
        await step("answer a choice", session.click("物业服务企业"), field="州、市、地")
        await step("choose from a list", session.choose("州、市、地", "乌鲁木齐市"), field="县（市、区）")
        await step("choose from a list", session.choose("县（市、区）", "天山区"))
        await step("answer a region", session.click("确定"), field=TEXT_ANSWERS[0][0])
        for label, value, following in TEXT_ANSWERS:
            kind = "text_area" if any(k == "text_area" and lb == label for k, lb, _ in session.widgets()) else "text_input"
            await step("answer a text question", session.submit_form(kind, label, WidgetState(string_value=value)),
                       field=following)
        today = time.strftime("%Y-%m-%d")
        await step("answer a date", session.submit_form("date_input", "开始保安服务的日期", WidgetState(
            string_array_value=StringArray(data=[today]))), text="保安员名单")
        await step("upload the roster (Excel)", session.upload("或上传填好的Excel", "保安员名单.xlsx", XLSX, w.roster))
        await step("confirm the roster", session.click("确定"), text=f"请上传：{UPLOADS[0][0]}")
        for label, following in UPLOADS:
            await step("upload a PDF", session.upload(label, f"{label}.pdf", "application/pdf", w.pdf),
                       text=f"请上传：{following}")
        await step("skip an optional material", session.click("不提供此项材料"), text="请核对")
        await step("submit", session.click("确认无误，提交申请"), text="提交成功")
        w.results.completed += 1
    except Exception as error:  # noqa: BLE001 - every failure of a session is counted and reported
        w.results.errors.append(f"session {user_id} at '{at[0]}': {type(error).__name__}: "
                                f"{(str(error).splitlines() or [''])[0][:300]}")
    finally:
        await session.close()


def server_tracebacks(data_dir: Path) -> list[str]:
    """The last line of each traceback in the server's log (what the redacted exception elements hide)."""
    try:
        lines = (data_dir / "streamlit.log").read_text(encoding="utf-8", errors="replace").splitlines()
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


def submitted_in_database(data_dir: Path) -> int:
    """Kind-C cases with a submission time, counted in the load's own database."""
    from sqlalchemy import text

    from store.db import default_engine

    os.environ["DATA_DIR"] = str(data_dir)
    with default_engine().connect() as connection:
        count = connection.execute(text(
            "SELECT count(*) FROM \"case\" WHERE kind = 'C' AND submitted_at IS NOT NULL")).scalar_one()
    return int(count)


async def run_load(w: Walk, logins: list[tuple[int, str]], *, stagger: float, time_limit: float,
                   server_pid: int) -> None:
    results = w.results

    async def sample_memory() -> None:
        while True:
            results.memory_mb.append(_rss_mb(server_pid))
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample_memory())
    try:
        # One visit first: the server's first script run migrates the schema and imports everything (see load.py).
        warm = Session(w.host, w.port, logins[0][1], w.timeout)
        await warm.open()
        await warm.close()
        results.cpu_start = _cpu_seconds(server_pid)
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
        results.cpu_end = _cpu_seconds(server_pid)
        sampler.cancel()


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
    try:
        logins = prepare(data_dir, args.sessions)
        from store.demo import demo_pdf

        walk_setup = Walk("127.0.0.1", _free_port(), results, demo_pdf("load test material"), roster_workbook(),
                          args.think, args.timeout)
        server = _start_server(data_dir, walk_setup.port, args.option)
        started = time.perf_counter()
        client_cpu = time.process_time()
        asyncio.run(run_load(walk_setup, logins, stagger=args.stagger, time_limit=args.time_limit,
                             server_pid=server.pid))
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        in_db = submitted_in_database(data_dir)
        print(report(results, args.sessions, seconds))
        print(f"submitted kind-C cases in the database: {in_db}")
        print(f"client CPU: {client_cpu:.1f} s in {seconds:.0f} s (these websocket clients, one process)"
              + (f"; think time {args.think:g} s mean" if args.think else "; no think time"))
        tracebacks = server_tracebacks(data_dir)
        if tracebacks:
            print(f"server log: {len(tracebacks)} tracebacks; the first ends: {tracebacks[0]}")
        if in_db != results.completed:
            results.errors.append(f"{results.completed} filings completed but {in_db} submitted in the database")
            print(f"  error: {results.errors[-1]}")
    finally:
        if server is not None:
            _stop(server)
        if args.keep:
            print(f"data and server log kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if not results.errors else 1


if __name__ == "__main__":
    sys.exit(main())
