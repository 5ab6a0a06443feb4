"""The limited child process that reads files (started by flows.uploads.precheck.limited; not run by hand).

It limits itself before touching any file: address space for good, CPU time per job. Then it loads the
OCR engine, says it is ready, and answers one request at a time until its stdin closes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

from flows.uploads.precheck.limited import read_frame, write_frame
from flows.uploads.precheck.reading import Reading, ReadRequest

# What a failed read tells the officer; never the exception text (it could quote the file).
UNREADABLE = "文件无法打开或内容无法识别"
OUT_OF_MEMORY = "文件过大，超出自动核对的内存限制"
NICENESS = 10


def lower_priority() -> None:
    """Let the pages' work come first: this process at NICENESS, and, where the kernel shares the CPU between
    sessions before it looks at a process's niceness (autogroups, on by default in Debian's kernels), this
    process's session too. A reader runs in a session of its own (start_new_session, setsid), so without the
    session's niceness it takes the CPU from each server process as an equal, its nice value notwithstanding."""
    os.nice(NICENESS)
    if os.getsid(0) != os.getpid():
        return  # not the leader of its own session: the group is shared with others, left as it is
    try:
        with open("/proc/self/autogroup", "w", encoding="ascii") as group:
            group.write(str(NICENESS))
    except OSError:
        pass  # a kernel without autogroups, or a control group that sets the share instead


def limit_memory(megabytes: int) -> None:
    size = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def give_cpu(seconds: int) -> None:
    """Let this process use `seconds` more CPU time from now (SIGXCPU ends it after that)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    # The pages' own work comes first: reading a file may wait, an applicant may not. Not lower (nice 19,
    # SCHED_IDLE): on a busy server a reading would then take minutes and end at its wall-clock limit.
    lower_priority()
    limit_memory(args.memory_mb)
    give_cpu(args.cpu_seconds * 2)  # loading the engine
    from flows.uploads.precheck.ocr import RapidEngine
    from flows.uploads.precheck.reader import Reader

    engine = RapidEngine(threads=args.threads)
    engine.warm()
    reader = Reader(engine)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    write_frame(stdout, json.dumps({"ready": True}).encode())
    while True:
        header = read_frame(stdin)
        data = read_frame(stdin)
        if header is None or data is None:
            return 0
        give_cpu(args.cpu_seconds)
        started = time.perf_counter()
        try:
            reading = reader.read(data, ReadRequest.from_json(json.loads(header)))
        except MemoryError:
            write_frame(stdout, json.dumps(Reading.failure(OUT_OF_MEMORY).to_json()).encode())
            return 1  # the heap may be in pieces: start afresh
        except Exception:  # noqa: BLE001 - a hostile file may break the engine anywhere; the job fails, not us
            reading = Reading.failure(UNREADABLE, seconds=round(time.perf_counter() - started, 3))
        write_frame(stdout, json.dumps(reading.to_json(), ensure_ascii=False).encode())


if __name__ == "__main__":
    sys.exit(main())
