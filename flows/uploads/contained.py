"""Parsing hostile files in a worker process under CPU-time, memory and wall-clock limits.

Every parse of a file an applicant uploaded or a visitor brought (the upload check, the verification
page's text extraction, the dossier merge, previews) runs here, never in the server process: a crafted
PDF that loops, balloons or crashes its parser costs its own child process, which the limits end, and
slows no other session.

It is the same machinery as the OCR reader's (flows.uploads.precheck.limited / flows.uploads.precheck.child: the frame
format, the reduced environment without secrets, `limit_memory`, `give_cpu`, the lower priority), used
one job per fresh process: `run("task", blobs, args)` starts `python -m flows.uploads.contained`, which limits
itself before it reads a byte, runs the named task from `TASKS` (a fixed list: the parent names a task,
never code) and answers with a JSON frame and a bytes frame. JSON only: nothing the child says is
unpickled.

A task refuses a file by raising `FieldError` (its Chinese message comes back as `Refused`); anything
else going wrong (an exception, the CPU or memory limit, the wall clock) is `Failed`.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from flows.errors import FieldError
from flows.uploads.precheck.child import NICENESS, give_cpu, limit_memory
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
}

TOO_COMPLEX = "文件内容过于庞大复杂，超出系统处理能力的限制，无法打开。请压缩或拆分后重新上传。"
UNREADABLE = "文件无法打开或内容无法识别。"


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


def _environment() -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    return env


def run(task: str, blobs: Sequence[bytes], args: dict[str, Any] | None = None,
        limits: Limits = DEFAULT) -> tuple[dict[str, Any], bytes]:
    """Run `task` on `blobs` in a fresh limited child; its answer, or `Refused` / `Failed`."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    request = BytesIO()
    write_frame(request, json.dumps({"task": task, "args": args or {}, "blobs": len(blobs)}).encode())
    for blob in blobs:
        write_frame(request, bytes(blob))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flows.uploads.contained", "--memory-mb", str(limits.memory_mb),
             "--cpu-seconds", str(limits.cpu_seconds)],
            input=request.getvalue(), capture_output=True, timeout=limits.wall_seconds, cwd=str(REPO),
            env=_environment(), start_new_session=True, close_fds=True, check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        raise Failed(TOO_COMPLEX, limit=True) from None
    answer = BytesIO(done.stdout)
    header = read_frame(answer)
    body = read_frame(answer)
    if done.returncode != 0 or header is None or body is None:
        raise Failed(TOO_COMPLEX, limit=True)  # killed by SIGXCPU / SIGKILL, or out of memory
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


def _task(name: str) -> Task:
    module, function = TASKS[name].split(":")
    found: Task = getattr(importlib.import_module(module), function)
    return found


def child_main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    options = parser.parse_args(argv)
    os.nice(NICENESS)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # The request's header comes from the server (which task), the files after it: the task's code is loaded
    # before the limits, so that running out of memory is the file's doing, reported as a limit, never a
    # parser library that could not load.
    header = read_frame(stdin)
    if header is None:
        return 2
    request = json.loads(header)
    task = _task(str(request["task"]))
    limit_memory(options.memory_mb)
    give_cpu(options.cpu_seconds)
    blobs: list[bytes] = []
    for _ in range(int(request["blobs"])):
        blob = read_frame(stdin)
        if blob is None:
            return 2
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
    write_frame(stdout, json.dumps(answer, ensure_ascii=False).encode())
    write_frame(stdout, body)
    return 0


if __name__ == "__main__":
    sys.exit(child_main())
