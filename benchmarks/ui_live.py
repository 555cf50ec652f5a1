"""Figure 5, the UI stays live: while a sweep keeps every core busy, does the app answer a key at
once, and does the UI process stay small while a big sweep runs?

Both run `ParbenchApp(store).run_test()` (Textual's headless driver and Pilot) in a fresh interpreter
of their own (`python -m benchmarks.ui_live --child live|rss`), so that nothing the suite itself
holds counts against the app.

- live: the form is set to `spin`, `processes`, 2 workers, 32 items of about 50 ms, started with
  ctrl+r; once the measuring process and its pool are up, ctrl+t (the next results tab) is pressed
  again and again. A key's latency runs from posting the key event to the app until the first
  screen refresh after the tab changed (`call_after_refresh`). An asyncio timer's overshoot (event
  loop lag) and the machine's CPU use over the same window are shown as context, and so are the same
  presses made before the sweep starts, with the machine idle (what the app's own redraw costs).
- typing: a workload file's path typed into the form's File field a key at a time, the machine
  idle (each key revalidates the form: 0.2 s a key before the form looked its fields up in one walk).
- rss: the form is set to the seed's `squares` 16 × 1000000 with serial, processes and numpy; the
  UI process's RSS (psutil) is sampled every 50 ms from ctrl+r until the sweep ends.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .common import (
    Context,
    Row,
    at_most,
    error_row,
    fmt_s,
    info,
    log,
    percentile,
    run_module_child,
)

KEY_P95_LIMIT_S = 0.050
RSS_LIMIT_MB = 150.0
SIZE = (100, 32)


async def _start(app, pilot, texts: dict[str, str]) -> None:
    from tui.widgets.setup_form import SetupForm

    form = app.main_screen.query_one(SetupForm)
    form.set_texts(texts)
    await pilot.pause()
    if not form.state.runnable:
        raise RuntimeError(f"the form refused {texts}: {form.state.errors or form.state.refusal}")
    await pilot.press("ctrl+r")


async def _wait_until(predicate, timeout: float, what: str, app=None) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            said = f" (the app said: {app.main_screen.query_one('#status').render()})" if app is not None else ""
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s{said}")
        await asyncio.sleep(0.02)


async def _press(app, tabs) -> tuple[float, float, str]:
    """Press ctrl+t once; returns (seconds until the screen shows the new tab, CPU seconds this process
    used meanwhile, the tab it went to)."""
    from textual import events

    before = tabs.active
    refreshed = asyncio.Event()
    key = events.Key("ctrl+t", None)
    key.set_sender(app)
    cpu = time.process_time()
    start = time.perf_counter()
    app.post_message(key)
    app.call_after_refresh(refreshed.set)  # queued behind the key: runs once its effect is on screen
    await asyncio.wait_for(refreshed.wait(), 10)
    elapsed = time.perf_counter() - start
    used = time.process_time() - cpu
    if tabs.active == before:
        raise RuntimeError("ctrl+t did not change the results tab")
    return elapsed, used, tabs.active


GAPS = (0.07, 0.11, 0.09, 0.13, 0.08, 0.12, 0.10)


async def _live(window_s: float, db: str) -> dict:
    import psutil
    from textual.widgets import TabbedContent

    from tui.app import ParbenchApp
    from workloads.store.database import Store

    workers = 2
    store = Store(db)
    app = ParbenchApp(store)
    idle: list[tuple[float, float, str]] = []
    busy: list[tuple[float, float, str]] = []
    lags: list[float] = []
    gc_pauses: list[tuple[int, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tabs = app.main_screen.query_one(TabbedContent)
        # The same presses with the machine idle, as a reference: what the app itself costs.
        for index in range(12):
            idle.append(await _press(app, tabs))
            await asyncio.sleep(GAPS[index % len(GAPS)])
        await _start(app, pilot, {"workload": "spin", "strategies": "processes", "items": "32", "spin": "600000",
                                  "workers": str(workers), "repeat": "16", "pool": "cold"})
        me = psutil.Process()
        # The measuring process and its pool workers: from then on every core is busy. (It may first
        # wait for another parbench sweep on the machine to end: the machine lock.)
        await _wait_until(lambda: len(me.children(recursive=True)) >= 1 + workers, 240, "the pool to start", app)
        stopping = False

        async def probe() -> None:
            while not stopping:
                began = time.perf_counter()
                await asyncio.sleep(0.02)
                lags.append(time.perf_counter() - began - 0.02)

        probe_task = asyncio.create_task(probe())
        gc_started: list[float] = []

        def on_gc(phase: str, info_: dict) -> None:  # the collector's pauses, a usual source of spikes
            if phase == "start":
                gc_started.append(time.perf_counter())
            elif gc_started:
                gc_pauses.append((info_["generation"], time.perf_counter() - gc_started.pop()))

        gc.callbacks.append(on_gc)
        psutil.cpu_percent(None)
        began = time.perf_counter()
        while app.main_screen.running and time.perf_counter() - began < window_s:
            busy.append(await _press(app, tabs))
            await asyncio.sleep(GAPS[len(busy) % len(GAPS)])
        window = time.perf_counter() - began
        cpu = psutil.cpu_percent(None)
        still_running = app.main_screen.running
        stopping = True
        gc.callbacks.remove(on_gc)
        await probe_task
        await app.main_screen.stop_and_wait()
    store.close()
    return {"latencies_s": [b[0] for b in busy], "cpu_s": [b[1] for b in busy], "tabs": [b[2] for b in busy],
            "idle_latencies_s": [i[0] for i in idle], "idle_cpu_s": [i[1] for i in idle],
            "idle_tabs": [i[2] for i in idle], "lags_s": lags, "cpu_percent": cpu, "window_s": window,
            "sweep_outlasted_window": still_running, "gc_pauses": gc_pauses}


async def _typing(db: str, folder: str) -> dict:
    from textual import events
    from textual.widgets import Input

    from tui.app import ParbenchApp
    from tui.widgets.setup_form import SetupForm
    from workloads.store.database import Store

    path = Path(folder) / "a_project_of_mine" / "loops_to_measure.py"
    path.parent.mkdir()
    path.write_text("def kernel(value):\n    return value\n", encoding="utf-8")
    store = Store(db)
    app = ParbenchApp(store, resident=False)
    latencies: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        form = app.main_screen.query_one(SetupForm)
        form.set_texts({"workload": str(path)})  # the File choice, its path field shown
        field = form.query_one("#workload_path", Input)
        field.value = ""
        field.focus()
        await pilot.pause()
        for char in str(path):
            refreshed = asyncio.Event()
            key = events.Key(char, char)
            key.set_sender(app)
            start = time.perf_counter()
            app.post_message(key)
            app.call_after_refresh(refreshed.set)
            await asyncio.wait_for(refreshed.wait(), 10)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(GAPS[len(latencies) % len(GAPS)] / 2)
        typed = field.value
        runnable = form.state.runnable
    store.close()
    if typed != str(path):
        raise RuntimeError(f"the field holds {typed!r}, not the path typed")
    return {"latencies_s": latencies, "runnable": runnable}


async def _rss(db: str) -> dict:
    import psutil

    from tui.app import ParbenchApp
    from workloads.store.database import Store

    store = Store(db)
    app = ParbenchApp(store)
    me = psutil.Process()
    samples: list[int] = []
    tree: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        baseline = me.memory_info().rss
        await _start(app, pilot, {"workload": "squares", "strategies": "serial,processes,numpy", "items": "16",
                                  "length": "1000000", "repeat": "3", "pool": "cold", "chunksize": "1"})
        await _wait_until(lambda: app.main_screen.running, 10, "the sweep to start")
        began = time.perf_counter()
        while app.main_screen.running:
            samples.append(me.memory_info().rss)
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            tree.append(total)
            await asyncio.sleep(0.05)
            if time.perf_counter() - began > 300:
                raise TimeoutError("the sweep took over 300 s")
        duration = time.perf_counter() - began
        await pilot.pause()
        shown = app.main_screen.current_run()
        run = store.load_run(shown.id) if shown is not None and shown.id is not None else None
        status = run.status if run else "missing"
        rows = len(run.measurements) if run else 0
    store.close()
    return {"baseline_rss": baseline, "max_rss": max(samples), "samples": len(samples), "max_children_rss": max(tree),
            "duration_s": duration, "status": status, "rows": rows}


def _child(mode: str, quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="parbench-ui-") as tmp:
        db = str(Path(tmp) / "ui.sqlite3")
        if mode == "live":
            return asyncio.run(_live(4.0 if quick else 8.0, db))
        if mode == "typing":
            return asyncio.run(_typing(db, tmp))
        return asyncio.run(_rss(db))


def gc_text(pauses: list) -> str:
    full = [seconds for generation, seconds in pauses if generation == 2]
    return (f"{len(pauses)}, longest {fmt_s(max(seconds for _, seconds in pauses))}; {len(full)} full (gen 2)"
            + (f" up to {fmt_s(max(full))}" if full else "")) if pauses else "none"


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    flag = ["--quick"] if ctx.quick else []
    try:
        log("ui live: key latency while a spin sweep keeps every core busy")
        live = run_module_child("benchmarks.ui_live", "--child", "live", *flag, timeout=420)
        latencies = live["latencies_s"]
        p95 = percentile(latencies, 95)
        lags = live["lags_s"] or [0.0]
        by_tab = {}
        for latency, tab in zip(latencies, live["tabs"]):
            by_tab.setdefault(tab, []).append(latency)
        idle = live["idle_latencies_s"]
        rows.append(at_most("5 UI: key → screen, p95, all cores busy", p95 * 1e3, KEY_P95_LIMIT_S * 1e3,
                            "{:.1f} ms",
                            f"{len(latencies)} presses of ctrl+t over {live['window_s']:.1f} s at "
                            f"{live['cpu_percent']:.0f}% CPU (all cores); median {fmt_s(statistics.median(latencies))}, "
                            f"max {fmt_s(max(latencies))}; UI CPU per press median "
                            f"{fmt_s(statistics.median(live['cpu_s']))}; median by tab shown: "
                            + ", ".join(f"{tab} {fmt_s(statistics.median(v))}" for tab, v in by_tab.items())
                            + f"; event-loop lag p95 {fmt_s(percentile(lags, 95))}, max {fmt_s(max(lags))}"
                            + f"; GC pauses in the window: {gc_text(live['gc_pauses'])}"
                            + ("" if live["sweep_outlasted_window"] else "; the sweep ended before the window did")))
        rows.append(info("5 UI: key → screen, p95, machine idle", f"{percentile(idle, 95) * 1e3:.1f} ms",
                         f"{len(idle)} presses before the sweep: median {fmt_s(statistics.median(idle))}, UI CPU per "
                         f"press median {fmt_s(statistics.median(live['idle_cpu_s']))}"))
    except Exception as exc:
        rows.append(error_row("5 UI: key latency", exc))
    try:
        log("ui live: typing a workload path into the form, a key at a time")
        typing = run_module_child("benchmarks.ui_live", "--child", "typing", *flag, timeout=120)
        latencies = typing["latencies_s"]
        rows.append(at_most("5 UI: typing a path, key → screen, p95", percentile(latencies, 95) * 1e3,
                            KEY_P95_LIMIT_S * 1e3, "{:.1f} ms",
                            f"{len(latencies)} keys into the File field, each revalidating the form: median "
                            f"{fmt_s(statistics.median(latencies))}, max {fmt_s(max(latencies))}; the form "
                            + ("runs the file typed" if typing["runnable"] else "did NOT accept the file typed")))
    except Exception as exc:
        rows.append(error_row("5 UI: typing", exc))
    try:
        log("ui live: the UI process's RSS during squares 16 × 1000000")
        rss = run_module_child("benchmarks.ui_live", "--child", "rss", *flag, timeout=400)
        mb = rss["max_rss"] / 1e6
        rows.append(at_most("5 UI: UI process max RSS, squares 16×1e6 sweep", mb, RSS_LIMIT_MB, "{:.0f} MB",
                            f"{rss['baseline_rss'] / 1e6:.0f} MB before the sweep; {rss['samples']} samples over "
                            f"{rss['duration_s']:.1f} s; measuring process and pool up to "
                            f"{rss['max_children_rss'] / 1e6:.0f} MB; run {rss['status']}, {rss['rows']} rows"))
    except Exception as exc:
        rows.append(error_row("5 UI: RSS", exc))
    return rows


if __name__ == "__main__":
    if "--child" in sys.argv:
        mode = sys.argv[sys.argv.index("--child") + 1]
        print(json.dumps(_child(mode, "--quick" in sys.argv)), flush=True)
