"""The sweep runner: measures every strategy at every point, interleaved, and streams events.

This is what the measuring process runs. At each point, round k of every strategy runs before
round k+1 of any (warm-up rounds first), so that a change in the machine's speed hits every
strategy alike. Only the strategy call sits inside the timed region: building inputs, checking
outputs and sending events happen outside it.
"""

from __future__ import annotations

import gc
import multiprocessing
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
from .measurement import FAILED, NOT_APPLICABLE, OK, Measurement
from .spec import SweepSpec
from .strategies import Strategy, build


class Cancelled(Exception):
    pass


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


def _time_call(strategy: Strategy, kernel, data: dict) -> tuple[float, dict]:
    # GC off while timing, as timeit does: a collection triggered by the harness's own garbage
    # must not land in a strategy's time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        output = strategy.call(kernel, data)
        elapsed = time.perf_counter() - start
    finally:
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

    for round_index in range(rounds):
        warm = round_index < spec.warmup
        for strategy in active:
            if strategy.name in errors:
                calls_done += 1
                continue
            if should_stop():
                raise Cancelled
            emit(CallStarted(
                strategy.name, items, length,
                repeat=(round_index + 1) if warm else (round_index - spec.warmup + 1),
                repeats=spec.warmup if warm else spec.repeat, warmup=warm, calls_done=calls_done,
            ))
            kernel = numpy_kernel if strategy.form == "numpy" else python_kernel
            try:
                elapsed, output = _time_call(strategy, kernel, inputs[strategy.form])
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
        else:
            m = measurement(strategy, times[strategy.name])
        emit(MeasurementDone(m, calls_done))
    return calls_done
