"""The sweep runner, in this process: what it measures for every workload and strategy, the order of
its events, the interleaving of repeats, and the output check that keeps a wrong strategy from
reporting a speedup."""

from __future__ import annotations

import math

import pytest

from helpers import new_live_descendants, wait_for
from workloads import kernels, strategies, sweep
from workloads.events import CallStarted, MeasurementDone, PointStarted, RunFinished, RunStarted
from workloads.spec import SweepSpec, build_spec
from workloads.sweep import run_sweep

ALL_STRATEGIES = ("serial", "processes", "threads", "numpy", "numpy-processes")
NUMPY_STRATEGIES = ("numpy", "numpy-processes")
WORKLOAD_KNOBS = {"sleep": {"sleep_ms": "1"}, "squares": {}, "spin": {"spin": "1000"}}


def tiny_spec(workload: str = "squares", strategies=ALL_STRATEGIES, **overrides) -> SweepSpec:
    fields = dict(workload=workload, items="2..4", length="20", strategies=",".join(strategies), repeat="2",
                  warmup="1", workers="2", **WORKLOAD_KNOBS[workload])
    fields.update(overrides)
    return build_spec(**fields)


def measure(spec: SweepSpec, should_stop=lambda: False) -> tuple[str, list]:
    events: list = []
    status = run_sweep(spec, events.append, should_stop)
    return status, events


def measurements(events) -> list:
    return [e.measurement for e in events if isinstance(e, MeasurementDone)]


def check_event_order(spec: SweepSpec, events: list, *, finished: str = "completed") -> None:
    """The invariants every consumer of the stream (the store, the CLI, the app) relies on."""
    assert isinstance(events[0], RunStarted)
    assert isinstance(events[-1], RunFinished) and events[-1].status == finished
    assert sum(isinstance(e, (RunStarted, RunFinished)) for e in events) == 2
    started = events[0]
    assert started.total_points == len(spec.points())
    assert started.total_calls == len(spec.points()) * len(spec.strategies) * (spec.warmup + spec.repeat)

    point = None
    done = 0
    for event in events[1:-1]:
        if isinstance(event, PointStarted):
            assert point is None or event.index == point.index + 1
            assert (event.items, event.length) == spec.points()[event.index]
            point = event
        elif isinstance(event, CallStarted):
            assert point is not None, "a call before its point started"
            assert (event.items, event.length) == (point.items, point.length)
            assert event.calls_done >= done, "calls_done went backwards"
            assert event.calls_done < started.total_calls
            done = event.calls_done
        elif isinstance(event, MeasurementDone):
            m = event.measurement
            assert point is not None, "a measurement before its point started"
            assert (m.point_index, m.items, m.length) == (point.index, point.items, point.length)
            assert event.calls_done >= done, "calls_done went backwards"
            done = event.calls_done
        else:
            raise AssertionError(f"unexpected event {event!r}")
    if finished == "completed":
        assert done == started.total_calls
        assert len(measurements(events)) == len(spec.points()) * len(spec.strategies)


# ---------------------------------------------------------------------------------------------
# Every workload × every strategy


@pytest.mark.parametrize("strategy", ALL_STRATEGIES)
@pytest.mark.parametrize("workload", ["sleep", "squares", "spin"])
def test_each_workload_and_strategy_measures_or_says_not_applicable(workload, strategy):
    spec = tiny_spec(workload, (strategy,))
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    measured = measurements(events)
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
            assert m.warmup == 1 and len(m.warmup_times_s) == 1


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
    # Serial runs first in each round (it is the reference), the others in the order given; a
    # strategy with nothing to run (numpy on sleep) takes no turn.
    order = ["serial", "numpy", "threads", "processes"]
    if workload == "sleep":
        order.remove("numpy")
    expected = ([(name, True, r) for r in (1, 2) for name in order]
                + [(name, False, r) for r in (1, 2, 3) for name in order])
    calls = calls_by_point(events)
    assert set(calls) == {0, 1}
    for point_calls in calls.values():
        assert [(c.strategy, c.warmup, c.repeat) for c in point_calls] == expected
        assert all(c.repeats == (2 if c.warmup else 3) for c in point_calls)
        assert [c.calls_done for c in point_calls] == sorted(c.calls_done for c in point_calls)


