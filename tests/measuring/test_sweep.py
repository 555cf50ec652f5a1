"""The sweep runner, in this process: what it measures for every workload and strategy, the order of
its events, the interleaving of repeats, and the output check that keeps a wrong strategy from
reporting a speedup."""

from __future__ import annotations

import math
import textwrap

import pytest
from helpers import new_live_descendants, wait_for

from workloads.measuring import loader
from workloads.measuring.sweep import run_sweep
from workloads.model.events import (
    CallStarted,
    CeilingMeasured,
    MeasurementDone,
    Outlook,
    PointStarted,
    Probed,
    RunFinished,
    RunStarted,
)
from workloads.model.spec import SpecError, SweepSpec, build_spec
from workloads.model.workload import resolve

ALL_STRATEGIES = ("serial", "processes", "threads", "numpy", "numpy-processes")
NUMPY_STRATEGIES = ("numpy", "numpy-processes")
WORKLOAD_KNOBS = {"sleep": {"sleep_ms": "1"}, "squares": {}, "spin": {"spin": "1000"}}


def tiny_spec(workload: str = "squares", strategies=ALL_STRATEGIES, **overrides) -> SweepSpec:
    """A sweep small enough to run in a second; no pool costs unless a test asks (`costs="on"`)."""
    fields = dict(workload=workload, items="2..4", length="20", strategies=",".join(strategies), repeat="2",
                  warmup="1", workers="2", costs="off", **WORKLOAD_KNOBS.get(workload, {}))
    fields.update(overrides)
    return build_spec(**fields)


def measure(spec: SweepSpec, should_stop=lambda: False) -> tuple[str, list]:
    events: list = []
    status = run_sweep(spec, events.append, should_stop)
    return status, events


def measurements(events) -> list:
    """Every row as it ended: the last one sent for each (a point's rows are sent again with each
    further round, and once more, final)."""
    final: dict = {}
    for e in events:
        if isinstance(e, MeasurementDone):
            final[e.measurement.key] = e.measurement
    return list(final.values())


def check_event_order(spec: SweepSpec, events: list, *, finished: str = "completed") -> None:
    """The invariants every consumer of the stream (the store, the CLI, the app) relies on: the whole
    picture first (every point once, in order, its rows provisional), then further rounds at points
    still open (their rows sent again), then every row once more, final, saying why it stopped."""
    assert isinstance(events[0], Probed)  # one item measured before anything else
    assert isinstance(events[1], RunStarted)
    events = events[1:]
    assert isinstance(events[-1], RunFinished) and events[-1].status == finished
    assert sum(isinstance(e, (RunStarted, RunFinished)) for e in events) == 2
    started = events[0]
    assert started.total_points == len(spec.points())

    point = None
    first_pass = []
    done = 0
    outlooks = []
    final: dict = {}
    for event in events[1:-1]:
        if isinstance(event, PointStarted):
            assert (event.items, event.length) == spec.points()[event.index]
            if not outlooks:  # the first pass: every point once, in order
                assert event.visit == 1 and event.index == len(first_pass)
                first_pass.append(event.index)
            else:
                assert event.visit > 1 and event.index in first_pass
            point = event
        elif isinstance(event, CallStarted):
            assert point is not None, "a call before its point started"
            assert (event.items, event.length) == (point.items, point.length)
            assert event.calls_done >= done, "calls_done went backwards"
            assert event.calls_done < event.calls_total
            done = event.calls_done
        elif isinstance(event, CeilingMeasured):
            assert point is None, "the machine's ceiling comes before the first point"
        elif isinstance(event, Outlook):
            outlooks.append(event)
            assert event.points == len(spec.points()) and 0 <= event.undecided <= event.points
        elif isinstance(event, MeasurementDone):
            m = event.measurement
            assert event.calls_done >= done, "calls_done went backwards"
            done = event.calls_done
            if m.ok and m.stop == "":  # provisional: sent as its point is measured
                assert point is not None and (m.point_index, m.items, m.length) == (point.index, point.items,
                                                                                     point.length)
                assert not outlooks or outlooks[-1].phase != "done"
            else:
                final[m.key] = m
        else:
            raise AssertionError(f"unexpected event {event!r}")
    if finished == "completed":
        assert first_pass == list(range(len(spec.points())))
        assert outlooks[0].phase == "first pass" and outlooks[-1].phase == "done"
        last = [e for e in events if isinstance(e, MeasurementDone)][-1]
        assert done == last.calls_total
        assert len(final) == len(spec.points()) * len(spec.variants())
        assert all(m.stop for m in final.values() if m.ok), "every final row says why it stopped"


