"""What a person sees: click → content visible for every page, in Chromium, on the 100,000-case data set.

The app is served by `streamlit run serve.py` on the bench's database; each role logs in with a server-side
session cookie (the login form is not what is measured). For each page: one visit first (printed as the
cold figure), then REPEATS clicks on its menu entry from another page (the entry found by the URL path it
leads to, not by its label), each timed from the click until the page's script run has finished (followed
on the websocket, as tests/e2e does) and its content is visible (the title, and the chart, table or preview
the page is for). Target: p95 under 1 s per page.
Baseline: the service guide, a page that reads no case.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, sync_playwright

from bench.common import Figure, p_ms
from bench.dataset import Dataset
from deploy.postgres import free_port
from deploy.topology import Service
from store.accounts import start_session
from tests.e2e.helpers import track_runs
from web.cookies import SESSION_COOKIE

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 7
TARGET_P95_MS = 1000.0
TIMEOUT_MS = 60_000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass(frozen=True)
class Screen:
    """A page as a person reaches it: who, from which page, by which menu entry, and what shows it is there."""

    name: str
    login: str | None  # an officer's login, "applicant" for the busiest unit, None for a visitor
    menu: str  # the URL path of the sidebar entry clicked ("" for the home page), not its label
    back: str  # the URL path of the entry clicked in between, to leave the page
    title: str  # the page's heading
    content: str | None = None  # a CSS selector that must be visible too (chart, table, preview)


SCREENS = (
    Screen("home, province officer", "ting", "", "service_guide", "保安业务网上自助办理"),
    Screen("home, applicant (busiest unit)", "applicant", "", "service_guide", "保安业务网上自助办理"),
    Screen("assistant, applicant resuming a draft", "applicant", "assistant", "", "申请办理",
           '[data-testid="stChatMessage"]'),
    Screen("my cases, applicant (busiest unit)", "applicant", "my_cases", "", "我的办件"),
    Screen("queue, prefecture 650100", "zhou650100", "queue", "", "待办队列"),
    Screen("ledger, prefecture 650100", "zhou650100", "ledger", "", "台账", '[data-testid="stDataFrame"]'),
    Screen("report with its charts, province", "ting", "report", "", "工作通报",
           '[data-testid="stVegaLiteChart"]'),
    Screen("feedback inbox, province", "ting", "feedback_inbox", "", "意见反馈处理"),
    Screen("administration", "admin", "admin", "", "系统管理", '[data-testid="stDataFrame"]'),
    Screen("verification, visitor", None, "verify", "", "证书核验"),
    Screen("service guide, visitor (baseline)", None, "service_guide", "", "办事指南"),
)


def _settled(page: Page, started_before: int, title: str, content: str | None) -> None:
    """Until a run started after the click has finished and the page's content is visible."""
    tracker = track_runs(page)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while tracker.started <= started_before or tracker.running:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no finished run for {title}")
        page.wait_for_timeout(5)
    page.locator("h1").filter(has_text=title).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    if content:
        page.locator(content).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def _menu_link(page: Page, route: str) -> Locator:
    """The sidebar entry leading to the URL path `route` ("" for the home page): found by where it leads,
    not by its label, which the page registry may word differently from the page's heading."""
    links = page.locator('[data-testid="stSidebar"] a[href]')
    links.first.wait_for(state="visible", timeout=TIMEOUT_MS)
    # The attribute, not the resolved `a.href`: the home page's entry has an empty href, which resolves to
    # the page shown.
    paths: list[str] = links.evaluate_all(
        "links => links.map(a => new URL(a.getAttribute('href') || '/', location.origin + '/').pathname)")
    found = [i for i, path in enumerate(paths) if path.strip("/") == route.strip("/")]
    if not found:
        raise LookupError(f"no sidebar entry leads to /{route} (entries lead to {', '.join(paths)})")
    return links.nth(found[0])