def test_no_warmup_means_timed_rounds_only():
    spec = tiny_spec("squares", ("serial", "threads"), warmup="0", repeat="2")
    _, events = measure(spec)
    for point_calls in calls_by_point(events).values():
        assert [(c.strategy, c.warmup, c.repeat) for c in point_calls] == [
            ("serial", False, 1), ("threads", False, 1), ("serial", False, 2), ("threads", False, 2)]
    assert all(m.warmup == 0 and m.warmup_times_s == () for m in measurements(events))


# ---------------------------------------------------------------------------------------------
# The output check


def test_wrong_numpy_kernel_fails_its_measurement_and_serial_stays_ok(monkeypatch):
    monkeypatch.setattr(kernels, "squares_numpy", lambda kv: (kv[0], kv[1] ** 2 - 12))
    spec = tiny_spec("squares", ("serial", "threads", "numpy"))
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    for m in measurements(events):
        if m.strategy == "numpy":
            assert m.status == "failed"
            assert "differs from serial" in m.error
        else:
            assert m.ok, m.error


def _altering(build, victim: str, alter):
    def altered_build(spec, start_method):
        built = build(spec, start_method)
        for strategy in built:
            if strategy.name == victim:
                call = strategy.call
                strategy.call = lambda kernel, data, call=call: alter(call(kernel, data))
        return built
    return altered_build


def _off_by_one_at_key_1(output: dict) -> dict:
    output = dict(output)
    output[1] = list(output[1][:-1]) + [output[1][-1] + 1]
    return output


def _drop_key_0(output: dict) -> dict:
    return {k: v for k, v in output.items() if k != 0}


@pytest.mark.parametrize("victim", ["processes", "threads", "numpy-processes"])
@pytest.mark.parametrize("alter, words", [(_off_by_one_at_key_1, "output for key 1 differs from serial"),
                                          (_drop_key_0, "keys differ from serial")])
def test_strategy_returning_wrong_output_is_failed(monkeypatch, victim, alter, words):
    monkeypatch.setattr(sweep, "build", _altering(strategies.build, victim, alter))
    spec = tiny_spec("squares", ("serial", "processes", "threads", "numpy-processes"))
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    measured = measurements(events)
    assert len(measured) == 8
    for m in measured:
        if m.strategy == victim:
            assert m.status == "failed" and words in m.error
            assert m.times_s == ()  # it failed on its first call: no time of a wrong result is kept
        else:
            assert m.ok, f"{m.strategy}: {m.error}"


def test_wrong_output_is_caught_without_serial_too(monkeypatch):
    """Without serial in the sweep the reference is the workload's known answer."""
    monkeypatch.setattr(kernels, "squares_numpy", lambda kv: (kv[0], kv[1] ** 2 - 12))
    spec = tiny_spec("squares", ("threads", "numpy"))
    _, events = measure(spec)
    by_strategy = {m.strategy: m for m in measurements(events) if m.items == 2}
    assert by_strategy["threads"].ok
    assert by_strategy["numpy"].status == "failed" and "differs" in by_strategy["numpy"].error


def test_numpy_only_sweep_checks_against_arrays_without_building_python_lists(monkeypatch):
    from workloads import catalog

    forms: list[str] = []
    original = catalog.Workload.make_inputs

    def recording(self, items, length, seed, wanted):
        forms.extend(wanted)
        return original(self, items, length, seed, wanted)

    monkeypatch.setattr(catalog.Workload, "make_inputs", recording)
    status, events = measure(tiny_spec("squares", ("numpy",)))
    assert status == "completed" and all(m.ok for m in measurements(events))
    assert forms and set(forms) == {"numpy"}
    # ... and the array reference still catches a wrong kernel.
    monkeypatch.setattr(kernels, "squares_numpy", lambda kv: (kv[0], kv[1] ** 2 - 12))
    _, events = measure(tiny_spec("squares", ("numpy",)))
    assert all(m.status == "failed" and "differs" in m.error for m in measurements(events))


def broken_numpy_kernel(key_value):  # module level: a process pool pickles it by name
    raise ZeroDivisionError("numpy kernel fell over")


def test_kernel_that_raises_fails_with_its_message(monkeypatch):
    monkeypatch.setattr(kernels, "squares_numpy", broken_numpy_kernel)
    spec = tiny_spec("squares", ("serial", "numpy", "numpy-processes"), start_method="fork")
    status, events = measure(spec)
    assert status == "completed"
    check_event_order(spec, events)
    for m in measurements(events):
        if m.strategy == "serial":
            assert m.ok
        else:
            assert m.status == "failed"
            assert m.error == "ZeroDivisionError: numpy kernel fell over"