# ---------------------------------------------------------------------------------------------
# Every workload × every strategy


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
@pytest.mark.parametrize("workload", ["sleep", "squares", "spin"])
def test_each_workload_and_strategy_measures_or_says_not_applicable(workload, strategy):
    if strategy in NUMPY_STRATEGIES and workload != "squares":
        with pytest.raises(SpecError):  # alone, a strategy that cannot run is refused up front
            tiny_spec(workload, (strategy,))
        strategies = ("serial", strategy)
    else:
        strategies = (strategy,)
    spec = tiny_spec(workload, strategies)
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    measured = [m for m in measurements(events) if m.strategy == strategy]
    assert [m.items for m in measured] == [2, 4]  # one visible row per point, never skipped
    for m in measured:
        assert (m.workload, m.strategy, m.length) == (workload, strategy, 20)
        if strategy in NUMPY_STRATEGIES and workload != "squares":
            assert m.status == "n/a"
            assert "no numpy form" in m.error
            assert m.times_s == ()
        else:
            assert m.status == "ok", m.error
            assert m.error == ""
            assert len(m.times_s) == spec.repeat
            assert all(t > 0 for t in m.times_s)
            assert len(m.warmup_times_s) == m.warmup
    ok = [m for m in measured if m.status == "ok"]
    if ok:
        # The first point warms up as asked; a later one may skip it, learnt from the first (a call
        # long enough that an unneeded warm-up costs: a cold pool on a busy machine).
        assert ok[0].warmup == 1 and all(m.warmup in (0, 1) for m in ok)


@pytest.mark.parametrize("workload", ["sleep", "squares", "spin"])
def test_all_strategies_together_match_serial(workload):
    spec = tiny_spec(workload)
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    by_key = {(m.strategy, m.items): m for m in measurements(events)}
    assert set(by_key) == {(s, n) for s in ALL_STRATEGIES for n in (2, 4)}
    for (strategy, _), m in by_key.items():
        if strategy in NUMPY_STRATEGIES and workload != "squares":
            assert m.status == "n/a"
        else:
            assert m.ok, f"{strategy}: {m.error}"
            assert len(m.times_s) == 2
        pooled = strategy in ("processes", "threads", "numpy-processes")
        assert m.workers == (2 if pooled else None)
        assert m.pool == ("cold" if pooled else None)


def test_measurements_record_what_was_run():
    spec = tiny_spec("squares", ("serial", "processes", "threads"), pool="warm", chunksize="2")
    _, events = measure(spec)
    by_strategy = {m.strategy: m for m in measurements(events) if m.items == 4}
    assert by_strategy["processes"].chunksize == 2 and by_strategy["processes"].pool == "warm"
    assert by_strategy["threads"].chunksize is None  # ThreadPoolExecutor.map ignores it
    assert by_strategy["serial"].chunksize is None and by_strategy["serial"].workers is None


# ---------------------------------------------------------------------------------------------
# Interleaving


def calls_by_point(events) -> dict[int, list[CallStarted]]:
    calls: dict[int, list[CallStarted]] = {}
    index = None
    for event in events:
        if isinstance(event, PointStarted):
            index = event.index
            calls[index] = []
        elif isinstance(event, CallStarted):
            calls[index].append(event)
    return calls


