"""Load: many applicants filing at once against one `streamlit run`, each in its own browser context.

    python scripts/load.py [--sessions 10] [--time-limit 300] [--stagger 0.5]

Starts the app on a free port of 127.0.0.1 with a fresh DATA_DIR (SQLite), creates one applicant
unit per session and logs each in with a server-side session cookie (the login form's argon2 check is
not what is measured), then every session walks a kind-C filing in headless Chromium (one browser,
one context per session): choose the business, confirm the instructions, answer every question, upload
five materials, skip the optional one, submit. The roster (an Excel upload or a table editor in the
page) is answered through the use case instead, between the questions and the uploads.

Each interaction is timed from the click (or the file handed over) until the page shows what comes
next: that is what the applicant waits for. Printed at the end: p50 / p95 / max per interaction,
filings completed, errors, and the server's memory (resident set, sampled every second).
Everything is bounded: at most 100 sessions, a time limit for the whole run, 60 s per interaction.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MAX_SESSIONS = 100
STEP_TIMEOUT_MS = 60_000
MAIN = '[data-testid="stMainBlockContainer"]'
RUNNING = '[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]'
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
COOKIE = "__Host-baoan_session"  # web/cookies.py: set by /auth/session after a real login

# (label of the field, answer, label of what comes next) — kind C, a property company in 天山区.
TEXT_ANSWERS = [
    ("单位详细地址", "乌鲁木齐市天山区春风路8号", "法定代表人（主要负责人）姓名"),
    ("法定代表人（主要负责人）姓名", "马强", "法定代表人（主要负责人）居民身份证号码"),
    ("法定代表人（主要负责人）居民身份证号码", "650105197606060017", "法定代表人（主要负责人）手机号码"),
    ("法定代表人（主要负责人）手机号码", "13999100006", "分管保安工作的负责人姓名"),
    ("分管保安工作的负责人姓名", "陈刚", "分管保安工作的负责人居民身份证号码"),
    ("分管保安工作的负责人居民身份证号码", "650106199503030013", "分管保安工作的负责人手机号码"),
    ("分管保安工作的负责人手机号码", "13999100007", "所服务的物业项目名称"),
    ("所服务的物业项目名称", "春风家园小区", "守护区域基本情况"),
    ("守护区域基本情况", "小区共8栋住宅楼，设南北两个出入口", "守护区域地址"),
    ("守护区域地址", "乌鲁木齐市天山区春风路8号", "守护区域面积"),
    ("守护区域面积", "约2万平方米", "开始保安服务的日期"),
]
UPLOADS = [("法人资格证明", "保安服务管理制度"), ("保安服务管理制度", "岗位责任制度"),
           ("岗位责任制度", "保安员管理制度"), ("保安员管理制度", "保安员岗位职责"), ("保安员岗位职责", "其他材料")]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)
    keep_dir: Path | None = None  # where a failed session's page is saved (with --keep)
    cpu_start: float = 0.0  # the server's CPU seconds (user + system) when the sessions start
    cpu_end: float = 0.0

    def add(self, step: str, seconds: float) -> None:
        self.latencies.setdefault(step, []).append(seconds)

    def all(self) -> list[float]:
        return [s for values in self.latencies.values() for s in values]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(data_dir: Path, sessions: int) -> list[tuple[int, str]]:
    """The schema, one applicant unit per session, and a logged-in session token for each."""
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    from store.db import default_engine

    return register_logins(default_engine(), sessions)


def register_logins(engine: Any, sessions: int, *, first: int = 0) -> list[tuple[int, str]]:
    """One applicant unit per session (numbered from `first`) and a logged-in session token for each."""
    from flows.identity.accounts import Registration
    from store.accounts import demo_password_hash, register_applicant, start_session
    from store.demo import DEMO_PASSWORD

    password = demo_password_hash(DEMO_PASSWORD)
    logins = []
    for n in range(first, first + sessions):
        account = register_applicant(engine, Registration(
            unit_name=f"乌鲁木齐压测物业服务有限公司{n:03d}", credit_code=_credit_code(n), contact=f"压测{n}",
            mobile=f"137{n:08d}", password=DEMO_PASSWORD), password_hash=password, verified=True)
        logins.append((account.user_id, start_session(engine, account.user_id)))
    return logins


def _credit_code(n: int) -> str:
    """A valid unified social credit code (both check characters) per session."""
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = f"91650102{n:08d}"
    org = body[8:16]
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c) * w for c, w in zip(org, weights, strict=True)) % 11
    org_check = "X" if check == 10 else "0" if check == 11 else str(check)
    partial = body[:16] + org_check
    code: str = partial + uscc.calc_check_digit(partial)
    assert uscc.is_valid(code) and all(c in alphabet for c in code)
    return code


def answer_roster(user_id: int) -> None:
    """The roster of three guards, through the use case (see the module docstring)."""
    from flows import cases, clock
    from store.accounts import get_account
    from store.db import default_engine
    from store.demo import demo_answers
    from store.queries import open_draft
    from store.uow import SqlUnitOfWork

    engine = default_engine()
    account = get_account(engine, user_id)
    assert account is not None and account.unit_id is not None
    draft = open_draft(engine, account.unit_id, "C")
    assert draft is not None and draft.id is not None
    guards = demo_answers("C", today=clock.today())["guards"]
    cases.save_answer(SqlUnitOfWork(engine), account.actor, draft.id, "guards", guards, today=clock.today())


async def _settled(page: object) -> None:
    """Until the app has started and finished the rerun an action caused."""
    await page.wait_for_timeout(150)  # type: ignore[attr-defined]
    await page.locator(RUNNING).first.wait_for(state="hidden", timeout=STEP_TIMEOUT_MS)  # type: ignore[attr-defined]


async def walk(browser: object, base: str, user_id: int, token: str, results: Results, pdf: bytes) -> None:
    """One applicant's filing, each interaction timed until the page shows what comes next."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    context = await browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    await context.add_cookies([{"name": COOKIE, "value": token, "domain": "127.0.0.1", "path": "/", "secure": True,
                                "httpOnly": True, "sameSite": "Strict"}])
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    main = page.locator(MAIN)

    at = ["start"]

    async def step(name: str, action: Callable[[], Awaitable[object]], until: Callable[[], Awaitable[object]]) -> None:
        at[0] = name
        start = time.perf_counter()
        await action()
        await until()
        results.add(name, time.perf_counter() - start)

    def visible(text: str) -> Callable[[], Awaitable[object]]:
        return lambda: main.get_by_text(text).first.wait_for()

    def field(label: str) -> Callable[[], Awaitable[object]]:
        return lambda: page.get_by_label(label, exact=True).first.wait_for()

    def click(role: str, name: str) -> Callable[[], Awaitable[object]]:
        return lambda: page.get_by_role(role, name=name, exact=True).click()

    async def choose(label: str, option: str, until: Callable[[], Awaitable[object]]) -> None:
        """Pick from a select box (opened again when a rerun underneath closed it), timed until `until`."""
        for attempt in range(3):
            await page.get_by_label(label, exact=True).click()
            item = page.get_by_role("option", name=option, exact=True)
            try:
                await item.wait_for(state="visible", timeout=5_000)
                await step("choose from a list", lambda i=item: i.click(timeout=5_000), until)  # type: ignore[misc]
                return
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                await page.keyboard.press("Escape")
                await _settled(page)

    try:
        await step("open the assistant", lambda: page.goto(f"{base}/assistant"), visible("请问您要办理哪项业务"))
        await step("choose the business", click("button", "办理：自行招用保安员单位备案"), visible("网上操作须知"))
        await page.get_by_text("我已阅读并知晓以上须知").click()
        await page.get_by_role("button", name="开始办理").and_(page.locator(":enabled")).wait_for()
        await step("start", click("button", "开始办理"), visible("单位类型"))
        await step("answer a choice", click("button", "物业服务企业"), field("州、市、地"))
        await choose("州、市、地", "乌鲁木齐市", field("县（市、区）"))
        await choose("县（市、区）", "天山区", lambda: _settled(page))
        await step("answer a region", click("button", "确定"), field(TEXT_ANSWERS[0][0]))
        for label, value, following in TEXT_ANSWERS:
            await page.get_by_label(label, exact=True).fill(value)
            await step("answer a text question", click("button", "确定"), field(following))
        date_field = page.get_by_label("开始保安服务的日期", exact=True)
        await date_field.locator('[role="spinbutton"]').first.click()
        await page.keyboard.type(time.strftime("%Y%m%d"))
        await page.keyboard.press("Tab")
        await step("answer a date", click("button", "确定"), visible("保安员名单"))
        await asyncio.to_thread(answer_roster, user_id)
        await step("reopen after a server-side answer", lambda: page.goto(f"{base}/assistant"),
                   visible("请上传：法人资格证明"))
        dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        for label, following in UPLOADS:
            payload = [{"name": f"{label}.pdf", "mimeType": "application/pdf", "buffer": pdf}]
            await step("upload a PDF", lambda p=payload: dropzone.set_input_files(p),  # type: ignore[misc]
                       visible(f"请上传：{following}"))
        await step("skip an optional material", click("button", "不提供此项材料"), visible("请核对"))
        await step("submit", click("button", "确认无误，提交申请"), visible("提交成功"))
        if await page.locator('[data-testid="stException"]').count():
            raise RuntimeError("the page shows an exception")
        results.completed += 1
    except Exception as error:  # noqa: BLE001 - every failure of a session is counted and reported
        if results.keep_dir is not None:
            try:
                text = await page.locator("body").inner_text(timeout=5_000)
                (results.keep_dir / f"session-{user_id}.txt").write_text(text, encoding="utf-8")
                await page.screenshot(path=str(results.keep_dir / f"session-{user_id}.png"), timeout=10_000)
            except Exception:  # noqa: BLE001 - a failed snapshot only loses the evidence
                pass
        results.errors.append(f"session {user_id} at '{at[0]}' (after {len(results.latencies.get(at[0], []))} such "
                              f"steps of all sessions): {type(error).__name__}: {str(error).splitlines()[0][:120]}")
    finally:
        await context.close()


