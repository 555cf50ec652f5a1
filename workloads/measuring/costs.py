"""A pool's time taken apart: its start, its shipping per item each way and the work per item,
measured at each point after the point's rounds, outside every timed call (the timings stay as
they are).

For each pooled strategy that succeeded at a point, pools of the same configuration (its kind,
workers, start method, chunksize) are measured:

- **pool start**: a cold pool made, an item sent to every worker (which starts them all), shut
  down: what a cold pool pays inside each timed call. Once with trivial items (`empty_cold_start_s`)
  and once with real items through the real kernel, whose own shipping and work are taken out
  (`cold_start_s`, never below the empty one): a fresh worker's first real item costs more than
  later ones. A warm pool pays one dispatch per call: a trivial item's round trip (`dispatch_s`);
- **shipping per item, each way**: an identity kernel over a few of the point's own inputs (out
  and back: the input twice), then over their results (the result twice), through a warm pool;
  half of each round trip's time per item beyond the dispatch is that direction's cost. This goes
  through the real pool, so it is what the pool really does: `ProcessPoolExecutor` pickles with
  multiprocessing's ForkingPickler at the default protocol (numpy arrays in-band, copied through
  the pipe), Dask with its own serialisation; threads ship nothing but still pay a task each. The
  pickled sizes, and plain dumps+loads times of an input and a result, are kept beside it;
- **work per item**: the in-process strategy of the same form at the same point (serial for the
  Python kernel, numpy for kernel_numpy: its median time over the items), or, without it, the
  kernel timed on a few items here; and its CPU share.

A few items, never the whole point: round trips of about `ROUND_TRIP_S`; a pooled strategy costs a
point two cold pool starts, a warm one and about 0.1–0.5 s (a spawn pool's start is 0.2–0.5 s; a
Dask LocalCluster's 1–2 s, made once).
"""

from __future__ import annotations

import math
import pickle
import statistics
import time
from dataclasses import dataclass, replace
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable

from ..model.costs import PoolCosts
from .ceiling import runqueue_seconds
from .loader import describe_exception
from .runners import make_runner

# An identity round trip lasts about this long: long enough that the per-item cost stands out of
# the dispatch's noise (~0.3 ms), short enough to cost a point little.
ROUND_TRIP_S = 0.02
MIN_SHIP_ITEMS = 2
# Small items go out at least this many per worker, so the round trip reaches the pool's steady state.
MIN_ITEMS_PER_WORKER = 2
MAX_SHIP_ITEMS = 512
# Items pickled to more than this are never sent more often than the point itself sent them.
LARGE_ITEM_BYTES = 1 << 20
# Round trips shorter than this are repeated (median of `REPEATS`).
SHORT_TRIP_S = 0.05
REPEATS = 3
# Inputs sampled from the point (spread over its keys) for sizes, pickling and the kernel's results.
SAMPLE_VALUES = 3
# Kernel calls made here (only when the point has no in-process twin or reference output) stop once
# they have taken this long; at least one is made.
SAMPLE_BUDGET_S = 0.2
# The CPU share is read over kernel calls adding up to at least this long (at most MAX_SAMPLE_CALLS).
CPU_SAMPLE_S = 0.02
MAX_SAMPLE_CALLS = 50
# Pickle timings are repeated until they have taken this long.
PICKLE_MIN_S = 0.002


# The pace gauge: a fixed pure-Python loop of about a millisecond, timed after every round of a point.
PACE_ITERATIONS = 5_000


def pace() -> float:
    """Seconds a fixed pure-Python loop takes now: how fast the machine runs at this moment. This VM
    changes pace during a sweep (two speeds, other tenants); timed after each round, its median says
    how fast the machine ran at a point, whatever the workload does (a sleep's time says nothing of
    it, numpy's grows with the data). The time it waited for a CPU, if another program took its
    CPU mid-loop, is taken out: the gauge is the machine's speed, not its crowd."""
    from .ceiling import busy
    from .waits import thread_wait_s

    waited = thread_wait_s()
    start = time.perf_counter()
    busy(PACE_ITERATIONS)
    elapsed = time.perf_counter() - start
    after = thread_wait_s()
    if waited is not None and after is not None and 0 <= after - waited < elapsed:
        elapsed -= after - waited
    return elapsed


