"""Small Playwright helpers for driving the Streamlit app (Streamlit 1.67 test ids).

Every helper that makes Streamlit rerun the script returns only when that rerun has finished, so
the next assertion sees the finished page. For other widget actions use `with expect_rerun(page):`.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Download, FilePayload, Locator, Page, WebSocket, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

APP = '[data-testid="stApp"]'
APP_VIEW = '[data-testid="stAppViewContainer"]'
MAIN = '[data-testid="stMainBlockContainer"]'
CHAT_MESSAGE = '[data-testid="stChatMessage"]'
CHAT_CONTENT = '[data-testid="stChatMessageContent"]'
STATUS_RUNNING = '[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]'
DEFAULT_TIMEOUT_MS = 30_000


class RunTracker:
    """Follows the app's script runs on the page's websocket (Streamlit's protobuf ForwardMsg
    frames): more reliable than the DOM, which shows "notRunning" for a moment between the two
    runs of an `st.rerun()`.

    `started` counts run starts; `finished` counts runs that really ended (not those cut short by
    a rerun); `running` is True from a start until such an end.
    """

    def __init__(self, page: Page) -> None:
        self.started = 0
        self.finished = 0
        self.running = False
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws: WebSocket) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: not ours to judge
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session" or (
            kind == "session_status_changed" and msg.session_status_changed.script_is_running
        ):
            if not self.running:
                self.started += 1
            self.running = True
        elif kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            # A fragment polling on its own (st.fragment(run_every=...)): not a run of the page.
            self.started = max(0, self.started - 1)
            self.running = False
        elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1
            self.running = False


_TRACKERS: dict[int, RunTracker] = {}


def track_runs(page: Page) -> RunTracker:
    """Start following the script runs of `page`. Call before the page's first `goto` (the
    `new_page` fixture does); pages without a tracker fall back to watching the DOM."""
    tracker = _TRACKERS.get(id(page))
    if tracker is None:
        tracker = _TRACKERS[id(page)] = RunTracker(page)

        def forget(_: Page) -> None:
            _TRACKERS.pop(id(page), None)

        page.on("close", forget)
    return tracker


def _tracker(page: Page) -> RunTracker | None:
    return _TRACKERS.get(id(page))


def _poll(page: Page, done: Callable[[], bool], timeout_ms: float) -> bool:
    deadline = time.monotonic() + timeout_ms / 1000
    while not done():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(20)  # lets Playwright deliver the websocket events
    return True


def _runs(page: Page) -> int:
    """The runs counted by `_ARM_JS` (-1 while the page navigates)."""
    try:
        return int(page.evaluate("() => window.__stRuns || 0"))
    except PlaywrightError:
        return -1


# Fallback without a tracker: count the app root's `data-test-script-state` changes to "running"
# ("initial" -> "running" -> "notRunning" on every run). Installed once per document.
_ARM_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return -1;
  if (window.__stRunsApp !== app) {
    window.__stRunsApp = app;
    window.__stRuns = window.__stRuns || 0;
    new MutationObserver(() => {
      if (app.getAttribute('data-test-script-state') === 'running') window.__stRuns++;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  }
  return window.__stRuns;
}"""


def _arm(page: Page) -> int:
    try:
        return int(page.evaluate(_ARM_JS))
    except Exception:  # noqa: BLE001 - page navigating: no marker, wait_for_app still waits
        return -1