def test_serial_kernel_that_raises_does_not_stop_the_others(monkeypatch):
    from workloads import catalog

    def raising(self, spec):
        def kernel(key_value):
            raise RuntimeError("serial kernel broke\nsecond line")
        return kernel

    monkeypatch.setattr(catalog.Workload, "python_kernel", raising)
    spec = tiny_spec("squares", ("serial", "numpy"))
    status, events = measure(spec)
    assert status == "completed"
    by_strategy = {m.strategy: m for m in measurements(events) if m.items == 4}
    assert by_strategy["serial"].status == "failed"
    assert by_strategy["serial"].error == "RuntimeError: serial kernel broke"  # one line
    assert by_strategy["numpy"].ok


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


def _counting_python_kernel(monkeypatch, make_value=None) -> list[int]:
    """Replace the Python kernel with one that counts its calls (serial runs in this process)."""
    from workloads import catalog

    calls: list[int] = []

    def counting(self, spec):
        def kernel(key_value):
            calls.append(1)
            key, value = key_value
            return key, (make_value(value) if make_value else value)
        return kernel

    monkeypatch.setattr(catalog.Workload, "python_kernel", counting)
    return calls


def test_short_calls_run_back_to_back_after_one_untimed_call(monkeypatch):
    calls = _counting_python_kernel(monkeypatch)
    spec = tiny_spec("spin", ("serial",), items="4", repeat="3", warmup="1", min_time="0.05")
    status, events = measure(spec)
    assert status == "completed"
    (m,) = measurements(events)
    # Microsecond calls: many per repeat, and the times are per call, each far under min-time.
    assert m.loops > 10
    assert len(m.times_s) == 3 and all(t < 0.05 for t in m.times_s)
    # The warm-up call alone (it is checked), then per timed repeat one untimed call and the block.
    assert len(calls) == 4 * (1 + 3 * (1 + m.loops))


def test_min_time_zero_times_every_call_alone(monkeypatch):
    calls = _counting_python_kernel(monkeypatch)
    spec = tiny_spec("spin", ("serial",), items="4", repeat="3", warmup="1", min_time="0")
    _, events = measure(spec)
    (m,) = measurements(events)
    assert m.loops == 1
    assert len(calls) == 4 * (1 + 3)


class _SlowToFree:
    """A value whose release takes a known minimum time, like a huge output's deallocation."""

    def __init__(self, value) -> None:
        self.value = value

    def __eq__(self, other) -> bool:
        return isinstance(other, _SlowToFree) and other.value == self.value

    def __del__(self) -> None:
        import time

        time.sleep(0.005)


@pytest.mark.parametrize("warmup", ["1", "0"])
def test_each_call_is_charged_for_releasing_its_output(monkeypatch, warmup):
    # As timeit counts it: four values that take 5 ms each to free make every call at least 20 ms,
    # including the first (checked) call, whose output is released only after the check, and
    # serial's, which is kept as the reference until the point is done.
    _counting_python_kernel(monkeypatch, _SlowToFree)
    spec = tiny_spec("spin", ("serial", "threads"), items="4", repeat="2", warmup=warmup, min_time="0")
    status, events = measure(spec)
    assert status == "completed"
    for m in measurements(events):
        assert m.ok, m.error
        assert all(t >= 0.02 for t in m.times_s + m.warmup_times_s), (m.strategy, m.times_s, m.warmup_times_s)


def test_a_slow_first_call_does_not_decide_how_many_calls_a_repeat_holds(monkeypatch):
    # A first call that pays for fresh memory can take ten times the steady one; calibrated on
    # it alone, short calls would be timed one at a time, right after the other strategies.
    import time as time_module

    from workloads import catalog

    seen: list[int] = []

    def first_slow(self, spec):
        def kernel(key_value):
            seen.append(1)
            if len(seen) <= 4:  # the whole first call (four items): 16 ms of the 20 ms min-time
                time_module.sleep(0.004)
            return key_value
        return kernel

    monkeypatch.setattr(catalog.Workload, "python_kernel", first_slow)
    spec = tiny_spec("spin", ("serial",), items="4", repeat="2", warmup="1", min_time="0.02")
    _, events = measure(spec)
    (m,) = measurements(events)
    assert m.warmup_times_s[0] >= 0.016  # calibrated on this call alone: 2 calls a repeat
    assert m.loops > 10
