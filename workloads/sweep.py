"""The sweep runner: measures every strategy at every point, interleaved, and streams events.

This is what the measuring process runs. At each point, round k of every strategy runs before
round k+1 of any (warm-up rounds first), so that a change in the machine's speed hits every
strategy alike. Only the strategy call and the release of its output sit inside the timed
region (calls shorter than the spec's min-time back to back, timed per call): building inputs,
checking outputs and sending events happen outside it.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

import numpy as np

from . import catalog, estimate, machine
from .events import (
    CANCELLED,
    COMPLETED,
    CallStarted,
    Event,
    MeasurementDone,
    PointStarted,
    RunFinished,
    RunStarted,
)
from .measurement import FAILED, NOT_APPLICABLE, OK, TIMED_OUT, Measurement
from .spec import SweepSpec
from .strategies import Strategy, build


# A bound on a calibration gone wrong (a call timed at ~0 s): never loop forever.
MAX_LOOPS = 1_000_000


class Cancelled(Exception):
    pass


class PointTimeout(Exception):
    """Raised in the measuring process's main thread when a point's time budget runs out."""


class _Deadline:
    """Interrupts the call in flight when the point's budget runs out.

    SIGALRM's handler runs in the main thread between bytecodes and interrupts a sleep or a lock
    wait, so it stops a Python loop, a sleeping kernel, or a wait on a pool; for a pool it kills
    the workers first, since the pool would otherwise go on with the items already queued. Only
    armed in the main thread of the process (the measuring process); elsewhere there is no timeout.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end: float | None = None
        self.usable = seconds is not None and threading.current_thread() is threading.main_thread()

    def start(self) -> None:
        if self.seconds is not None:
            self.end = time.perf_counter() + self.seconds

    def expired(self) -> bool:
        return self.end is not None and time.perf_counter() >= self.end

    def arm(self, strategy: Strategy) -> None:
        if not self.usable or self.end is None:
            return

        def on_alarm(signum, frame):
            strategy.kill_workers()
            raise PointTimeout

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.end - time.perf_counter(), 1e-4))

    def disarm(self) -> None:
        if self.usable and self.end is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)


def describe_error(exc: BaseException) -> str:
    """One line a user can act on; a broken pool says which worker died and how."""
    if isinstance(exc, BrokenProcessPool):
        return f"BrokenProcessPool: {getattr(exc, 'worker_exit', 'a worker process died')}, breaking the pool"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def outputs_equal(reference: dict, output: dict, reference_arrays: dict | None = None) -> str:
    """Empty when `output` matches `reference`; otherwise the first difference, in words."""
    if output is None:
        return "strategy returned nothing"
    if set(output) != set(reference):
        return f"returned keys differ from serial ({len(output)} vs {len(reference)} keys)"
    for key, expected in reference.items():
        got = output[key]
        if isinstance(got, np.ndarray) or isinstance(expected, np.ndarray):
            expected_array = reference_arrays[key] if reference_arrays is not None else np.asarray(expected)
            if not np.array_equal(expected_array, np.asarray(got)):
                return f"output for key {key} differs from serial"
        elif got != expected:
            return f"output for key {key} differs from serial"
    return ""


def total_calls(spec: SweepSpec) -> int:
    return len(spec.points()) * len(spec.strategies) * (spec.warmup + spec.repeat)