@pytest.mark.parametrize("workload", ["squares", "sleep"])
def test_repeats_are_interleaved_round_robin_with_warmups_first(workload):
    spec = tiny_spec(workload, ("numpy", "threads", "serial", "processes"), repeat="3", warmup="2")
    _, events = measure(spec)
    names = {"serial", "numpy", "threads", "processes"}
    if workload == "sleep":
        names.remove("numpy")  # a strategy with nothing to run takes no turn
    calls = calls_by_point(events)
    assert set(calls) == {0, 1}
    for index, point_calls in calls.items():
        # A block of short calls starts with an untimed call of its own (repeat 0): not a round's.
        point_calls = [c for c in point_calls if not (c.warmup and c.repeat == 0)]
        warmups = [c for c in point_calls if c.warmup]
        timed = [c for c in point_calls if not c.warmup]
        # Warm-ups first, serial's first of all (its output is the reference the others are
        # checked against); then three rounds, each strategy once a round, the order shuffled
        # from round to round so that none always follows the same one.
        assert point_calls[:len(warmups)] == warmups
        each = [sum(c.strategy == name for c in warmups) for name in names]
        if index == 0:
            assert warmups[0].strategy == "serial" and each == [2] * len(names)
        else:  # a later point skips a warm-up that changed nothing for a call over 0.1 s (a loaded machine's)
            assert all(count <= 2 for count in each)
        rounds = [timed[i:i + len(names)] for i in range(0, len(timed), len(names))]
        assert len(rounds) == 3
        for number, round_calls in enumerate(rounds, 1):
            assert {c.strategy for c in round_calls} == names
            assert {c.repeat for c in round_calls} == {number}
        assert [c.calls_done for c in point_calls] == sorted(c.calls_done for c in point_calls)
    orders = [[c.strategy for c in point_calls if not c.warmup] for point_calls in calls.values()]
    assert any(order[:len(names)] != order[len(names):2 * len(names)] for order in orders), "never reshuffled"


def test_no_warmup_means_timed_rounds_only():
    spec = tiny_spec("squares", ("serial", "threads"), warmup="0", repeat="2", min_time="0")
    _, events = measure(spec)
    for point_calls in calls_by_point(events).values():
        assert [(c.warmup, c.repeat) for c in point_calls] == [(False, 1), (False, 1), (False, 2), (False, 2)]
        assert point_calls[0].strategy == "serial"  # the first round's first call is the reference
        assert {c.strategy for c in point_calls[2:]} == {"serial", "threads"}
    assert all(m.warmup == 0 and m.warmup_times_s == () for m in measurements(events))


# ---------------------------------------------------------------------------------------------
# The output check


# A squares workload whose numpy form is off by one: every strategy that uses it must fail its check.
WRONG_NUMPY = """
    import numpy as np

    def kernel(value):
        return [i ** 2 - 13 for i in value]

    def kernel_numpy(value):
        return value ** 2 - 12

    def reference(value):
        return np.asarray(value) ** 2 - 13
"""


def test_wrong_numpy_kernel_fails_its_measurement_and_serial_stays_ok(workload_file):
    spec = tiny_spec(workload_file(WRONG_NUMPY), ("serial", "threads", "numpy"))
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    for m in measurements(events):
        if m.strategy == "numpy":
            assert m.status == "failed"
            assert "differs from serial" in m.error
        else:
            assert m.ok, m.error
            assert "equal" in m.check and "serial" in m.check


# Right in this process, wrong where it runs elsewhere: in a pool's worker process, or a thread.
WRONG_ELSEWHERE = """
    import multiprocessing
    import threading

    def _elsewhere():
        if WHERE == "processes":
            return multiprocessing.parent_process() is not None
        return threading.current_thread() is not threading.main_thread()

    def make_input(items, length, seed):
        return {i: list(range(length)) for i in range(items)}

    def kernel(value):
        result = [i * 2 for i in value]
        if _elsewhere():
            if ALTER == "type":
                return tuple(result)
            result[-1] += 1
        return result

    def kernel_numpy(value):
        result = value * 2
        if _elsewhere():
            result[-1] += 1
        return result
"""


