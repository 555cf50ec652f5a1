"""Adaptive rounds (the default, `--repeat auto`): a point stops adding interleaved rounds when every
strategy's 95% interval is within the asked precision, never before 3 rounds, at most MAX_ROUNDS,
and within the sweep's time budget; each row says why it stopped."""

from __future__ import annotations

import time

from workloads.measuring.sweep import run_sweep, stop_reason
from workloads.model import stats
from workloads.model.events import CallStarted, MeasurementDone
from workloads.model.measurement import (
    STOP_BUDGET,
    STOP_MAX_ROUNDS,
    STOP_PRECISION,
    quality,
)
from workloads.model.spec import MAX_ROUNDS, MIN_ROUNDS, build_spec

# Serial waits 2 ms an item; the thread pool's items wait 2 ms (quiet) or anywhere from 1 to 8 ms
# (noisy), so the paired ratio serial / threads is steady or all over the place.
WAITING = """
    import random
    import threading
    import time

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        if threading.current_thread() is threading.main_thread() or not NOISY:
            time.sleep(0.002)
        else:
            time.sleep(random.uniform(0.001, 0.008))
        return value
"""


def _sweep(workload_file, noisy: bool, **fields):
    import textwrap

    path = workload_file(textwrap.dedent(WAITING) + f"\nNOISY = {noisy}\n")
    spec = build_spec(workload=path, strategies="serial,threads", workers="2", warmup="0", length="1",
                      **{"items": "2", "min_time": "0", **fields})
    events: list = []
    started = time.monotonic()
    assert run_sweep(spec, events.append) == "completed"
    return spec, [e.measurement for e in events if isinstance(e, MeasurementDone)], events, \
        time.monotonic() - started


def _interval(half_width: float, n: int = 3) -> stats.Interval:
    return stats.Interval(2.0, 2.0 * (1 - half_width), 2.0 * (1 + half_width), 0.95, n)


def test_the_stopping_rule_on_synthetic_intervals():
    spec = build_spec(precision="5%")
    tight, loose = [_interval(0.01), _interval(0.02)], [_interval(0.01), _interval(0.30)]
    assert stop_reason(spec, 2, tight, past_deadline=True) is None  # never below three rounds
    assert stop_reason(spec, 3, tight, past_deadline=False) == STOP_PRECISION  # early when tight
    assert stop_reason(spec, 3, loose, past_deadline=False) is None
    assert stop_reason(spec, MAX_ROUNDS - 1, loose, past_deadline=False) is None
    assert stop_reason(spec, MAX_ROUNDS, loose, past_deadline=False) == STOP_MAX_ROUNDS  # the cap when noisy
    assert stop_reason(spec, 4, loose, past_deadline=True) == STOP_BUDGET
    assert stop_reason(spec, 4, [*tight, None], past_deadline=False) is None  # an interval not formed yet
    fixed = build_spec(repeat="5")
    assert stop_reason(fixed, 4, tight, past_deadline=True) is None
    assert stop_reason(fixed, 5, loose, past_deadline=False) == "fixed"


def test_a_quiet_point_stops_as_soon_as_it_is_precise(workload_file):
    # Timed in blocks of at least 20 ms (the default min-time), the waits average out; the loose
    # precision leaves room for a machine busy with other work.
    spec, measured, events, _ = _sweep(workload_file, noisy=False, precision="50%", min_time="0.02")
    assert spec.adaptive
    for m in measured:
        assert m.stop == STOP_PRECISION, m
        assert MIN_ROUNDS <= m.repeats < MAX_ROUNDS
    threads = next(m for m in measured if m.strategy == "threads")
    assert threads.precision is not None and threads.precision <= 0.50


def test_a_noisy_point_runs_to_the_most_rounds_and_says_so(workload_file):
    _, measured, events, _ = _sweep(workload_file, noisy=True, precision="1%")
    for m in measured:
        assert m.stop == STOP_MAX_ROUNDS and m.repeats == MAX_ROUNDS
    threads = next(m for m in measured if m.strategy == "threads")
    assert threads.precision > 0.01
    assert "most rounds" in quality(threads).detail
    # The progress bar's total grew with the rounds it added: it never reads past 100 %.
    calls = [e for e in events if isinstance(e, CallStarted)]
    assert all(c.calls_done < c.calls_total for c in calls)
    assert calls[-1].calls_total > calls[0].calls_total


def test_the_budget_stops_points_after_their_minimum_rounds_and_says_so(workload_file):
    _, measured, _, elapsed = _sweep(workload_file, noisy=True, precision="1%", items="2,4,8,16", budget="2s")
    assert all(m.repeats >= MIN_ROUNDS for m in measured)
    stopped = [m for m in measured if m.stop == STOP_BUDGET]
    assert stopped, [m.stop for m in measured]
    assert all(quality(m).label == "budget" for m in stopped if not m.stats.noisy)
    assert all("budget" in quality(m).detail for m in stopped)
    # Far less than MAX_ROUNDS at four points would take (over 20 s of waits).
    assert elapsed < 15


def test_a_fixed_repeat_means_exactly_that_many_rounds(workload_file):
    _, measured, _, _ = _sweep(workload_file, noisy=True, repeat="4")
    assert all(m.repeats == 4 and m.stop == "fixed" for m in measured)
