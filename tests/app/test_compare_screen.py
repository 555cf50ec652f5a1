"""Comparing two runs in the app: mark them in F2 history with space, press c, read the ratio table
and the overlaid time chart; the keys a user needs are in the footer, and a comparison that cannot
be made says why on the history screen itself."""

from __future__ import annotations

import pytest
from app_fixtures import until

from tui.app import ParbenchApp
from tui.screens.compare import CompareScreen
from tui.screens.history import HistoryScreen
from tui.widgets.compare_chart import CompareTimeChart
from workloads.model.machine import Machine
from workloads.model.measurement import Measurement
from workloads.model.run import Run
from workloads.model.spec import SweepSpec
from workloads.store.database import Store

SIZE = (80, 24)
MACHINE = {"cpu_count": 2, "cpu_model": "Test CPU", "python": "3.11.7", "numpy": "2.0", "start_method": "fork",
           "hostname": "laptop", "parbench": "0.1.0", "memory_bytes": 8 * 2**30}
BASE = (0.100, 0.102, 0.098, 0.101, 0.099)


def _measurements(pool: str, processes: float, items=(4, 8, 16)) -> list[Measurement]:
    rows = []
    for index, size in enumerate(items):
        scale = size / 4
        rows.append(Measurement("sleep", "serial", size, 10000, None, None, None, 1,
                                tuple(t * scale for t in BASE), point_index=index))
        rows.append(Measurement("sleep", "processes", size, 10000, 2, 1, pool, 1,
                                tuple(t * scale * processes for t in BASE), point_index=index))
    return rows


def _spec(pool: str, items=(4, 8, 16)) -> SweepSpec:
    return SweepSpec(workload="sleep", items=items, length=(10000,), strategies=("serial", "processes"),
                     repeat=5, workers=(2,), pool=pool)


def _store_run(store: Store, pool: str, processes: float, items=(4, 8, 16)) -> int:
    run_id = store.start_run(_spec(pool, items), Machine.from_dict(MACHINE))
    for m in _measurements(pool, processes, items):
        store.add_measurement(run_id, m)
    store.finish_run(run_id, "completed")
    return run_id


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        _store_run(opened, "cold", 1.0)  # run 1
        _store_run(opened, "warm", 0.5)  # run 2: processes twice as fast
        _store_run(opened, "warm", 1.0, items=(256,))  # run 3: no point in common with the others
        yield opened


def _footer_keys(app) -> set[str]:
    return {binding.key for (_, binding, enabled, _) in app.screen.active_bindings.values() if binding.show}


async def test_mark_two_runs_and_compare_them(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert {"space", "c"} <= _footer_keys(app)
        await pilot.press("down", "space", "down", "space")  # runs 2 and 1 (newest first)
        await pilot.pause()
        assert sorted(history.marked) == [1, 2]
        assert "Marked run 1 (A) and run 2 (B)" in str(history.query_one("#history-hint").render())
        table = history.query_one("#history-table")
        assert [table.texts(i)["mark"] for i in range(3)] == ["", "B", "A"]
        await pilot.press("c")
        assert await until(pilot, lambda: isinstance(app.screen, CompareScreen), 5)
        screen = app.screen
        assert await until(pilot, lambda: screen.comparison is not None)
        await pilot.pause()
        ratios = screen.query_one("#compare-table")
        rows = [ratios.texts(i) for i in range(ratios.row_count)]
        assert "length" not in rows[0], "the same for every row: said in the header"
        assert [row["mark"] for row in rows] == ["within noise", "faster"] * 3
        assert [row["ratio"] for row in rows][:2] == ["1.00×", "0.50×"]
        summary = str(screen.query_one("#compare-summary").render())
        assert "A run 1" in summary and "B run 2" in summary and "length 10000" in summary
        assert "differs: pool cold → warm" in summary and "3 faster, 3 within noise" in summary

        await pilot.press("ctrl+t")  # the app's view key switches to the chart here too
        await pilot.pause()
        chart = screen.query_one(CompareTimeChart)
        axis, lines = chart.lines()
        assert axis == "items" and set(lines) == {"A", "B"}
        assert lines["B"]["processes"][0][1] == pytest.approx(lines["A"]["processes"][0][1] / 2, rel=0.01)
        key = str(screen.query_one("#compare-key").render())
        assert "A = run 1" in key and "B = run 2" in key and "x processes" in key

        await pilot.press("ctrl+y")
        assert "| processes | 4 | 10000 | 2 |" in app.clipboard

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is history and sorted(history.marked) == [1, 2]




async def test_compare_needs_two_marks_and_says_so(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2", "c")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert "Mark two runs with space to compare them (0 marked)" in str(app.screen.query_one("#history-hint").render())
        await pilot.press("space", "space")  # marked, then unmarked
        await pilot.pause()
        assert app.screen.marked == []
        await pilot.press("space", "down", "space", "down", "space")  # a third mark replaces the first
        await pilot.pause()
        assert sorted(app.screen.marked) == [1, 2]


async def test_runs_without_a_common_point_are_refused_inline(store):
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2", "space", "down", "space", "c")  # runs 3 and 2
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        hint = str(app.screen.query_one("#history-hint").render())
        assert "Runs 2 and 3 have no point in common" in hint


def _in_memory(run_id: int, pool: str, processes: float, started: str) -> Run:
    return Run(run_id, _spec(pool), "completed", started, started, machine=MACHINE,
               measurements=_measurements(pool, processes))


@pytest.mark.parametrize("tab", ["ratios", "time"])
def test_compare_screen_snapshot(snap_compare, tmp_path, tab):
    a = _in_memory(1, "cold", 1.0, "2026-05-09T10:00:00+00:00")
    b = _in_memory(2, "warm", 0.5, "2026-05-09T10:05:00+00:00")

    async def show(pilot):
        screen = CompareScreen(a, b)
        pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.comparison is not None)
        if tab == "time":
            await pilot.press("ctrl+t")
        await pilot.pause()

    with Store(tmp_path / "store.sqlite3") as store:
        assert snap_compare(ParbenchApp(store, resident=False, probes=False), terminal_size=SIZE, run_before=show)