class IdentityItem:
    """The item call of the shipping round trips: returns what it was sent.

    It carries the sweep's own item call and pickles with it, so that a worker imports the workload
    before the payload unpickles (its values may be instances of the workload's own classes), and a
    Dask runner has every worker `load` it first: without that, a Dask worker that cannot unpickle
    an item only logs it, and the round trip waits forever."""

    __slots__ = ("carried",)

    def __init__(self, carried) -> None:
        self.carried = carried

    def __reduce__(self):
        return (IdentityItem, (self.carried,))

    def load(self) -> None:
        load = getattr(self.carried, "load", None)
        if load is not None:
            load()

    def __call__(self, item):
        return item


def _identity(value):
    return value


@dataclass
class Sample:
    """A few items of one form at one point: their inputs, their results, and the work per item."""

    values: list
    results: list
    work_s: float | None
    work_source: str  # which measurement the work per item comes from
    cpu_share: float | None  # CPU time over wall time of the kernel: 0 for a sleep, 1 for a Python loop


def _spread_keys(data: dict, count: int) -> list:
    keys = list(data)
    if len(keys) <= count:
        return keys
    step = (len(keys) - 1) / (count - 1)
    return [keys[round(i * step)] for i in range(count)]


def sample(data: dict, kernel: Callable, *, items: int, twin_s: float | None = None, twin: str = "",
           reference: dict | None = None, cpu_share: float | None = None) -> Sample:
    """Take a few of the point's inputs and their results. `twin_s` is the in-process strategy's
    median time at this point (named `twin`), `reference` that strategy's own output when it is kept
    (its values are the results, no kernel call needed), `cpu_share` the probe's figure."""
    keys = _spread_keys(data, SAMPLE_VALUES)
    values = [data[key] for key in keys]
    kept = reference is not None and all(key in reference for key in keys)
    results: list = [reference[key] for key in keys] if kept else []
    work_s = twin_s / items if twin_s is not None and items > 0 else None
    source = f"{twin}'s time at this point" if work_s is not None else ""
    # The kernel runs here when the results or the work are not known otherwise, and for its CPU
    # share anyway, unless an item takes longer than the budget (the probe's figure then).
    # CPU time over wall time drops when another process takes the CPU, which is no waiting of the
    # kernel's own: the time this thread spent runnable but waiting for a CPU (Linux schedstat) is
    # taken out of the wall time, and the highest of the calls' shares is kept.
    needed = not kept or work_s is None
    if needed or work_s is None or work_s < SAMPLE_BUDGET_S:
        calls: list[float] = []
        shares: list[float] = []
        spent = 0.0
        fresh = []
        while len(calls) < MAX_SAMPLE_CALLS:
            if calls and spent >= SAMPLE_BUDGET_S:
                break
            # Enough once every sampled item has a result (when results are needed) and the calls
            # add up to CPU_SAMPLE_S: one short call's share is at the mercy of one interruption.
            if len(calls) >= (len(values) if not kept else 1) and spent >= CPU_SAMPLE_S:
                break
            value = values[len(calls) % len(values)]
            wall, process, queued = time.perf_counter(), time.process_time(), runqueue_seconds()
            result = kernel(value)
            calls.append(time.perf_counter() - wall)
            if len(fresh) < len(values):
                fresh.append(result)
            del result
            cpu = time.process_time() - process
            after = runqueue_seconds()
            own = calls[-1] - (after - queued if queued is not None and after is not None else 0.0)
            if own > 0:
                shares.append(min(1.0, cpu / own))
            spent += calls[-1]
        if not kept:
            results = fresh
            values = values[:len(results)]
        del fresh
        if work_s is None:
            work_s = statistics.median(calls)
            source = f"the kernel timed here on {len(calls)} item{'s' if len(calls) != 1 else ''}"
        if shares:
            cpu_share = max(shares)
    return Sample(values, results, work_s, source, cpu_share)


