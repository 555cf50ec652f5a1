"""Estimates of a sweep's peak memory and duration, made from the spec alone, before anything runs.

The memory estimate guards the machine: a sweep whose inputs, reference output, one strategy's
output and the copies in flight to pool workers would not fit in a safe share of the memory
available now is refused with the figures, without allocating anything (the seed's billion-number
case among them). The duration is a rough guide for the user, from per-element costs measured on a
2-vCPU VM; it only has to say "seconds" or "an hour" correctly.

No numpy here: this runs on every keystroke in the app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .spec import PROCESS_STRATEGIES, SweepSpec

# CPython object sizes on 64-bit builds.
POINTER = 8
INT_OBJECT = 28
LIST_OVERHEAD = 56
# Values drawn from range(1000): 0..256 are cached small ints, the rest are objects of their own.
SQUARES_UNCACHED = (1000 - 257) / 1000
# Results i**2 - 13 are small ints only for i <= 16.
SQUARES_RESULT_UNCACHED = (1000 - 17) / 1000
# Share of available memory a sweep may plan to use: the rest is the user's, and the estimate is rough.
SAFE_SHARE = 0.6
# Fragmentation and the allocator's own overhead on top of the objects themselves.
ALLOCATOR_SLACK = 1.15

# Rough costs measured on the 2-vCPU VM (parbench runs 4-16 x 1000000; the seed's 8-core PC took
# 209 ms per million for the Python loop).
SQUARES_PY_S = 62e-9    # per element
SQUARES_NP_S = 2e-9     # per element, mostly page faults on the fresh result array
SPIN_ITER_S = 87e-9
PICKLE_PY_S = 90e-9     # per Python int, both ways through a pool
PICKLE_NP_S = 1e-9      # per int64 element, both ways
GENERATE_PY_S = 30e-9   # per element, numpy integers(...).tolist()
TASK_S = 150e-6         # per task sent through a process pool
THREAD_TASK_S = 30e-6
DASK_CLUSTER_START_S = 1.0  # a LocalCluster of two worker processes
DASK_TASK_S = 1e-3
POOL_START_S = {"fork": 0.012, "forkserver": 0.06, "spawn": 0.25}


@dataclass(frozen=True)
class MemoryEstimate:
    peak_bytes: int
    available_bytes: int

    @property
    def limit_bytes(self) -> int:
        return int(self.available_bytes * SAFE_SHARE)

    @property
    def fits(self) -> bool:
        return self.peak_bytes <= self.limit_bytes

    def refusal(self) -> str:
        return (f"this sweep needs about {format_bytes(self.peak_bytes)} at its largest point, more than "
                f"the {format_bytes(self.limit_bytes)} limit ({SAFE_SHARE:.0%} of the "
                f"{format_bytes(self.available_bytes)} available); use fewer items or a shorter length")


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def _forms(spec: SweepSpec) -> set[str]:
    return {"numpy" if name.startswith("numpy") else "python" for name in spec.strategies}


def _python_input_bytes(spec: SweepSpec, items: int, length: int) -> float:
    per_value = POINTER + (INT_OBJECT * SQUARES_UNCACHED if spec.workload == "squares" else 0)
    return items * LIST_OVERHEAD + items * length * per_value


def input_bytes(spec: SweepSpec) -> int:
    """The largest point's input dict(s), as the strategies see them."""
    numpy_too = spec.workload == "squares" and "numpy" in _forms(spec)
    return int(max(_python_input_bytes(spec, items, length) + (items * length * 8 if numpy_too else 0)
                   for items, length in spec.points()))


