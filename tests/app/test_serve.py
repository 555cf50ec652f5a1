"""`parbench serve` in a real (headless) Chromium, as a user in a browser tab would use it.

The browser test starts `parbench serve` through the CLI on a free port and opens it in two tabs:
tab A sets up a small sweep with keys and runs it with the served key (F9), tab B's sweep waits for
the machine meanwhile (and cancels that wait once); A's table is read off the screen, the table and
the speedup chart are photographed, and F4 exports the run as a download whose file is checked
against what `parbench export` writes from the store. B then measures with a process pool, and
its tab is closed mid-sweep; A runs again and the whole browser is closed mid-sweep: each time,
every process of that tab (app, measuring process, pool workers) must be gone within CLEANUP_S.

Where there is no Chromium or no playwright the browser test skips, saying why; with
PARBENCH_REQUIRE_BROWSER=1 (what CI sets) it fails instead, so CI can never pass by skipping.
Keys go through Playwright's CDP key events, which skip the browser's own shortcuts: these tests
prove the page, xterm.js and the app understand the served keys; which keys a headed browser keeps
for itself was checked by hand (docs/serve.md lists the result).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import browser
import psutil
import pytest

from tui import keys
from tui import serve as serving
from workloads.store.database import Store

# Closing a tab must end its app, measuring process and pool workers within this. Measured: 0.3-0.5 s
# with the app cancelling its sweep on exit; without that, only the server's SIGTERM after its 3 s
# grace ends them (about 5 s), so this also tells the two apart.
CLEANUP_S = 3.0
SWEEP_TIMEOUT_S = 120.0

# The form both tabs open with (the app restores the last form from the store): sleep is the
# workload whose timing does not depend on the machine's load, small enough to take ~8 s.
FORM = {"workload": "sleep", "strategies": "serial,processes", "sleep_ms": "200", "items": "2..4",
        "length": "10", "repeat": "3"}


@pytest.fixture
def needs_browser() -> None:
    reason = browser.missing_browser_reason()
    if reason is None:
        return
    if os.environ.get("PARBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PARBENCH_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser test: {reason}")


# The server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, url: str, process: subprocess.Popen, db: str, log: Path) -> None:
        self.url = url
        self.process = process
        self.db = db
        self.log = log

    def app_pids(self) -> set[int]:
        """The live apps: the server's direct children, one per open tab (an app that has just ended
        is a zombie until the server's event loop reaps it)."""
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.Error:
            return set()
        alive = set()
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    alive.add(child.pid)
            except psutil.Error:
                pass
        return alive

    def left(self) -> list[tuple[int, str]]:
        return parbench_processes(self.db, server_pid=self.process.pid)


def parbench_processes(db: str, *, server_pid: int | None = None) -> list[tuple[int, str]]:
    """Live processes of this test's parbench (an app, a measuring process, a pool worker), told
    apart from any other parbench on this shared machine by this test's own PARBENCH_DB."""
    found = []
    for process in psutil.process_iter():
        if process.pid in (os.getpid(), server_pid):
            continue
        try:
            if process.environ().get("PARBENCH_DB") != db or process.status() == psutil.STATUS_ZOMBIE:
                continue
            command = " ".join(process.cmdline())
        except psutil.Error:
            continue
        if any(word in command for word in ("tui", "workloads.measuring", "multiprocessing")):
            found.append((process.pid, command))
    return found


def seconds_until_gone(served: Served, pids: set[int] | None = None) -> float:
    """Seconds until none of `pids` (None: no process of this test's parbench but the server) lives."""
    start = time.monotonic()
    while True:
        left = [(pid, cmd) for pid, cmd in served.left() if pids is None or pid in pids]
        if not left:
            return time.monotonic() - start
        if time.monotonic() - start > CLEANUP_S:
            raise AssertionError(f"still alive {CLEANUP_S:.0f} s after closing: {left}")
        time.sleep(0.05)


def start_server(tmp_path: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = dict(os.environ, PARBENCH_DB=str(tmp_path / "store.sqlite3"),
               PARBENCH_LOCK=str(tmp_path / "measuring.lock"))
    env.pop("TEXTUAL_DRIVER", None)
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "tui", "serve", "--port", str(port)], cwd=tmp_path,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


