"""Parsing hostile files in a worker process under CPU-time, memory and wall-clock limits.

Every parse of a file an applicant uploaded or a visitor brought (the upload check, the verification
page's text extraction, the dossier merge, previews, a roster or list workbook) runs here, never in the server process: a crafted
PDF that loops, balloons or crashes its parser costs its own child process, which the limits end, and
slows no other session.

One fresh process per job, made fast by a fork server: the first job of a server process starts
`python -m flows.uploads.contained` (the *zygote*) with the reduced environment of the OCR reader's children
(flows.uploads.precheck.limited: no secrets), with every task's code loaded. It holds
no data and does nothing but fork: for each job the server hands it one end of a new socket pair, and the
forked child limits itself (`limit_memory`, `spend_cpu`: its first second at the server's priority, the
rest lower) before it reads a byte of the file, runs the named
task from `TASKS` (a fixed list: the parent names a task, never code), answers with a JSON frame and a bytes
frame, and exits. Nothing the child says is unpickled. A job's wall clock is the server's: at the deadline
it kills the child. Starting Python and importing the parsers for every file cost ~250 ms a file; a fork
costs a few milliseconds.

A task refuses a file by raising `FieldError` (its Chinese message comes back as `Refused`); anything
else going wrong (an exception, the CPU or memory limit, the wall clock) is `Failed`. At most
`MAX_CHILDREN` jobs of a server process run at once (each may take `Limits.memory_mb`); a job waits for
a free place within its wall clock. When no child can be had (the fork server cannot be started, or no
place came free in time) the job is `Unavailable`: the server's trouble, not the file's.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import IO, Any, cast

from flows.errors import FieldError
from flows.uploads.precheck.child import give_cpu, limit_memory, lower_priority
from flows.uploads.precheck.limited import _ENV_KEPT, REPO, read_frame, write_frame

# A task gets its arguments (JSON) and the files; returns a JSON-able answer and bytes (b"" if none).
Task = Callable[[dict[str, Any], list[bytes]], tuple[dict[str, Any], bytes]]
TASKS: dict[str, str] = {
    "check_pdf": "flows.uploads.checks:check_pdf_task",
    "check_image": "flows.uploads.checks:check_image_task",
    "printed_text": "flows.uploads.viewing:printed_text_task",
    "merge_dossier": "flows.review.dossier:merge_task",
    "pdf_page_count": "flows.uploads.viewing:page_count_task",
    "pdf_page_png": "flows.uploads.viewing:page_png_task",
    "image_preview": "flows.uploads.viewing:image_preview_task",
    "roster_excel": "flows.filing.roster_excel:import_task",
    "table_xlsx": "flows.oversight.tables:xlsx_rows_task",
}

TOO_COMPLEX = "文件内容过于庞大复杂，超出系统处理能力的限制，无法打开。请压缩或拆分后重新上传。"
UNREADABLE = "文件无法打开或内容无法识别。"
BUSY = "系统繁忙，暂时无法检查该文件，请稍后重新上传。您已填写的内容不会丢失。"
CONTROL_TIMEOUT_S = 2.0
MAX_CHILDREN = max(2, 2 * len(os.sched_getaffinity(0)))  # jobs of one server process running at once
PROMPT_CPU_SECONDS = 1  # of a job's CPU budget, at the server's priority (spend_cpu)


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 20
    memory_mb: int = 1024
    wall_seconds: float = 60.0


DEFAULT = Limits()


class Refused(FieldError):
    """The task refused the file; the message says why, in Chinese."""


class Failed(Exception):
    """The task could not finish: an error in the file, or a limit hit (`limit` is True then)."""

    def __init__(self, message: str, *, limit: bool) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit


class Unavailable(Failed):
    """No child could be had for the job (the fork server would not start, or every place stayed taken):
    nothing is known about the file."""

    def __init__(self) -> None:
        super().__init__(BUSY, limit=False)


def _environment() -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    return env


class _Zygote:
    """The server's side of the fork server: started on the first job, again if it has gone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._owner = 0

    def _start(self) -> None:
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "flows.uploads.contained", "--control-fd", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], cwd=str(REPO), env=_environment(), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        ours.settimeout(CONTROL_TIMEOUT_S)  # a fork server that takes no job within it counts as dead
        self._control, self._owner = ours, os.getpid()

    def _stop(self) -> None:
        """Close the control socket and end and reap the old fork server, if this process started one."""
        if self._control is not None:
            self._control.close()
            self._control = None
        old, self._process = self._process, None
        if old is not None and self._owner == os.getpid():
            if old.poll() is None:
                old.kill()
            try:
                old.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass  # unkillable for now: the kernel reaps it with us

    def _running(self) -> bool:
        return (self._process is not None and self._process.poll() is None and self._owner == os.getpid())

    def ensure(self) -> None:
        with self._lock:
            if not self._running():
                self._start()

    def connect(self, limits: Limits) -> tuple[socket.socket, object]:
        """A socket to a fresh child that will apply `limits`, and the fork server that made it."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                for attempt in range(2):
                    if not self._running():
                        self._start()
                    assert self._control is not None
                    try:
                        socket.send_fds(self._control, [json.dumps(asdict(limits)).encode()], [theirs.fileno()])
                        break
                    except OSError:  # it died since: end it for good and start another, once
                        self._stop()
                        if attempt:
                            raise
                server: object = self._process
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        return mine, server

    def replace(self, server: object) -> None:
        """The fork server `server` made no child: end it (if it is still the current one) for the next job."""
        with self._lock:
            if self._process is server:
                self._stop()


_ZYGOTE = _Zygote()
_PLACES = threading.BoundedSemaphore(MAX_CHILDREN)


def start_fork_server() -> None:
    """Start the fork server now (the server's start-up), so that the first upload does not wait for it."""
    _ZYGOTE.ensure()


def run(task: str, blobs: Sequence[bytes], args: dict[str, Any] | None = None,
        limits: Limits = DEFAULT) -> tuple[dict[str, Any], bytes]:
    """Run `task` on `blobs` in a fresh limited child; its answer, or `Refused` / `Failed`."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    # Waiting for a place, and for a child (a fork server started or replaced), has its own bound; the job's
    # wall clock starts once its child has said hello, so a file is never blamed for the server's queue.
    if not _PLACES.acquire(timeout=limits.wall_seconds):
        raise Unavailable()
    try:
        connection, stream, pid = _child(limits, time.monotonic() + limits.wall_seconds)
        with connection, stream:
            return _run(connection, stream, pid, task, blobs, args, time.monotonic() + limits.wall_seconds)
    finally:
        _PLACES.release()


def _child(limits: Limits, deadline: float) -> tuple[socket.socket, IO[bytes], int]:
    """A connection to a fresh child that has said hello with its pid. A fork server that died before its
    child could (killed, or out of memory) is replaced once; the file is never blamed for it."""
    for _attempt in range(2):
        try:
            connection, server = _ZYGOTE.connect(limits)
        except OSError:
            raise Unavailable() from None
        stream = cast(IO[bytes], connection.makefile("rwb"))
        try:
            connection.settimeout(max(0.001, deadline - time.monotonic()))
            hello = read_frame(stream)
        except OSError:  # a timeout too: no child came
            hello = None
        if hello:
            return connection, stream, int(json.loads(hello)["pid"])
        stream.close()
        connection.close()
        _ZYGOTE.replace(server)  # dead, or alive but making no child: the next job gets a new one
        if time.monotonic() >= deadline:
            break
    raise Unavailable()


def _run(connection: socket.socket, stream: IO[bytes], pid: int, task: str, blobs: Sequence[bytes],
         args: dict[str, Any] | None, deadline: float) -> tuple[dict[str, Any], bytes]:
    """The job, with the child that said hello: request, files, answer; the child is killed at the deadline."""

    def until_deadline() -> None:
        connection.settimeout(max(0.001, deadline - time.monotonic()))

    try:
        until_deadline()
        write_frame(stream, json.dumps({"task": task, "args": args or {}, "blobs": len(blobs)}).encode())
        for blob in blobs:
            write_frame(stream, bytes(blob))
        until_deadline()
        header = read_frame(stream)
        body = read_frame(stream)
    except TimeoutError:
        try:  # still running (it has not closed its end): end it
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise Failed(TOO_COMPLEX, limit=True) from None
    except OSError:  # the child died while the file was being handed over: a limit ended it
        raise Failed(TOO_COMPLEX, limit=True) from None
    if header is None or body is None:
        raise Failed(TOO_COMPLEX, limit=True)  # killed by SIGXCPU, out of memory, or crashed
    try:
        parsed = json.loads(header)
    except ValueError:
        raise Failed(UNREADABLE, limit=False) from None
    if not isinstance(parsed, dict):
        raise Failed(UNREADABLE, limit=False)
    if "refused" in parsed:
        raise Refused(str(parsed["refused"]))
    if "failed" in parsed:
        raise Failed(str(parsed["failed"]), limit=bool(parsed.get("limit")))
    return parsed, body


def spend_cpu(budget: int) -> None:
    """The job's CPU budget: its first PROMPT_CPU_SECONDS at the server's own priority (a person is waiting,
    and an honest file needs far less: ~10 ms to check a PDF, ~0.3 s to read a roster), the rest at NICENESS,
    so that a crafted file that runs long yields to the pages. SIGXCPU at the end of the prompt part lowers
    the priority; at the end of the budget it ends the job, and the hard limit ends it even when the
    interpreter cannot run a handler (a parser stuck in C code)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    ceiling = int(usage.ru_utime + usage.ru_stime) + budget + 2
    resource.setrlimit(resource.RLIMIT_CPU, (ceiling, ceiling))
    if budget <= PROMPT_CPU_SECONDS:
        give_cpu(budget)
        return

    def lower(_signal: int, _frame: object) -> None:
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        lower_priority()
        give_cpu(budget - PROMPT_CPU_SECONDS)

    signal.signal(signal.SIGXCPU, lower)
    give_cpu(PROMPT_CPU_SECONDS)


def _task(name: str) -> Task:
    module, function = TASKS[name].split(":")
    found: Task = getattr(importlib.import_module(module), function)
    return found


def _job(connection: socket.socket, limits: Limits) -> None:
    """One job, in a forked child: limits first, then the request, the task, the answer."""
    stream = cast(IO[bytes], connection.makefile("rwb"))
    write_frame(stream, json.dumps({"pid": os.getpid()}).encode())
    limit_memory(limits.memory_mb)
    spend_cpu(limits.cpu_seconds)
    header = read_frame(stream)
    if header is None:
        return
    request = json.loads(header)
    task = _task(str(request["task"]))
    blobs: list[bytes] = []
    for _ in range(int(request["blobs"])):
        blob = read_frame(stream)
        if blob is None:
            return
        blobs.append(blob)
    body = b""
    try:
        answer, body = task(dict(request["args"]), blobs)
    except FieldError as refusal:
        answer = {"refused": str(refusal)}
    except (MemoryError, RecursionError):
        answer = {"failed": TOO_COMPLEX, "limit": True}
    except Exception:  # noqa: BLE001 - a hostile file may break a parser anywhere; the job fails, not us
        answer = {"failed": UNREADABLE, "limit": False}
    write_frame(stream, json.dumps(answer, ensure_ascii=False).encode())
    write_frame(stream, body)


def zygote_main(argv: list[str] | None = None) -> int:
    """The fork server: load every task's code once, then fork one child per job until the server goes."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    options = parser.parse_args(argv)
    for name in TASKS:  # loaded before any limit: running out of memory is a file's doing, never a library's
        _task(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the finished children
    control = socket.socket(fileno=options.control_fd)
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, 4096, 1)
        if not message:
            return 0  # the server has gone: so do we
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.setsid()
                _job(socket.socket(fileno=fds[0]), Limits(**json.loads(message)))
                code = 0
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    sys.exit(zygote_main())
