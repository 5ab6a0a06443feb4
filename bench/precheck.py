"""智能预审 measured on a generated corpus no one tuned by hand (bench/precheck_corpus.py, made from a seed).

Every page is read the way the product reads it: through the limited child process (CPU, memory and
wall-clock limits) with the PP-OCR engine, one page at a time, timed from the caller's side. Against the
truth it prints: exact reads of credit codes and ID numbers per variation, mismatch detection (each
licence and card compared once with its own unit's or person's answers and once with another's), seal
detection on rules pages, blank and sideways pages, time per page and the child's memory; then whether
the assistant's page still runs as fast while the OCR works; then Tesseract (chi_sim) on a sample of the
same pages, for the engine comparison in the README.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, percentile
from bench.precheck_corpus import VARIATIONS, Specimen, other, specimens
from flows.filing.schema import Paper, ReadField
from flows.kinds import get_filing
from flows.uploads.precheck.findings import check_material
from flows.uploads.precheck.limited import LimitedReader, Limits
from flows.uploads.precheck.reader import Reader
from flows.uploads.precheck.reading import Reading, ReadRequest

SEED = 2026
PER_VARIATION = 14  # 14 blank pages + 7 variations × 14 × (licence, card, rules page) = 308 pages
TESSERACT_SAMPLE = 8  # per (document, variation) of scan and photo
TARGET_SCAN = 98.0
TARGET_PHOTO = 90.0
TARGET_RECALL = 95.0
TARGET_PRECISION = 90.0
TARGET_P95_MS = 3000.0
TARGET_SLOWDOWN = 1.5
PAGE_RUNS = 20

_LICENCE = (Paper.BUSINESS_LICENCE.value, (ReadField.CREDIT_CODE.value, ReadField.UNIT_NAME.value))
_CARD = (Paper.ID_CARD.value, (ReadField.ID_NUMBER.value, ReadField.PERSON_NAME.value))
_KEY = {"business_licence": ReadField.CREDIT_CODE.value, "id_card": ReadField.ID_NUMBER.value}


def request(specimen: Specimen) -> ReadRequest:
    if specimen.document == "id_card":
        return ReadRequest(file_type=specimen.file_type, papers=(_CARD,))
    if specimen.document == "rules":
        return ReadRequest(file_type=specimen.file_type, seal=True)
    return ReadRequest(file_type=specimen.file_type, papers=(_LICENCE,))


@dataclass(frozen=True)
class Read:
    specimen: Specimen
    reading: Reading
    seconds: float


def exact(read: Read) -> bool:
    key = _KEY[read.specimen.document]
    value = read.reading.value(read.specimen.document, key)
    return value is not None and value.valid and value.value == read.specimen.truth[key]


def _flags_mismatch(specimen: Specimen, reading: Reading, seed: int, *, others: bool) -> bool:
    """Whether the product warns when this page is compared with the answers (its own, or another's)."""
    from store.precheck import digest, protect

    truth = other(specimen, seed).truth if others else specimen.truth
    if specimen.document == "id_card":
        filing, material = get_filing("A"), get_filing("A").material("new_rep_id_card")
        answers = {"new_rep_id": truth["id_number"], "new_rep_name": truth["person_name"]}
    else:
        filing, material = get_filing("C"), get_filing("C").material("legal_person_proof")
        answers = {"unit_uscc": truth["credit_code"], "unit_name": truth["unit_name"]}
    check = check_material(filing, material, "done", protect(reading), answers, digest)
    return any(f.ok is False and f.question_id for f in check.findings)


def _rate(hits: int, total: int) -> float:
    return 100.0 * hits / total if total else 0.0


def _accuracy(reads: list[Read], seed: int) -> list[Figure]:
    figures = []
    for document, what in (("business_licence", "credit codes"), ("id_card", "ID numbers")):
        for variation in VARIATIONS:
            group = [r for r in reads if r.specimen.document == document and r.specimen.variation == variation]
            if not group:
                continue
            target = {"scan": TARGET_SCAN, "photo": TARGET_PHOTO}.get(variation)
            figures.append(Figure(f"exact {what}, {variation} ({len(group)} pages)",
                                  _rate(sum(exact(r) for r in group), len(group)), "%", target=target,
                                  higher_is_better=True))
    compared = [r for r in reads if r.specimen.document in _KEY and r.reading.status == "done"]
    true_positive = sum(_flags_mismatch(r.specimen, r.reading, seed, others=True) for r in compared)
    false_positive = sum(_flags_mismatch(r.specimen, r.reading, seed, others=False) for r in compared)
    recall = _rate(true_positive, len(compared))
    precision = _rate(true_positive, true_positive + false_positive)
    figures.append(Figure(f"mismatch recall ({len(compared)} pages vs another's answers)", recall, "%",
                          target=TARGET_RECALL, higher_is_better=True))
    figures.append(Figure("mismatch precision (the same pages vs their own answers)", precision, "%",
                          target=TARGET_PRECISION, higher_is_better=True,
                          note=f"{false_positive} false warnings on {len(compared)} pages"))
    rules = [r for r in reads if r.specimen.document == "rules"]
    found = [r for r in rules if any(p.seal for p in r.reading.pages)]
    sealed_found = sum(r.specimen.sealed for r in found)
    figures.append(Figure(f"seal precision ({len(rules)} rules pages)", _rate(sealed_found, len(found)), "%",
                          higher_is_better=True))
    figures.append(Figure("seal recall", _rate(sealed_found, sum(r.specimen.sealed for r in rules)), "%",
                          higher_is_better=True))
    blank = [r for r in reads if r.specimen.blank]
    not_blank = [r for r in reads if not r.specimen.blank]
    figures.append(Figure(f"blank pages flagged ({len(blank)})",
                          _rate(sum(any(p.blank for p in r.reading.pages) for r in blank), len(blank)), "%",
                          higher_is_better=True,
                          note=f"{sum(any(p.blank for p in r.reading.pages) for r in not_blank)} of "
                               f"{len(not_blank)} other pages flagged blank"))
    sideways = [r for r in reads if r.specimen.sideways]
    figures.append(Figure(f"sideways pages noticed and turned ({len(sideways)})",
                          _rate(sum(any(p.sideways for p in r.reading.pages) for r in sideways), len(sideways)), "%",
                          higher_is_better=True,
                          note=f"{sum(any(p.sideways for p in r.reading.pages) for r in reads if not r.specimen.sideways)}"
                               " upright pages taken as sideways"))
    blurred = [r for r in reads if r.specimen.variation == "blur"]
    figures.append(Figure(f"blurred pages flagged as hard to read ({len(blurred)})",
                          _rate(sum(any(p.blurred for p in r.reading.pages) for r in blurred), len(blurred)), "%",
                          higher_is_better=True, note="informational: most are still read exactly"))
    return figures


def _timing(reads: list[Read], memory_mb: float | None) -> list[Figure]:
    pages = [r.seconds * 1000 for r in reads if r.reading.status == "done"]
    cpu = [r.reading.cpu_seconds * 1000 for r in reads if r.reading.status == "done"]
    failed = sum(r.reading.status != "done" for r in reads)
    return [
        Figure("time per page, median (caller's side)", statistics.median(pages), "ms",
               statistics.median(cpu), "CPU time of the read"),
        Figure("time per page, p95 (caller's side)", percentile(pages, 95), "ms", percentile(cpu, 95),
               "CPU time of the read", target=TARGET_P95_MS,
               note=f"{failed} pages not read (limits); the gap to CPU time is the machine's other load"),
        Figure("OCR child's peak memory", memory_mb or 0.0, "MB", note=f"limit {Limits().memory_mb} MB"),
    ]


# ------------------------------------------------------------------ the page while OCR runs
def _page_runs(folder: Path, busy: Callable[[], object] | None) -> list[float]:
    """Re-runs of the assistant page of a kind-C draft (with pre-checked uploads), seconds each."""
    from streamlit.testing.v1 import AppTest

    from store.accounts import get_account, start_session
    from store.db import default_engine
    from ui.session import signed_in_state

    root = Path(__file__).resolve().parent.parent
    engine = default_engine()
    account = get_account(engine, _applicant_id(folder))
    assert account is not None
    at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=60)
    for key, value in signed_in_state(account, start_session(engine, account.user_id)).items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/assistant.py").run()
    stop = threading.Event()
    thread = None
    if busy is not None:
        def loop() -> None:
            while not stop.is_set():
                busy()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        time.sleep(1.0)
    times = []
    try:
        for _ in range(PAGE_RUNS):
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
            if at.exception:
                raise RuntimeError(f"assistant page raised: {at.exception[0].value}")
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=60)
    return times