@pytest.fixture
def served(tmp_path, needs_browser):
    db = str(tmp_path / "store.sqlite3")
    with Store(db) as store:
        store.set_preference("form", FORM)
    for _ in range(3):  # another process may take the free port before the server binds it
        port = free_port()
        process, log = start_server(tmp_path, port)
        deadline = time.monotonic() + 20
        while process.poll() is None and "serving the app on" not in log.read_text():
            assert time.monotonic() < deadline, f"the server did not start: {log.read_text()}"
            time.sleep(0.05)
        if process.poll() is None:
            break
        assert "cannot listen" in log.read_text(), log.read_text()
    else:
        pytest.fail(f"parbench serve found no free port: {log.read_text()}")
    served = Served(f"http://127.0.0.1:{port}/", process, db, log)
    try:
        yield served
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        left = parbench_processes(db)
        for pid, _ in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        assert not left, f"left running after the server stopped: {left}"


# Reading the screen ------------------------------------------------------------------------------------


def right_pane(text: str) -> str:
    """The status line and what follows, right of the form, as one line of words."""
    parts = [line.split("▕", 1)[1] for line in text.splitlines()[1:4] if "▕" in line]
    return " ".join(" ".join(parts).split())


def set_strategies_by_keys(term: browser.Terminal) -> None:
    """serial+processes (the restored form) to serial+threads, with the keys a user presses, and
    Sleep ms typed in: Tab moves through the form until the focus mark is on the strategy list (the
    page may take the first Tab before the terminal does)."""
    term.wait_for("2 points × 2 strategies")
    for _ in range(4):
        if "►[" in term.text():
            break
        term.press("Tab")
        term.settle()
    assert "►[" in term.text(), "Tab never reached the strategy list"
    term.press("ArrowDown", "Space", "ArrowDown", "Space")  # processes off, threads on
    term.wait_for(lambda t: "[ ] processes" in t and "[x] threads" in t, what="serial+threads")
    term.fill_field("Sleep ms", "150")
    term.wait_for("2 points × 2 strategies")


# The tests --------------------------------------------------------------------------------------------


