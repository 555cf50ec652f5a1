"""The app driven with keys through Pilot, as a user at an 80x24 terminal would."""

from __future__ import annotations

import re
import time

import psutil
import pytest
from app_fixtures import (
    MACHINE,
    default_sweep,
    failing_sweep,
    feed,
    finished_run,
    screen_text,
    six_strategies,
    until,
)
from helpers import descendants
from textual.widgets import ProgressBar
from textual.worker import WorkerState

from tui.app import ParbenchApp
from tui.screens.confirm import ConfirmDialog
from tui.screens.export_dialog import ExportDialog
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.main import SweepEnded, SweepEvent
from tui.screens.stored_run import StoredRunScreen
from tui.widgets.charts import TimeChart
from tui.widgets.results_view import ResultsTable, ResultsView
from tui.widgets.setup_form import SetupForm
from workloads.model.events import MeasurementDone, RunStarted
from workloads.model.measurement import Measurement
from workloads.model.spec import SweepSpec
from workloads.store.database import Store

SIZE = (80, 24)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened




def _measuring_processes() -> list[psutil.Process]:
    found = []
    for process in descendants():
        try:
            if "workloads.measuring.process" in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            pass
    return found


async def test_invalid_input_blocks_the_run_with_the_reason_shown(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#items")
        app.main_screen.query_one("#items").value = ""
        await pilot.press(*"512..4")
        await pilot.pause()
        error = str(app.main_screen.query_one("#items-error").render())
        assert "reversed" in error
        assert app.main_screen.query_one("#run").disabled
        await pilot.press("ctrl+r")
        await pilot.pause(0.3)
        assert not app.main_screen.running
        assert store.runs() == []
        assert "fix Items first" in str(app.main_screen.query_one("#status").render())  # the label, as shown


async def test_a_tiny_sweep_fills_the_table_and_the_chart(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts({"items": "2,4", "length": "100", "repeat": "2", "costs": "off"})
        await pilot.press("ctrl+r")
        assert await until(pilot, lambda: "completed" in str(app.main_screen.query_one("#status").render()))
        table = app.main_screen.query_one(ResultsTable)
        assert await until(pilot, lambda: table.row_count == 6, 5)  # serial, processes, numpy at 2 points
        [run] = store.runs()
        assert run.status == "completed"
        assert len(store.load_run(run.id).measurements) == 6
        chart = app.main_screen.query_one(TimeChart)
        assert chart.measurements == [], "a chart not shown is not drawn while the sweep runs"
        await pilot.press("ctrl+t")  # to the time chart: drawn now
        assert await until(pilot, lambda: len(chart.measurements) == 6, 5)
        legend = str(app.main_screen.query_one("#time-pane ChartLegend").render())
        for strategy in ("o serial", "x processes", "* numpy"):  # each with its own marker
            assert strategy in legend
        assert "completed" in str(app.main_screen.query_one("#status").render())


async def test_escape_cancels_keeps_completed_rows_and_leaves_no_process(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts(
            {"workload": "sleep", "sleep_ms": "300", "items": "2,4,8,16", "length": "10", "costs": "off"})
        await pilot.press("ctrl+r")
        table = app.main_screen.query_one(ResultsTable)
        assert await until(pilot, lambda: table.row_count >= 1)
        sweeping = [p.pid for p in _measuring_processes()]  # the resident process, now measuring
        tree = [q for p in _measuring_processes() for q in p.children(recursive=True)]
        await pilot.press("escape")
        pressed = time.monotonic()
        assert await until(pilot, lambda: not app.main_screen.running, 5)
        assert time.monotonic() - pressed < 2.0
        await pilot.pause(0.2)
        [run] = store.runs()
        stored = store.load_run(run.id).measurements
        assert run.status == "cancelled"
        assert stored and table.row_count == len(stored)
        assert str(app.main_screen.query_one("#status").render()) == \
            f"Run {run.id} cancelled: {len(stored)} completed row{'s' if len(stored) != 1 else ''} kept."
        assert not app.main_screen.query_one(ProgressBar).display, "no bar frozen at a stale percentage"
        # The sweep's pool is gone; one measuring process waits for the next sweep (the same one
        # after a cooperative cancel, a fresh one after a hard one).
        assert await until(pilot, lambda: not [p for p in tree if p.is_running()
                                                and p.status() != psutil.STATUS_ZOMBIE], 3)
        assert await until(pilot, lambda: len(_measuring_processes()) == 1, 5)
        assert sweeping


def _stored_run(store: Store) -> int:
    run_id = store.start_run(SweepSpec(workload="squares", items=(4, 8), length=(1000,), strategies=("serial", "processes")))
    for items, serial, pooled in ((4, 0.004, 0.010), (8, 0.008, 0.012)):
        store.add_measurement(run_id, Measurement("squares", "serial", items, 1000, None, None, None, 1,
                                                  (serial, serial, serial)))
        store.add_measurement(run_id, Measurement("squares", "processes", items, 1000, 2, 1, "cold", 1,
                                                  (pooled, pooled, pooled)))
    store.finish_run(run_id, "completed")
    return run_id


async def test_export_writes_a_file_that_reads_back_and_a_bad_path_says_why(store, tmp_path):
    _stored_run(store)
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StoredRunScreen)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        bad = tmp_path / "missing-dir" / "out.md"
        app.screen.query_one("#path").value = str(bad)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog), "a failed export keeps the dialog open"
        assert "cannot write" in str(app.screen.query_one("#export-error").render())
        assert not bad.parent.exists()
        good = tmp_path / "out.md"
        app.screen.query_one("#path").value = str(good)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    lines = good.read_text().splitlines()
    rows = [line for line in lines if line.startswith("| serial") or line.startswith("| processes")]
    assert len(rows) == 4
    assert any("0.40×" in row for row in rows)  # 4 ms serial against 10 ms in the pool
    assert any("0.67×" in row for row in rows)  # 8 ms against 12 ms


async def test_history_opens_a_stored_run_with_its_table(store):
    run_id = _stored_run(store)
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        history = app.screen.query_one("#history-table")
        assert history.row_count == 1
        assert history.texts(0)["id"] == str(run_id)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StoredRunScreen)
        assert app.screen.query_one(ResultsView).query_one(ResultsTable).row_count == 4
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)