def _click(page: Page, menu: str, title: str, content: str | None) -> float:
    link = _menu_link(page, menu)
    tracker = track_runs(page)
    before = tracker.started
    start = time.perf_counter()
    link.click()
    _settled(page, before, title, content)
    return time.perf_counter() - start


def _case_page(page: Page) -> tuple[float, float]:
    """(from the queue, click a case's 办理 button until its page shows; click its materials tab until the
    previews show)."""
    _click(page, "queue", "待办队列", None)
    tracker = track_runs(page)
    before = tracker.started
    start = time.perf_counter()
    page.get_by_role("link", name="办理", exact=True).first.click()
    _settled(page, before, "办件", None)
    opened = time.perf_counter() - start
    start = time.perf_counter()
    page.get_by_role("tab").filter(has_text="材料").first.click()
    page.locator('[data-testid="stImage"] img:visible').first.wait_for(state="visible", timeout=TIMEOUT_MS)
    return opened, time.perf_counter() - start


def _server(data: Dataset, port: int, log: Path) -> Service:
    # No pre-check worker: the data set's files were never pre-checked, and the first case page would set one
    # reading all of them (a write transaction each) beside the pages timed (see bench/pages.py).
    env = dict(os.environ, DATABASE_URL=data.url, DATA_DIR=os.environ["DATA_DIR"], PYTHONPATH=str(ROOT),
               APP_BASE_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1", PRECHECK_WORKER="off")
    env.pop("PORTAL", None)
    server = Service("app", [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], env, log,
                     health_url=f"http://127.0.0.1:{port}/_stcore/health")
    server.start()
    return server


def run(data: Dataset, folder: Path) -> list[Figure]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _server(data, port, folder / "browser-bench-server.log")
    users = {**data.officers, "applicant": data.busiest_unit_user}
    times: dict[str, list[float]] = {}
    cold: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            pages: dict[str | None, Page] = {}

            def page_for(login: str | None) -> Page:
                if login not in pages:
                    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                                  timezone_id="Asia/Shanghai")
                    if login is not None:
                        # Officers' sessions as after their second factor (TOTP), as a real login leaves them.
                        token = start_session(data.engine, users[login], second_factor=login != "applicant")
                        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": "127.0.0.1",
                                              "path": "/", "secure": True, "httpOnly": True, "sameSite": "Strict"}])
                    page = context.new_page()
                    track_runs(page)
                    page.goto(base)
                    _settled(page, 0, "保安业务网上自助办理", None)
                    pages[login] = page
                return pages[login]

            measure: list[tuple[str, Callable[[], float]]] = []
            for screen in SCREENS:
                page = page_for(screen.login)

                def once(p: Page = page, s: Screen = screen) -> float:
                    _click(p, s.back, "", None) if s.back != s.menu else None
                    return _click(p, s.menu, s.title, s.content)

                measure.append((screen.name, once))
            for name, once in measure:
                cold[name] = once()
                times[name] = [once() for _ in range(REPEATS)]
                print(f"   {name:<46} first {cold[name] * 1000:>6.0f} ms, then p95 "
                      f"{p_ms(times[name], 95):>6.0f} ms", flush=True)
            officer = page_for("zhou650100")
            opened, previews = zip(*(_case_page(officer) for _ in range(REPEATS + 1)), strict=True)
            times["case page, prefecture (办理 clicked in the queue)"] = list(opened[1:])
            times["case page: materials tab → previews visible"] = list(previews[1:])
            browser.close()
    finally:
        server.stop()
    baseline = p_ms(times["service guide, visitor (baseline)"], 95)
    return [Figure(f"browser: {name}: p95", p_ms(values, 95), "ms", baseline, "service guide",
                   target=TARGET_P95_MS, note=f"first visit {cold[name] * 1000:.0f} ms" if name in cold else "")
            for name, values in times.items()]


if __name__ == "__main__":
    subprocess.run([sys.executable, "-m", "bench", "--only", "browser", *sys.argv[1:]], check=False)
