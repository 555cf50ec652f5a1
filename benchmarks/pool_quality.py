"""Figure 3, pool quality against the machine's real ceiling.

The ceiling: N (= CPU count) independent processes each running the pure-Python spin kernel at once,
against one running it alone (`benchmarks.independent ceiling`); on a 2-vCPU VM whose vCPUs share a
core it is well under N. Each round measures the ceiling, then one parbench sweep of `spin` (about
50 ms an item, 8 × N items, a warm pool of N workers, serial and processes interleaved inside it);
the figure is the median over rounds of parbench's speedup / that round's ceiling.

Also `--chunksize auto` against chunksize 1 on 1024 tiny items (processes): parbench sweeps alternated,
compared as the median of per-round ratios. The target is taken on a warm pool, as in the spin
figure, so that the figure is the chunking itself; the default cold pool, whose start-up and
shutdown sit inside every timed call, is shown beside it as context.
"""

from __future__ import annotations

import statistics

from workloads.model.measurement import serial_times, speedup_vs_serial
from workloads.model.spec import build_spec, default_workers

from .common import (
    Context,
    Row,
    at_least,
    error_row,
    fmt_s,
    info,
    interleave,
    measurement,
    median_ratio,
    parbench_run,
    run_independent,
)

SPIN = 600_000
ITEMS_PER_WORKER = 8
CEILING_SHARE = 0.9
CHUNK_ITEMS, CHUNK_LENGTH = 1024, 10
CHUNK_SPEEDUP = 10.0


def _ceiling(ctx: Context) -> list[Row]:
    workers = default_workers()
    items = ITEMS_PER_WORKER * workers
    spec = build_spec(workload="spin", items=str(items), strategies="serial,processes", spin=str(SPIN),
                      pool="warm", workers=str(workers), repeat="3", warmup="1")

    def ceiling() -> float:
        result = run_independent("ceiling", processes=workers, items=ITEMS_PER_WORKER, spin=SPIN, rounds=4)
        return result["ceiling"]

    def parbench() -> tuple[float, float, float]:
        run = parbench_run(spec, ctx.db("pool"))
        processes = measurement(run, "processes")
        speedup = speedup_vs_serial(processes, serial_times(run.measurements))
        return speedup, statistics.median(measurement(run, "serial").times_s), statistics.median(processes.times_s)

    rounds = ctx.rounds(3, 2)
    results = interleave([("ceiling", ceiling), ("parbench", parbench)], rounds, "pool quality")
    speedups = [s for s, _, _ in results["parbench"]]
    share = median_ratio(speedups, results["ceiling"])
    ceiling_median = statistics.median(results["ceiling"])
    serial_s = statistics.median(s for _, s, _ in results["parbench"])
    processes_s = statistics.median(p for _, _, p in results["parbench"])
    per_round = " ".join(f"{s:.2f}/{c:.2f}" for s, c in zip(speedups, results["ceiling"]))
    return [
        info(f"3 ceiling: {workers} spin processes at once vs 1", f"{ceiling_median:.2f}×",
             f"per round {' '.join(f'{c:.2f}' for c in results['ceiling'])}; each process {ITEMS_PER_WORKER} items "
             f"× spin {SPIN:,}"),
        at_least(f"3 pool: processes speedup / ceiling (spin {items} items, warm, {workers} workers)", share,
                 CEILING_SHARE, "{:.2f}",
                 f"speedup {statistics.median(speedups):.2f}× (serial {fmt_s(serial_s)}, processes "
                 f"{fmt_s(processes_s)}) vs ceiling {ceiling_median:.2f}×; per round speedup/ceiling {per_round}"),
    ]


def _chunksize(ctx: Context) -> list[Row]:
    def sweep(chunksize: str, pool: str):
        spec = build_spec(workload="squares", items=str(CHUNK_ITEMS), length=str(CHUNK_LENGTH),
                          strategies="processes", chunksize=chunksize, pool=pool, repeat="5", warmup="1")

        def step() -> float:
            return statistics.median(measurement(parbench_run(spec, ctx.db("chunk")), "processes").times_s)

        return step

    rounds = ctx.rounds(3, 2)
    steps = [(f"{pool} pool, chunksize {chunksize}", sweep(chunksize, pool))
             for pool in ("warm", "cold") for chunksize in ("1", "auto")]
    results = interleave(steps, rounds, "chunksize")
    rows = []
    for pool in ("warm", "cold"):
        one, auto = results[f"{pool} pool, chunksize 1"], results[f"{pool} pool, chunksize auto"]
        speedup = median_ratio(one, auto)
        figure = f"3 pool: chunksize auto vs 1 (squares {CHUNK_ITEMS}×{CHUNK_LENGTH}, {pool} pool)"
        context = (f"chunksize 1 {fmt_s(statistics.median(one))}, auto {fmt_s(statistics.median(auto))} a call; "
                   f"per round " + " ".join(f"{a / b:.1f}" for a, b in zip(one, auto)))
        if pool == "warm":
            rows.append(at_least(figure, speedup, CHUNK_SPEEDUP, "{:.1f}×", context))
        else:
            # A cold pool is started and shut down inside every timed call, as the seed's `with`
            # block does: that fixed cost bounds the ratio, whatever the chunking.
            rows.append(info(figure, f"{speedup:.1f}×", context + "; pool start-up and shutdown are inside "
                                                                  "each timed call"))
    return rows


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for label, part in (("3 pool: ceiling", _ceiling), ("3 pool: chunksize", _chunksize)):
        try:
            rows.extend(part(ctx))
        except Exception as exc:
            rows.append(error_row(label, exc))
    return rows