@contextlib.contextmanager
def _gc_paused():
    """GC off while timing, as timeit does: a collection triggered by the harness's own garbage
    must not land in a strategy's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _time_call(strategy: Strategy, kernel, data: dict, deadline: _Deadline, loops: int = 1,
               keep: bool = False) -> tuple[float, list]:
    """Seconds per call of `loops` calls back to back, each one's output released inside the timed
    region, as `timeit` and simple_benchmark count it (freeing a big output is part of its cost).

    With `keep`, one call whose output is handed back, in a one-item list that is its only
    reference: the caller checks it, then times its release with `_time_release` and adds it.
    """
    kept: list = []
    with _gc_paused():
        deadline.arm(strategy)
        try:
            start = time.perf_counter()
            if keep:
                kept.append(strategy.call(kernel, data))
            else:
                for _ in range(loops):
                    strategy.call(kernel, data)
            elapsed = time.perf_counter() - start
        finally:
            deadline.disarm()
    return elapsed / (1 if keep else loops), kept


def _time_release(kept: list) -> float:
    """Seconds it takes to drop the outputs in `kept` (their only references)."""
    with _gc_paused():
        start = time.perf_counter()
        kept.clear()
        return time.perf_counter() - start


def loops_for(call_s: float, min_time: float) -> int:
    """Calls per timed repeat, so that a repeat lasts at least `min_time` (as pyperf calibrates its
    loops and `timeit` its number): a short call timed alone is at the mercy of whatever ran just
    before it (another strategy's call evicts its data from the caches: a 0.3 ms numpy call then
    takes 0.7 ms), and back to back it is timed in the steady state a user's loop runs in.
    Taken from a point's first call, then once more from the first untimed call, which runs warm;
    a first call over `min_time` is taken as a long call and never looped."""
    if min_time <= 0 or call_s >= min_time:
        return 1
    return min(MAX_LOOPS, math.ceil(min_time / max(call_s, 1e-7)))


def run_sweep(
    spec: SweepSpec,
    emit: Callable[[Event], None],
    should_stop: Callable[[], bool] = lambda: False,
    *,
    start_index: int = 0,
) -> str:
    """Measure the whole sweep, emitting events; returns the final status."""
    start_method = spec.start_method or multiprocessing.get_start_method()
    runner = _SweepRunner(spec, start_method, emit, should_stop)
    emit(RunStarted(len(spec.points()), total_calls(spec), machine.describe(start_method)))
    try:
        for index, (items, length) in enumerate(spec.points()):
            if index < start_index:
                continue
            emit(PointStarted(index, items, length))
            runner.measure_point(index, items, length)
    except Cancelled:
        emit(RunFinished(CANCELLED))
        return CANCELLED
    finally:
        runner.close()
    emit(RunFinished(COMPLETED))
    return COMPLETED


class _SweepRunner:
    def __init__(self, spec: SweepSpec, start_method: str, emit, should_stop) -> None:
        self.spec = spec
        self.workload = catalog.get(spec.workload)
        self.strategies = build(spec, start_method)
        self.kernels = {"python": self.workload.python_kernel(spec), "numpy": self.workload.numpy_kernel(spec)}
        self.emit = emit
        self.should_stop = should_stop
        self.calls_done = 0
        # Each strategy's latest call: (seconds it took, what the estimate said), to skip
        # warm-ups that would buy nothing.
        self.last_call: dict[str, tuple[float, float]] = {}

    def close(self) -> None:
        for strategy in self.strategies:
            strategy.close()

    def warmups_for(self, strategy: Strategy, items: int, length: int) -> int:
        """Warm-ups worth doing: none once a call takes over `skip_warmup_over` seconds, where a
        warm-up would only add its whole length to the wait for little gain (see
        `spec.DEFAULT_SKIP_WARMUP_OVER`). The estimate's guess for this point, corrected by how
        far off it was at this strategy's previous point."""
        spec = self.spec
        if spec.skip_warmup_over is None or spec.warmup == 0:
            return spec.warmup
        expected = self._estimate(strategy.name, items, length)
        if strategy.name in self.last_call:
            measured, estimated = self.last_call[strategy.name]
            if estimated > 0:
                expected *= measured / estimated
        return 0 if expected > spec.skip_warmup_over else spec.warmup

    def _estimate(self, name: str, items: int, length: int) -> float:
        return estimate.call_seconds(self.spec, name, items, length, machine.usable_cpus())

    def measure_point(self, index: int, items: int, length: int) -> None:
        spec = self.spec
        workload = self.workload

        def measurement(strategy: Strategy, status=OK, error="") -> Measurement:
            pooled = strategy.uses_pool
            return Measurement(
                workload=spec.workload, strategy=strategy.name, items=items, length=length,
                workers=spec.workers if pooled else None,
                # ThreadPoolExecutor.map ignores chunksize: recording one would suggest it mattered.
                chunksize=strategy.chunksize if getattr(strategy, "processes", False) and status != NOT_APPLICABLE
                else None,
                pool=spec.pool if pooled else None,
                warmup=len(warmup_times.get(strategy.name, ())), times_s=tuple(times.get(strategy.name, ())),
                warmup_times_s=tuple(warmup_times.get(strategy.name, ())),
                status=status, error=error, point_index=index, loops=loops.get(strategy.name, 1),
            )

        rounds = spec.warmup + spec.repeat
        times: dict[str, list[float]] = {}
        warmup_times: dict[str, list[float]] = {}
        loops: dict[str, int] = {}
        active: list[Strategy] = []
        for strategy in self.strategies:
            if strategy.form == "numpy" and not workload.has_numpy:
                self.calls_done += rounds
                self.emit(MeasurementDone(
                    measurement(strategy, NOT_APPLICABLE, f"{spec.workload} has no numpy form"), self.calls_done))
            else:
                active.append(strategy)
        if not active:
            return

        inputs = workload.make_inputs(items, length, spec.seed, {strategy.form for strategy in active})
        for strategy in active:
            times[strategy.name] = []
            warmup_times[strategy.name] = []
        warmups = {s.name: self.warmups_for(s, items, length) for s in active}
        errors: dict[str, str] = {}
        checked: set[str] = set()
        reference: dict | None = None
        reference_arrays: dict | None = None
        # Where serial's checked call went, to add the release of its output (the reference for
        # every other strategy) once nothing needs it.
        reference_slot: tuple[list[float], int] | None = None
        kernel_of = {s.name: self.kernels[s.form] for s in active}
        calibrated: set[str] = set()

        for strategy in active:
            try:
                strategy.prepare(items)
            except Exception as exc:  # a pool that cannot even start is that strategy's failure
                errors[strategy.name] = describe_error(exc)
                strategy.reset()

        deadline = _Deadline(spec.point_timeout)
        deadline.start()
        timed_out = ""
        for round_index in range(rounds):
            warm = round_index < spec.warmup
            for strategy in active:
                name = strategy.name
                skipped_warmup = warm and round_index >= warmups[name]
                if name in errors or timed_out or skipped_warmup:
                    self.calls_done += 1
                    continue
                if self.should_stop():
                    raise Cancelled
                if deadline.expired():
                    timed_out = f"point stopped after {spec.point_timeout:g} s, before {name} round {round_index + 1}"
                    self.calls_done += 1
                    continue
                self.emit(CallStarted(
                    name, items, length,
                    repeat=(round_index + 1) if warm else (round_index - spec.warmup + 1),
                    repeats=warmups[name] if warm else spec.repeat, warmup=warm, calls_done=self.calls_done,
                ))
                first = name not in checked
                try:
                    if not first and loops[name] > 1:
                        # One untimed call first: the block is timed in steady state, not right
                        # after another strategy has churned the caches. It also calibrates the
                        # block better than the first call did: that one paid for fresh memory
                        # (7 ms where the steady call takes 0.9 ms, numpy 16 × 100000).
                        settle_s, _ = _time_call(strategy, kernel_of[name], inputs[strategy.form], deadline)
                        if name not in calibrated:  # once: every block of the point holds as many calls
                            calibrated.add(name)
                            loops[name] = max(loops[name], loops_for(settle_s, spec.min_time))
                    elapsed, kept = _time_call(strategy, kernel_of[name], inputs[strategy.form], deadline,
                                               loops=1 if first else loops[name], keep=first)
                except PointTimeout:
                    timed_out = f"point stopped after {spec.point_timeout:g} s, in a {name} call"
                    strategy.reset()
                    self.calls_done += 1
                    continue
                except Exception as exc:
                    errors[name] = describe_error(exc)
                    strategy.reset()
                    self.calls_done += 1
                    continue
                self.calls_done += 1
                series = (warmup_times if warm else times)[name]
                if first:
                    checked.add(name)
                    loops[name] = loops_for(elapsed, spec.min_time)
                    output = kept[0]
                    if reference is None:
                        if name == "serial":
                            reference, reference_slot = output, (series, len(series))
                        else:
                            reference = workload.expected(items, length, spec.seed, self.kernels["python"],
                                                          inputs)
                    if reference_arrays is None and any(isinstance(v, np.ndarray) for v in output.values()):
                        reference_arrays = {k: np.asarray(v) for k, v in reference.items()}
                    mismatch = outputs_equal(reference, output, reference_arrays)
                    if mismatch:
                        errors[name] = mismatch
                    del output
                    # The checked output's release, timed now; the reference's, once the point is done.
                    elapsed += _time_release(kept)
                self.last_call[name] = (elapsed, self._estimate(name, items, length))
                series.append(elapsed)

        reference_arrays = None
        if reference_slot is not None:
            series, slot = reference_slot
            reference_slot = None
            kept = [reference]
            reference = None
            series[slot] += _time_release(kept)

        for strategy in active:
            name = strategy.name
            if name in errors:
                m = measurement(strategy, FAILED, errors[name])
            elif timed_out:
                m = measurement(strategy, TIMED_OUT,
                                f"{timed_out}; {len(times[name])} of {spec.repeat} repeats done")
            else:
                m = measurement(strategy)
            self.emit(MeasurementDone(m, self.calls_done))