def test_served_app_in_two_tabs_sweeps_exports_and_leaves_no_process(served, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    timings = {}
    with browser.chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)

        # The page sends its websocket to the address the browser used, not to the bind address.
        page = urllib.request.urlopen(served.url, timeout=10).read().decode()
        assert f'data-session-websocket-url="ws://{served.url[len("http://"):]}ws"' in page
        assert "googleapis" not in page

        # Tab A: the page gives the terminal the keyboard by itself; the footer and the status
        # line name the served keys, not the ones a browser keeps.
        start = time.monotonic()
        a = browser.Terminal.open(context, served.url, focus=False)
        text = a.wait_for("then F9.")
        timings["first screen"] = time.monotonic() - start
        assert a.has_focus(), "the page did not give the terminal the keyboard"
        footer = text.rstrip().splitlines()[-1]
        for shown in ("f9 Run", "f8 View", "f4 Export", "f1 Help", "f10 Quit"):
            assert shown in footer, footer
        assert not re.search(r"\^[rtqe] ", footer), footer
        (app_a,) = served.app_pids()
        a.press("F1")
        # The key table's first column, wrapped: "F9 (or ctrl+r, F5)", "F8 (or ctrl+t)", ...
        a.wait_for(lambda t: all(f"│ {key} (or" in t for key in ("F9", "F8", "F4", "F10")), what="the served keys in F1")
        a.press("Escape")
        # Wait for the escape to land before the next key: ESC and a key in one websocket read
        # parse as alt+key (a terminal's escape prefix).
        a.wait_for(lambda t: "parbench keys" not in t, what="the help closed")
        set_strategies_by_keys(a)

        # Tab B: its own app process, the same store (the same restored form) and machine lock.
        b = browser.Terminal.open(context, served.url)
        (app_b,) = served.app_pids() - {app_a}
        b.wait_for("2 points × 2 strategies")

        # A measures; B, started now, waits for the machine, says who measures, and can stop waiting.
        a.page.bring_to_front()
        a.focus()
        a.press("F9")
        start = time.monotonic()
        a.wait_for_regex(r"Measuring|Point \d|round \d")
        b.page.bring_to_front()
        b.focus()
        b.press("F9")
        waiting = right_pane(b.wait_for("Waiting for the machine", timeout=20))
        assert re.search(rf"Waiting for the machine: another parbench sweep, the parbench app, pid {app_a}, "
                         r"started \d\d:\d\d, (about \d+ s left|running past its estimate)\. "
                         r"escape cancels the wait\.", waiting), waiting
        b.screenshot(shots / "tab-b-waiting.png")
        b.press("Escape")
        b.wait_for("Cancelled before measuring: nothing stored.")
        b.press("F9")
        b.wait_for("Waiting for the machine", timeout=20)

        # A's run: the table read off the screen, and photographed with the speedup chart.
        a.page.bring_to_front()
        a.focus()
        done = a.wait_for_regex(r"Run (\d+) completed: (\d+) rows\.", timeout=SWEEP_TIMEOUT_S)
        timings["sweep A"] = time.monotonic() - start
        assert done.groups() == ("1", "4")
        table = a.settle()
        rows = re.findall(r"\b(serial|threads) +([24]) +10 +[\d.]+ m?s\b", table)
        assert sorted(rows) == [("serial", "2"), ("serial", "4"), ("threads", "2"), ("threads", "4")], table
        a.screenshot(shots / "served-table.png")
        a.press("F8", "F8")  # table → time chart → speedup chart
        a.wait_for("speedup against serial")
        a.settle()
        a.screenshot(shots / "served-speedup-chart.png")

        # F4: the export reaches the browser as a download, named as the dialog said, holding what
        # `parbench export` writes from the store.
        a.press("F4")
        a.wait_for("The file downloads to this browser")
        assert "parbench-run-1.md" in a.settle()
        downloaded = a.download(lambda: a.press("Enter"), downloads)
        assert downloaded.name == "parbench-run-1.md"
        a.wait_for("parbench-run-1.md reached the browser")
        exported = tmp_path / "cli-export.md"
        subprocess.run([sys.executable, "-m", "tui", "--db", served.db, "export", "1", str(exported)], check=True,
                       capture_output=True)
        assert downloaded.read_text() == exported.read_text()

        # B measures once A is done, with a process pool: its tab closes mid-sweep.
        b.page.bring_to_front()
        b.wait_for_regex(r"processes ×\d+ ·", timeout=60)
        family: set[int] = set()
        deadline = time.monotonic() + 20
        while len(family) < 3:  # the app, its measuring process, pool workers
            assert time.monotonic() < deadline, f"no pool seen under B's app: {family}"
            try:
                family = {app_b} | {p.pid for p in psutil.Process(app_b).children(recursive=True)}
            except psutil.Error:
                family = set()
            time.sleep(0.05)
        b.close()
        timings["tab closed mid-sweep"] = seconds_until_gone(served, family)
        assert served.app_pids() == {app_a}, "closing B's tab left A's app alone"

        # A again, and the whole browser closes mid-sweep.
        a.page.bring_to_front()
        a.focus()
        a.press("F9")
        a.wait_for_regex(r"(serial|threads) .*round \d", timeout=30)
        chromium.close()
    timings["browser closed mid-sweep"] = seconds_until_gone(served)
    assert not served.app_pids()
    # A closed tab's sweep is stored as cancelled (with the rows it finished), as escape leaves it.
    with Store(served.db) as store:
        assert [(run.id, run.status) for run in store.runs()] == [(3, "cancelled"), (2, "cancelled"), (1, "completed")]
    print("timings:", {k: round(v, 2) for k, v in timings.items()})
    print("screenshots:", *sorted(str(p) for p in shots.iterdir()))
    print("download:", downloaded, "\n" + downloaded.read_text())


def test_f10_ends_the_served_app(served):
    """The served quit key: the app ends, the page says so and offers a restart; no process left."""
    with browser.chromium() as chromium:
        term = browser.Terminal.open(chromium.new_context(), served.url)
        term.wait_for("then F9.")
        term.press("F10")
        term.page.wait_for_function("document.body.classList.contains('-closed')", timeout=10_000)
        assert seconds_until_gone(served) < CLEANUP_S
        assert term.page.is_visible("text=Session ended.")


def test_a_killed_server_takes_its_apps_and_their_sweeps_with_it(served):
    """kill -9 of the server mid-sweep: nobody is left to send "quit", yet no app, measuring process
    or pool worker lives on (each app gets SIGTERM when the server dies, and cancels its sweep)."""
    with browser.chromium() as chromium:
        term = browser.Terminal.open(chromium.new_context(), served.url)
        term.wait_for("2 points × 2 strategies")
        term.press("F9")
        term.wait_for_regex(r"(serial|processes) .*round \d", timeout=30)
        assert len(served.left()) >= 2, "the app and its measuring process"
        served.process.kill()
        seconds_until_gone(served)


# Without a browser -----------------------------------------------------------------------------------


