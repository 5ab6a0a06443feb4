"""Reading applicants' files in a child process under CPU-time, memory and wall-clock limits.

An uploaded file is hostile until proven otherwise, and an OCR engine is a large body of native code: a
crafted image could make it loop, balloon or crash. So files are read in a separate Python process that
- caps its own address space (RLIMIT_AS) before it reads anything,
- gets a CPU-time budget per job (RLIMIT_CPU: the soft limit is moved to "used so far + budget" before
  each job; the kernel stops the process with SIGXCPU when it is spent),
- is watched by the parent with a wall-clock timeout (a job blocked on anything else is killed),
- gets no secrets: its environment is reduced to what Python needs (no DATABASE_URL, no keys),
- runs at a lower CPU priority (nice 10): the web app's page runs come first;
- uses `threads` threads (ONNX Runtime's and OpenCV's pools), one by default.
Whatever goes wrong, `LimitedReader.read` returns a failed `Reading` with a note, never raises: the
material then shows 「未能自动核对」 and the filing goes on.

The child keeps its engine loaded between jobs; a child that failed is replaced on the next job.
Wire format on the child's stdin/stdout: a 4-byte big-endian length, then that many bytes; a request is
a JSON header frame followed by the file's bytes frame, an answer is one JSON frame.
(A worker-process runner is also being written for the upload checks; the two are to become one.)
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flows.uploads.precheck.reading import Reading, ReadRequest

REPO = Path(__file__).resolve().parents[3]
CHILD_MODULE = "flows.uploads.precheck.child"
_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "PYTHONPATH")

TIMED_OUT = "自动核对超时"
CRASHED = "自动核对程序异常退出"
NOT_STARTED = "自动核对程序未能启动"


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 30  # CPU time per job
    memory_mb: int = 2048  # address space of the child (ONNX Runtime reserves generously)
    wall_seconds: float = 60.0  # per job, measured by the parent
    start_seconds: float = 60.0  # for the child to start and load its engine


def _frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(struct.pack(">I", len(payload)))
    stream.write(payload)


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One length-prefixed frame, or None at the end of the stream."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    return data if len(data) == size else None


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    _frame(stream, payload)
    stream.flush()


class LimitedReader:
    """Hands files to one limited child process, one at a time (thread-safe: callers queue)."""

    def __init__(self, limits: Limits = Limits(), *, module: str = CHILD_MODULE, threads: int = 1) -> None:
        self.limits = limits
        self.module = module
        self.threads = threads
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _environment(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env["OMP_NUM_THREADS"] = str(self.threads)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def _start(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, "-m", self.module, "--memory-mb", str(self.limits.memory_mb),
             "--cpu-seconds", str(self.limits.cpu_seconds), "--threads", str(self.threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=str(REPO),
            env=self._environment(), start_new_session=True, close_fds=True)
        assert child.stdout is not None
        try:
            self._answer(child, self.limits.start_seconds)  # the child says hello once its engine is loaded
        except ChildFailed:
            self._kill(child)
            raise ChildFailed(NOT_STARTED) from None
        return child

    def start(self) -> None:
        """Start the child now (and load its engine), so the first file does not wait for it."""
        with self._lock:
            if self._child is None or self._child.poll() is not None:
                try:
                    self._child = self._start()
                except ChildFailed:
                    self._child = None

    def read(self, data: bytes, request: ReadRequest) -> Reading:
        """Read one file in the child; a failed Reading (with a note) on time-out, crash or any error."""
        started = time.monotonic()
        with self._lock:
            try:
                if self._child is None or self._child.poll() is not None:
                    self._child = self._start()
                child = self._child
                assert child.stdin is not None
                try:
                    write_frame(child.stdin, json.dumps(request.to_json()).encode())
                    write_frame(child.stdin, data)
                except (BrokenPipeError, OSError):
                    raise ChildFailed(CRASHED) from None
                reading = Reading.from_json(self._answer(child, self.limits.wall_seconds))
                if reading.status == "failed":  # the child may be half broken (or on its way out): a fresh one next
                    self._kill(child)
                    self._child = None
                return reading
            except ChildFailed as failure:
                if self._child is not None:
                    self._kill(self._child)
                    self._child = None
                return Reading.failure(failure.note, seconds=round(time.monotonic() - started, 3))

    def _answer(self, child: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
        """The child's next JSON frame within `timeout` seconds (ChildFailed if it died or took too long)."""
        assert child.stdout is not None
        fd = child.stdout.fileno()
        deadline = time.monotonic() + timeout
        buffer = b""
        need: int | None = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildFailed(TIMED_OUT)
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                if child.poll() is not None:
                    raise ChildFailed(CRASHED)
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ChildFailed(CRASHED)
            buffer += chunk
            if need is None and len(buffer) >= 4:
                (need,) = struct.unpack(">I", buffer[:4])
            if need is not None and len(buffer) >= 4 + need:
                try:
                    parsed = json.loads(buffer[4:4 + need])
                except ValueError:
                    raise ChildFailed(CRASHED) from None
                if not isinstance(parsed, dict):
                    raise ChildFailed(CRASHED)
                return parsed

    @staticmethod
    def _kill(child: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    @property
    def pid(self) -> int | None:
        """The running child's process id, or None without one."""
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def peak_memory_mb(self) -> float | None:
        """The child's peak resident memory so far (Linux), or None without a child."""
        pid = self.pid
        if pid is None:
            return None
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def close(self) -> None:
        with self._lock:
            if self._child is not None:
                self._kill(self._child)
                self._child = None


class ChildFailed(Exception):
    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note
