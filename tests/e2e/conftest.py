"""End-to-end fixtures: the real app served by `streamlit run` on a free port with fresh demo
data, Debian's Chromium driven by Playwright, one browser context per simulated person, and
numbered screenshots under test-artifacts/screenshots/<test>/.

Every test in this folder is marked `e2e` (deselect with `-m "not e2e"`).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from deploy.postgres import tail
from tests.e2e.helpers import track_runs, wait_for_app, wait_scroll_still
from tests.sms_gateway import SmsGateway, running

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_TIMEOUT_S = 60.0
SEED_TIMEOUT_S = 1800.0  # a hung seed only: on a busy machine it takes minutes (every demo upload is checked)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """`streamlit run serve.py` (the st.App entry point) in a subprocess, with its own DATA_DIR (SQLite default)."""

    def __init__(self, data_dir: Path, port: int, sms_gateway_url: str = "", portal: str = "", *,
                 entry: str = "serve.py", cwd: Path = REPO) -> None:
        self.entry, self.cwd = entry, cwd  # another entry point (and folder, with its .streamlit/) for a test app
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.pop("APP_BASE_URL", None)  # the server's own address on its port (web/base_url.py): S2 checks the QR link
        env.update(
            DATA_DIR=str(data_dir),
            KEYS_DIR=str(data_dir.parent / "keys"),  # the keys beside the data (store/keys.py), as in production
            AUDIT_DIR=str(data_dir.parent / "audit"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
            PYTHONUNBUFFERED="1",
            SMS_GATEWAY=sms_gateway_url,  # one-time codes go to the test's own HTTP SMS gateway
        )
        env.pop("APP_ENV", None)  # the demo
        env["PORTAL"] = portal  # "": both portals (the demo); "internet" or "police"
        self.env = env
        self.log_dir = data_dir.parent
        suffix = f".{portal}" if portal else ""
        self.stdout_path = self.log_dir / f"streamlit{suffix}.stdout.log"
        self.stderr_path = self.log_dir / f"streamlit{suffix}.stderr.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def seed(self) -> None:
        r = subprocess.run(
            [sys.executable, "-m", "store.seed"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=SEED_TIMEOUT_S,
        )
        if r.returncode != 0:
            raise RuntimeError(
                f"`python -m store.seed` failed (exit {r.returncode}):\n"
                f"{r.stdout[-3000:]}\n--- stderr ---\n{r.stderr[-5000:]}"
            )

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.starts += 1
        mode = "w" if self.starts == 1 else "a"
        with open(self.stdout_path, mode) as out, open(self.stderr_path, mode) as err:
            if self.starts > 1:
                err.write(f"\n===== restart #{self.starts - 1} =====\n")
                err.flush()
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    self.entry,
                    "--server.headless",
                    "true",
                    "--server.address",
                    "127.0.0.1",
                    "--server.port",
                    str(self.port),
                    "--browser.gatherUsageStats",
                    "false",
                ],  # fmt: skip
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {self.proc.returncode} before becoming healthy\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"streamlit not healthy at {self.url}/_stcore/health after {STARTUP_TIMEOUT_S:.0f} s\n"
                    + self.log_tail()
                )
            time.sleep(0.2)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def restart(self) -> None:
        """Stop the server and start it again on the same port with the same data (sessions are
        lost, the database and blobs stay)."""
        self.stop()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # the port may linger briefly
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    break
            time.sleep(0.1)
        self.start()

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the server's stderr (Streamlit's log, tracebacks) and stdout (prints)."""
        return (
            f"--- streamlit stderr (tail) ---\n{tail(self.stderr_path, lines)}\n"
            f"--- streamlit stdout (tail) ---\n{tail(self.stdout_path, lines // 3)}"
        )


@pytest.fixture(scope="session")
def sms_gateway() -> Iterator[SmsGateway]:
    """A real local HTTP SMS gateway the app server sends its one-time codes to; tests read them back
    (`sms_gateway.last_code(mobile)`)."""
    with running() as gateway:
        yield gateway


