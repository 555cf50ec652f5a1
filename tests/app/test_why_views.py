"""The analysis on screen: the Why tab opens on the verdict, the Map tab shows the winner of each
point, the Split tab the pool's measured time taken apart, the speedup chart runs along the workers
in a worker sweep with its ideal and ceiling lines. Driven through Pilot at 80x24."""

from __future__ import annotations

import pytest
from analysis_fixtures import costs, m, pool_params, synthetic_run
from textual.widgets import Static, TabbedContent

from tui.app import ParbenchApp
from tui.screens.stored_run import StoredRunScreen
from tui.widgets.breakdown import bars, legend
from tui.widgets.charts import ChartLegend, SpeedupChart
from tui.widgets.results_view import ResultsView
from tui.widgets.winner_map import winner_map
from workloads.insight.analysis import predict
from workloads.model.machine import Machine
from workloads.model.spec import build_spec
from workloads.store.database import Store

SIZE = (80, 24)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


def _stored(store, rows, **spec) -> int:
    run_id = store.start_run(build_spec(workload="squares", strategies="serial,processes,numpy", **spec),
                             Machine(cpu_count=2, usable_cpus=2))
    for row in rows:
        store.add_measurement(run_id, row)
    store.finish_run(run_id, "completed")
    return run_id


def _text(renderable, width: int = 80) -> str:
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def _open(app, pilot, run_id: int, tab: str):
    await app.push_screen(StoredRunScreen(app.store.load_run(run_id)))
    await pilot.pause()
    view = app.screen.query_one(ResultsView)
    view.query_one(TabbedContent).active = tab
    await pilot.pause()
    return view


async def test_the_why_tab_opens_on_the_verdict(store):
    run_id = _stored(store, synthetic_run(), items="2..64", length="1000")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await _open(app, pilot, run_id, "why")
        text = str(view.query_one("#why-text", Static).render())
        assert text.startswith("Use processes with 2 workers: ")
        assert "Break-even against serial: ~17 items (the model)" in text


async def test_the_map_tab_shows_the_winner_of_each_point(store):
    rows = []
    for items in (2, 4):
        for length in (10, 1000):
            rows.append(m("serial", items, [0.01 * items * length / 10] * 3, length))
            rows.append(m("numpy", items, [0.001 * items] * 3 if length == 10 else [0.01 * items * length / 10] * 3,
                          length))
    run_id = _stored(store, rows, items="2,4", length="10,1000")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await _open(app, pilot, run_id, "map")
        shown = _text(view.query_one("#winner-map", Static).content, width=view.size.width)
    lines = shown.splitlines()
    assert lines[0].split() == ["items", "\\", "length", "10", "1000"]
    row2 = next(line for line in lines if line.split()[:1] == ["2"])
    assert "numpy 10.00×" in row2
    # Where both are equal every round, the lead is no lead: the same, shown with ≈.
    assert "numpy ≈ serial" in row2 or "serial ≈ numpy" in row2
    assert "≈: the same, within the margin" in " ".join(" ".join(lines).split())


def test_the_map_marks_a_lead_it_could_not_decide():
    shown = _text(winner_map([m("serial", 4, [1.0]), m("numpy", 4, [0.1])]))  # one round: nothing decided
    assert "numpy 10.00×?" in shown and "?: the lead is not decided" in " ".join(shown.split())


async def test_the_split_tab_stacks_the_pool_s_measured_time(store):
    run_id = _stored(store, synthetic_run(), items="2..64", length="1000")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await _open(app, pilot, run_id, "split")
        await pilot.pause()
        screen = str(view.query_one("#breakdown-chart").render())
        shown_legend = str(view.query_one("#breakdown-legend").render())
    assert all(name in shown_legend for name in ("start", "ship out", "work", "ship back", "waiting"))
    assert "processes×2 64/1000" in screen and "split (ms)" in screen


def test_split_bars_are_the_measured_parts_with_the_rest_as_waiting():
    labels, segments, overshoot = bars(synthetic_run(items=(4, 8)))
    assert labels == ["processes×2 4/1000", "processes×2 8/1000"]
    start, out, work, back, waiting = (segment[1] for segment in segments)
    assert (start, out, back) == pytest.approx((0.05, 0.008, 0.008))
    assert work == pytest.approx(0.04) and waiting == pytest.approx(0.0, abs=1e-12)
    assert not overshoot
    # A pool that took longer than its parts: the rest is waiting.
    slow = [m("serial", 8, [0.08] * 3), m("processes", 8, [predict(pool_params(), 8) + 0.1] * 3, costs=costs())]
    assert bars(slow)[1][4][0] == pytest.approx(0.1)
    assert all(mark in legend() for mark in ("█", "▓", "▒", "░", "·"))


async def test_a_worker_sweep_charts_speedup_against_workers_with_ideal_and_ceiling(store):
    rows = [m("serial", 16, [1.0] * 3)]
    for workers, seconds in ((1, 1.0), (2, 0.6), (4, 0.75)):
        rows.append(m("processes", 16, [seconds] * 3, workers=workers, costs=costs(workers=workers, ceiling=1.7)))
    run_id = _stored(store, rows, items="16", length="1000", workers="1,2,4")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await _open(app, pilot, run_id, "speedup")
        chart = view.query_one(SpeedupChart)
        await pilot.pause()
        legend = " ".join(str(view.query_one("#speedup-pane").query_one(ChartLegend).render()).split())
        lines = {line.label.split(",")[0]: line for line in chart.legend()}
    assert chart.axis == "workers"
    processes = lines["processes"]
    assert list(zip(processes.xs, processes.ys)) == [(1, pytest.approx(1.0)), (2, pytest.approx(1 / 0.6)),
                                                    (4, pytest.approx(1 / 0.75))]
    assert lines["ideal (the workers)"].ys == (1.0, 2.0, 4.0)
    assert lines["this machine's ceiling 1.70×"].ys == (1.0, 1.7, 1.7)
    # Efficiency = speedup ÷ workers, in the legend under the chart.
    assert "processes, efficiency 100% at 1, 83% at 2, 33% at 4" in legend
    assert "ideal (the workers)" in legend and "ceiling 1.70×" in legend


def test_a_worker_sweep_over_items_draws_a_line_per_worker_count():
    rows = []
    for items in (4, 8):
        rows.append(m("serial", items, [0.1 * items] * 3))
        for workers in (1, 2):
            rows.append(m("processes", items, [0.1 * items / workers] * 3, workers=workers, costs=costs(workers=workers)))
    chart = SpeedupChart()
    chart.set_measurements(rows, workers=2, cpus=2)
    series = {line.label: list(zip(line.xs, line.ys)) for line in chart.lines}
    assert chart.axis == "items" and set(series) == {"processes@1", "processes@2"}
    assert series["processes@2"] == [(4, pytest.approx(2.0)), (8, pytest.approx(2.0))]