@pytest.mark.parametrize("victim, where", [("processes", "processes"), ("threads", "threads"),
                                           ("numpy-processes", "processes")])
@pytest.mark.parametrize("alter", ["value", "type"])
def test_strategy_returning_wrong_output_is_failed(workload_file, victim, where, alter):
    if alter == "type" and victim == "numpy-processes":
        pytest.skip("the numpy form is altered by value only")
    path = workload_file(textwrap.dedent(WRONG_ELSEWHERE) + f"\nWHERE = {where!r}\nALTER = {alter!r}\n")
    spec = tiny_spec(path, ("serial", victim), start_method="fork")
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    for m in measurements(events):
        if m.strategy == victim:
            assert m.status == "failed" and "differs from serial" in m.error, m.error
            assert m.times_s == ()  # it failed on its first call: no time of a wrong result is kept
        else:
            assert m.ok, f"{m.strategy}: {m.error}"


def test_wrong_output_is_caught_without_serial_too(workload_file):
    """Without serial in the sweep the reference is the workload's own reference output."""
    spec = tiny_spec(workload_file(WRONG_NUMPY), ("threads", "numpy"))
    _, events = measure(spec)
    by_strategy = {m.strategy: m for m in measurements(events) if m.items == 2}
    assert by_strategy["threads"].ok
    assert by_strategy["numpy"].status == "failed" and "differs" in by_strategy["numpy"].error


def test_numpy_only_sweep_checks_against_arrays_without_building_python_lists(monkeypatch, workload_file):
    forms: list[str] = []
    original = loader.LoadedWorkload.make_inputs

    def recording(self, items, length, seed, wanted):
        forms.extend(wanted)
        return original(self, items, length, seed, wanted)

    monkeypatch.setattr(loader.LoadedWorkload, "make_inputs", recording)
    status, events = measure(tiny_spec("squares", ("numpy",)))
    assert status == "completed" and all(m.ok for m in measurements(events))
    assert forms and set(forms) == {"numpy"}
    # ... and the array reference still catches a wrong kernel.
    _, events = measure(tiny_spec(workload_file(WRONG_NUMPY), ("numpy",)))
    assert all(m.status == "failed" and "differs" in m.error for m in measurements(events))


def test_kernel_that_raises_on_every_item_is_refused_before_the_run(workload_file):
    path = workload_file("""
        def kernel(value):
            return value

        def kernel_numpy(value):
            raise ZeroDivisionError("numpy kernel fell over")
    """)
    spec = tiny_spec(path, ("serial", "numpy", "numpy-processes"), start_method="spawn")
    # One item is measured first: a kernel that fails on it refuses the sweep before anything is stored.
    status, events = measure(spec)
    assert status == "refused"
    (refused,) = events
    assert "kernel_numpy failed on one item" in refused.reason and "numpy kernel fell over" in refused.reason


def test_kernel_that_raises_on_some_items_fails_those_points_and_the_sweep_goes_on(workload_file):
    path = workload_file("""
        def make_input(items, length, seed):
            return {i: [items] * length for i in range(items)}

        def kernel(value):
            if value[0] == 4:  # every item at the point with 4 items
                raise ValueError(f"cannot take {value[0]}")
            return value
    """)
    spec = tiny_spec(path, ("serial", "processes", "threads"), start_method="spawn")
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    for m in measurements(events):
        if m.items == 4:
            assert m.status == "failed" and m.error == "ValueError: cannot take 4", m.error
        else:
            assert m.ok, m.error