def _dumps(value: Any, cluster: bool) -> bytes:
    # What the pool does: ProcessPoolExecutor sends items through multiprocessing's ForkingPickler
    # at the default protocol; Dask pickles with protocol 5.
    return pickle.dumps(value, protocol=5) if cluster else bytes(ForkingPickler.dumps(value))


def _pickle_costs(values: list, cluster: bool) -> tuple[float, float]:
    """Mean pickled bytes per value and mean seconds of one dumps plus one loads."""
    sizes, times = [], []
    for value in values:
        loops = 0
        start = time.perf_counter()
        while True:
            blob = _dumps(value, cluster)
            pickle.loads(blob)
            loops += 1
            elapsed = time.perf_counter() - start
            if elapsed >= PICKLE_MIN_S:
                break
        sizes.append(len(blob))
        times.append(elapsed / loops)
    return statistics.fmean(sizes), statistics.fmean(times)


def _timed_call(runner, data: dict) -> float:
    start = time.perf_counter()
    result = runner.call(data)
    del result  # the copies' release is part of shipping back, as in a timed call
    return time.perf_counter() - start


def _trip(runner, values: list, count: int) -> float:
    data = {i: values[i % len(values)] for i in range(count)}
    first = _timed_call(runner, data)
    if first >= SHORT_TRIP_S:
        return first
    return statistics.median([first] + [_timed_call(runner, data) for _ in range(REPEATS - 1)])


def _ship_count(per_item_s: float, item_bytes: float, items: int, workers: int) -> int:
    count = math.ceil(ROUND_TRIP_S / max(per_item_s, 1e-6))
    count = max(MIN_SHIP_ITEMS, MIN_ITEMS_PER_WORKER * workers, min(MAX_SHIP_ITEMS, count))
    if item_bytes > LARGE_ITEM_BYTES:
        count = min(count, max(MIN_SHIP_ITEMS, items))
    return min(count, MAX_SHIP_ITEMS)


def _items_part(costs: dict, sampled: Sample, workers: int, kind, ceiling: float) -> float:
    """What one item per worker costs a pool beyond its start: their shipping and their work, as the
    model (`workloads.analysis`) spreads it over the workers."""
    from ..insight.analysis import Params, work_time

    share = 1.0 if sampled.cpu_share is None else sampled.cpu_share
    params = Params(0.0, costs["ship_out_s"] + costs["ship_back_s"], sampled.work_s, share, workers, ceiling,
                    not kind.ships, 1)
    return workers * params.ship_s + work_time(params, workers)


