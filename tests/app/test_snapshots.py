"""Snapshots of the app at 80x24 and 120x40: before a run, after a finished default sweep (table and
each chart), after a run with failed and timed-out points, after a run of all six strategies, and
the form with a workload that has no numpy form.

The "after" screens are fed fixed measurements through the main screen's own event path (the
events a sweep posts, then its outcome), so nothing on them depends on how fast the machine was
while everything the screen does with a run (folding the form, the status words) is in the picture.
The run itself is covered by the Pilot tests. Regenerate with `pytest --snapshot-update` after a
deliberate layout change, and look at the report before committing.
"""

from __future__ import annotations

import pytest
from app_fixtures import default_sweep, failing_sweep, feed, six_strategies

from tui.app import ParbenchApp
from tui.widgets.setup_form import SetupForm
from workloads.store.database import Store

SIZES = [(80, 24), (120, 40)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


@pytest.fixture
def app(tmp_path):
    with Store(tmp_path / "store.sqlite3") as store:
        yield ParbenchApp(store, resident=False, probes=False)


def _after(sweep, *keys: str):
    async def run_before(pilot) -> None:
        await feed(pilot, *sweep())
        for key in keys:
            await pilot.press(key)
            await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_main_screen_before_a_run(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("keys", [(), ("ctrl+t",), ("ctrl+t", "ctrl+t")], ids=["table", "time", "speedup"])
def test_default_sweep(snap_compare, app, size, keys):
    assert snap_compare(app, terminal_size=size, run_before=_after(default_sweep, *keys))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_failed_and_timed_out_points(snap_compare, app, size):
    # The cursor on a timed-out row: its reason shows under the table.
    assert snap_compare(app, terminal_size=size, run_before=_after(failing_sweep, "f3", *["down"] * 5))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("keys", [(), ("ctrl+t", "ctrl+t")], ids=["table", "speedup"])
def test_six_strategies(snap_compare, app, size, keys):
    assert snap_compare(app, terminal_size=size, run_before=_after(six_strategies, *keys))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_form_with_a_workload_without_numpy(snap_compare, app, size):
    async def run_before(pilot) -> None:
        pilot.app.main_screen.query_one(SetupForm).set_texts(
            {"workload": "sleep", "strategies": "serial,threads,numpy,dask"})
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# Issue 19: the views a newcomer meets first, as a monochrome 80x24 terminal draws them -------------------


@pytest.fixture
def plain_app(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("workloads.store.database._now", lambda: "2026-01-02T03:04:05+00:00")
    with Store(tmp_path / "store.sqlite3") as store:
        yield ParbenchApp(store, resident=False, probes=False)


def test_form_with_the_focus_on_items(snap_compare, plain_app):
    async def run_before(pilot) -> None:
        await pilot.press("tab", "tab")
        await pilot.pause()

    assert snap_compare(plain_app, terminal_size=(80, 24), run_before=run_before)


def test_workload_dropdown_open(snap_compare, plain_app):
    async def run_before(pilot) -> None:
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(plain_app, terminal_size=(80, 24), run_before=run_before)


def test_default_sweep_plain(snap_compare, plain_app):
    async def run_before(pilot) -> None:
        await feed(pilot, *default_sweep(points=5))

    assert snap_compare(plain_app, terminal_size=(80, 24), run_before=run_before)


def test_history_plain(snap_compare, plain_app):
    from workloads.model.machine import Machine
    from workloads.model.spec import SweepSpec

    store = plain_app.store
    for host, status in (("build-machine-with-a-long-name.ci.example.com", "completed"), ("laptop", "partial")):
        run_id = store.start_run(SweepSpec(workload="squares", items=(4, 8, 16, 32, 64), length=(100000,)),
                                 Machine(hostname=host, cpu_count=2))
        store.finish_run(run_id, status)

    async def run_before(pilot) -> None:
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(plain_app, terminal_size=(80, 24), run_before=run_before)


def test_split_plain(snap_compare, plain_app):
    from analysis_fixtures import synthetic_run

    from tui.screens.stored_run import StoredRunScreen
    from workloads.model.machine import Machine
    from workloads.model.spec import SweepSpec

    store = plain_app.store
    run_id = store.start_run(SweepSpec(workload="squares", items=(2, 4, 8, 16, 32, 64), length=(1000,),
                                       strategies=("serial", "processes")), Machine(cpu_count=2, usable_cpus=2))
    for row in synthetic_run():
        store.add_measurement(run_id, row)
    store.finish_run(run_id, "completed")

    async def run_before(pilot) -> None:
        await pilot.app.push_screen(StoredRunScreen(store.load_run(run_id)))
        await pilot.pause()
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")
        await pilot.pause()

    assert snap_compare(plain_app, terminal_size=(80, 24), run_before=run_before)


def test_help_plain(snap_compare, plain_app):
    async def run_before(pilot) -> None:
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(plain_app, terminal_size=(80, 24), run_before=run_before)