async def run_load(base: str, logins: list[tuple[int, str]], results: Results, *, stagger: float,
                   time_limit: float, server_pid: int) -> None:
    from playwright.async_api import async_playwright

    from store.demo import demo_pdf

    pdf = demo_pdf("load test material")

    async def sample_memory() -> None:
        while True:
            results.memory_mb.append(_rss_mb(server_pid))
            await asyncio.sleep(1)

    async with async_playwright() as playwright:
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        sampler = asyncio.create_task(sample_memory())
        try:
            # One visit first: the server's first script run migrates the schema and imports everything. Two
            # sessions making that first run at the same moment crash (store/db.py default_engine is not
            # thread-safe: both threads run Alembic at once); see docs/operations.md.
            warm = await browser.new_context()
            await warm.add_cookies([{"name": COOKIE, "value": logins[0][1], "domain": "127.0.0.1", "path": "/",
                                     "secure": True, "httpOnly": True, "sameSite": "Strict"}])
            warm_page = await warm.new_page()
            await warm_page.goto(base)  # a logged-in home page: it opens the database
            await warm_page.locator(MAIN).get_by_text("您好").first.wait_for(timeout=STEP_TIMEOUT_MS)
            await warm.close()
            results.cpu_start = _cpu_seconds(server_pid)
            tasks = []
            for user_id, token in logins:
                tasks.append(asyncio.create_task(walk(browser, base, user_id, token, results, pdf)))
                await asyncio.sleep(stagger)
            done, pending = await asyncio.wait(tasks, timeout=time_limit)
            for task in pending:
                task.cancel()
                results.errors.append("a session did not finish within the time limit")
        finally:
            results.cpu_end = _cpu_seconds(server_pid)
            sampler.cancel()
            await browser.close()


