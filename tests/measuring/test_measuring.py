"""A sweep driven through `session.execute`: it runs in a measuring process of its own, every
measurement is stored as it arrives, and a stop or a dead measuring process ends it cleanly."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil
import pytest
from helpers import descendants, new_live_descendants, wait_for, wait_gone

from workloads.model.events import (
    CeilingMeasured,
    MeasurementDone,
    Probed,
    RunFinished,
    RunStarted,
)
from workloads.model.spec import SweepSpec, build_spec
from workloads.session import execute
from workloads.store.database import Store


def slow_sleep_spec(pool: str = "warm"):
    """Point 0 takes about a second; the rest of the sweep over 7 s more."""
    return build_spec(workload="sleep", sleep_ms="200", items="4..16", length="5", strategies="serial,processes",
                      repeat="1", warmup="0", workers="2", pool=pool)


def test_execute_measures_in_another_process_and_stores_every_measurement(tmp_path, children_before):
    spec = build_spec(workload="squares", items="2,4", length="16", strategies="serial,processes,threads,numpy",
                      repeat="2", warmup="1", workers="2")
    events = []
    started = {}

    def on_start(run, sweep):
        started["run_id"] = run.id
        started["pid"] = sweep.pid
        started["cmdline"] = psutil.Process(sweep.pid).cmdline()

    with Store(tmp_path / "store.sqlite3") as store:
        outcome = execute(spec, store, events.append, on_started=on_start)
        run = store.load_run(outcome.run_id)
        [listed] = store.runs()

    assert started["pid"] != os.getpid()
    assert "workloads.measuring.process" in started["cmdline"]
    assert outcome.run_id == started["run_id"] == run.id == listed.id
    assert outcome.status == "completed" and outcome.error == ""
    assert run.status == listed.status == "completed"
    assert run.finished_at is not None
    assert run.spec == spec

    assert isinstance(events[0], Probed) and isinstance(events[1], RunStarted)
    assert isinstance(events[-1], RunFinished)
    # The machine as RunStarted described it, with its parallel ceiling (a process pool ran).
    [ceiling] = [e for e in events if isinstance(e, CeilingMeasured)]
    assert run.machine.to_dict() == {**events[1].machine, **ceiling.info}
    assert run.machine.start_method and run.machine.cpu_count
    # A point's rows are sent as it is measured, and once more, final: the run keeps each row as
    # it was last reported, in the order they were first reported.
    last: dict = {}
    for event in events:
        if isinstance(event, MeasurementDone):
            last[event.measurement.key] = event.measurement
    reported = list(last.values())
    assert len(reported) == 8
    assert run.measurements == reported
    assert [m.times_s for m in run.measurements] == [m.times_s for m in reported]
    assert all(m.ok and len(m.times_s) == 2 for m in run.measurements)

    # The measuring process and its pools are gone once execute returns.
    assert not psutil.pid_exists(started["pid"]) or \
        psutil.Process(started["pid"]).status() == psutil.STATUS_ZOMBIE
    assert wait_for(lambda: not new_live_descendants(children_before), timeout=5)


@pytest.mark.parametrize("pool", ["cold", "warm"])
def test_stop_cancels_quickly_and_keeps_what_completed(tmp_path, children_before, pool):
    spec = slow_sleep_spec(pool)
    stop = threading.Event()
    seen = []
    tree: list[psutil.Process] = []
    stop_set_at = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, MeasurementDone) and not stop.is_set():
            # The measuring process and its warm pool, as they are now.
            tree.extend(descendants(measuring_pid[0]) + [psutil.Process(measuring_pid[0])])
            stop_set_at.append(time.monotonic())
            stop.set()

    measuring_pid = []
    with Store(tmp_path / "store.sqlite3") as store:
        outcome = execute(spec, store, on_event, stop,
                          on_started=lambda run, sweep: measuring_pid.append(sweep.pid))
        returned_at = time.monotonic()
        run = store.load_run(outcome.run_id)

    assert outcome.status == "cancelled"
    assert run.status == "cancelled"
    # The rest of the sweep would take over 7 s, the serial call in flight alone 1.6 s: a stop waits
    # for neither (0.5 s of grace for a cooperative cancel, then the kill).
    assert returned_at - stop_set_at[0] < 2.0
    assert isinstance(seen[-1], RunFinished) and seen[-1].status == "cancelled"

    reported = [e.measurement for e in seen if isinstance(e, MeasurementDone)]
    assert reported, "the first point should have completed"
    assert run.measurements == reported
    assert all(m.ok and m.items == 4 for m in run.measurements)

    if pool == "warm":
        assert len(tree) >= 3, "expected the measuring process and its warm pool"
    alive = wait_gone(tree, timeout=3)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    assert wait_for(lambda: not new_live_descendants(children_before), timeout=3), \
        [p.cmdline() for p in new_live_descendants(children_before)]


def test_killed_measuring_process_fails_the_run_saying_how(tmp_path, children_before):
    spec = slow_sleep_spec()
    seen = []
    tree: list[psutil.Process] = []
    measuring_pid = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, MeasurementDone) and not tree:
            tree.extend(descendants(measuring_pid[0]) + [psutil.Process(measuring_pid[0])])
            os.kill(measuring_pid[0], signal.SIGKILL)

    with Store(tmp_path / "store.sqlite3") as store:
        outcome = execute(spec, store, on_event,
                          on_started=lambda run, sweep: measuring_pid.append(sweep.pid))
        run = store.load_run(outcome.run_id)
        # The next run works.
        after = execute(SweepSpec(workload="sleep", items=(2,), length=(1,), strategies=("serial",),
                                  repeat=1, warmup=0, settings={"sleep_ms": 1}), store)
        assert after.status == "completed"

    assert outcome.status == "failed"
    assert "SIGKILL" in outcome.error and "measuring process" in outcome.error
    assert run.status == "failed" and run.error == outcome.error
    assert isinstance(seen[-1], RunFinished) and seen[-1].status == "failed"
    # What was committed before the kill is kept.
    reported = [e.measurement for e in seen if isinstance(e, MeasurementDone)]
    assert run.measurements == reported and reported
    # Its pool workers notice their parent is gone and exit by themselves.
    alive = wait_gone(tree, timeout=5)
    assert not alive, f"orphans left: {[p.cmdline() for p in alive]}"
    assert wait_for(lambda: not new_live_descendants(children_before), timeout=3)