async def test_global_keys_work_while_a_text_field_has_focus(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        items = app.main_screen.query_one("#items")
        items.focus()
        await pilot.pause()
        tabs = app.main_screen.query_one(ResultsView).query_one("TabbedContent")
        assert tabs.active == "table"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert tabs.active == "time"
        await pilot.press("end", "question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen), "? in a text field is a character"
        assert items.value == "4..64?"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_quit_during_a_sweep_cancels_it_and_leaves_no_process(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts(
            {"workload": "sleep", "sleep_ms": "300", "items": "8,16", "length": "10", "costs": "off"})
        await pilot.press("ctrl+r")
        # Measuring (the resident process is there from the start: wait for the run itself).
        assert await until(pilot, lambda: app.main_screen.current_run() is not None, 20)
        await pilot.press("ctrl+q")
        await pilot.pause(0.5)
    deadline = time.monotonic() + 3
    while _measuring_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _measuring_processes()
    [run] = store.runs()
    assert run.status == "cancelled"


async def test_a_sweep_too_big_for_memory_is_refused_with_the_figure(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts({"items": "16", "length": "1000000000"})
        # One small item is measured in the measuring process and scaled: refused with the figure.
        assert await until(pilot, lambda: "refused" in str(app.main_screen.query_one("#estimate").render()), 20)
        estimate = str(app.main_screen.query_one("#estimate").render())
        assert "refused" in estimate and "GB" in estimate and "limit" in estimate
        assert app.main_screen.query_one("#run").disabled
        await pilot.press("ctrl+r")
        await pilot.pause(0.3)
        assert not app.main_screen.running
        assert store.runs() == []


# What a run is, on a small screen (issue 9) ------------------------------------------------------------


def _no_color_app(store, monkeypatch) -> ParbenchApp:
    monkeypatch.setenv("NO_COLOR", "1")
    return ParbenchApp(store, resident=False, probes=False)


async def test_a_partly_failed_run_says_so_whole_with_every_status_on_screen(store, monkeypatch):
    app = _no_color_app(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *failing_sweep())
        text = screen_text(app)
        status = " ".join(str(app.main_screen.query_one("#status").render()).split())
        assert status == "Run 7 completed with failures: 3 of 9 measurements did not succeed (2 timed out, 1 failed)."
        assert " ".join(text.split()).count(status) == 1, "the status line wraps rather than being cut"
        assert not app.main_screen.query_one(ProgressBar).display, "no bar left at a stale percentage"
        # Under 100 columns the form gave way to the results: every row's status is on screen.
        assert not app.main_screen.query_one(SetupForm).display
        table = app.main_screen.query_one(ResultsTable)
        rows = [line.lstrip("► ") for line in text.splitlines()]  # ►: the focused table's cursor row
        rows = [line for line in rows if line.split()[:1] and line.split()[0] in
                ("serial", "processes", "threads", "numpy")]
        assert len(rows) == table.row_count == 12
        statuses = [table.texts(row)["quality"] for row in range(table.row_count)]
        assert all(status in line for status, line in zip(statuses, rows))
        assert statuses.count("timeout") == 2 and statuses.count("failed") == 1 and statuses.count("n/a") == 3
        assert "0.44–0.44" not in text and "—" in text  # intervals: shown, or a dash where there is none
        assert table.cursor_row == 0, "the cursor followed the rows as they came, then went back to the first"
        # The focused row's whole reason under the table.
        await pilot.press("f3", *["down"] * 5)
        await pilot.pause()
        assert table.has_focus
        detail = " ".join(str(app.main_screen.query_one("#row-detail").render()).split())
        assert detail.startswith("→ processes ×2, 8 items × 1: timeout: the point ran out of its 0.5 s")
        assert "the point ran out of its 0.5 s (--point-timeout)" in " ".join(screen_text(app).split())
        # ctrl+b brings the form back, and it stays for the rest of this run.
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.main_screen.query_one(SetupForm).display
        await pilot.resize_terminal(81, 24)
        await pilot.pause()
        assert app.main_screen.query_one(SetupForm).display


async def test_when_a_sweep_ends_the_table_shows_its_first_rows_again(store):
    """The cursor followed the rows in and stayed on the last: at 80x24 the first points (serial
    at 4 items) were scrolled off the top of a finished run."""
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *default_sweep(5))
        table = app.main_screen.query_one(ResultsTable)
        assert table.row_count == 15 and table.cursor_row == 0 and table.scroll_y == 0
        first = [line.lstrip("► ").split()[:2] for line in screen_text(app).splitlines()]
        assert ["serial", "4"] in first and ["processes", "4"] in first


async def test_a_cursor_the_user_moved_during_a_sweep_stays_where_they_put_it(store):
    spec, rows = default_sweep(5)
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        screen.post_message(SweepEvent(RunStarted(len(spec.points()), len(rows), dict(MACHINE))))
        for done, m in enumerate(rows[:9], start=1):
            screen.post_message(SweepEvent(MeasurementDone(m, done, len(rows))))
        await pilot.pause()
        table = screen.query_one(ResultsTable)
        await pilot.press("f3", "up", "up")
        await pilot.pause()
        assert table.cursor_row == 6
        for done, m in enumerate(rows[9:], start=10):
            screen.post_message(SweepEvent(MeasurementDone(m, done, len(rows))))
        screen.post_message(SweepEnded(finished_run(spec, rows)))
        await pilot.pause()
        await pilot.pause()
        assert table.row_count == 15 and table.cursor_row == 6


async def test_the_form_stays_beside_the_results_on_a_wide_screen(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await feed(pilot, *default_sweep())
        assert app.main_screen.query_one(SetupForm).display
        text = screen_text(app)
        assert "Run 7 completed: 12 rows." in text
        assert "Workload" in text and "rounds" in text  # the form, and numpy's qualified first point


async def test_a_failed_run_and_a_cancelled_one_read_as_such(store, monkeypatch):
    from tui.screens.main import status_text
    from workloads.session import Outcome

    app = _no_color_app(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        spec, rows = failing_sweep()
        failed = [m for m in rows if not m.ok]
        outcome = await feed(pilot, spec, failed)
        assert outcome.status == "failed"
        assert "Run 7 failed: no measurement succeeded (2 timed out, 1 failed)." in " ".join(screen_text(app).split())
    cancelled = finished_run(spec, rows[:5])
    text = status_text(Outcome(cancelled.run, "cancelled", "cancelled"))
    assert text == "Run 7 cancelled: 5 completed rows kept."


async def test_history_shows_what_each_run_is(store):
    spec = SweepSpec(workload="squares", items=(4,), length=(1000,), strategies=("serial",))
    for status in ("completed", "partial", "failed", "cancelled"):
        store.finish_run(store.start_run(spec), status, "" if status == "completed" else "why")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        table = app.screen.query_one("#history-table")
        shown = [table.texts(row)["status"] for row in range(table.row_count)]
        assert shown == ["cancelled", "failed", "partial", "completed"]
        assert all(word in screen_text(app) for word in shown)
        assert "^b Form" not in screen_text(app).splitlines()[-1], "no form here to toggle"


async def test_the_footer_at_80_columns_lists_what_a_newcomer_needs(store, monkeypatch):
    app = _no_color_app(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        def footer() -> str:
            return screen_text(app).splitlines()[-1]

        await until(pilot, lambda: "^r" in footer(), 10)  # a loaded machine draws it a little later
        for key in ("^r Run", "^t View", "^e Export", "f1 Help", "^q Quit", "^p palette"):
            assert key in footer(), footer()
        # Cancel shows while there is something to cancel (a sweep starts: it is listed).
        app.main_screen._worker = type("Running", (), {"state": WorkerState.RUNNING})()
        app.main_screen.refresh_bindings()
        await until(pilot, lambda: "esc Cancel" in footer(), 10)
        footer = footer()
        assert "esc Cancel" in footer and "f1 Help" in footer and "^q Quit" in footer, footer
        app.main_screen._worker = None


async def test_strategies_read_without_colour_and_na_shows_before_the_run(store, monkeypatch):
    app = _no_color_app(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        form.set_texts({"workload": "squares", "strategies": "serial,threads,dask"})
        await pilot.pause()
        text = screen_text(app)
        for line in ("[x] serial", "[ ] processes", "[x] threads", "[ ] numpy", "[ ] numpy-processes", "[x] dask"):
            assert line in text
        form.set_texts({"workload": "sleep"})
        await pilot.pause()
        text = screen_text(app)
        assert "[-] numpy  n/a" in text and "[-] numpy-processes  n/a" in text
        assert form.state.spec.strategies == ("serial", "threads", "dask")


async def test_chart_legend_sits_under_the_plot_with_each_strategys_marker(store, monkeypatch):
    from workloads.model.strategies import KINDS

    app = _no_color_app(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        spec, rows = six_strategies()
        await feed(pilot, spec, rows)
        await pilot.press("ctrl+t", "ctrl+t")
        await pilot.pause()
        chart = app.main_screen.query_one("#speedup-chart")
        legend = app.main_screen.query_one("#speedup-pane ChartLegend")
        assert legend.region.y >= chart.region.bottom, "the legend is under the plot, never on it"
        legend_text = " ".join(str(legend.render()).split())
        plot = str(chart.render())
        for name in spec.strategies[1:]:
            marker = KINDS[name].marker
            assert f"{marker} {name}" in legend_text
            assert marker in plot, f"{name}'s line is drawn with its own marker"
        assert len({KINDS[name].marker for name in spec.strategies}) == 6
        assert "ideal" in legend_text and "1× = serial" in legend_text
        # ctrl+l says the scale in the chart's title, and no notification covers the axis.
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "speedup against serial · linear scale" in screen_text(app)
        assert not app._notifications


async def test_f3_reaches_the_table_from_the_form_and_s_sorts_it(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await feed(pilot, *default_sweep())
        app.main_screen.query_one("#items").focus()
        await pilot.press("f3")
        await pilot.pause()
        table = app.main_screen.query_one(ResultsTable)
        assert table.has_focus
        await pilot.press("s")  # by strategy
        await pilot.pause()
        assert [table.texts(row)["strategy"] for row in range(3)] == ["numpy"] * 3
        assert "strategy▾" in str(table.columns["strategy"].label)


async def test_why_scrolls_with_pagedown_at_once_verdict_first(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        spec, rows = default_sweep()
        await feed(pilot, spec, rows)
        from workloads.insight.explain import explain

        expected = explain(rows, workers=2, cpus=2)
        app.main_screen.query_one(SetupForm).display = True
        app.main_screen.query_one("#items").focus()
        await pilot.press(*["ctrl+t"] * 5)  # table → time → speedup → split → map → why
        await pilot.pause()
        scroll = app.main_screen.query_one("#why-scroll")
        text = str(app.main_screen.query_one("#why-text").render())
        assert text.startswith(expected[0][:40]), "the first paragraph (the verdict) is at the top"
        assert scroll.scroll_y == 0 and scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0, "PageDown scrolls the explanation without clicking it first"
        assert app.main_screen.query_one("#items").has_focus, "and the focus stays where it was"
        await pilot.press("pageup")
        await pilot.pause()
        assert scroll.scroll_y == 0
        # Elsewhere the keys do what they did: the table pages its rows.
        await pilot.press("ctrl+t", "f3")
        table = app.main_screen.query_one(ResultsTable)
        await pilot.press("pagedown")
        await pilot.pause()
        assert table.has_focus and table.cursor_row > 0


async def test_the_timeout_field_is_named_by_its_label(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts({"point_timeout": "-1"})
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Not started: fix Timeout first." in str(app.main_screen.query_one("#status").render())
        assert not app.main_screen.running and store.runs() == []
        error = str(app.main_screen.query_one("#point_timeout-error").render())
        assert error and app.main_screen.query_one("#point_timeout-error").display
        assert not app.main_screen.query_one("#more").collapsed, "a field in More settings with a problem is shown"


async def test_blank_workers_says_what_it_falls_back_to(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts({"workers": ""})
        await pilot.pause()
        note = str(app.main_screen.query_one("#workers-error").render())
        assert "blank" in note and "CPU" in note


async def test_the_form_comes_back_as_left_and_defaults_restores_it(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        form.set_texts({"workload": "sleep", "sleep_ms": "5", "items": "2,4", "warmup": "0", "seed": "7",
                        "start_method": "spawn", "strategies": "serial,processes"})
        # Saved when a sweep starts (the sweep itself is not this test's business: cancelled).
        await pilot.press("ctrl+r")
        await pilot.pause()
        await app.main_screen.stop_and_wait()
    saved = store.preference("form")
    assert saved["sleep_ms"] == "5" and saved["start_method"] == "spawn" and saved["seed"] == "7"
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        texts = form.texts()
        assert (texts["workload"], texts["sleep_ms"], texts["items"], texts["warmup"], texts["seed"]) == \
            ("sleep", "5", "2,4", "0", "7")
        assert texts["strategies"] == "serial,processes" and texts["start_method"] == "spawn"
        app.main_screen.query_one("#defaults").focus()  # tab order reaches it; the form scrolls to it
        await pilot.press("enter")
        await pilot.pause()
        texts = form.texts()
        assert (texts["workload"], texts["items"], texts["warmup"], texts["seed"]) == ("squares", "4..64", "1", "12345")
        assert texts["strategies"] == "serial,processes,numpy"


async def test_workload_files_used_before_are_offered_again(store, workload_file):
    first = workload_file('"""Doubles each value."""\ndef kernel(value):\n    return [2 * v for v in value]\n', "doubler")
    second = workload_file('"""Sums each value."""\ndef kernel(value):\n    return sum(value)\n', "summer")
    store.set_preference("recent_workloads", [second, first, "/no/such/file.py"])
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        select = app.main_screen.query_one("#workload")
        values = [value for _, value in select._options]
        assert values[:5] == ["sleep", "spin", "squares", second, first]  # most recent first; gone ones dropped
        select.value = first
        await pilot.pause()
        assert form.texts()["workload"] == first
        summary = str(app.main_screen.query_one("#workload-summary").render())
        assert "doubler.py" in summary and "Doubles each value." in summary
        assert form.state.spec is not None and form.state.spec.workload == first


async def test_a_bad_workload_file_says_why_under_the_path(store, workload_file):
    broken = workload_file("def kernel(value)\n    return value\n", "broken")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        form.set_texts({"workload": broken})
        await pilot.pause()
        error = app.main_screen.query_one("#workload-error")
        assert error.display and "line 1" in str(error.render())
        path_row = app.main_screen.query_one("#workload_path-row")
        assert path_row.display and error.region.y > path_row.region.y
        assert app.main_screen.query_one("#run").disabled


async def _open_export_of_the_stored_run(pilot) -> None:
    """F2, enter on the newest stored run, ctrl+e: the export dialog is open."""
    await pilot.press("f2", "enter")
    await pilot.pause()
    await pilot.press("ctrl+e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExportDialog)


async def test_export_asks_before_replacing_a_file_and_defaults_to_the_documents_folder(store, tmp_path, monkeypatch):
    import platformdirs

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(documents))
    _stored_run(store)
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_export_of_the_stored_run(pilot)
        path = app.screen.query_one("#path").value
        assert path == str(documents / "parbench-run-1.md")
        assert "Default folder" in str(app.screen.query_one("#export-where").render())
        existing = documents / "parbench-run-1.md"
        existing.write_text("mine\n")
        await pilot.press("enter")  # Export, onto an existing file: asked first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # the default answer: keep it
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog) and existing.read_text() == "mine\n"
        assert "kept" in str(app.screen.query_one("#export-error").render())
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # replace
        await pilot.pause()
        assert not isinstance(app.screen, (ExportDialog, ConfirmDialog))
        assert existing.read_text().startswith("**parbench run 1**")


async def test_a_run_the_store_could_not_take_still_exports(store, tmp_path):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *default_sweep(), run_id=None)
        assert "Run (not stored) completed" in str(app.main_screen.query_one("#status").render())
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert "not stored" in str(app.screen.query_one(".title").render())
        target = tmp_path / "unstored.csv"
        app.screen.query_one("#format").value = "csv"
        await pilot.pause()
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    assert len(target.read_text().splitlines()) == 1 + 12


async def test_waiting_for_another_sweep_says_so_and_escape_stops_waiting(store):
    from workloads.measuring.lock import MachineLock

    other = MachineLock()
    assert other.try_acquire(expected_s=60)  # another parbench sweep, as far as the app can tell
    try:
        app = ParbenchApp(store)
        async with app.run_test(size=SIZE) as pilot:
            app.main_screen.query_one(SetupForm).set_texts({"items": "2", "length": "100", "repeat": "2", "costs": "off"})
            await pilot.press("ctrl+r")
            status = app.main_screen.query_one("#status")
            assert await until(pilot, lambda: "Waiting for the machine" in str(status.render()), 30)
            assert "escape cancels the wait" in str(status.render())
            await pilot.press("escape")
            assert await until(pilot, lambda: not app.main_screen.running, 5)
            await pilot.pause()
            assert str(status.render()) == "Cancelled before measuring: nothing stored."
            assert store.runs() == []
    finally:
        other.release()


async def test_a_run_with_nothing_measured_says_so_in_every_view(store, monkeypatch):
    app = _no_color_app(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        spec, rows = failing_sweep()
        await feed(pilot, spec, [m for m in rows if not m.ok])
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "nothing to draw: no row measured (the table says why)" in screen_text(app)
        assert "no measurements yet" not in screen_text(app)
        for view in ("speedup", "split", "map"):
            await pilot.press("ctrl+t")
            await pilot.pause()
            text = " ".join(screen_text(app).split())
            assert "no measurements yet" not in text and "Run a sweep" not in text, view
        await pilot.press("ctrl+t")  # why
        await pilot.pause()
        assert "No row of this run was measured" in " ".join(screen_text(app).split())


def test_the_row_story_tells_spread_rounds_and_the_reason_once():
    from tui.widgets.results_view import row_story

    spec, rows = default_sweep()
    noisy = rows[2]  # numpy at 4 items: spread 12%, stopped at the most rounds
    story = row_story(noisy, measurements=rows)
    assert re.match(r"numpy, 4 items × 100000: min 836 µs, stdev 209 µs over 5 rounds, interval ±\d+\.\d%\. ",
                    story), story
    # Its decision against serial, then every qualifier in full, each named once (how the rounds
    # stopped does not qualify a row that was decided).
    assert " faster. " in story
    assert story.endswith("noisy: its rounds spread over 10% of their median (see stdev): the machine's speed "
                          "changed while measuring; read its figures as ranges.")
    assert story.count("noisy") == 1 and "most rounds" not in story
    timed_out = failing_sweep()[1][5]
    assert row_story(timed_out) == ("processes ×2, 8 items × 1: timeout: the point ran out of its 0.5 s "
                                          "(--point-timeout)")


async def test_a_worker_sweep_gets_a_workers_column_and_a_line_per_count(store):
    from app_fixtures import worker_sweep

    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *worker_sweep())
        table = app.main_screen.query_one(ResultsTable)
        assert [str(c.label).strip() for c in table.columns.values()] == \
            ["", "strategy", "items", "length", "workers", "median", "speedup", "95% int.", "status", "note"]
        assert [table.texts(row)["workers"] for row in range(3)] == ["", "1", "2"]
        words = ("baseline", "faster", "slower", "same", "undecided")
        assert all(line.rstrip().endswith(words) for line in screen_text(app).splitlines()
                   if line.lstrip("► ").startswith(("serial ", "processes "))), \
            "the status column still fits 80 columns"
        await pilot.press("ctrl+t", "ctrl+t")
        await pilot.pause()
        legend = str(app.main_screen.query_one("#speedup-pane ChartLegend").render())
        assert "x processes@1" in legend and "x processes@2" in legend


async def test_a_chart_is_drawn_again_only_when_its_lines_size_or_scale_change(store):
    from tui.widgets.charts import SpeedupChart

    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        spec, rows = default_sweep()
        await feed(pilot, spec, rows[:6])
        chart = app.main_screen.query_one(SpeedupChart)
        draws = []
        original = chart._draw
        chart._draw = lambda: draws.append(1) or original()
        await pilot.press("ctrl+t", "ctrl+t")  # shown: drawn once
        await pilot.pause()
        shown = len(draws)
        assert shown >= 1
        await pilot.press(*["ctrl+t"] * 6)  # round the six views and back: nothing new
        await pilot.pause()
        assert len(draws) == shown
        app.main_screen.query_one(ResultsView).add_measurement(rows[6])  # a new row, while shown: drawn
        await pilot.pause()
        assert len(draws) == shown + 1
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert len(draws) == shown + 2


async def test_export_defaults_to_the_documents_folder_even_before_it_exists(store, tmp_path, monkeypatch):
    """The README says exports go to the documents folder: the dialog says so, and makes it on export."""
    import platformdirs

    documents = tmp_path / "home" / "Documents"
    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(documents))
    _stored_run(store)
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_export_of_the_stored_run(pilot)
        assert app.screen.query_one("#path").value == str(documents / "parbench-run-1.md")
        assert "(made on export)" in str(app.screen.query_one("#export-where").render())
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    assert (documents / "parbench-run-1.md").read_text().startswith("**parbench run 1**")
