"""Figure 13, a free-threaded Python: with the GIL off, CPU-bound Python threads run in parallel. The
`spin` workload (a pure-Python loop, nothing to ship) under a free-threaded build, serial against 2
threads, as parbench measures it (`--python`, each round a sweep of its own); the figure is the
median over rounds of the threads' speedup over the loop, with a 2-process pool beside it for
context (what the machine gave in parallel at that moment).

Needs a free-threaded CPython: PARBENCH_FT_PYTHON, or python3.13t/python3.14t on PATH. Without one
the figure is an info row saying so.
"""

from __future__ import annotations

import os
import statistics

from workloads.model.interpreter import discover
from workloads.model.spec import build_spec

from .common import Context, Row, at_least, info, interleave, measurement, parbench_run

TARGET = 1.3
SPIN = "3000000"


def free_threaded_python() -> str | None:
    named = os.environ.get("PARBENCH_FT_PYTHON")
    if named:
        return named
    found = [c for c in discover() if c.free_threaded and c.source != "parbench"]
    return found[-1].path if found else None


def run(ctx: Context) -> list[Row]:
    python = free_threaded_python()
    figure = "13 spin: 2 threads over the loop, free-threaded Python (GIL off)"
    if python is None:
        return [info(figure, "not run", "no free-threaded CPython here (PARBENCH_FT_PYTHON, or python3.13t/3.14t on "
                                        "PATH)")]
    spec = build_spec(workload="spin", spin=SPIN, items="4", strategies="serial,threads,processes", workers="2",
                      pool="warm", repeat="5", warmup="1", python=python)

    def sweep() -> tuple[float, float, bool]:
        found = parbench_run(spec, ctx.db("free-threaded"))
        serial = statistics.median(measurement(found, "serial").times_s)
        threads = statistics.median(measurement(found, "threads").times_s)
        processes = statistics.median(measurement(found, "processes").times_s)
        return serial / threads, serial / processes, found.machine.gil_off

    rounds = ctx.rounds(5, 2)
    results = interleave([("sweep", sweep)], rounds, "free-threaded spin")["sweep"]
    threads = statistics.median(r[0] for r in results)
    processes = statistics.median(r[1] for r in results)
    gil_off = all(r[2] for r in results)
    per_round = " ".join(f"{t:.2f}" for t, _, _ in results)
    return [at_least(figure, threads if gil_off else 0.0, TARGET, "{:.2f}×",
                     f"{python}, GIL {'off' if gil_off else 'ON in some round'}; per-round {per_round}; a warm "
                     f"2-process pool gave {processes:.2f}× meanwhile; {rounds} rounds × 5 repeats, spin {SPIN}")]
