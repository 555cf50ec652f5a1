"""Why the numbers are what they are: plain sentences derived from a sweep's measurements.

The seed's argument, made from the user's own data: a pool pays only when the work per item is
large against what each item costs to ship to a worker and back plus the pool's start-up; threads
cannot run Python code in parallel (the GIL) but can overlap waits; numpy wins by doing the loop in
C. Each sentence quotes the measured figures it rests on.
"""

from __future__ import annotations

from .export import format_seconds, format_speedup
from .measurement import Measurement, serial_times, speedup_vs_serial


def _by_point(measurements: list[Measurement]) -> dict[tuple[int, int], dict[str, Measurement]]:
    points: dict[tuple[int, int], dict[str, Measurement]] = {}
    for m in measurements:
        points.setdefault(m.point, {})[m.strategy] = m
    return points


# Below this growth of numpy's time per element across a sweep, it is noise, not memory.
NUMPY_SLOWDOWN = 3.0


def _numpy_memory(points: dict, ordered: list) -> list[str]:
    """Why numpy's lead shrinks as the data grows: its time per element is set by memory, not by
    the arithmetic. Quoted only when the sweep shows it (per-element time up `NUMPY_SLOWDOWN`×)."""
    per_element = {p: points[p]["numpy"].stats.median / max(1, p[0] * p[1]) for p in ordered if "numpy" in points[p]}
    if len(per_element) < 2:
        return []
    small, large = min(per_element, key=lambda p: p[0] * p[1]), max(per_element, key=lambda p: p[0] * p[1])
    growth = per_element[large] / per_element[small] if per_element[small] > 0 else 0.0
    if growth < NUMPY_SLOWDOWN:
        return []
    first = points[large]["numpy"].warmup_times_s
    cold = (f" Its first call there, on memory not touched before, took {format_seconds(first[0])} against "
            f"{format_seconds(points[large]['numpy'].stats.median)} once warm." if first else "")
    return [
        f"numpy's time per element grows {growth:.0f}× from items={small[0]}, length={small[1]} "
        f"({_megabytes(small)} of int64 input, {format_seconds(per_element[small])} per element) to "
        f"items={large[0]}, length={large[1]} ({_megabytes(large)}, {format_seconds(per_element[large])}): "
        f"the arithmetic costs the same, the memory does not. Small arrays stay in the CPU's caches from "
        f"call to call; large ones are read from RAM, and every result array is fresh memory the kernel "
        f"has to map.{cold} The Python loop pays per object either way, so numpy's lead shrinks."
    ]


def _megabytes(point: tuple[int, int]) -> str:
    return f"{point[0] * point[1] * 8 / 1e6:.3g} MB"


def explain(measurements: list[Measurement], *, workers: int | None = None, cpus: int | None = None) -> list[str]:
    ok = [m for m in measurements if m.ok and m.stats is not None]
    if not ok:
        return []
    workers = workers or next((m.workers for m in ok if m.workers), None) or 1
    cpus = cpus or workers
    baselines = serial_times(measurements)
    points = _by_point(ok)
    lines: list[str] = []

    # The verdict at each end of the sweep: what a user should pick.
    ordered = sorted(points)
    for point in dict.fromkeys([ordered[0], ordered[-1]]):
        row = points[point]
        best = min(row.values(), key=lambda m: m.stats.median)
        items, length = point
        serial = row.get("serial")
        versus = ""
        if serial is not None and best.strategy != "serial":
            versus = f", {format_speedup(speedup_vs_serial(best, baselines))} faster than the plain loop"
        lines.append(f"At items={items}, length={length}: fastest is {best.strategy} "
                     f"({format_seconds(best.stats.median)}{versus}).")

    for point in ordered:
        row = points[point]
        serial = row.get("serial")
        if serial is None:
            continue
        items, length = point
        per_item = serial.stats.median / items
        for name in ("processes", "numpy-processes"):
            pooled = row.get(name)
            if pooled is None:
                continue
            parallel = min(items, workers, cpus)
            base = row.get("numpy") if name == "numpy-processes" else serial
            if base is None:
                continue
            ideal = base.stats.median / parallel
            overhead = pooled.stats.median - ideal
            pool_desc = (f"a {pooled.pool} pool of {pooled.workers} workers, chunksize {pooled.chunksize}")
            if overhead > 0:
                lines.append(
                    f"items={items}, length={length}, {name}: {format_seconds(pooled.stats.median)} against an "
                    f"ideal {format_seconds(ideal)} (the {base.strategy} time split over {parallel} cores). "
                    f"The {format_seconds(overhead)} difference is the pool's own cost ({pool_desc}): "
                    f"start-up, and pickling each item to a worker and its result back, about "
                    f"{format_seconds(overhead / items)} per item against {format_seconds(base.stats.median / items)}"
                    f" of work per item."
                )
            break  # one pool sentence per point is enough
        threads = row.get("threads")
        if threads is not None:
            ratio = speedup_vs_serial(threads, baselines) or 0
            if ratio < 1.2:
                lines.append(
                    f"items={items}, length={length}, threads: {format_speedup(ratio)} of serial. Python "
                    f"code holds the GIL, so threads take turns on one core; they help only while items wait "
                    f"(sleep, I/O).")
            else:
                lines.append(
                    f"items={items}, length={length}, threads: {format_speedup(ratio)} faster than serial: "
                    f"the items spend their time waiting (sleep releases the GIL), so waits overlap.")
        numpy = row.get("numpy")
        if numpy is not None:
            lines.append(
                f"items={items}, length={length}, numpy: {format_speedup(speedup_vs_serial(numpy, baselines))} "
                f"against the loop: the arithmetic runs in C over a packed int64 array "
                f"({format_seconds(numpy.stats.median / max(1, items * length))} per element against "
                f"{format_seconds(per_item / max(1, length))} in Python).")

    lines.extend(_numpy_memory(points, ordered))

    # Where the pool starts to pay, if it does within the sweep.
    crossing = [
        point for point in ordered
        if "processes" in points[point] and "serial" in points[point]
        and (speedup_vs_serial(points[point]["processes"], baselines) or 0) > 1
    ]
    if any("processes" in points[p] for p in ordered):
        if crossing:
            items, length = crossing[0]
            lines.append(f"The process pool first beats the loop at items={items}, length={length}.")
        else:
            lines.append("The process pool never beats the loop in this sweep: the work per item is too small "
                         "against what shipping it costs. More work per item (longer lists, a heavier kernel) "
                         "or a warm pool with a larger chunksize moves the break-even.")

    noisy = [m for m in ok if m.stats.noisy]
    if noisy:
        lines.append(f"{len(noisy)} of {len(ok)} measurements are noisy (repeats spread over 10% of their "
                     f"median): the machine's speed changed while measuring. Read them as ranges, or raise "
                     f"repeats.")
    return lines
