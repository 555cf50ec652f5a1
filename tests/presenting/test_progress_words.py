"""One description of each progress event: the CLI's progress line and the app's status line say a
sweep's step in the same words (`api.describe_event`), whichever front end shows it."""

from __future__ import annotations

import io

import pytest
from app_fixtures import default_sweep, feed
from rich.console import Console

from tui.app import ParbenchApp
from tui.progress import CliProgress
from tui.screens.main import SweepEvent
from workloads.model.events import (
    CallStarted,
    LockWait,
    PointStarted,
    Probed,
    RunStarted,
)
from workloads.presenting.progress import counted, describe
from workloads.store.database import Store

EVENTS = [
    Probed({}, peak_bytes=2_500_000, available_bytes=8_000_000_000, seconds=12.0),
    LockWait("another parbench sweep, pid 42, started 13:08, about 40 s left", 3.0),
    RunStarted(5, 120, {"cpu_count": 2}),
    PointStarted(2, 16, 100000),
    CallStarted("processes", 16, 100000, 2, 5, False, 40, workers=2, calls_total=130, exact=True),
]


def test_each_event_has_one_description():
    assert describe(EVENTS[0]) == "one item measured: peak ~2.5 MB, about 12 s"
    assert describe(EVENTS[2]) == "measuring: 5 points, 120 calls"
    assert describe(EVENTS[3]) == "point 3: items=16 length=100000"
    assert describe(EVENTS[4]) == "processes ×2 · items=16 length=100000 · round 2/5"
    assert counted(EVENTS[4]) == (40, 130) and counted(EVENTS[3]) is None


def test_a_call_is_numbered_by_what_is_known_of_its_rounds():
    """It said "round 3/2" after the first pass (the 2 was the first pass's rounds) and numbered
    warm-ups against the rounds."""
    deciding = CallStarted("threads", 4, 10, 3, 20, False, 9, workers=2)
    assert describe(deciding) == "threads ×2 · items=4 length=10 · round 3 of up to 20"
    assert describe(CallStarted("serial", 4, 10, 1, 1, True, 0)) == "serial · items=4 length=10 · warm-up 1/1"
    assert describe(CallStarted("numpy", 4, 10, 0, 0, True, 0)) == "numpy · items=4 length=10 · untimed first call of a round"


WAITING = """
    import time

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        time.sleep(0.004)
        return value
"""


def _calls(workload_file, **fields) -> list:
    from workloads.measuring.sweep import run_sweep
    from workloads.model.spec import build_spec

    spec = build_spec(workload=workload_file(WAITING), strategies="serial,threads", workers="2", length="1",
                      min_time="0", **fields)
    events: list = []
    assert run_sweep(spec, events.append) == "completed"
    return [e for e in events if isinstance(e, CallStarted)]


@pytest.mark.timing  # it needs a race the first pass leaves open, which a busy machine may not
def test_a_deciding_sweep_never_says_a_round_past_its_count(workload_file):
    # One item: threads and serial take the same time, a race the first pass cannot decide, so the
    # point gets rounds beyond the first pass's two.
    calls = _calls(workload_file, items="1", warmup="1")
    words = [describe(c) for c in calls]
    assert any(c.repeat > 2 and not c.warmup for c in calls), words
    for call, said in zip(calls, words):
        if call.warmup:
            assert said.endswith("warm-up 1/1"), said
        else:
            assert said.endswith(f"round {call.repeat} of up to 20"), said


def test_a_fixed_number_of_rounds_is_said_exactly(workload_file):
    calls = _calls(workload_file, items="2", warmup="2", repeat="3")
    said = [describe(c).rpartition(" · ")[2] for c in calls]
    assert said == ["warm-up 1/2"] * 2 + ["warm-up 2/2"] * 2 + ["round 1/3"] * 2 + ["round 2/3"] * 2 + ["round 3/3"] * 2


def test_the_cli_progress_line_says_what_describe_says():
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    progress = CliProgress(console)
    try:
        for event in EVENTS:
            progress.on_event(event)
            assert progress.progress.tasks[0].description == describe(event)
        assert progress.progress.tasks[0].completed == 40 and progress.progress.tasks[0].total == 130
    finally:
        progress.stop()
    assert f"parbench: {describe(EVENTS[1])} (--no-wait" in console.file.getvalue()


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
async def test_the_app_status_line_says_what_describe_says(tmp_path, event):
    with Store(tmp_path / "store.sqlite3") as store:
        app = ParbenchApp(store, resident=False, probes=False)
        async with app.run_test(size=(120, 40)) as pilot:
            app.main_screen.post_message(SweepEvent(event))
            await pilot.pause()
            said = " ".join(str(app.main_screen.query_one("#status").render()).split())
    words = describe(event)
    assert said.lower().startswith(words.lower())


async def test_a_measurement_sent_again_replaces_its_row(tmp_path):
    """A later round may send a measurement for the same row with more rounds: the row is replaced,
    never added twice, and its figures are the new ones."""
    with Store(tmp_path / "store.sqlite3") as store:
        app = ParbenchApp(store, resident=False, probes=False)
        async with app.run_test(size=(120, 40)) as pilot:
            spec, rows = default_sweep()
            await feed(pilot, spec, rows)
            from tui.widgets.results_view import ResultsTable, ResultsView

            view = app.main_screen.query_one(ResultsView)
            table = view.query_one(ResultsTable)
            before = table.row_count
            first = rows[0]
            again = first.__class__(**{**first.to_dict(), "times_s": [t * 2 for t in first.times_s] * 2})
            view.add_measurement(again)
            await pilot.pause()
            assert table.row_count == before == len(view.measurements)
            shown = next(table.texts(i) for i in range(table.row_count) if table.texts(i)["strategy"] == "serial")
            assert shown["median"] == "48 ms"  # the new rounds' median, not the first one's 24 ms
