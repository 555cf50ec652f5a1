"""The estimates made before a sweep runs (the explanation of its numbers: test_explain.py)."""

from __future__ import annotations

from workloads.insight import estimate
from workloads.model.numbers import format_duration
from workloads.model.spec import SweepSpec, build_spec


def _profile(spec: SweepSpec):
    """One item of the spec's workload, measured here as the measuring process would before the sweep."""
    from workloads.measuring.loader import LoadedWorkload
    from workloads.measuring.probe import profile
    from workloads.model.strategies import KINDS
    from workloads.model.workload import resolve

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
    # Four serial calls of 64 × 50 ms, give or take what a loaded machine adds to one 50 ms sleep.
    assert 64 * 0.05 * 4 <= sleepy < 64 * 0.05 * 4 * 1.5
    assert format_duration(sleepy).startswith("about")


def test_adaptive_rounds_estimate_a_range_within_the_budget():
    spec = SweepSpec(workload="sleep", items=(64,), length=(10,), settings={"sleep_ms": 50.0},
                     strategies=("serial",), warmup=1, budget=60.0)
    low, high = estimate.duration_range(spec, _profile(spec))
    calls = spec.warmup + spec.min_rounds  # the first pass: warm-up and the fewest rounds
    assert 64 * 0.05 * calls <= low < high <= 60.0 + estimate.START_S
    assert "budget" in estimate.describe_duration(spec, _profile(spec))