_APPLICANT: dict[Path, int] = {}


def _applicant_id(folder: Path) -> int:
    """A unit with a kind-C draft whose licence and rules are uploaded and pre-checked (made once per database:
    each section that measures the page has a database of its own in its own folder)."""
    if folder in _APPLICANT:
        return _APPLICANT[folder]
    from flows import cases, clock
    from flows.identity.accounts import Registration
    from store.accounts import demo_password_hash, register_applicant
    from store.db import default_engine
    from store.demo import DEMO_CODES, DEMO_PASSWORD, demo_answers
    from store.precheck_worker import Worker
    from store.uow import SqlUnitOfWork

    engine = default_engine()
    account = register_applicant(engine, Registration(unit_name="乌鲁木齐基准物业服务有限公司", credit_code=DEMO_CODES[2],
                                                      contact="基准", mobile="13800009999", password=DEMO_PASSWORD),
                                 password_hash=demo_password_hash(DEMO_PASSWORD))
    assert account.unit_name and account.credit_code and account.mobile
    uow = SqlUnitOfWork(engine)
    draft = cases.start_draft(uow, account.actor, "C", unit_name=account.unit_name, credit_code=account.credit_code,
                              contact="基准", mobile=account.mobile)
    cases.confirm_instructions(uow, account.actor, draft.id)
    for qid, value in demo_answers("C", today=clock.today()).items():
        cases.save_answer(uow, account.actor, draft.id, qid, value, today=clock.today())
    for number, specimen in enumerate(s for s in specimens(SEED + 1, 1) if s.variation == "scan"):
        material = ("legal_person_proof", "service_rules", "post_rules")[number]
        cases.upload_material(uow, account.actor, draft.id, material, filename=f"{material}.jpg", data=specimen.image)
    worker = Worker(engine)
    while worker.run_once():
        pass
    worker.reader.close()
    _APPLICANT[folder] = account.user_id
    return account.user_id


