"""Hostile files are parsed in a limited worker process (flows.uploads.contained): a 60,000-page PDF is refused at the
upload with the page cap, a crafted PDF that costs a parser many seconds of CPU is ended by the limit, and the
dossier merge and the verification page's reading run there too."""

from __future__ import annotations

import io
import os
import queue
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from bench.hostile_files import many_pages, text_bomb
from flows.review.dossier import DossierPart, merge_contained
from flows.uploads import contained
from flows.uploads.checks import MAX_PAGES, FileRefused, check_upload
from flows.uploads.precheck.child import NICENESS
from flows.uploads.precheck.limited import LimitedReader

MB = 1024 * 1024


def test_a_60000_page_pdf_is_refused_at_the_upload_with_the_page_cap() -> None:
    data = many_pages(60_000)
    assert len(PdfReader(io.BytesIO(data), strict=True).pages) == 60_000  # a real, valid PDF
    with pytest.raises(FileRefused) as refused:
        check_upload(data, "名册.pdf", allowed=("pdf",), max_bytes=20 * MB)
    assert f"文件共 60000 页，超过每项材料 {MAX_PAGES} 页的上限" in str(refused.value)


def test_a_pdf_at_the_page_cap_is_accepted() -> None:
    assert check_upload(many_pages(MAX_PAGES), "a.pdf", allowed=("pdf",), max_bytes=20 * MB).pages == MAX_PAGES


def test_a_crafted_pdf_is_ended_by_the_cpu_limit_not_by_the_server() -> None:
    bomb = text_bomb(400_000)
    assert len(bomb) < 40_000
    check_upload(many_pages(1), "a.pdf", allowed=("pdf",), max_bytes=MB)  # the fork server is up: not the job's
    before = os.times()
    with pytest.raises(contained.Failed) as failed:
        contained.run("printed_text", [bomb], limits=contained.Limits(cpu_seconds=1, wall_seconds=120))
    assert failed.value.limit and "过于庞大" in failed.value.message
    after = os.times()
    # The parse's second of CPU was the child's: this (server) process only handed 40 KB over and waited.
    assert (after.user + after.system) - (before.user + before.system) < 0.5


def _niceness_and_cpu(pid: int) -> tuple[int, float] | None:
    """A live process's niceness and CPU seconds so far (from /proc), None once it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[16]), (int(fields[11]) + int(fields[12])) / ticks


def _session_niceness(pid: int) -> int | None:
    """The niceness of a process's session group (kernel autogroups), None where the kernel has none.

    With autogroups the CPU is shared between sessions first: a reader in its own session at nice 10 would
    still take as much as each server process, so the group's niceness is the one that counts."""
    enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if not enabled.exists() or enabled.read_text().strip() != "1":
        return None
    text = Path(f"/proc/{pid}/autogroup").read_text()  # "/autogroup-123 nice 10"
    assert os.getsid(pid) != os.getsid(0), "a reader shares the server's session (and its CPU share)"
    return int(text.split()[-1])


def test_the_ocr_reader_yields_the_cpu_to_the_pages() -> None:
    """The pre-check's reader (OCR, ~1 s of CPU a page) runs at NICENESS, and so does its session's group."""
    reader = LimitedReader()
    try:
        reader.start()
        pid = reader.pid
        assert pid is not None
        state = _niceness_and_cpu(pid)
        assert state is not None and state[0] == min(19, os.nice(0) + NICENESS)
        assert _session_niceness(pid) in (None, NICENESS)
    finally:
        reader.close()