# Resolves once the main area's scroll position has been still for a few frames (pages with a
# chat input glide to the bottom after each run; a dropdown opened meanwhile lands elsewhere).
_SCROLL_STILL_JS = """() => new Promise((resolve) => {
  const m = document.querySelector('main.stMain');
  if (!m) return resolve(true);
  const give_up = Date.now() + 3000;
  let last = m.scrollTop, still = 0;
  const tick = () => {
    if (m.scrollTop === last) still++; else { still = 0; last = m.scrollTop; }
    if (still >= 4 || Date.now() > give_up) return resolve(true);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def wait_scroll_still(page: Page) -> None:
    """Wait until the main area stops scrolling (at most 3 s)."""
    try:
        page.evaluate(_SCROLL_STILL_JS)
    except Exception:  # noqa: BLE001 - navigating away: nothing to wait for
        pass


RECONNECT_MS = 90_000


def _wait_dom_idle(page: Page, timeout: float, stable_checks: bool) -> None:
    for _ in range(20):
        # Longer for the connection: a websocket dropped while the machine is saturated (CI runs the topology
        # load beside the browser tests; seen once, after a submit) comes back by the front end's own retries,
        # spaced further apart each time.
        page.wait_for_selector(
            f'{APP}[data-test-connection-state="CONNECTED"]', state="attached", timeout=max(timeout, RECONNECT_MS)
        )
        page.wait_for_selector(
            f'{APP}[data-test-script-state="notRunning"]', state="attached", timeout=timeout
        )
        page.wait_for_selector(STATUS_RUNNING, state="detached", timeout=timeout)
        if not stable_checks:
            break
        before = _arm(page)
        page.wait_for_timeout(80)  # st.rerun() may start another run right away
        if _arm(page) == before and page.locator(f'{APP}[data-test-script-state="notRunning"]').count():
            break
    page.wait_for_selector(APP_VIEW, state="attached", timeout=timeout)
    wait_scroll_still(page)


def wait_for_app(
    page: Page,
    timeout: float = DEFAULT_TIMEOUT_MS,
    settle_ms: int = 150,
    *,
    since: int | None = None,
    start_timeout: float = 3_000,
) -> None:
    """Wait until Streamlit is connected and has finished running the script.

    Waits `settle_ms` first (a rerun can take a few hundred ms to start after an action; prefer
    `with expect_rerun(page):` around the action, which knows when its rerun started), then
    until no run is in progress. `since` is for the DOM fallback of `expect_rerun`.
    """
    tracker = _tracker(page)
    if since is not None and since >= 0:
        # Polled with evaluate, not wait_for_function: a string predicate is eval'd in the page, which the
        # app's CSP (no 'unsafe-eval', web/headers.py) refuses. No rerun within start_timeout: the action
        # caused none (e.g. the same value typed again).
        _poll(page, lambda: _runs(page) > since, start_timeout)
    elif settle_ms:
        page.wait_for_timeout(settle_ms)
    if tracker is not None:
        if not _poll(page, lambda: not tracker.running, timeout):
            raise PlaywrightTimeoutError(f"the app was still running after {timeout:.0f} ms")
        _wait_dom_idle(page, timeout, stable_checks=False)
    else:
        _wait_dom_idle(page, timeout, stable_checks=True)


@contextmanager
def expect_rerun(
    page: Page, start_timeout: float = 3_000, timeout: float = DEFAULT_TIMEOUT_MS
) -> Iterator[None]:
    """Wrap any widget action that makes Streamlit rerun; returns once the rerun (and any
    `st.rerun()` it makes) has finished. If no run starts within `start_timeout` ms the action
    is taken to cause none.

        with expect_rerun(page):
            page.get_by_label("同意").check()
    """
    tracker = _tracker(page)
    if tracker is None:
        since = _arm(page)
        yield
        wait_for_app(page, timeout, since=since, start_timeout=start_timeout)
        return
    started, finished = tracker.started, tracker.finished
    yield
    if _poll(page, lambda: tracker.started > started or tracker.finished > finished, start_timeout):
        if not _poll(page, lambda: tracker.finished > finished and not tracker.running, timeout):
            raise PlaywrightTimeoutError(f"the app's rerun did not finish within {timeout:.0f} ms")
    _wait_dom_idle(page, timeout, stable_checks=False)


def goto(page: Page, base_url: str, path: str = "") -> None:
    """Open `base_url` + `path` (e.g. "review" or "/review?case=3") and wait for the app."""
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    tracker = _tracker(page)
    if tracker is None:
        page.goto(url, wait_until="domcontentloaded")
        wait_for_app(page, settle_ms=0)
        return
    with expect_rerun(page, start_timeout=DEFAULT_TIMEOUT_MS):
        page.goto(url, wait_until="domcontentloaded")


def reload(page: Page) -> None:
    """Reload the page (a new Streamlit session) and wait until its first run has finished."""
    tracker = _tracker(page)
    if tracker is None:
        page.reload(wait_until="domcontentloaded")
        wait_for_app(page, settle_ms=0)
        return
    with expect_rerun(page, start_timeout=DEFAULT_TIMEOUT_MS):
        page.reload(wait_until="domcontentloaded")


def wait_until(page: Page, condition: Callable[[], bool], what: str, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until `condition()` holds (checked again and again: a busy machine draws late), else fail
    saying `what` did not happen."""
    if not _poll(page, condition, timeout_ms):
        raise AssertionError(f"{what} did not happen within {timeout_ms / 1000:.0f} s")