def point_bytes(spec: SweepSpec, items: int, length: int) -> int:
    """Peak bytes while measuring one point in the measuring process and its pool workers.

    Everything a point holds at once: the Python input (and the matrix it is drawn from), serial's
    output kept as the reference, one more Python-form output beside it, the numpy form's input,
    output and reference copy, and each pool worker's item, result and their pickles. Freed Python ints
    stay in the allocator's arenas, so the sum is what the process really reaches (checked against
    PSS: 2.6 GB for squares 16 × 1000000 with serial, processes and numpy).
    """
    elements = items * length
    squares = spec.workload == "squares"
    python_strategies = [name for name in spec.strategies if not name.startswith("numpy")]
    numpy_strategies = [name for name in spec.strategies if name.startswith("numpy")] if squares else []
    python_input = _python_input_bytes(spec, items, length)
    result_value = POINTER + (INT_OBJECT * SQUARES_RESULT_UNCACHED if squares else INT_OBJECT)
    python_output = items * LIST_OVERHEAD + elements * result_value
    total = 0.0
    if python_strategies or not squares:
        # The Python input, and serial's output (or the expected one) as the reference. A numpy-only
        # squares sweep builds neither: its reference is int64 arrays, counted below.
        total += python_input + python_output
    if squares:
        total += elements * 8  # the matrix numpy draws the values from
    if [name for name in python_strategies if name != "serial"]:
        total += python_output  # another strategy's output beside the reference
    if numpy_strategies:
        total += 3 * elements * 8  # input arrays, one output, the reference as arrays
    pooled = [name for name in spec.strategies if name in PROCESS_STRATEGIES or name == "dask"]
    if pooled:
        workers = min(spec.workers, items)
        total += workers * 1.5 * (python_input + python_output) / items  # item, result, pickles
    return int(total * ALLOCATOR_SLACK)


def memory(spec: SweepSpec, available_bytes: int | None = None) -> MemoryEstimate:
    if available_bytes is None:
        import psutil

        available_bytes = psutil.virtual_memory().available
    peak = max(point_bytes(spec, items, length) for items, length in spec.points())
    return MemoryEstimate(peak, available_bytes)


def _item_seconds(spec: SweepSpec, length: int, form: str) -> float:
    if spec.workload == "sleep":
        return spec.sleep_ms / 1000
    if spec.workload == "spin":
        return spec.spin * SPIN_ITER_S
    return length * (SQUARES_NP_S if form == "numpy" else SQUARES_PY_S)


def call_seconds(spec: SweepSpec, strategy: str, items: int, length: int, cpus: int) -> float:
    form = "numpy" if strategy.startswith("numpy") else "python"
    if form == "numpy" and spec.workload != "squares":
        return 0.0  # not applicable: nothing runs
    work = items * _item_seconds(spec, length, form)
    if strategy in ("serial", "numpy"):
        return work
    parallel = max(1, min(spec.workers, items, cpus if spec.workload != "sleep" else spec.workers))
    if strategy == "threads":
        gil_bound = spec.workload != "sleep"
        return (work if gil_bound else work / parallel) + items * THREAD_TASK_S
    shipped = items * length * (PICKLE_NP_S if form == "numpy" else PICKLE_PY_S)
    if strategy == "dask":
        start = DASK_CLUSTER_START_S if spec.pool == "cold" else 0.0
        return start + work / parallel + shipped + items * DASK_TASK_S
    start = POOL_START_S.get(spec.start_method or "fork", 0.05) if spec.pool == "cold" else 0.0
    chunks = math.ceil(items / (max(1, math.ceil(items / (spec.workers * 4))) if spec.chunksize == "auto"
                                else int(spec.chunksize)))
    return start + work / parallel + shipped + chunks * TASK_S


def duration_seconds(spec: SweepSpec, cpus: int | None = None) -> float:
    import os

    cpus = cpus or os.cpu_count() or 1
    calls = spec.warmup + spec.repeat
    total = 0.5  # starting the measuring process
    for items, length in spec.points():
        total += items * length * GENERATE_PY_S
        for strategy in spec.strategies:
            call = call_seconds(spec, strategy, items, length, cpus)
            if 0 < call < spec.min_time:
                # The first call alone, then per timed repeat an untimed call and a block of min-time.
                total += call + spec.repeat * (call + spec.min_time) + max(0, spec.warmup - 1) * call
            else:
                total += calls * call
    return total
