"""The costs measured beside the timings (`workloads.costs`) and the machine's parallel ceiling
(`workloads.ceiling`), in the engine: invariants, never absolute times."""

from __future__ import annotations

import pytest
from helpers import new_live_descendants

from workloads.measuring import ceiling as machine_ceiling
from workloads.measuring.sweep import SweepOptions, run_sweep
from workloads.model.events import (
    CeilingMeasured,
    MeasurementDone,
    RunFinished,
    RunStarted,
)
from workloads.model.machine import Machine
from workloads.model.spec import build_spec
from workloads.session import execute
from workloads.store.database import Store

KNOWN = SweepOptions(ceiling=1.5)  # a ceiling from the store: not measured again


def sweep(options=KNOWN, **fields):
    spec = build_spec(**{"repeat": "2", "warmup": "0", "workers": "2", **fields})
    events: list = []
    status = run_sweep(spec, events.append, options=options)
    return status, events


def rows(events) -> dict:
    return {(e.measurement.series, e.measurement.items, e.measurement.length): e.measurement
            for e in events if isinstance(e, MeasurementDone)}


def test_pooled_rows_carry_their_costs_taken_apart(children_before):
    status, events = sweep(workload="squares", items="4", length="200,20000",
                           strategies="serial,processes,threads,numpy,numpy-processes")
    assert status == "completed"
    found = rows(events)
    for (series, items, length), m in found.items():
        if m.strategy in ("serial", "numpy"):
            assert m.costs is None  # nothing is pooled: nothing to take apart
            continue
        c = m.costs
        assert c.error == "", c.error
        assert c.ceiling == 1.5 and c.workers == 2 and c.pool == "cold"
        # A cold pool's fixed cost (made, every worker started, shut down) is more than a warm
        # pool's dispatch of one item.
        assert c.pool_start_s == c.cold_start_s >= c.empty_cold_start_s > c.dispatch_s > 0
        assert c.ship_out_s >= 0 and c.ship_back_s >= 0 and c.ship_items >= 2
        assert c.work_per_item_s > 0 and 0 <= c.cpu_share <= 1
        assert c.pace_s > 0  # the machine's pace, timed after each round
    # Work per item comes from the in-process twin at the same point.
    assert found[("processes@2", 4, 200)].costs.work_source == "serial's time at this point"
    assert found[("numpy-processes@2", 4, 200)].costs.work_source == "numpy's time at this point"
    # Threads ship nothing; a process pool ships the item's pickle, which grows with the item.
    assert found[("threads@2", 4, 20000)].costs.input_bytes == 0
    small, large = found[("processes@2", 4, 200)].costs, found[("processes@2", 4, 20000)].costs
    assert large.input_bytes > 50 * small.input_bytes > 0
    assert large.result_bytes > large.input_bytes * 0.9  # i**2 - 13 pickles no smaller than i
    assert large.ship_out_s + large.ship_back_s > small.ship_out_s + small.ship_back_s
    # The Python loop does more per item than numpy's C loop; a Python loop keeps the CPU.
    assert large.work_per_item_s > found[("numpy-processes@2", 4, 20000)].costs.work_per_item_s
    assert large.cpu_share > 0.5
    # Every pool the costs made is gone.
    assert not new_live_descendants(children_before)


def test_costs_are_measured_outside_the_timed_calls():
    # The same point with and without a pooled strategy: serial's times do not carry the costs'
    # pool starts (a cold pool start is tens of ms; a serial call here well under one).
    _, events = sweep(workload="squares", items="2", length="100", strategies="serial,processes")
    serial = rows(events)[("serial", 2, 100)]
    processes = rows(events)[("processes@2", 2, 100)]
    assert max(serial.times_s) < processes.costs.pool_start_s


def test_a_sleeping_kernel_reads_as_waiting_and_a_spinning_one_as_cpu():
    _, sleeping = sweep(workload="sleep", items="2", length="10", strategies="serial,threads", sleep_ms="20")
    _, spinning = sweep(workload="spin", items="2", strategies="threads", spin="200000")
    assert rows(sleeping)[("threads@2", 2, 10)].costs.cpu_share < 0.3
    spin = rows(spinning)[("threads@2", 2, 1)].costs
    assert spin.cpu_share > 0.6
    # Without serial beside it, the kernel is timed here on a few items.
    assert spin.work_source.startswith("the kernel timed here on")


def test_a_failed_strategy_has_no_costs(workload_file):
    path = workload_file("""
        import os
        def kernel(value):
            if os.getpid() != PARENT:
                os._exit(3)
            return value
        PARENT = os.getpid()
    """)
    _, events = sweep(workload=path, items="2", length="10", strategies="serial,processes")
    broken = rows(events)[("processes@2", 2, 10)]
    assert broken.status == "failed" and broken.costs is None


def test_a_warm_pool_costs_a_dispatch_per_call():
    _, events = sweep(workload="squares", items="8", length="100", strategies="serial,processes", pool="warm")
    c = rows(events)[("processes@2", 8, 100)].costs
    assert c.pool == "warm" and c.pool_start_s == c.dispatch_s < c.cold_start_s