def main_text(page: Page) -> str:
    """All visible text of the main area (not the sidebar, not the bottom chat input)."""
    return page.locator(MAIN).inner_text()


def app_text(page: Page) -> str:
    """All visible text of the app, sidebar included."""
    return page.locator(APP).inner_text()


def chat_messages(page: Page) -> list[str]:
    """The text of every chat message on the page, top to bottom (without the avatar)."""
    return [t.strip() for t in page.locator(f"{CHAT_MESSAGE} {CHAT_CONTENT}").all_inner_texts()]


def chat_log(page: Page) -> list[tuple[str, str]]:
    """`(role, text)` of every chat message, role "user", "assistant" or "custom" (own avatar)."""
    out: list[tuple[str, str]] = []
    for msg in page.locator(CHAT_MESSAGE).all():
        role = "custom"
        for name in ("user", "assistant"):
            if msg.locator(f'[data-testid="stChatMessageAvatar{name.capitalize()}"]').count():
                role = name
        out.append((role, msg.locator(CHAT_CONTENT).first.inner_text().strip()))
    return out


def send_chat(page: Page, text: str) -> None:
    """Type `text` into the chat input and send it (Enter)."""
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(text)
    with expect_rerun(page):
        box.press("Enter")


def click_button(page: Page | Locator, label: str) -> None:
    """Click the button whose accessible name is exactly `label` (buttons, form submit and
    download buttons). Pass a Locator instead of the page to search only inside it."""
    with expect_rerun(_page_of(page)):
        page.get_by_role("button", name=label, exact=True).click()


def click_until_seen(scope: Page | Locator, label: str, text: str, *, attempts: int = 3) -> str:
    """Click the button `label` until the main area shows `text`. For a button inside a fragment that polls
    (st.fragment(run_every=...)): a click landing while the fragment redraws it is lost, as a person's would
    be, and, as a person does, it is clicked again."""
    page = _page_of(scope)
    for attempt in range(1, attempts + 1):
        button = scope.get_by_role("button", name=label, exact=True)
        if button.count():
            click_button(scope, label)
        try:
            return see(page, text, timeout=10_000)
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def fill_text(page: Page | Locator, label: str, value: str) -> None:
    """Fill the text input or text area labelled `label` and commit it.

    Streamlit commits a text_input on Enter or blur, a text_area on Ctrl+Enter or blur; this
    blurs (so inside a form it does not submit the form).
    """
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    if field.locator('xpath=ancestor::*[@data-testid="stForm"]').count():
        field.blur()  # inside st.form: nothing reruns until the form is submitted
        return
    with expect_rerun(_page_of(page), start_timeout=1_500):
        field.blur()


def choose(page: Page | Locator, label: str, option: str, *, attempts: int = 3) -> None:
    """Pick `option` in the selectbox labelled `label` and wait for the rerun.

    Opens the list again when it closed before the option could be clicked (a popover closes
    when the page scrolls or the app reruns underneath it)."""
    p = _page_of(page)
    box = page.get_by_label(label, exact=True)
    item = p.get_by_role("option", name=option, exact=True)
    for attempt in range(1, attempts + 1):
        wait_scroll_still(p)
        box.click()
        try:
            item.wait_for(state="visible", timeout=5_000)
            with expect_rerun(p):
                item.click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise
            p.keyboard.press("Escape")
            wait_for_app(p)


Upload = str | Path | FilePayload | tuple[str, bytes, str] | tuple[str, bytes]


def _payload(item: Upload) -> str | Path | FilePayload:
    if isinstance(item, tuple):
        name, data = item[0], item[1]
        mime = item[2] if len(item) > 2 else (mimetypes.guess_type(name)[0] or "application/octet-stream")
        return {"name": name, "mimeType": mime, "buffer": data}
    return item