def _start_server(data_dir: Path, port: int, options: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATA_DIR=str(data_dir), PYTHONPATH=str(REPO), APP_BASE_URL=f"http://127.0.0.1:{port}")
    env.pop("DATABASE_URL", None)
    env.pop("PORTAL", None)
    log = (data_dir / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         *(f"--{option}" for option in options)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {data_dir / 'streamlit.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


def report(results: Results, sessions: int, seconds: float) -> str:
    lines = [f"sessions: {sessions}, filings completed: {results.completed}, errors: {len(results.errors)}, "
             f"wall time {seconds:.0f} s"]
    every = results.all()
    if every:
        ordered = sorted(every)
        p95 = ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]
        lines.append(f"interactions: {len(every)}, p50 {statistics.median(every) * 1000:.0f} ms, "
                     f"p95 {p95 * 1000:.0f} ms, max {max(every) * 1000:.0f} ms")
        for name, values in results.latencies.items():
            ordered = sorted(values)
            p95 = ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]
            lines.append(f"  {name:<36} n={len(values):<4} p50 {statistics.median(values) * 1000:>6.0f} ms   "
                         f"p95 {p95 * 1000:>6.0f} ms")
    if every and results.cpu_end > results.cpu_start:
        cpu = results.cpu_end - results.cpu_start
        lines.append(f"server CPU: {cpu:.1f} s for {len(every)} interactions = {cpu / len(every) * 1000:.0f} ms each "
                     f"(so one core serves about {len(every) / cpu:.0f} interactions a second)")
    if results.memory_mb:
        lines.append(f"server memory (RSS): start {results.memory_mb[0]:.0f} MB, peak {max(results.memory_mb):.0f} MB, "
                     f"end {results.memory_mb[-1]:.0f} MB")
    for error in results.errors[:20]:
        lines.append(f"  error: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/load.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help=f"concurrent applicants (1-{MAX_SESSIONS})")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds for the whole run")
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between two sessions' starts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary DATA_DIR (and the server log)")
    parser.add_argument("--option", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a `streamlit run` option to try, e.g. runner.postScriptGC=false (repeatable)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    data_dir = Path(tempfile.mkdtemp(prefix="load-"))
    results = Results(keep_dir=data_dir if args.keep else None)
    server = None
    try:
        logins = prepare(data_dir, args.sessions)
        port = _free_port()
        server = _start_server(data_dir, port, args.option)
        started = time.perf_counter()
        asyncio.run(run_load(f"http://127.0.0.1:{port}", logins, results, stagger=args.stagger,
                             time_limit=args.time_limit, server_pid=server.pid))
        print(report(results, args.sessions, time.perf_counter() - started))
    finally:
        if server is not None:
            _stop(server)
        if args.keep:
            print(f"data and server log kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if not results.errors else 1


if __name__ == "__main__":
    sys.exit(main())
