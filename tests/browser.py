"""Test helpers: a headless Chromium driven by Playwright, looking at a Textual app served by
textual-serve (xterm.js in the page).

Reading the screen: textual-serve's xterm.js draws with its WebGL or canvas renderer, so the page's
DOM holds no text (`.xterm-rows` does not exist) and the accessibility tree has none either (the
terminal is built without `screenReaderMode`). The page keeps its `Terminal` in a closure, not on
`window`. An init script (run before the page's own scripts) catches every xterm.js `Terminal` as it
is built, by trapping the first assignment to `_core` (xterm.js's public `Terminal` constructor does
`this._core = ...`); the helper then reads the buffer through xterm.js's public API
(`buffer.active.getLine(y).translateToString(true)`). If a future textual-serve build breaks this,
`Terminal.text` raises a clear error rather than waiting forever.

Keys: `page.keyboard.press` goes through CDP `Input.dispatchKeyEvent` into the renderer; it never
reaches the browser's own accelerators (no tab strip in headless mode), so these tests prove that
xterm.js and Textual understand a key, not that a headed browser would let it through: see
docs/serve.md for that part (checked by hand with a headed Chromium and Firefox under Xvfb and real X
key events).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

# Without the background-networking flags Chromium's own connections (component updates, safe
# browsing, ...) are refused in a sandbox and can stall start-up; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs in the page before textual.js: remember every xterm.js Terminal built.
CATCH_TERMINALS = r"""
(() => {
  window.__xterms = [];
  Object.defineProperty(Object.prototype, '_core', {
    configurable: true,
    set(value) {
      Object.defineProperty(this, '_core', {value, writable: true, configurable: true, enumerable: true});
      // xterm.js's public Terminal has a `buffer` getter and `onData`; its addons also set _core.
      try {
        if (typeof this.onData === 'function' && 'buffer' in this) window.__xterms.push(this);
      } catch (e) {}
    },
    get() { return undefined; },
  });
})();
"""

READ_SCREEN = r"""
() => {
  const term = (window.__xterms || [])[0];
  if (!term) return null;
  const buffer = term.buffer.active;
  const lines = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : '');
  }
  return lines.join('\n');
}
"""


def find_chromium() -> str | None:
    """The Chromium to drive, or None (then the browser tests skip, saying so)."""
    override = os.environ.get("PARBENCH_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    return found


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; .ci/run installs it)"
    if find_chromium() is None:
        override = os.environ.get("PARBENCH_CHROMIUM")
        if override:
            return f"PARBENCH_CHROMIUM={override} is not an executable"
        return "no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)"
    return None


@contextmanager
def chromium(downloads: Path | None = None) -> Iterator[Browser]:
    """A headless Chromium (a fresh profile: Playwright's launch makes a temporary user-data-dir
    and removes it; it refuses a --user-data-dir argument)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True,
                                    downloads_path=str(downloads) if downloads else None)
        try:
            yield browser
        finally:
            try:
                browser.close()
            except Exception:
                pass