def upload(
    page: Page,
    file_path_or_payload: Upload | list[Upload],
    *,
    label: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_MS,
) -> None:
    """Give file(s) to a file uploader: a path, a Playwright FilePayload dict, or a tuple
    `(name, bytes[, mime])`; a list for `accept_multiple_files`.

    With several uploaders on the page pass `label` (the uploader's label text)."""
    items = file_path_or_payload if isinstance(file_path_or_payload, list) else [file_path_or_payload]
    payloads: Any = [_payload(i) for i in items]
    if label is None:
        scope: Page | Locator = page
    else:
        scope = page.locator('[data-testid="stFileUploader"]').filter(has=page.get_by_text(label, exact=True))
    dropzone = scope.locator('[data-testid="stFileUploaderDropzoneInput"]')
    if dropzone.locator('xpath=ancestor::*[@data-testid="stForm"]').count():
        # inside st.form: the file is sent now, the script sees it when the form is submitted
        dropzone.set_input_files(payloads, timeout=timeout)
        uploader = dropzone.locator('xpath=ancestor::*[@data-testid="stFileUploader"]')
        for p in payloads:
            name = p["name"] if isinstance(p, dict) else Path(p).name
            uploader.locator('[data-testid="stFileChipName"]', has_text=name).first.wait_for(timeout=timeout)
        return
    tracker = _tracker(page)
    if tracker is None:
        with expect_rerun(page, start_timeout=15_000, timeout=timeout):
            dropzone.set_input_files(payloads, timeout=timeout)
        return
    # A file the browser accepts is sent, then the page runs: wait for that run however long the sending
    # takes on a busy machine (a click made before it would act on the page without the file). A file the
    # browser refuses itself (a kind the uploader does not take) shows an error mark and makes no run.
    uploader = dropzone.locator('xpath=ancestor::*[@data-testid="stFileUploader"]')
    refused = uploader.locator('[data-testid="stFileChipIconError"]')
    started, finished = tracker.started, tracker.finished
    dropzone.set_input_files(payloads, timeout=timeout)
    if not _poll(page, lambda: tracker.started > started or tracker.finished > finished or refused.count() > 0,
                 timeout):
        raise PlaywrightTimeoutError(f"no run of the app followed the upload within {timeout:.0f} ms")
    if tracker.started > started or tracker.finished > finished:
        if not _poll(page, lambda: tracker.finished > finished and not tracker.running, timeout):
            raise PlaywrightTimeoutError(f"the app's run after the upload did not finish within {timeout:.0f} ms")
    _wait_dom_idle(page, timeout, stable_checks=False)