def test_serial_kernel_that_raises_does_not_stop_the_others(workload_file):
    path = workload_file("""
        import threading

        def kernel(value):
            if threading.current_thread() is threading.main_thread() and len(value) == 21:
                raise RuntimeError("serial kernel broke\\nsecond line")
            return [i ** 2 - 13 for i in value]

        def kernel_numpy(value):
            return value ** 2 - 13

        def reference(value):  # what numpy is checked against when serial has no output
            return [i ** 2 - 13 for i in value]
    """)
    # The probe measures one item at the smallest and the largest length: both must pass there.
    spec = tiny_spec(path, ("serial", "numpy"), length="20,21,22", items="4")
    status, events = measure(spec)
    assert status == "completed"
    by_point = {(m.strategy, m.length): m for m in measurements(events)}
    assert by_point[("serial", 21)].status == "failed"
    assert by_point[("serial", 21)].error == "RuntimeError: serial kernel broke"  # one line
    assert by_point[("numpy", 21)].ok, by_point[("numpy", 21)].error
    assert by_point[("serial", 22)].ok


# ---------------------------------------------------------------------------------------------
# Cancellation


def test_should_stop_at_once_cancels_the_run():
    spec = tiny_spec("squares", ("serial", "processes"))
    status, events = measure(spec, should_stop=lambda: True)
    assert status == "cancelled"
    check_event_order(spec, events, finished="cancelled")
    assert not any(isinstance(e, CallStarted) for e in events)
    assert measurements(events) == []


def test_should_stop_after_the_first_point_keeps_it_and_leaves_no_pool(children_before):
    events: list = []
    spec = tiny_spec("squares", ("serial", "processes", "threads"), items="2..16", pool="warm")
    stop = lambda: any(isinstance(e, MeasurementDone) for e in events)  # noqa: E731
    status = run_sweep(spec, events.append, stop)
    assert status == "cancelled"
    check_event_order(spec, events, finished="cancelled")
    measured = measurements(events)
    assert {m.items for m in measured} == {2}
    assert len(measured) == 3 and all(m.ok for m in measured)
    assert not any(isinstance(e, PointStarted) and e.index > 1 for e in events)
    # The warm pool is shut down with the run.
    assert wait_for(lambda: not new_live_descendants(children_before), timeout=5), \
        [p.cmdline() for p in new_live_descendants(children_before)]


# ---------------------------------------------------------------------------------------------
# Chunksize


def test_chunksize_auto_resolves_per_point_and_is_recorded():
    spec = tiny_spec("squares", ("serial", "processes", "numpy-processes", "threads"), items="4,17,33",
                     length="3", chunksize="auto", workers="2", repeat="1", warmup="0")
    assert spec.chunksize == "auto"
    status, events = measure(spec)
    assert status == "completed"
    for m in measurements(events):
        assert m.ok, m.error
        if m.strategy in ("processes", "numpy-processes"):
            assert m.chunksize == math.ceil(m.items / (2 * 4))
        else:
            assert m.chunksize is None
    assert {m.items: m.chunksize for m in measurements(events) if m.strategy == "processes"} == {4: 1, 17: 3, 33: 5}


# ---------------------------------------------------------------------------------------------
# What a timed repeat holds: short calls back to back, and each output's release


COUNTING = """
    CALLS = []

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        CALLS.append(1)
        return WRAP(value)

    WRAP = lambda value: value
"""


def _counting_workload(workload_file, extra: str = "") -> tuple[str, list]:
    """A workload that counts its kernel's calls (serial runs in this process)."""
    path = workload_file(COUNTING + extra)
    module = loader.import_workload(resolve(path))
    return path, module.CALLS


def _calls_in_sweep(calls: list, probe_calls: int = 2) -> int:
    """Kernel calls made by the sweep itself: the probe's (one item, traced and untraced) left out."""
    return len(calls) - probe_calls