class Terminal:
    """One browser tab showing a served Textual app."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url

    # Opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, context, url: str, *, timeout: float = 30.0, focus: bool = True) -> "Terminal":
        """Open `url` in a new tab of `context`, wait for the app's first screen, focus the terminal
        (with focus=False, leave that to the page: `parbench serve`'s page focuses it by itself)."""
        page = context.new_page()
        page.add_init_script(CATCH_TERMINALS)
        # Nothing but the server: the page template asks fonts.googleapis.com for a font, which would
        # otherwise leave the machine (and stall where the network is closed).
        host = re.match(r"https?://[^/]+", url).group(0)
        page.route(re.compile(r"^(?!" + re.escape(host) + r")"), lambda route: route.abort())
        term = cls(page, url)
        page.goto(url)
        # textual-serve 1.1.x connects at once (a Start button shows only with ?delay=1); the body
        # gets -first-byte once the app has drawn something.
        page.wait_for_selector("body.-first-byte", state="attached", timeout=timeout * 1000)
        term.wait_for(lambda text: text.strip() != "", timeout=timeout, what="a first screen")
        if focus:
            term.focus()
        return term

    def has_focus(self) -> bool:
        return self.page.evaluate("!!document.activeElement && "
                                  "document.activeElement.classList.contains('xterm-helper-textarea')")

    def focus(self) -> None:
        """Give the terminal the keyboard, as a user's click on it does, but without the click
        itself reaching the app (a click at the screen's centre would focus whatever widget is
        there): xterm.js's hidden textarea takes the focus and the page tells the app "focus"."""
        self.page.focus(".xterm-helper-textarea")
        self.page.wait_for_function("document.activeElement && "
                                    "document.activeElement.classList.contains('xterm-helper-textarea')")

    # Reading ----------------------------------------------------------------------------------------

    def text(self) -> str:
        text = self.page.evaluate(READ_SCREEN)
        if text is None:
            raise RuntimeError("no xterm.js Terminal caught in the page: textual-serve's page changed "
                               "(see browser.CATCH_TERMINALS)")
        return text

    @property
    def closed(self) -> bool:
        """The page says 'Session ended.' (its websocket closed)."""
        return self.page.evaluate("document.body.classList.contains('-closed')")

    def wait_for(self, condition: Callable[[str], bool] | str, *, timeout: float = 30.0,
                 what: str | None = None) -> str:
        """Wait until the screen's text satisfies `condition` (or contains it, for a string);
        returns the text. On timeout, raises with the screen as it was."""
        if isinstance(condition, str):
            needle = condition
            condition = lambda text: needle in text  # noqa: E731
            what = what or repr(needle)
        deadline = time.monotonic() + timeout
        text = ""
        while True:
            text = self.text()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or 'the screen'}; "
                                     f"the screen:\n{text}")
            self.page.wait_for_timeout(100)

    def wait_for_regex(self, pattern: str, *, timeout: float = 30.0) -> re.Match:
        compiled = re.compile(pattern)
        text = self.wait_for(lambda t: compiled.search(t) is not None, timeout=timeout, what=f"/{pattern}/")
        return compiled.search(text)

    def settle(self, *, quiet_s: float = 0.3, timeout: float = 10.0) -> str:
        """Wait until the screen has not changed for `quiet_s` (the app has handled what it got)."""
        deadline = time.monotonic() + timeout
        last, since = self.text(), time.monotonic()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
            now = self.text()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                break
        return last

    # Typing -------------------------------------------------------------------------------------------

    def press(self, *keys: str) -> None:
        """Playwright key names: 'F9', 'Escape', 'Control+b', 'Tab', 'Shift+Tab', 'Enter'."""
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def fill_field(self, label: str, value: str, *, tabs: int = 1, timeout: float = 10.0) -> None:
        """Tab to a form field, replace its text with `value`, and wait until the screen shows
        `label  value`. Waits for the app to settle after the Tab: Textual 8.2.8 hands printable
        keys that arrive in the same burst as a focus change to the *previously* focused Input
        (reproduced with a bare two-Input app), and a websocket delivers a fast burst as one read."""
        self.press(*["Tab"] * tabs)
        self.settle()
        self.press("Control+u")
        self.settle()
        self.type(value)
        self.wait_for_regex(r"(?m)^►?" + re.escape(label) + r" +" + re.escape(value) + r"(\s|$)", timeout=timeout)

    # Evidence -------------------------------------------------------------------------------------------

    def screenshot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path))
        return path

    def download(self, trigger: Callable[[], None], folder: Path, *, timeout: float = 20.0) -> Path:
        """Run `trigger` (a key press that makes the app call deliver_text/deliver_binary) and save the
        download that follows into `folder`, under the name the server gave it (Content-Disposition).

        textual-serve's page opens /download/<key> with window.open(url, "_blank"); the popup closes
        itself once the response turns out to be an attachment, and Playwright reports the download
        on the opener page, so `page.expect_download` catches it."""
        with self.page.expect_download(timeout=timeout * 1000) as info:
            trigger()
        download = info.value
        failure = download.failure()
        if failure:
            raise AssertionError(f"download of {download.suggested_filename!r} failed: {failure}")
        target = folder / download.suggested_filename
        download.save_as(str(target))
        return target

    def close(self) -> None:
        self.page.close()