def test_a_host_other_than_loopback_says_anyone_can_run_sweeps(monkeypatch, capsys):
    """One line, once the address is bound; loopback addresses say nothing of the kind."""
    def run_app(app, *, host, port, print, **kwargs):
        app.close()  # the coroutine that would build the web application
        print(f"======== Running on http://{host}:{port} ========")

    monkeypatch.setattr(serving.web, "run_app", run_app)
    for host in ("0.0.0.0", "127.0.0.1", "localhost", "::1"):
        serving.serve(host, 8123, ["true"], out=sys.stdout)
    out = capsys.readouterr().out.splitlines()
    warnings = [line for line in out if "anyone" in line]
    assert warnings == ["parbench serve: listening on 0.0.0.0:8123 with no authentication: anyone who can reach "
                        "this port can run sweeps on this machine."]
    assert [line.split(" (")[0] for line in out if "serving" in line] == [
        "parbench: serving the app on http://localhost:8123", "parbench: serving the app on http://127.0.0.1:8123",
        "parbench: serving the app on http://localhost:8123", "parbench: serving the app on http://[::1]:8123"]


def test_a_taken_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "tui", "serve", "--port", str(port)], capture_output=True,
                                text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"parbench serve: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert "serving the app" not in result.stdout


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_port_that_is_not_one_is_a_usage_error(port, tmp_path):
    result = subprocess.run([sys.executable, "-m", "tui", "serve", "--port", port], capture_output=True, text=True,
                            timeout=30, cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a port" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_texts_name_the_served_keys_in_a_browser_and_the_terminal_keys_in_a_terminal():
    assert [keys.key_for(id) for id in ("run", "view", "export", "quit", "cancel")] == \
        ["ctrl+r", "ctrl+t", "ctrl+e", "ctrl+q", "escape"]
    assert [keys.key_for(id, served=True) for id in ("run", "view", "export", "quit", "cancel")] == \
        ["F9", "F8", "F4", "F10", "escape"]
    assert keys.key_for("run", short=True) == "^r" and keys.key_for("run", short=True, served=True) == "f9"
    # Both are bound in both; the footer shows the one that works where the app runs.
    for served in (False, True):
        shown = {b.key for b in keys.bindings(keys.APP, served=served) if b.show}
        bound = {b.key for b in keys.bindings(keys.APP, served=served)}
        assert {"ctrl+r,f5", "f9", "ctrl+t", "f8", "ctrl+e", "f4", "ctrl+q", "f10"} <= bound
        assert ({"f9", "f8", "f4", "f10"} <= shown) is served
        assert ({"ctrl+r,f5", "ctrl+t", "ctrl+e", "ctrl+q"} <= shown) is not served


def test_the_app_knows_it_is_served_from_textual_s_web_driver():
    code = "from tui import keys; print(keys.SERVED)"
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver")
    served = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    env.pop("TEXTUAL_DRIVER")
    terminal = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert (served.stdout.strip(), terminal.stdout.strip()) == ("True", "False")


# The served keys and the served export, through Pilot -----------------------------------------------


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


async def test_the_served_keys_work_in_a_terminal_too(store):
    """F8, F4 and F10 do there what ctrl+t, ctrl+e and ctrl+q do (F9 runs: the browser test)."""
    from app_fixtures import default_sweep, feed

    from tui.app import ParbenchApp
    from tui.screens.export_dialog import ExportDialog
    from tui.widgets.results_view import ResultsView

    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, *default_sweep())
        view = app.main_screen.query_one(ResultsView)
        await pilot.press("f8")
        await pilot.pause()
        assert view.active == "time"
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
    assert app.return_code == 0


async def test_served_the_export_dialog_asks_a_name_and_hands_the_text_to_the_browser(store, monkeypatch):
    from app_fixtures import default_sweep, feed

    from tui.app import ParbenchApp
    from tui.screens.export_dialog import ExportDialog
    from workloads.api import run_text

    delivered = []

    def deliver_text(self, file, *, save_filename=None, mime_type=None, name=None, **kwargs):
        delivered.append((file.read(), save_filename, mime_type))
        return "key"

    monkeypatch.setattr(ParbenchApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(ParbenchApp, "deliver_text", deliver_text)
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, *default_sweep())
        await pilot.press("f4")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path = dialog.query_one("#path")
        assert path.value == "parbench-run-7.md", "a name, no server folder"
        assert "downloads to this browser" in str(dialog.query_one("#export-where").render())
        for typed, said in (("results/run.md", "a file name only"), ("a;b.md", "cannot hold ;")):
            path.value = typed
            await pilot.press("enter")
            await pilot.pause()
            assert said in str(dialog.query_one("#export-error").render())
            assert app.screen is dialog and not delivered
        dialog.query_one("#format").value = "csv"
        path.value = "run-7.csv"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main_screen
        run = app.main_screen.current_run()
        assert delivered == [(run_text(run, "csv"), "run-7.csv", "text/csv")]