def page_slowdown(folder: Path, busy: Callable[[], object], doing: str, idle_label: str) -> list[Figure]:
    """The assistant page's re-runs, idle and while `busy` runs over and over beside it (median, ratio)."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "PRECHECK_WORKER")}
    from store.db import default_engine

    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'precheck-page.db'}"
    os.environ["PRECHECK_WORKER"] = "off"  # the load comes from `busy`, not from a worker of the page's
    default_engine.cache_clear()  # type: ignore[attr-defined]
    try:
        idle = _page_runs(folder, None)
        busy_runs = _page_runs(folder, busy)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        default_engine.cache_clear()  # type: ignore[attr-defined]
    idle_ms, busy_ms = statistics.median(idle) * 1000, statistics.median(busy_runs) * 1000
    return [Figure(f"assistant page re-run, median, while {doing}", busy_ms, "ms", idle_ms, idle_label),
            Figure(f"assistant page slowdown while {doing}", busy_ms / idle_ms, "x", target=TARGET_SLOWDOWN,
                   note=f"p95 {percentile(busy_runs, 95) * 1000:.0f} ms vs {percentile(idle, 95) * 1000:.0f} ms idle")]


def _page_unchanged(folder: Path, pages: list[Specimen], reader: LimitedReader) -> list[Figure]:
    cycle = iter(pages * 100)
    return page_slowdown(folder, lambda: reader.read(next(cycle).image, request(pages[0])), "OCR reads", "OCR idle")


# ------------------------------------------------------------------ the other engine
def _site_size(*names: str) -> float:
    import site

    total = 0
    for base in site.getsitepackages():
        for name in names:
            for path in Path(base).glob(name):
                total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() \
                    else path.stat().st_size
    return total / 1024 / 1024


def _debian_size(*packages: str) -> float:
    import subprocess

    result = subprocess.run(["dpkg-query", "-W", "-f=${Installed-Size}\\n", *packages], capture_output=True,
                            text=True, check=False)
    return sum(int(n) for n in result.stdout.split() if n.isdigit()) / 1024


def _comparison(reads: list[Read]) -> list[Figure]:
    from bench import precheck_tesseract

    ppocr_size = _site_size("rapidocr_onnxruntime", "onnxruntime", "cv2", "opencv_python_headless.libs",
                            "shapely", "shapely.libs", "pyclipper", "yaml")
    figures = [Figure("install size, PP-OCR (wheels: rapidocr, onnxruntime, OpenCV headless ...)", ppocr_size, "MB")]
    if not precheck_tesseract.available():
        figures.append(Figure("Tesseract chi_sim", 0.0, "", note="not installed: bash scripts/system-deps.sh"))
        return figures
    figures.append(Figure("install size, Tesseract (Debian: tesseract-ocr, chi_sim, leptonica)",
                          _debian_size("tesseract-ocr", "tesseract-ocr-chi-sim", "tesseract-ocr-eng",
                                       "tesseract-ocr-osd", "libtesseract5", "liblept5"), "MB"))
    tesseract = Reader(precheck_tesseract.TesseractEngine())
    for variation in ("scan", "photo"):
        sample = []
        for document in ("business_licence", "id_card"):
            sample += [r for r in reads if r.specimen.document == document
                       and r.specimen.variation == variation][:TESSERACT_SAMPLE]
        theirs = []
        for r in sample:
            started = time.perf_counter()
            reading = tesseract.read(r.specimen.image, request(r.specimen))
            theirs.append(Read(r.specimen, reading, time.perf_counter() - started))
        ours = _rate(sum(exact(r) for r in sample), len(sample))
        figures.append(Figure(f"Tesseract: exact codes and ID numbers, {variation} ({len(sample)} pages)",
                              _rate(sum(exact(r) for r in theirs), len(theirs)), "%", ours, "PP-OCR",
                              higher_is_better=True))
        figures.append(Figure(f"Tesseract: time per page, median, {variation}",
                              statistics.median(r.seconds for r in theirs) * 1000, "ms",
                              statistics.median(r.seconds for r in sample) * 1000, "PP-OCR"))
    return figures


def run(per_variation: int = PER_VARIATION, seed: int = SEED) -> list[Figure]:
    started = time.perf_counter()
    corpus = list(specimens(seed, per_variation))
    print(f"   corpus: {len(corpus)} pages generated from seed {seed} in {time.perf_counter() - started:.0f} s",
          flush=True)
    reader = LimitedReader(Limits())
    reader.start()
    reads = []
    for specimen in corpus:
        t = time.perf_counter()
        reading = reader.read(specimen.image, request(specimen))
        reads.append(Read(specimen, reading, time.perf_counter() - t))
    memory = reader.peak_memory_mb()
    figures = _accuracy(reads, seed) + _timing(reads, memory)
    with tempfile.TemporaryDirectory(prefix="bench-precheck-") as folder:
        figures += _page_unchanged(Path(folder), [s for s in corpus if s.document == "business_licence"][:5], reader)
    reader.close()
    figures += _comparison(reads)
    return figures
