"""The app driven with keys through Pilot, as a user at an 80x24 terminal would."""

from __future__ import annotations

import time

import psutil
import pytest
from helpers import descendants

from tui.app import ParbenchApp
from tui.screens.export_dialog import ExportDialog
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.stored_run import StoredRunScreen
from tui.widgets.charts import TimeChart
from tui.widgets.results_view import ResultsTable, ResultsView
from tui.widgets.setup_form import SetupForm
from workloads.measurement import Measurement
from workloads.spec import SweepSpec
from workloads.store import Store

SIZE = (80, 24)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


async def _until(pilot, predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()


def _measuring_processes() -> list[psutil.Process]:
    found = []
    for process in descendants():
        try:
            if "workloads.measuring" in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE:
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
        app.main_screen.query_one(SetupForm).set_texts({"items": "2,4", "length": "100", "repeat": "2"})
        await pilot.press("ctrl+r")
        assert await _until(pilot, lambda: "completed" in str(app.main_screen.query_one("#status").render()))
        await pilot.pause(0.2)
        table = app.main_screen.query_one(ResultsTable)
        assert table.row_count == 6  # serial, processes, numpy at 2 points
        [run] = store.runs()
        assert run.status == "completed"
        assert len(store.load_run(run.id).measurements) == 6
        chart = app.main_screen.query_one(TimeChart)
        assert len(chart.measurements) == 6
        await pilot.press("ctrl+t")  # to the time chart
        await pilot.pause(0.2)
        rendered = str(chart.render())
        for strategy in ("serial", "processes", "numpy"):
            assert strategy in rendered
        assert "completed" in str(app.main_screen.query_one("#status").render())


async def test_escape_cancels_keeps_completed_rows_and_leaves_no_process(store):
    app = ParbenchApp(store)
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.query_one(SetupForm).set_texts(
            {"workload": "sleep", "sleep_ms": "300", "items": "2,4,8,16", "length": "10"})
        await pilot.press("ctrl+r")
        table = app.main_screen.query_one(ResultsTable)
        assert await _until(pilot, lambda: table.row_count >= 1)
        sweeping = [p.pid for p in _measuring_processes()]  # the resident process, now measuring
        tree = [q for p in _measuring_processes() for q in p.children(recursive=True)]
        await pilot.press("escape")
        pressed = time.monotonic()
        assert await _until(pilot, lambda: not app.main_screen.running, 5)
        assert time.monotonic() - pressed < 2.0
        await pilot.pause(0.2)
        [run] = store.runs()
        stored = store.load_run(run.id).measurements
        assert run.status == "cancelled"
        assert stored and table.row_count == len(stored)
        assert "cancelled" in str(app.main_screen.query_one("#status").render())
        # The sweep's pool is gone; one measuring process waits for the next sweep (the same one
        # after a cooperative cancel, a fresh one after a hard one).
        assert await _until(pilot, lambda: not [p for p in tree if p.is_running()
                                                and p.status() != psutil.STATUS_ZOMBIE], 3)
        assert await _until(pilot, lambda: len(_measuring_processes()) == 1, 5)
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
        assert str(history.get_row_at(0)[1]) == str(run_id)  # after the mark column
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
        before = items.value
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen), "? in a text field is a character"
        assert items.value == before + "?"
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
            {"workload": "sleep", "sleep_ms": "300", "items": "8,16", "length": "10"})
        await pilot.press("ctrl+r")
        assert await _until(pilot, lambda: bool(_measuring_processes()), 10)
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
        assert await _until(pilot, lambda: "refused" in str(app.main_screen.query_one("#estimate").render()), 20)
        estimate = str(app.main_screen.query_one("#estimate").render())
        assert "refused" in estimate and "GB" in estimate and "limit" in estimate
        assert app.main_screen.query_one("#run").disabled
        await pilot.press("ctrl+r")
        await pilot.pause(0.3)
        assert not app.main_screen.running
        assert store.runs() == []
