"""Figure 1, accuracy: does parbench's median agree with an independent measurement of the same
kernel over the same input?

Each round runs one parbench sweep (through `workloads.session.execute`, a measuring process of its
own) and then one independent process (`benchmarks.independent`): `timeit.repeat` of the kernel in
a plain for loop for `serial` and `numpy`, a hand-written warm `ProcessPoolExecutor.map` timed with
`time.perf_counter` for `processes --pool warm`. Both sides do one warm-up call, then the same number
of timed calls; the figure is the median over rounds of parbench's median / the reference's median.

Both sides count the release of each call's output (timeit frees it inside its timing, and so does
parbench). For `serial` each round also runs the timeit a second time in another fresh process (an
info row): two processes running the same loop can differ by a few percent (heap layout, where
their pages landed), which is the floor under this comparison.
"""

from __future__ import annotations

import statistics

from workloads.model.spec import build_spec, default_workers

from .common import (
    Context,
    Row,
    fmt_s,
    info,
    interleave,
    measurement,
    median_ratio,
    parbench_run,
    run_independent,
    within,
)

CASES = (
    # label, strategy, items, length, pool, tolerance, full rounds
    # Per-round ratios spread ±5% here (each round is a fresh pair of processes), so many rounds.
    ("serial", "serial", 8, 100_000, "cold", 0.03, 10),
    # 64 × 1e6 int64 is 512 MB of input and as much output per call.
    ("numpy", "numpy", 64, 1_000_000, "cold", 0.03, 9),
    ("processes (warm)", "processes", 8, 100_000, "warm", 0.05, 9),
)
REPEAT = 9
SEED = 12345


def _case(ctx: Context, label: str, strategy: str, items: int, length: int, pool: str, tolerance: float,
          full_rounds: int) -> list[Row]:
    workers = default_workers()
    spec = build_spec(workload="squares", items=str(items), length=str(length), strategies=strategy,
                      repeat=str(REPEAT), warmup="1", pool=pool, workers=str(workers), seed=str(SEED))
    params = dict(workload="squares", items=items, length=length, seed=SEED, repeat=REPEAT, warmup=1)

    def parbench() -> float:
        run = parbench_run(spec, ctx.db("accuracy"))
        return statistics.median(measurement(run, strategy).times_s)

    def reference() -> float:
        if strategy == "processes":
            result = run_independent("warm_pool", workers=workers, **params)
        else:
            result = run_independent("timeit_loop", form="numpy" if strategy == "numpy" else "python", **params)
        return statistics.median(result["times_s"])

    steps = [("parbench", parbench), ("reference", reference)]
    if strategy == "serial":
        # The same timeit again in another fresh process: how far two runs of the reference itself
        # agree, the floor under any comparison between two processes.
        steps.append(("reference again", reference))
    rounds = ctx.rounds(full_rounds, 2)
    results = interleave(steps, rounds, f"accuracy {label}")
    ratio = median_ratio(results["parbench"], results["reference"])
    how = "warm ProcessPoolExecutor.map + perf_counter" if strategy == "processes" else "timeit.repeat"
    per_round = " ".join(f"{p / r:.3f}" for p, r in zip(results["parbench"], results["reference"]))
    figure = f"1 accuracy: {label} squares {items}×{length:,}"
    rows = [within(figure, ratio, tolerance,
                   f"parbench {fmt_s(statistics.median(results['parbench']))} vs {how} "
                   f"{fmt_s(statistics.median(results['reference']))}; per-round ratios {per_round}; "
                   f"{rounds} rounds × {REPEAT} repeats")]
    if "reference again" in results:
        again = results["reference again"]
        floor = median_ratio(again, results["reference"])
        rows.append(info(f"{figure}: timeit vs timeit, two fresh processes", f"{floor:.3f} ({floor - 1:+.1%})",
                         "per-round ratios " + " ".join(f"{a / r:.3f}" for a, r in zip(again, results["reference"]))
                         + "; the same measurement in another process"))
    return rows


def run(ctx: Context) -> list[Row]:
    from .common import error_row

    rows = []
    for case in CASES:
        try:
            rows.extend(_case(ctx, *case))
        except Exception as exc:  # one case failing must not hide the others
            rows.append(error_row(f"1 accuracy: {case[0]}", exc))
    return rows