# The machine's ceiling ------------------------------------------------------------------------------------


def test_ceiling_is_n_copies_together_against_one():
    measured = machine_ceiling.measure(2, pairs=3, spin_s=0.01)
    assert measured.value is not None and len(measured.ratios) == 3
    # Two copies together never do more than twice one's work (with some room for a speed flip).
    assert 0 < measured.value <= 2 * 1.3
    assert machine_ceiling.measure(1).value == 1.0


def test_a_ceiling_measurement_cut_short_says_so():
    cut = machine_ceiling.measure(2, pairs=5, spin_s=0.01, limit_s=0.0)
    assert cut.value is None and "stopped after 0 s with 0 of 5 pairs" in cut.note
    stopped = machine_ceiling.measure(2, pairs=5, spin_s=0.01, should_stop=lambda: True)
    assert stopped.cancelled and stopped.value is None


def test_a_known_ceiling_is_not_measured_again(monkeypatch):
    monkeypatch.setattr(machine_ceiling, "measure", lambda **kw: pytest.fail("measured although known"))
    _, events = sweep(workload="squares", items="2", length="10", strategies="serial,processes")
    known = next(e for e in events if isinstance(e, CeilingMeasured)).info
    assert known["parallel_ceiling"] == 1.5
    assert known["ceiling_source"] == machine_ceiling.STORED


def test_the_run_goes_on_without_a_ceiling_that_could_not_be_measured(monkeypatch):
    monkeypatch.setattr(machine_ceiling, "_MEASURED", {})
    monkeypatch.setattr(machine_ceiling, "measure", lambda **kw: machine_ceiling.Reading(
        None, 2, (1.7,), "interrupted: OSError: [Errno 11] Resource temporarily unavailable"))
    status, events = sweep(options=SweepOptions(), workload="squares", items="2", length="10",
                           strategies="serial,processes")
    assert status == "completed"
    known = next(e for e in events if isinstance(e, CeilingMeasured)).info
    assert known["parallel_ceiling"] is None
    note = "the parallel ceiling was not measured: interrupted: OSError: [Errno 11] Resource temporarily unavailable"
    assert known["ceiling_note"] == note
    m = rows(events)[("processes@2", 2, 10)]
    assert m.costs.ceiling is None and m.costs.ceiling_note == note
    from workloads.insight.explain import explain

    assert any(line.startswith("The parallel ceiling was not measured: interrupted") for line in explain([m]))


def test_a_cancel_while_measuring_the_ceiling_cancels_the_run(monkeypatch):
    monkeypatch.setattr(machine_ceiling, "_MEASURED", {})
    monkeypatch.setattr(machine_ceiling, "measure",
                        lambda **kw: machine_ceiling.Reading(None, 2, (), "cancelled while measuring", True))
    status, events = sweep(options=SweepOptions(), workload="squares", items="2", length="10",
                           strategies="serial,processes")
    assert status == "cancelled"
    assert not any(isinstance(e, (CeilingMeasured, MeasurementDone)) for e in events)
    assert isinstance(events[-1], RunFinished) and events[-1].status == "cancelled"


def test_no_ceiling_is_measured_for_a_sweep_without_a_process_pool(monkeypatch):
    monkeypatch.setattr(machine_ceiling, "measure", lambda **kw: pytest.fail("measured for threads"))
    _, events = sweep(options=SweepOptions(), workload="squares", items="2", length="10", strategies="serial,threads")
    assert not any(isinstance(e, CeilingMeasured) for e in events)


def test_the_store_keeps_the_ceiling_per_machine_and_hands_it_to_the_next_run(db_path):
    identity = machine_ceiling.machine_identity()
    with Store(db_path) as store:
        store.set_machine_ceiling(identity, Machine(cpu_count=2), 1.23)
        outcome = execute(build_spec(workload="squares", items="2", length="10", strategies="serial,processes",
                                     repeat="1", warmup="0"), store)
    assert outcome.status == "completed"
    assert outcome.run.machine.ceiling_value == 1.23
    assert outcome.run.machine.ceiling.source == machine_ceiling.STORED
    assert all(m.costs.ceiling == 1.23 for m in outcome.run.measurements if m.strategy == "processes")


def test_a_ceiling_measured_by_a_run_is_stored_for_the_machine(db_path):
    from workloads.session import _Recorder

    with Store(db_path) as store:
        recorder = _Recorder(store, build_spec(workload="squares", items="2", strategies="serial,processes"))
        recorder.started(RunStarted(1, 2, {"cpu_count": 2}))
        recorder.ceiling(CeilingMeasured({"parallel_ceiling": 1.77, "ceiling_source": machine_ceiling.MEASURED,
                                          "machine_identity": "cpu|2|host"}))
        assert store.machine_ceiling("cpu|2|host") == 1.77
        assert store.load_run(recorder.run.id).machine.ceiling_value == 1.77
        # One measured while something else ran is this run's only.
        recorder.ceiling(CeilingMeasured({"parallel_ceiling": 0.9, "machine_identity": "cpu|2|other",
                                          "ceiling_source": "measured while the machine was busy; not kept"}))
        assert store.machine_ceiling("cpu|2|other") is None
