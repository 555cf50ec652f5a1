"""The sweep runner: measures every strategy at every point, interleaved, and streams events.

This is what the measuring process runs. At each point, round k of every strategy runs before
round k+1 of any (warm-up rounds first), so that a change in the machine's speed hits every
strategy alike. Only the strategy call sits inside the timed region: building inputs, checking
outputs and sending events happen outside it.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

import numpy as np

from . import catalog, machine
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
        return f"BrokenProcessPool: a worker process died abruptly ({exc})"
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


def _time_call(strategy: Strategy, kernel, data: dict, deadline: _Deadline) -> tuple[float, dict]:
    # GC off while timing, as timeit does: a collection triggered by the harness's own garbage
    # must not land in a strategy's time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    deadline.arm(strategy)
    try:
        start = time.perf_counter()
        output = strategy.call(kernel, data)
        elapsed = time.perf_counter() - start
    finally:
        deadline.disarm()
        if gc_was_enabled:
            gc.enable()
    return elapsed, output


def run_sweep(
    spec: SweepSpec,
    emit: Callable[[Event], None],
    should_stop: Callable[[], bool] = lambda: False,
    *,
    start_index: int = 0,
) -> str:
    """Measure the whole sweep, emitting events; returns the final status."""
    workload = catalog.get(spec.workload)
    start_method = spec.start_method or multiprocessing.get_start_method()
    strategies = build(spec, start_method)
    python_kernel = workload.python_kernel(spec)
    numpy_kernel = workload.numpy_kernel(spec)
    calls_done = 0
    emit(RunStarted(len(spec.points()), total_calls(spec), machine.describe(start_method)))
    try:
        for index, (items, length) in enumerate(spec.points()):
            if index < start_index:
                continue
            emit(PointStarted(index, items, length))
            calls_done = _measure_point(
                spec, index, items, length, workload, strategies, python_kernel, numpy_kernel,
                emit, should_stop, calls_done,
            )
    except Cancelled:
        emit(RunFinished(CANCELLED))
        return CANCELLED
    finally:
        for strategy in strategies:
            strategy.close()
    emit(RunFinished(COMPLETED))
    return COMPLETED


def _measure_point(spec, index, items, length, workload, strategies, python_kernel, numpy_kernel,
                   emit, should_stop, calls_done) -> int:
    def measurement(strategy: Strategy, times=(), status=OK, error="") -> Measurement:
        pooled = strategy.uses_pool
        return Measurement(
            workload=spec.workload, strategy=strategy.name, items=items, length=length,
            workers=spec.workers if pooled else None,
            chunksize=getattr(strategy, "chunksize", None) if pooled else None,
            pool=spec.pool if pooled else None,
            warmup=spec.warmup, times_s=tuple(times), status=status, error=error, point_index=index,
        )

    rounds = spec.warmup + spec.repeat
    active: list[Strategy] = []
    for strategy in strategies:
        if strategy.form == "numpy" and not workload.has_numpy:
            calls_done += rounds
            emit(MeasurementDone(
                measurement(strategy, status=NOT_APPLICABLE,
                            error=f"{spec.workload} has no numpy form"), calls_done))
        else:
            active.append(strategy)
    if not active:
        return calls_done

    inputs: dict[str, dict] = {}
    for strategy in active:
        if strategy.form not in inputs:
            inputs[strategy.form] = workload.make_input(items, length, spec.seed, strategy.form)
    times: dict[str, list[float]] = {s.name: [] for s in active}
    errors: dict[str, str] = {}
    checked: set[str] = set()
    reference: dict | None = None
    reference_arrays: dict | None = None

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
            if strategy.name in errors or timed_out:
                calls_done += 1
                continue
            if should_stop():
                raise Cancelled
            if deadline.expired():
                timed_out = f"point stopped after {spec.point_timeout:g} s, before {strategy.name} round {round_index + 1}"
                calls_done += 1
                continue
            emit(CallStarted(
                strategy.name, items, length,
                repeat=(round_index + 1) if warm else (round_index - spec.warmup + 1),
                repeats=spec.warmup if warm else spec.repeat, warmup=warm, calls_done=calls_done,
            ))
            kernel = numpy_kernel if strategy.form == "numpy" else python_kernel
            try:
                elapsed, output = _time_call(strategy, kernel, inputs[strategy.form], deadline)
            except PointTimeout:
                timed_out = f"point stopped after {spec.point_timeout:g} s, in a {strategy.name} call"
                strategy.reset()
                calls_done += 1
                continue
            except Exception as exc:
                errors[strategy.name] = describe_error(exc)
                strategy.reset()
                calls_done += 1
                continue
            calls_done += 1
            if not warm:
                times[strategy.name].append(elapsed)
            if strategy.name not in checked:
                checked.add(strategy.name)
                if reference is None:
                    reference = output if strategy.name == "serial" else workload.expected(
                        inputs.get("python") or workload.make_input(items, length, spec.seed, "python"),
                        python_kernel,
                    )
                if any(isinstance(v, np.ndarray) for v in output.values()) and reference_arrays is None:
                    reference_arrays = {k: np.asarray(v) for k, v in reference.items()}
                mismatch = outputs_equal(reference, output, reference_arrays)
                if mismatch:
                    errors[strategy.name] = mismatch
            del output

    for strategy in active:
        if strategy.name in errors:
            m = measurement(strategy, times[strategy.name], FAILED, errors[strategy.name])
        elif timed_out:
            done = len(times[strategy.name])
            m = measurement(strategy, times[strategy.name], TIMED_OUT,
                            f"{timed_out}; {done} of {spec.repeat} repeats done")
        else:
            m = measurement(strategy, times[strategy.name])
        emit(MeasurementDone(m, calls_done))
    return calls_done