def test_short_calls_run_back_to_back_after_one_untimed_call(workload_file):
    path, calls = _counting_workload(workload_file)
    spec = tiny_spec(path, ("serial",), items="4", repeat="3", warmup="1", min_time="0.05")
    status, events = measure(spec)
    assert status == "completed"
    (m,) = measurements(events)
    # Microsecond calls: many per repeat, and the times are per call, each far under min-time.
    assert m.loops > 10
    assert len(m.times_s) == 3 and all(t < 0.05 for t in m.times_s)
    # The warm-up call alone (it is checked), then per timed repeat one untimed call and the block.
    assert _calls_in_sweep(calls) == 4 * (1 + 3 * (1 + m.loops))


def test_min_time_zero_times_every_call_alone(workload_file):
    path, calls = _counting_workload(workload_file)
    spec = tiny_spec(path, ("serial",), items="4", repeat="3", warmup="1", min_time="0")
    _, events = measure(spec)
    (m,) = measurements(events)
    assert m.loops == 1
    assert _calls_in_sweep(calls) == 4 * (1 + 3)


SLOW_TO_FREE = """
    import time

    class SlowToFree:
        # A value whose release takes a known minimum time, like a huge output's deallocation.

        def __init__(self, value):
            self.value = value

        def __eq__(self, other):
            return isinstance(other, SlowToFree) and other.value == self.value

        def __del__(self):
            time.sleep(0.005)

    WRAP = SlowToFree
"""


@pytest.mark.parametrize("warmup", ["1", "0"])
def test_each_call_is_charged_for_releasing_its_output(workload_file, warmup):
    # As timeit counts it: four values that take 5 ms each to free make every call at least 20 ms,
    # including the first (checked) call, whose output is released only after the check, and
    # serial's, which is kept as the reference until the point is done.
    path, _ = _counting_workload(workload_file, SLOW_TO_FREE)
    spec = tiny_spec(path, ("serial", "threads"), items="4", repeat="2", warmup=warmup, min_time="0")
    status, events = measure(spec)
    assert status == "completed"
    for m in measurements(events):
        assert m.ok, m.error
        assert all(t >= 0.02 for t in m.times_s + m.warmup_times_s), (m.strategy, m.times_s, m.warmup_times_s)


def test_a_slow_first_call_does_not_decide_how_many_calls_a_repeat_holds(workload_file):
    # A first call that pays for fresh memory can take ten times the steady one; calibrated on
    # it alone, short calls would be timed one at a time, right after the other strategies.
    path = workload_file("""
        import time

        SEEN = []

        def make_input(items, length, seed):
            return {i: [i] * length for i in range(items)}

        def kernel(value):
            SEEN.append(1)
            # The probe's two calls, then the sweep's whole first call (four items): 12 ms of 20,
            # leaving room for a busy machine.
            if 2 < len(SEEN) <= 6:
                time.sleep(0.003)
            return value
    """)
    spec = tiny_spec(path, ("serial",), items="4", repeat="2", warmup="1", min_time="0.02")
    _, events = measure(spec)
    (m,) = measurements(events)
    assert m.warmup_times_s[0] >= 0.012  # calibrated on this call alone: 2 calls a repeat
    # The steady call takes microseconds; even on a machine too busy for the tenfold it is, a
    # calibration that ignored the slow call holds several of them in a repeat.
    assert m.loops >= 4


def test_each_row_records_the_precision_its_intervals_reached():
    """--precision: a row says how wide its interval got (the CSV's precision column), within the
    asked share when it stopped on precision, beyond it when it ran out of rounds."""
    from workloads.model.measurement import STOP_MAX_ROUNDS, STOP_PRECISION

    spec = tiny_spec("squares", ("serial", "threads"), repeat="auto", precision="50%")
    status, events = measure(spec)
    assert status == "completed"
    rows = [m for m in measurements(events) if m.ok]
    assert rows and all(m.precision is not None and 0 < m.precision < 100 for m in rows)
    for m in rows:
        if m.stop == STOP_PRECISION:
            assert m.precision <= 0.5
        elif m.stop == STOP_MAX_ROUNDS:
            assert m.precision > 0.5
