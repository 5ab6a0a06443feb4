"""What every page must be, checked in the browser (issue 19): every visible word Chinese (Latin only for
code values and file names), nothing fetched from another host, no element covering a button at the end
of the page, no Streamlit exception."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Request

from tests.e2e.helpers import MAIN, assert_no_exception, wait_scroll_still

# Latin words a Chinese page may show: file types and sizes, key names, the verification page's example
# code and its signature parameter. Anything with a digit in it (credit codes, case and certificate
# numbers, Ed25519) is a code value and passes; single letters (kind letters, an ID number's X) too.
ALLOWED = frozenset({
    "pdf", "jpg", "jpeg", "png", "xlsx", "csv", "excel", "mb", "kb", "ctrl", "esc", "sig", "abcd", "efgh",
})
WORD = re.compile(r"[A-Za-z0-9]+")

# Every text a person sees or hears: visible text nodes (screen-reader-only ones included) and the
# tooltip / placeholder / accessible-name attributes of elements on the page. Icons drawn from the
# Material Symbols font are ligatures (their names are glyphs, not words) once that font has loaded.
_TEXTS_JS = """() => {
  const attrs = ['aria-label', 'title', 'placeholder', 'alt', 'aria-description', 'aria-valuetext'];
  const laidOut = (el) => el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const icon = (el) => getComputedStyle(el).fontFamily.includes('Material Symbols');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement, text = node.nodeValue.trim();
    if (!text || !/[A-Za-z]/.test(text) || !laidOut(el) || icon(el)) continue;
    if (el.closest('script, style, noscript, [data-testid="stCode"]')) continue;
    out.push(text);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (!laidOut(el)) continue;
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (v && /[A-Za-z]/.test(v)) out.push(v);
    }
  }
  const iconFont = [...document.fonts].some(f => f.family.includes('Material Symbols') && f.status === 'loaded');
  const icons = [...document.querySelectorAll('span')].some(s => laidOut(s) && icon(s));
  return {texts: out, iconFontMissing: icons && !iconFont};
}"""

_TO_END_JS = """() => { const m = document.querySelector('main.stMain'); if (m) m.scrollTo({top: m.scrollHeight, behavior: 'instant'}); }"""

# A button (or link) in the main area, inside the viewport and shown, whose centre is hit by another element.
# Content scrolled up under the page's own top bar is not covered: it is above the end of the page.
_COVERED_JS = """() => {
  // Shown: not hidden, not transparent, and its centre not clipped away by a collapsed ancestor.
  const shown = (el, x, y) => {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true, contentVisibilityAuto: true})) return false;
    // Not clickable, or fading in or out (a table's hover toolbar): not a button a person can press now.
    if (getComputedStyle(el).pointerEvents === 'none') return false;
    for (let e = el.parentElement; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (parseFloat(s.opacity) < 1) return false;
      if (s.overflow !== 'visible') { const c = e.getBoundingClientRect();
        if (x < c.left || x > c.right || y < c.top || y > c.bottom) return false; }
    }
    return true;
  };
  const header = document.querySelector('header[data-testid="stHeader"]');
  const top = header ? header.getBoundingClientRect().bottom : 0;
  const out = [];
  for (const b of document.querySelectorAll('main.stMain button, main.stMain a[href]')) {
    const r = b.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) continue;
    const x = Math.min(Math.max(r.left + r.width / 2, 1), innerWidth - 2);
    const y = Math.min(Math.max(r.top + r.height / 2, 1), innerHeight - 2);
    if (y <= top || !shown(b, x, y)) continue;
    const hit = document.elementFromPoint(x, y);
    if (hit && !b.contains(hit) && !hit.contains(b)) {
      out.push((b.innerText || b.getAttribute('aria-label') || b.tagName).trim().slice(0, 40) + ' ← ' +
               (hit.closest('[data-testid]') || hit).getAttribute('data-testid'));
    }
  }
  return out;
}"""


def latin_words(page: Page) -> list[str]:
    """The Latin words a person sees or hears on the page that are not code values or file types."""
    found = page.evaluate(_TEXTS_JS)
    assert not found["iconFontMissing"], "the icon font did not load: icon names would show as words"
    words = []
    for text in found["texts"]:
        for token in WORD.findall(text):
            if len(token) > 1 and token.isalpha() and token.lower() not in ALLOWED:
                words.append(f"{token} (in “{text[:80]}”)")
    return sorted(set(words))


def covered_buttons(page: Page) -> list[str]:
    """Buttons at the end of the page that another element covers (scrolled to the end first)."""
    page.evaluate(_TO_END_JS)
    wait_scroll_still(page)
    return list(page.evaluate(_COVERED_JS))


class Hosts:
    """Every host the pages of one browser context ask for anything."""

    def __init__(self, context: BrowserContext, server_url: str) -> None:
        self.server = urlsplit(server_url).netloc
        self.foreign: list[str] = []
        context.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.server:
            self.foreign.append(request.url)


def check_page(page: Page, hosts: Hosts, where: str) -> None:
    """All four checks on the page as it is now; the message names the page."""
    page.locator(MAIN).first.wait_for()
    assert_no_exception(page)
    assert not (words := latin_words(page)), f"{where}: Latin words {words}"
    assert not (covered := covered_buttons(page)), f"{where}: covered at the end of the page: {covered}"
    assert not hosts.foreign, f"{where}: requests to other hosts: {hosts.foreign}"

