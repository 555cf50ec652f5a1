"""Figure 2, harness overhead on tiny items: parbench's `serial` over `squares` items 1024, length
10 (under a millisecond a call, so any cost the harness adds inside the timed region shows) against a
bare for loop over the same dict timed with `time.perf_counter`, in a process of its own."""

from __future__ import annotations

import statistics

from workloads.model.spec import build_spec

from .common import (
    Context,
    Row,
    at_most,
    fmt_s,
    interleave,
    measurement,
    median_ratio,
    parbench_run,
    run_independent,
)

ITEMS, LENGTH = 1024, 10
REPEAT = 100
SEED = 12345
LIMIT = 1.05


def run(ctx: Context) -> list[Row]:
    spec = build_spec(workload="squares", items=str(ITEMS), length=str(LENGTH), strategies="serial",
                      repeat=str(REPEAT), warmup="1", seed=str(SEED))

    def parbench() -> float:
        run_ = parbench_run(spec, ctx.db("overhead"))
        return statistics.median(measurement(run_, "serial").times_s)

    def bare() -> float:
        result = run_independent("bare_loop", workload="squares", items=ITEMS, length=LENGTH, seed=SEED,
                                 repeat=REPEAT, warmup=1)
        return statistics.median(result["times_s"])

    rounds = ctx.rounds(9, 5)
    results = interleave([("parbench", parbench), ("bare loop", bare)], rounds, "overhead")
    ratio = median_ratio(results["parbench"], results["bare loop"])
    per_round = " ".join(f"{p / b:.3f}" for p, b in zip(results["parbench"], results["bare loop"]))
    context = (f"parbench serial {fmt_s(statistics.median(results['parbench']))} vs bare loop "
               f"{fmt_s(statistics.median(results['bare loop']))} a call; per-round ratios {per_round}; "
               f"{rounds} rounds × {REPEAT} repeats")
    return [at_most(f"2 overhead: serial squares {ITEMS}×{LENGTH} / bare loop", ratio, LIMIT,
                    "{:.3f}×", context)]