def exception_texts(page: Page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def assert_no_exception(page: Page) -> None:
    """Fail if the page shows a Streamlit exception box."""
    found = exception_texts(page)
    assert not found, "the app shows an exception:\n" + "\n---\n".join(found)


def _page_of(scope: Page | Locator) -> Page:
    return scope.page if isinstance(scope, Locator) else scope


def see(page: Page, text: str, timeout: float = 30_000) -> str:
    """Wait until the main area shows `text`; return the main area's text once the run drawing it has finished
    (a run streams its elements: what follows `text` may not be drawn yet when `text` appears). When `text`
    never shows, the error says what the page showed instead (a CI log has no screenshot)."""
    try:
        page.locator(MAIN).get_by_text(text).first.wait_for(timeout=timeout)
    except PlaywrightTimeoutError as error:
        raise PlaywrightTimeoutError(f"{text!r} not shown within {timeout:.0f} ms; the page showed instead:\n"
                                     f"{_shown(page)}\n---\n{error}") from None
    tracker = _tracker(page)
    if tracker is not None and tracker.running and _poll(page, lambda: not tracker.running, timeout):
        _wait_dom_idle(page, timeout, stable_checks=False)
    return main_text(page)


def _shown(page: Page) -> str:
    """The main area's text, clipped, and what the page was doing (for a failure's message)."""
    try:
        shown = page.locator(MAIN).inner_text(timeout=5_000)
    except PlaywrightError as error:
        return f"(unreadable: {error})"
    tracker = _tracker(page)
    state = "" if tracker is None else f"[runs started {tracker.started}, finished {tracker.finished}, " \
        f"running {tracker.running}]\n"
    return state + (shown if len(shown) <= 1600 else shown[:800] + "\n…\n" + shown[-800:])


_USED_STEPS: dict[str, int] = {}  # login -> the last TOTP time step a login of this test run used


def totp_code(login: str, secret: str | None = None) -> str:
    """A TOTP code the server accepts for a demo officer now: of a time step this run has not used for that
    login yet (the server accepts each step once; within the ±1 step it allows, two are fresh at any moment)."""
    import pyotp

    from flows import clock
    from flows.identity.totp import step_of
    from store.demo import DEMO_TOTP_SECRET

    while True:
        current = step_of(clock.now())
        for step in (current, current + 1):
            if step > _USED_STEPS.get(login, -1):
                _USED_STEPS[login] = step
                return pyotp.TOTP(secret or DEMO_TOTP_SECRET).generate_otp(step)
        time.sleep(0.2)  # both fresh steps used: wait for the clock to reach the next one


def log_in(page: Page, url: str, login: str, *, password: str | None = None) -> None:
    """Log in on the home page with a demo account's password (and, for officers and administrators, a TOTP code
    of the demo secret) and wait for the greeting; the session cookie is then set by /auth/session."""
    from store.demo import DEMO_PASSWORD

    goto(page, url)
    page.get_by_label("登录名").fill(login)
    page.get_by_label("密码", exact=True).fill(password or DEMO_PASSWORD)
    if not login.isdigit():  # staff logins are names; applicants log in with their mobile number
        page.get_by_role("textbox", name="动态验证码").fill(totp_code(login))
    click_button(page, "登录")
    see(page, "您好")


# ------------------------------------------------------------------ officers' steps (queue, case page)
def open_queue(page: Page) -> str:
    with expect_rerun(page):
        page.get_by_role("link", name="待办队列").first.click()
    return see(page, "等待您办理的办件")


def open_from_queue(page: Page, number: str) -> str:
    fill_text(page, "搜索", number)
    # The search's run may start late on a busy machine: until it has drawn the one case found, the first
    # 办理 leads to another case.
    links = page.locator(MAIN).get_by_role("link", name="办理", exact=True)
    wait_until(page, lambda: links.count() == 1 and number in main_text(page), f"the queue narrowed to {number}")
    with expect_rerun(page):
        links.first.click()
    return see(page, f"办件 {number}")


def open_tab(page: Page, name: str) -> None:
    tab = page.get_by_role("tab", name=re.compile(f"^{name}"))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    page.get_by_role("tabpanel").filter(visible=True).first.wait_for()


def act(page: Page, label: str) -> None:
    click_button(page.locator(MAIN), label)
    see(page, f"即将办理：{label}")


def download(page: Page, button: Locator, *, attempts: int = 2) -> Download:
    """Click a download button once the app has finished its run, and return the download. A click that
    landed on a button a rerun was replacing starts no download: it is clicked again (at most `attempts`)."""
    for attempt in range(1, attempts + 1):
        wait_for_app(page, settle_ms=0)
        try:
            with page.expect_download(timeout=15_000) as caught:
                button.click()
            return caught.value
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def pick(page: Page, label: str, option: str, *, attempts: int = 3) -> None:
    """Add `option` to the multiselect labelled `label` (typed to filter: the list shows only ten at once), and
    see it among the chosen ones. The list is opened again when it closed before the option could be clicked
    (a popover closes when the page scrolls or the app reruns underneath it)."""
    box = page.get_by_label(label, exact=False).first
    widget = box.locator('xpath=ancestor::*[@data-testid="stMultiSelect"]').first
    item = page.get_by_role("option", name=option, exact=True)
    for attempt in range(1, attempts + 1):
        wait_scroll_still(page)
        box.click()
        box.fill(option[4:])
        try:
            item.wait_for(state="visible", timeout=5_000)
            with expect_rerun(page):
                item.click(timeout=5_000)
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise
        page.keyboard.press("Escape")
        if option in widget.inner_text():
            return
        wait_for_app(page)
    raise AssertionError(f"“{option}” was not added to “{label}”")