def measure_pool(runner, sampled: Sample, *, items: int, ceiling: float | None, cpus: int,
                 ceiling_note: str = "") -> PoolCosts:
    """The costs of one pooled strategy at one point (seconds, per item where it says so). Never
    raises: a measurement that fails says so in `error`, with whatever it had measured before."""
    kind = runner.kind
    began = time.perf_counter()
    costs: dict = {
        "workers": runner.config.workers,
        "pool": "warm" if runner.config.warm else "cold",
        "start_method": runner.config.start_method if kind.processes else None,
        "chunksize": runner.chunksize,
        "work_per_item_s": sampled.work_s,
        "work_source": sampled.work_source,
        "cpu_share": sampled.cpu_share,
        "ceiling": ceiling,
        "ceiling_note": ceiling_note,  # where the ceiling comes from, or why there is none
        "cpus": cpus,
        "error": "",
    }
    if kind.ships:
        in_bytes, in_s = _pickle_costs(sampled.values, kind.cluster)
        out_bytes, out_s = _pickle_costs(sampled.results, kind.cluster)
    else:
        in_bytes = out_bytes = 0.0
        in_s = out_s = 0.0
    costs.update(input_bytes=in_bytes, result_bytes=out_bytes, pickle_in_s=in_s, pickle_out_s=out_s)
    config = replace(runner.config, kernel=_identity, item_call=IdentityItem(runner.config.item_call), warm=True,
                     chunksize=runner.chunksize or 1)
    workers = config.workers
    pool = make_runner(kind, config)
    created = False
    try:
        cold_real = None
        if not kind.cluster:
            # A cold pool's fixed cost, as a timed cold call pays it: made, an item sent to every
            # worker (which starts them all), shut down. Once with trivial items, once with real
            # ones through the real kernel: a fresh worker's first real item costs more than later
            # ones (its memory is copied on first write, the kernel's code and data are touched for
            # the first time); the items' own shipping and work are taken out below. A cluster's
            # start takes seconds: it is read from the warm one's instead of starting two more.
            cold = make_runner(kind, replace(config, warm=False))
            cold.prepare(workers)
            costs["empty_cold_start_s"] = _timed_call(cold, {i: None for i in range(workers)})
            if sampled.values:
                real = make_runner(kind, replace(runner.config, warm=False, chunksize=1))
                real.prepare(workers)
                cold_real = _timed_call(real, {i: sampled.values[i % len(sampled.values)] for i in range(workers)})
        start = time.perf_counter()
        pool.prepare(items)
        created = True
        costs["pool_create_s"] = time.perf_counter() - start
        dispatch = statistics.median(_timed_call(pool, {0: None}) for _ in range(REPEATS))
        costs["dispatch_s"] = dispatch
        count = _ship_count(in_s + out_s, in_bytes + out_bytes, items, workers)
        out_trip = _trip(pool, sampled.values, count)
        per_item = max(0.0, out_trip - dispatch) / count
        if out_trip < ROUND_TRIP_S / 2 and count < MAX_SHIP_ITEMS and in_bytes <= LARGE_ITEM_BYTES:
            # The first guess sent too few items to see them over the dispatch: send enough.
            count = _ship_count(per_item, in_bytes + out_bytes, items, workers)
            out_trip = _trip(pool, sampled.values, count)
        back_trip = _trip(pool, sampled.results, count)
        # Each round trip ships its payload both ways: half of it is one direction.
        costs["ship_out_s"] = max(0.0, out_trip - dispatch) / count / 2
        costs["ship_back_s"] = max(0.0, back_trip - dispatch) / count / 2
        costs["ship_items"] = count
        if cold_real is not None and sampled.work_s is not None:
            items_part = _items_part(costs, sampled, workers, kind, ceiling or cpus)
            costs["cold_start_s"] = max(costs["empty_cold_start_s"], cold_real - items_part)
        elif "empty_cold_start_s" in costs:
            costs["cold_start_s"] = costs["empty_cold_start_s"]
    except Exception as exc:
        costs["error"] = f"measuring the pool's costs failed: {describe_exception(exc)}"
    finally:
        start = time.perf_counter()
        try:
            pool.close()
        except Exception as exc:
            costs["error"] = costs["error"] or f"closing the pool failed: {describe_exception(exc)}"
        if created:
            costs["pool_shutdown_s"] = time.perf_counter() - start
    if "pool_create_s" in costs and "pool_shutdown_s" in costs and "dispatch_s" in costs:
        costs.setdefault("cold_start_s", costs["pool_create_s"] + costs["pool_shutdown_s"])
        costs["pool_start_s"] = costs["cold_start_s"] if costs["pool"] == "cold" else costs["dispatch_s"]
    costs["measured_in_s"] = time.perf_counter() - began
    return PoolCosts(**costs)
