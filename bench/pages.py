"""Each page's script run in Streamlit's AppTest against the 100,000-case data set: median and p95.

A page is opened the way tests/app/conftest.py opens it (the entry point run with the account in
session state, then `switch_page`), then re-run: a re-run is what every click costs on the server.
Baseline: a three-element page re-run in the same AppTest harness, so the ratio is the page's own work.
AppTest compiles the scripts again on every run (a new ScriptCache each time: the magic AST rewrite of a
page cost ~30 % of its run); a server compiles each once and keeps the bytecode (one ScriptCache for its
Runtime), so the bench shares one ScriptCache across runs as the server does.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.common import Figure, median_ms, p_ms, timed
from bench.dataset import Dataset
from flows.identity.login import SECOND_FACTOR_ROLES
from store.accounts import Account, get_account, start_session
from store.db import default_engine
from store.reports import warm_up_in_background
from ui.session import signed_in_state

ROOT = Path(__file__).resolve().parent.parent
RUNS = 30
SLOW_S = 2.0
SLOW_RUNS = 3
PAGE_TIMEOUT_S = 60.0
TARGET_P95_MS = 300.0
BASELINE_SCRIPT = 'import streamlit as st\nst.title("基准")\nst.write("一行文字")\nst.button("按钮")\n'


@contextmanager
def _server_script_cache() -> Iterator[None]:
    """While inside, every AppTest run uses one ScriptCache, as a server's Runtime does."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    modules = (app_test, local_script_runner)
    saved = [module.ScriptCache for module in modules]
    for module in modules:
        module.ScriptCache = lambda: shared  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.ScriptCache = original  # type: ignore[attr-defined]


def _open(page: str, account: Account | None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=PAGE_TIMEOUT_S)
    if account is not None:
        staff = account.role in SECOND_FACTOR_ROLES  # a finished staff login has passed its second factor
        token = start_session(default_engine(), account.user_id, second_factor=staff)
        for key, value in signed_in_state(replace(account, second_factor=staff), token).items():
            at.session_state[key] = value
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    if page != "streamlit_app.py":
        at.switch_page(page).run()
    return at


def _checked(at: AppTest, label: str) -> None:
    if at.exception:
        raise RuntimeError(f"{label}: the page raised: {at.exception[0].value}")


def _case(data: Dataset) -> list[tuple[str, str, int | None, dict[str, str]]]:
    """(label, page, user id or None for a visitor, query parameters)."""
    officers = data.officers
    pages: list[tuple[str, str, int | None, dict[str, str]]] = [
        ("home, visitor", "streamlit_app.py", None, {}),
        ("home, province officer", "streamlit_app.py", officers["ting"], {}),
        ("home, applicant (busiest unit)", "streamlit_app.py", data.busiest_unit_user, {}),
        ("assistant, applicant resuming a draft", "pages/assistant.py", data.busiest_unit_user, {}),
        ("assistant, visitor choosing a business", "pages/assistant.py", None, {}),
        ("my cases, applicant (busiest unit)", "pages/my_cases.py", data.busiest_unit_user, {}),
        ("queue, prefecture 650100", "pages/queue.py", officers["zhou650100"], {}),
        ("queue, county 650102", "pages/queue.py", officers["xian650102"], {}),
        ("queue, province", "pages/queue.py", officers["ting"], {}),
        ("case, prefecture reviewing a kind-A case", "pages/case.py", officers["zhou650100"],
         {"id": str(data.review_case)}),
        ("case, county confirming a kind-C case", "pages/case.py", officers["xian650102"],
         {"id": str(data.county_case)}),
        ("feedback inbox, province", "pages/feedback_inbox.py", officers["ting"], {}),
        ("service guide, visitor", "pages/service_guide.py", None, {}),
        ("verification, visitor", "pages/verify.py", None, {}),
        ("administration", "pages/admin.py", officers["admin"], {}),
        # Last: a page whose run times out keeps running in AppTest's thread after it.
        ("progress report, province", "pages/report.py", officers["ting"], {}),
        ("ledger, prefecture 650100", "pages/ledger.py", officers["zhou650100"], {}),
    ]
    pages = [p for p in pages if (ROOT / p[1]).exists()]
    covered = {p[1] for p in pages}
    for path in sorted(ROOT.glob("pages/*.py")):  # a page added since: opened by the province officer
        name = f"pages/{path.name}"
        if name not in covered:
            pages.append((f"{path.stem}, province officer", name, officers["ting"], {}))
    return pages


def run(data: Dataset) -> list[Figure]:
    # No pre-check worker in this process: none of the data set's hundreds of thousands of files was ever
    # pre-checked, and the first case page shown would start one (store.precheck_worker.ensure_worker) that
    # reads them all, a write transaction each, beside every page timed here and every later section
    # (the state-change section's raw sqlite3 baseline fell from 1,140/s to 56/s). A real server has no
    # such backlog: its worker waits idle.
    previous = os.environ.get("PRECHECK_WORKER")
    os.environ["PRECHECK_WORKER"] = "off"
    try:
        with _server_script_cache():
            return _run(data)
    finally:
        if previous is None:
            os.environ.pop("PRECHECK_WORKER", None)
        else:
            os.environ["PRECHECK_WORKER"] = previous


def _run(data: Dataset) -> list[Figure]:
    # AppTest outside `streamlit run` logs a harmless warning per widget call: keep the bench output readable.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    default_engine.cache_clear()  # the app's engine: env DATABASE_URL points at the data set
    # An officer's first page loads the progress report's read model in a background thread (once per
    # process): load it before timing, so that no page's runs share the CPU with it.
    warm_up = warm_up_in_background(default_engine())
    if warm_up is not None:
        warm_up.join()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "baseline.py"
        script.write_text(BASELINE_SCRIPT, encoding="utf-8")
        at = AppTest.from_file(str(script), default_timeout=60)
        base = timed(at.run, RUNS, warmup=2)
    figures = []
    for label, page, user_id, query in _case(data):
        account = get_account(data.engine, user_id) if user_id is not None else None
        try:
            at = _open(page, account, **query)
            _checked(at, label)
            start = time.perf_counter()
            at.run()
            first = time.perf_counter() - start
            runs = RUNS if first < SLOW_S else SLOW_RUNS  # a page taking seconds: a few runs tell enough
            times = timed(at.run, runs, warmup=0)
        except RuntimeError as error:  # AppTest's timeout: the page takes longer than PAGE_TIMEOUT_S
            if "timed out" not in str(error).lower() and "timeout" not in str(error).lower():
                raise
            figures.append(Figure(f"page run, {label}: p95", PAGE_TIMEOUT_S * 1000, "ms", p_ms(base, 95),
                                  "3-element page", target=TARGET_P95_MS,
                                  note=f"a run did not finish within {PAGE_TIMEOUT_S:.0f} s"))
            continue
        _checked(at, label)
        figures.append(Figure(f"page run, {label}: p95", p_ms(times, 95), "ms", p_ms(base, 95),
                              "3-element page", target=TARGET_P95_MS,
                              note=f"median {median_ms(times):.0f} ms over {runs} runs"))
    return figures