def _seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder (data, keys, audit) with freshly seeded demo data, seeded once per run: the pytest-xdist
    workers of one run share it (the first seeds it, under a lock), and each serves a copy of its own."""
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent  # the run's folder, above each worker's own
    seeded = run_dir / "seeded-demo"
    with open(run_dir / "seeded-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (seeded / "done").exists():
            shutil.rmtree(seeded, ignore_errors=True)
            (seeded / "data").mkdir(parents=True)
            AppServer(seeded / "data", 0).seed()
            (seeded / "done").touch()
    return seeded


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, sms_gateway: SmsGateway) -> Iterator[AppServer]:
    """The app with freshly seeded demo data, served on a free port for the whole session, sending SMS codes
    to `sms_gateway`.

    `.url`, `.data_dir`, `.env` (the server's environment), `.restart()`, `.log_tail()`.
    """
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(_seeded(tmp_path_factory), root, dirs_exist_ok=True)
    server = AppServer(root / "data", _free_port(), sms_gateway.url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _server_keys(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that writes to the app's database itself (drafts, filings, audit entries) does it with the
    server's keys: the answers it encrypts must be readable by the server, and its audit entries must chain
    with the server's key."""
    if "app_server" not in request.fixturenames:
        return
    server: AppServer = request.getfixturevalue("app_server")
    monkeypatch.setenv("KEYS_DIR", server.env["KEYS_DIR"])
    monkeypatch.setenv("AUDIT_DIR", server.env["AUDIT_DIR"])


@pytest.fixture(scope="session")
def portal_server(app_server: AppServer, sms_gateway: SmsGateway) -> Iterator[Callable[[str], AppServer]]:
    """`portal_server("internet")` or `portal_server("police")`: another server on the same data (the same
    SQLite database) as `app_server`, answering as that portal only (env PORTAL); started on first use."""
    servers: dict[str, AppServer] = {}

    def get(portal: str) -> AppServer:
        if portal not in servers:
            server = AppServer(app_server.data_dir, _free_port(), sms_gateway.url, portal=portal)
            server.start()
            servers[portal] = server
        return servers[portal]

    try:
        yield get
    finally:
        for server in servers.values():
            server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        server = getattr(item, "funcargs", {}).get("app_server")
        if isinstance(server, AppServer):
            report.sections.append(("streamlit server log", server.log_tail()))
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded one), headless."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} missing: run scripts/system-deps.sh", pytrace=False)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Factory: each call gives a page in a NEW browser context (own cookies: one person each),
    1280x900, zh-CN. All are closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        ctx = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        page = ctx.new_page()
        track_runs(page)
        return page

    yield make
    for ctx in contexts:
        try:
            ctx.close()
        except Exception:  # noqa: BLE001 - the browser may already be gone
            pass


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """`shot(page, name)` saves a full-page screenshot as
    test-artifacts/screenshots/<test>/<NN>-<name>.png (NN counts up per test) and returns it."""
    test_name = re.sub(r"[^\w.\-\[\]]+", "_", request.node.name)
    folder = ARTIFACTS / test_name
    counter = 0

    def take(page: Page, name: str) -> Path:
        nonlocal counter
        if counter == 0 and folder.exists():  # leftovers of an earlier run of this test
            for old in folder.glob("*.png"):
                old.unlink()
        counter += 1
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]+", "_", name)
        path = folder / f"{counter:02d}-{safe}.png"
        try:
            wait_for_app(page, timeout=10_000, settle_ms=0)
        except Exception:  # noqa: BLE001 - a screenshot of a stuck page is still useful
            pass
        _full_page_screenshot(page, path)
        return path

    return take


_MAIN_SCROLL_JS = """(top) => {
  const m = document.querySelector('main.stMain');
  if (!m) return [0, window.innerHeight];
  if (top !== null) m.scrollTo({top: top, behavior: 'instant'});
  return [m.scrollTop, Math.max(m.scrollHeight, window.innerHeight)];
}"""


def _full_page_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its own container, so `full_page=True` alone shows only the
    viewport: grow the viewport to the content's height for the shot, then restore the viewport
    and the scroll position (and let it settle, so the next click lands where it should)."""
    vp = page.viewport_size
    top, height = page.evaluate(_MAIN_SCROLL_JS, None)
    if not vp or height <= vp["height"]:
        page.screenshot(path=str(path), full_page=True)
        return
    page.set_viewport_size({"width": vp["width"], "height": min(int(height) + 40, 12_000)})
    try:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # laid out
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(vp)
        page.evaluate(_MAIN_SCROLL_JS, top)
        wait_scroll_still(page)
