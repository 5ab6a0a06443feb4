"""A stand-in for flows.uploads.precheck.child that misbehaves on demand, under the real child's own limits.

The file's bytes say what to do: `precheck-test:crash` (killed by a signal), `:hang` (never answers),
`:spin` (burns CPU until RLIMIT_CPU stops it), `:hog` (allocates past RLIMIT_AS); anything else is read
as a licence showing DEMO code 91650100MA77TEB291.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from flows.uploads.precheck.child import OUT_OF_MEMORY, give_cpu, limit_memory
from flows.uploads.precheck.limited import read_frame, write_frame
from flows.uploads.precheck.reading import PageCheck, Reading, ReadValue


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    limit_memory(args.memory_mb)
    write_frame(sys.stdout.buffer, json.dumps({"ready": True}).encode())
    while True:
        header, data = read_frame(sys.stdin.buffer), read_frame(sys.stdin.buffer)
        if header is None or data is None:
            return 0
        give_cpu(args.cpu_seconds)
        if b"precheck-test:crash" in data:
            os.kill(os.getpid(), signal.SIGSEGV)
        if b"precheck-test:hang" in data:
            time.sleep(3600)
        if b"precheck-test:spin" in data:
            while True:
                pass
        if b"precheck-test:hog" in data:
            try:
                hoard = [bytearray(64 * 1024 * 1024) for _ in range(1000)]
                del hoard
            except MemoryError:
                write_frame(sys.stdout.buffer, json.dumps(Reading.failure(OUT_OF_MEMORY).to_json()).encode())
                return 1
        reading = Reading(status="done", values=(ReadValue("business_licence", "credit_code", "91650100MA77TEB291",
                                                           1, "左上部", 0.99),), pages=(PageCheck(page=1),),
                          page_count=1, engine="stand-in")
        write_frame(sys.stdout.buffer, json.dumps(reading.to_json()).encode())


if __name__ == "__main__":
    sys.exit(main())
