"""`make bench`: build the 100,000-case data set, measure every claim against its target, print the result.

    python -m bench [--only queue,state,report,pages,screening,certificate,upload,topology,browser,login,precheck,hostile]
                    [--db PATH] [--screening-size N] [--screening-budget SECONDS] [--cases N] [--precheck-size N]

Everything is written under a temporary folder removed at the end (DATA_DIR and DATABASE_URL point
there while the bench runs), unless --db names a data set file to build once and reuse.
Each figure is printed with its ratio to a baseline measured in the same run; the last line is
`targets met: X/Y`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.common import Figure

SECTIONS = ("queue", "state", "report", "pages", "screening", "certificate", "upload", "topology", "browser",
            "login", "precheck", "hostile")


def _certificates() -> list[Figure]:
    """bench/certificates.py (written with the documents) measures certificates: reuse it, do not duplicate it."""
    from bench import certificates

    base_ms, base_size = certificates.warm("baseline_pdf", 20)
    cert_ms, cert_size = certificates.warm("certificate_pdf", 20)
    return [
        Figure("certificate, warm process: median of 20", cert_ms * 1000, "ms", base_ms * 1000,
               "one-line fpdf2 PDF", target=certificates.TARGET_WARM_MS),
        Figure("certificate size", cert_size / 1024, "KB", base_size / 1024, "one-line fpdf2 PDF",
               target=certificates.TARGET_SIZE_KB, note="cold-process figures: python -m bench.certificates"),
    ]


def _children() -> set[str]:
    """This process's live child processes ("pid name"), from /proc (empty where there is none)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name_end = text.rfind(")")
        fields = text[name_end + 2:].split()
        if len(fields) > 1 and fields[0] != "Z" and int(fields[1]) == os.getpid():
            if _is_fork_server(stat.parent / "cmdline"):
                continue  # flows.uploads.contained's fork server: one per process by design, idle between jobs
            found.add(f"{stat.parent.name} {text[text.find('(') + 1:name_end]}")
    return found


def _is_fork_server(cmdline: Path) -> bool:
    try:
        return b"flows.uploads.contained\0--control-fd" in cmdline.read_bytes()
    except OSError:
        return False


def _busy_cores(seconds: float = 1.0) -> float:
    """How many cores the whole machine kept busy over the next `seconds` (from /proc/stat; 0 where absent)."""
    def sample() -> tuple[int, int]:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0, 0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    total, idle = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    if total2 <= total:
        return 0.0
    return (os.cpu_count() or 1) * (1 - (idle2 - idle) / (total2 - total))


def _wait_quiet(limit_s: float = 60.0, busy: float = 0.25) -> str:
    """Wait until the machine is quiet (less than `busy` of a core in use over a second): what the section
    before left winding down (a browser closing, a database writing its checkpoint) is not measured in the
    next one. Gives up after `limit_s` and says so."""
    waited = 0.0
    while True:
        used = _busy_cores()
        waited += 1
        if used < busy:
            return "" if waited <= 1 else f"waited {waited:.0f} s for the machine to quiet"
        if waited >= limit_s:
            return f"the machine stayed busy ({used:.1f} cores in use after {waited:.0f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections to run")
    parser.add_argument("--db", type=Path, help="data set file to reuse (built there when missing)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--screening-size", type=int, help="entries in the screening list (default: 10 million "
                                                           "when this machine can write them within the budget)")
    parser.add_argument("--screening-budget", type=float, default=600.0,
                        help="seconds allowed for writing the screening list (default 600)")
    parser.add_argument("--screening-dir", type=Path, help="folder to keep the screening list in between runs")
    parser.add_argument("--precheck-size", type=int, default=14,
                        help="pre-check corpus: pages per document and variation (14: 308 pages)")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    # The data set's files (material blobs) live beside a reused data set, else in the temporary folder.
    files = args.db.parent / f"{args.db.stem}-files" if args.db is not None else folder / "data"
    os.environ["DATA_DIR"] = str(files)
    os.environ.pop("CERT_SIGNING_KEY_FILE", None)  # a signing key made in KEYS_DIR (`keys` beside DATA_DIR)
    try:
        return _run(args, chosen, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: argparse.Namespace, chosen: list[str], folder: Path) -> int:
    from bench import dataset

    started = time.perf_counter()
    print(f"bench: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    figures: list[Figure] = []
    data = None
    if {"queue", "state", "report", "pages", "browser"} & set(chosen):
        if args.db is not None and args.db.exists():
            data = dataset.open_existing(args.db)
            print(f"data set: reused {args.db}", flush=True)
        else:
            path = args.db or folder / "bench.db"
            print(f"data set: building {args.cases:,} cases in {path} ...", flush=True)
            data = dataset.build(path, cases=args.cases)
            print(f"data set: built in {data.build_seconds:.0f} s", flush=True)
        os.environ["DATABASE_URL"] = data.url
        print("data set: " + ", ".join(f"{k} {v:,}" for k, v in data.counts.items()), flush=True)

    def section(name: str, run: Callable[[], list[Figure]]) -> None:
        if name not in chosen:
            return
        quiet = _wait_quiet()
        print(f"== {name}" + (f"   ({quiet})" if quiet else ""), flush=True)
        t = time.perf_counter()
        before = set(threading.enumerate())
        children_before = _children()
        try:
            found = run()
        except Exception as error:  # noqa: BLE001 - one broken section must not hide every other figure
            traceback.print_exc()
            found = [Figure(f"section {name} finished", 0, "", target=1, higher_is_better=True,
                            note=f"failed: {type(error).__name__}: {error}"[:300])]
        for figure in found:
            print(figure.line(), flush=True)
        # What a section leaves running takes CPU (and SQLite's write lock) from every later section.
        left = [th.name for th in threading.enumerate() if th not in before and th.is_alive()]
        left += [f"child process {c}" for c in _children() - children_before]
        print(f"   ({time.perf_counter() - t:.0f} s, load average {os.getloadavg()[0]:.1f}"
              f"{'; left running: ' + ', '.join(left) if left else ''})", flush=True)
        figures.extend(found)

    if data is not None:
        from bench import browser, pages, queue, report, state_change

        section("queue", lambda: queue.run(data))
        section("report", lambda: report.run(data))
        section("pages", lambda: pages.run(data))
        section("browser", lambda: browser.run(data, folder))
        section("state", lambda: state_change.run(data))  # last: it changes cases the pages look at
    from bench import logins, precheck, screening, uploads

    screening_dir = args.screening_dir or folder
    screening_dir.mkdir(parents=True, exist_ok=True)
    section("screening", lambda: screening.run(screening_dir, args.screening_budget, args.screening_size))
    section("certificate", _certificates)
    section("upload", uploads.run)
    from bench import topology

    section("topology", topology.run)
    section("login", logins.run)
    section("precheck", lambda: precheck.run(args.precheck_size))
    from bench import hostile

    section("hostile", hostile.run)

    print()
    print("== summary")
    targeted = [f for f in figures if f.met is not None]
    for figure in targeted:
        print(f"  {'met    ' if figure.met else 'NOT MET'}  {figure.name}")
    print(f"(total {time.perf_counter() - started:.0f} s)")
    print(f"targets met: {sum(1 for f in targeted if f.met)}/{len(targeted)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