def test_a_job_starts_at_the_servers_priority_and_yields_once_it_runs_long(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person waits for an upload's check: a job's first second of CPU is at the server's own priority (an
    honest file needs far less); a crafted file that goes on is lowered to NICENESS, so the pages come first."""
    pids: queue.Queue[int] = queue.Queue()
    original = contained._run

    def telling(connection: socket.socket, stream: Any, pid: int, *args: Any) -> Any:
        pids.put(pid)
        return original(connection, stream, pid, *args)

    monkeypatch.setattr(contained, "_run", telling)
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            contained.run("printed_text", [text_bomb(1_500_000)],
                          limits=contained.Limits(cpu_seconds=30, wall_seconds=300))
        except BaseException as ended:  # noqa: BLE001 - kept for the assertion below
            outcome.append(ended)

    worker = threading.Thread(target=parse)
    worker.start()
    pid = pids.get(timeout=120)
    ours = os.nice(0)
    first = _niceness_and_cpu(pid)
    assert first is not None and first[0] == ours  # not lowered before it has run long
    assert _session_niceness(pid) in (None, 0)
    lowered = group = None
    while (state := _niceness_and_cpu(pid)) is not None:
        if state[1] >= contained.PROMPT_CPU_SECONDS + 1.5:  # past its prompt part (whole seconds, rounded up)
            lowered, group = _niceness_and_cpu(pid), _session_niceness(pid)
            os.kill(pid, signal.SIGKILL)  # seen: no need to wait for the rest of its budget
            break
        time.sleep(0.05)
    worker.join()
    assert lowered is not None, "the crafted file ended before it had run long enough to be lowered"
    assert lowered[0] == min(19, ours + NICENESS)
    assert group in (None, NICENESS)


def test_the_memory_limit_applies_to_the_child() -> None:
    with pytest.raises(contained.Failed) as failed:
        contained.run("check_pdf", [many_pages(20_000)], limits=contained.Limits(memory_mb=16))
    assert failed.value.limit


def test_a_parser_error_in_the_child_is_a_refusal_with_a_chinese_message() -> None:
    with pytest.raises(FileRefused) as refused:
        check_upload(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << >>\n%%EOF",
                     "a.pdf", allowed=("pdf",), max_bytes=MB)
    assert "损坏" in str(refused.value)


def test_the_dossier_is_merged_in_the_worker_and_an_oversized_part_is_skipped_by_name() -> None:
    merged = merge_contained([DossierPart("申请书", "pdf", many_pages(2)),
                              DossierPart("超长名册", "pdf", many_pages(MAX_PAGES + 1)),
                              DossierPart("坏文件", "pdf", b"%PDF-1.4 garbage")])
    assert merged.pages == 2
    assert merged.skipped == ("超长名册", "坏文件")
    assert len(PdfReader(io.BytesIO(merged.data), strict=True).pages) == 2


def test_each_job_runs_in_a_fresh_process_and_a_killed_fork_server_is_replaced() -> None:
    """A job's process never serves another: the one squeezed to 16 MB fails, the next has its own limits; and
    the fork server, if it dies, is started again by the next job."""
    with pytest.raises(contained.Failed):
        contained.run("check_pdf", [many_pages(20_000)], limits=contained.Limits(memory_mb=16))
    assert check_upload(many_pages(2), "a.pdf", allowed=("pdf",), max_bytes=MB).pages == 2
    zygote = contained._ZYGOTE._process
    assert zygote is not None
    zygote.kill()
    zygote.wait()
    assert check_upload(many_pages(3), "a.pdf", allowed=("pdf",), max_bytes=MB).pages == 3
    assert contained._ZYGOTE._process is not zygote


def test_an_unknown_task_is_not_run() -> None:
    with pytest.raises(ValueError):
        contained.run("os.system", [b""])


def test_when_no_worker_can_be_had_the_applicant_is_told_to_retry_not_that_the_file_is_broken(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's trouble (no fork server, every place taken) is said as such: the file is not blamed."""

    def cannot_start(_limits: contained.Limits) -> None:
        raise OSError("fork server would not start")

    with monkeypatch.context() as patched:
        patched.setattr(contained._ZYGOTE, "connect", cannot_start)
        with pytest.raises(FileRefused) as refused:
            check_upload(many_pages(2), "a.pdf", allowed=("pdf",), max_bytes=MB)
    assert str(refused.value) == contained.BUSY and "文件无法打开" not in str(refused.value)

    taken = 0
    while contained._PLACES.acquire(blocking=False):  # every place taken by other jobs
        taken += 1
    try:
        assert taken == contained.MAX_CHILDREN
        with pytest.raises(contained.Unavailable):
            contained.run("check_pdf", [many_pages(2)], limits=contained.Limits(wall_seconds=0.2))
    finally:
        for _ in range(taken):
            contained._PLACES.release()
    assert check_upload(many_pages(2), "a.pdf", allowed=("pdf",), max_bytes=MB).pages == 2  # a place came free


def test_a_fork_server_that_makes_no_child_is_replaced_and_reaped_and_the_file_is_not_blamed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork server is alive but its first child never says hello (its socket closes): that server is ended
    and reaped, a new one takes the job, and the file is checked as usual."""
    assert check_upload(many_pages(2), "a.pdf", allowed=("pdf",), max_bytes=MB).pages == 2
    old = contained._ZYGOTE._process
    assert old is not None and old.poll() is None
    real_connect = contained._ZYGOTE.connect
    calls = []

    def first_child_silent(limits: contained.Limits) -> tuple[socket.socket, object]:
        calls.append(limits)
        if len(calls) == 1:
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            theirs.close()  # no child will ever say hello on it
            return mine, contained._ZYGOTE._process
        return real_connect(limits)

    monkeypatch.setattr(contained._ZYGOTE, "connect", first_child_silent)
    assert check_upload(many_pages(3), "a.pdf", allowed=("pdf",), max_bytes=MB).pages == 3
    assert len(calls) == 2
    assert old.returncode is not None  # ended and waited for: no zombie left
    assert contained._ZYGOTE._process is not old and contained._ZYGOTE._process is not None
