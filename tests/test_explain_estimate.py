"""The explanation of a sweep's numbers, and the estimates made before a sweep runs."""

from __future__ import annotations

from workloads import estimate
from workloads.explain import explain
from workloads.measurement import Measurement
from workloads.spec import SweepSpec, build_spec


def _m(strategy: str, items: int, times: tuple[float, ...], length: int = 1000, **kwargs) -> Measurement:
    pooled = strategy in ("processes", "threads", "numpy-processes")
    return Measurement(workload="squares", strategy=strategy, items=items, length=length,
                       workers=2 if pooled else None, chunksize=1 if pooled else None,
                       pool="cold" if pooled else None, warmup=1, times_s=times, **kwargs)


def test_explanation_names_the_fastest_strategy_and_where_the_pool_starts_to_pay():
    measurements = [
        _m("serial", 4, (0.010, 0.010, 0.010)), _m("processes", 4, (0.020, 0.020, 0.020)),
        _m("numpy", 4, (0.001, 0.001, 0.001)),
        _m("serial", 64, (0.400, 0.400, 0.400)), _m("processes", 64, (0.250, 0.250, 0.250)),
        _m("numpy", 64, (0.500, 0.500, 0.500)),
    ]
    text = "\n".join(explain(measurements, workers=2, cpus=2))
    assert "At items=4, length=1000: fastest is numpy" in text
    assert "At items=64, length=1000: fastest is processes" in text
    assert "first beats the loop at items=64" in text
    # The pool's own cost at items=4: 20 ms against an ideal 5 ms (10 ms over 2 cores).
    assert "15 ms difference is the pool's own cost" in text


def test_explanation_says_when_the_pool_never_pays_and_why_threads_do_not_help():
    measurements = [
        _m("serial", 8, (0.010, 0.010, 0.010)), _m("processes", 8, (0.050, 0.050, 0.050)),
        _m("threads", 8, (0.011, 0.011, 0.011)),
    ]
    text = "\n".join(explain(measurements, workers=2, cpus=2))
    assert "never beats the loop" in text
    assert "GIL" in text


def test_explanation_flags_noisy_points():
    measurements = [_m("serial", 8, (0.010, 0.020, 0.011)), _m("processes", 8, (0.05, 0.05, 0.05))]
    text = "\n".join(explain(measurements, workers=2, cpus=2))
    assert "1 of 2 measurements are noisy" in text


def test_nothing_to_explain_without_successful_measurements():
    assert explain([_m("serial", 4, (), status="failed", error="boom")]) == []


def _profile(spec: SweepSpec):
    """One item of the spec's workload, measured here as the measuring process would before the sweep."""
    from workloads.loader import LoadedWorkload
    from workloads.probe import profile
    from workloads.strategies import KINDS
    from workloads.workload import resolve

    workload = LoadedWorkload(resolve(spec.workload), spec.settings)
    forms = tuple(f for f in workload.forms if any(KINDS[n].form == f for n in spec.strategies))
    return profile(workload, spec.length, spec.seed, forms, ships=True, max_items=max(spec.items),
                   available_bytes=10**10)


def test_memory_estimate_grows_with_the_input_and_refuses_what_does_not_fit():
    small_spec, large_spec = build_spec(items="4", length="1000"), build_spec(items="16", length="1000000")
    small = estimate.memory(small_spec, _profile(small_spec), available_bytes=10**9)
    large = estimate.memory(large_spec, _profile(large_spec), available_bytes=10**9)
    assert small.fits
    assert large.peak_bytes > 100 * small.peak_bytes
    assert not large.fits
    message = large.refusal()
    assert "GB" in message and "limit" in message


def test_memory_estimate_is_close_to_the_objects_it_stands_for():
    # squares 16 x 1e6 with serial, processes and numpy peaked at 2.6 GB (PSS) when measured here.
    spec = build_spec(items="16", length="1000000", strategies="serial,processes,numpy")
    assert 2.0e9 < estimate.memory(spec, _profile(spec), available_bytes=10**12).peak_bytes < 3.5e9


def test_a_billion_element_item_is_estimated_without_being_built():
    import tracemalloc

    spec = build_spec(items="16", length="1000000000", strategies="serial,processes,numpy")
    tracemalloc.start()
    try:
        measured = _profile(spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # the probe built small items only
    assert max(measured.lengths) < 10_000
    assert not estimate.memory(spec, measured, available_bytes=24 * 10**9).fits


def test_duration_estimate_orders_sweeps_by_their_work():
    quick_spec = build_spec(items="4", length="1000", repeat="3")
    seed_spec = build_spec(items="4..16", length="1000000", repeat="3")
    sleepy_spec = SweepSpec(workload="sleep", items=(64,), length=(10,), settings={"sleep_ms": 50.0},
                            strategies=("serial",), repeat=3, warmup=1)
    quick = estimate.duration_seconds(quick_spec, _profile(quick_spec))
    seed = estimate.duration_seconds(seed_spec, _profile(seed_spec))
    sleepy = estimate.duration_seconds(sleepy_spec, _profile(sleepy_spec))
    assert quick < seed
    assert 64 * 0.05 * 4 <= sleepy < 64 * 0.05 * 4 + 2  # four serial calls of 64 × 50 ms
    assert estimate.format_duration(sleepy).startswith("about")


def test_adaptive_rounds_estimate_a_range_within_the_budget():
    spec = SweepSpec(workload="sleep", items=(64,), length=(10,), settings={"sleep_ms": 50.0},
                     strategies=("serial",), warmup=1, budget=60.0)
    low, high = estimate.duration_range(spec, _profile(spec))
    assert 64 * 0.05 * 4 <= low < high <= 60.0 + estimate.START_S
    assert "budget" in estimate.describe_duration(spec, _profile(spec))


def test_explanation_says_why_numpy_loses_its_lead_as_the_data_grows():
    # 0.4 ns per element on 3.2 MB, 2.6 ns on 51 MB: memory, not arithmetic, sets the pace.
    measurements = [
        _m("serial", 4, (0.033,) * 3, length=100_000), _m("numpy", 4, (0.00015,) * 3, length=100_000),
        _m("serial", 64, (0.43,) * 3, length=100_000),
        _m("numpy", 64, (0.017,) * 3, length=100_000, warmup_times_s=(0.06,)),
    ]
    text = "\n".join(explain(measurements, workers=2, cpus=2))
    assert "numpy's time per element grows 7× from items=4, length=100000 (3.2 MB" in text
    assert "items=64, length=100000 (51.2 MB" in text
    assert "first call there, on memory not touched before, took 60 ms against 17 ms" in text
    # Where the per-element time holds steady, nothing is claimed about memory.
    steady = [
        _m("serial", 4, (0.033,) * 3, length=100_000), _m("numpy", 4, (0.0003,) * 3, length=100_000),
        _m("serial", 8, (0.066,) * 3, length=100_000), _m("numpy", 8, (0.0006,) * 3, length=100_000),
    ]
    assert "time per element grows" not in "\n".join(explain(steady, workers=2, cpus=2))
