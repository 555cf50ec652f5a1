"""Snapshots of the main screen at 80x24 and 120x40, before and after a run.

The "after" screens are fed fixed measurements (the run itself is covered by the Pilot tests), so
nothing on them depends on how fast the machine was. Regenerate with `pytest --snapshot-update`
after a deliberate layout change, and look at the report before committing.
"""

from __future__ import annotations

import pytest

from tui.app import ParbenchApp
from tui.widgets.results_view import ResultsView
from workloads.measurement import Measurement
from workloads.store import Store

SIZES = [(80, 24), (120, 40)]


def _fixed_measurements() -> list[Measurement]:
    rows = []
    for items, serial, pooled, vector in ((4, 0.024, 0.066, 0.0011), (8, 0.049, 0.110, 0.0022),
                                          (16, 0.098, 0.205, 0.0045), (32, 0.197, 0.401, 0.0089)):
        rows.append(Measurement("squares", "serial", items, 100000, None, None, None, 1,
                                (serial, serial * 1.01, serial * 0.99)))
        rows.append(Measurement("squares", "processes", items, 100000, 2, 1, "cold", 1,
                                (pooled, pooled * 1.02, pooled * 0.98)))
        rows.append(Measurement("squares", "numpy", items, 100000, None, None, None, 1,
                                (vector, vector * 1.3, vector * 0.97)))  # a noisy one
    return rows


@pytest.fixture
def app(tmp_path):
    with Store(tmp_path / "store.sqlite3") as store:
        yield ParbenchApp(store, resident=False, probes=False)


async def _show_fixed_run(pilot) -> None:
    screen = pilot.app.main_screen
    screen.query_one(ResultsView).set_measurements(_fixed_measurements(), workers=2, cpus=2)
    screen.query_one("#status").update("Run 1 completed: 12 rows stored. ctrl+e exports.")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_main_screen_before_a_run(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_main_screen_after_a_run_table(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=_show_fixed_run)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_main_screen_after_a_run_time_chart(snap_compare, app, size):
    async def show_chart(pilot):
        await _show_fixed_run(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=show_chart)
