"""Figure 7, against the seed's own tool: the seed's three experiments and the suite's squares
command run with `simple_benchmark` (as the seed ran them, `BenchmarkBuilder`, with the median as its
estimator so both report medians) and with the `parbench` command, alternated per experiment, each
a process of its own, over the same seeded input.

- sleep: the seed's first experiment, items 4..128 (the seed goes to 512: four minutes a side for
  the same crossing), `[i] * 10000`, 50 ms per item, the seed's for loop against
  `ProcessPoolExecutor()` (parbench: `--strategies serial,processes`, its defaults being the seed's:
  a cold pool, workers = CPU count, chunksize 1, the platform's start method).
- lists: the seed's second, `i**2 - 13` over lists of 1,000,000 ints, items 4..16, loop vs pool.
- arrays: the seed's third, `v**2 - 13` on numpy arrays of 1,000,000, items 4..64, loop vs pool
  (parbench: `--strategies numpy,numpy-processes`).
- squares: the suite's command, items 4..16, length 100,000, the list loop against numpy.

Equal precision: each round runs simple_benchmark first, takes the worst precision it reached (the
half-width of a 95 % interval of a point's times: computed from the repeats it ran, which it does
not report, the way parbench computes its own), and asks parbench for that (`--precision`), which
parbench's rule then holds every point and strategy to. At its default ±5 % parbench runs several
times longer on this VM than simple_benchmark's 3 calls a point, which reach ±10-30 %.

For each, three figures: the worst disagreement between the two tools' medians over every
(strategy, items) point (each point's ratio is the median over rounds); parbench's whole command's
wall time over simple_benchmark's (median of per-round ratios); and the worst precision each side
reached, parbench's over simple_benchmark's.
For squares, each round also runs parbench with numpy alone (an info row): parbench interleaves
strategies, so each numpy call follows a serial call that has churned tens of MB, where
simple_benchmark repeats one function back to back.
"""

from __future__ import annotations

import json
import statistics
import time

from .common import (
    Context,
    Row,
    at_most,
    error_row,
    fmt_s,
    info,
    interleave,
    median_ratio,
    parbench_cli,
    run_independent,
)

AGREE = 0.10
SEED = 12345
# parbench is asked for the worst precision simple_benchmark reached in the same round (its rule holds
# every point and strategy to it), within the bounds `--precision` takes.
MIN_PRECISION = 0.01
MAX_PRECISION = 0.5


def _experiment(ctx: Context, label: str, sb_params: dict, pb_args: list[str], sizes: list[int],
                names: dict[str, str], rounds: int, alone: str | None = None) -> list[Row]:
    """`names` maps simple_benchmark's function alias to parbench's strategy. With `alone`, each round
    also runs parbench with that strategy alone (nothing interleaved between its calls), shown as an
    info row: how much of a disagreement comes from the strategies parbench interleaves."""

    # What simple_benchmark reached this round, which parbench is then asked for: equal precision.
    matched: dict[str, float] = {}
    # One store for every round, as a user's: the machine's ceiling is measured once, by the first.
    db = ctx.db(f"vs-{label.split()[0]}")

    def simple_benchmark():
        start = time.perf_counter()
        result = run_independent("simple_benchmark", timeout=1800, sizes=sizes, **sb_params)
        wall = time.perf_counter() - start
        medians = {(names[name], size): t for name, values in result["timings"].items()
                   for size, t in zip(result["sizes"], values)}
        precision = [p for p in result["precision"].values() if p is not None]
        if precision:
            matched["precision"] = min(MAX_PRECISION, max(MIN_PRECISION, max(precision)))
        return wall, medians, precision

    def parbench(args: list[str]):
        def step():
            export = ctx.path(f"vs-{label.split()[0]}.json")
            asked = ["--precision", f"{matched['precision'] * 100:.1f}%"] if "precision" in matched else []
            wall, _ = parbench_cli([*args, *asked, "--export", str(export)], db, timeout=1800)
            document = json.loads(export.read_text())
            rows = document["measurements"]
            medians = {(row["strategy"], row["items"]): row["median_s"] for row in rows}
            return wall, medians, [row["precision"] for row in rows if row.get("precision") is not None]

        return step

    steps = [("simple_benchmark", simple_benchmark), ("parbench", parbench(pb_args))]
    if alone:
        index = pb_args.index("--strategies")
        steps.append((f"parbench {alone} alone",
                      parbench([*pb_args[:index + 1], alone, *pb_args[index + 2:]])))
    results = interleave(steps, rounds, f"vs simple_benchmark {label}")
    points = sorted(results["parbench"][0][1])
    agreement = {}
    for point in points:
        agreement[point] = statistics.median(pb[1][point] / sb[1][point]
                                             for pb, sb in zip(results["parbench"], results["simple_benchmark"]))
    worst_point = max(points, key=lambda p: abs(agreement[p] - 1))
    worst = abs(agreement[worst_point] - 1)
    detail = ", ".join(f"{s} {i}: {agreement[(s, i)]:.3f}" for s, i in points)
    pb_walls = [w for w, _, _ in results["parbench"]]
    sb_walls = [w for w, _, _ in results["simple_benchmark"]]
    wall_ratio = median_ratio(pb_walls, sb_walls)
    def reached(side: str) -> str:
        values = [p for _, _, precision in results[side] for p in precision]
        if not values:
            return "none stated"
        return f"median ±{statistics.median(values):.1%}, worst ±{max(values):.1%}"

    def worst_precision(side: str) -> float | None:
        values = [max(precision) for _, _, precision in results[side] if precision]
        return statistics.median(values) if values else None

    rows = [
        at_most(f"7 vs simple_benchmark: {label}, worst |median ratio − 1|", worst * 100, AGREE * 100, "{:.1f}%",
                f"worst {worst_point[0]} at {worst_point[1]} items; parbench/simple_benchmark per point: {detail}; "
                f"{rounds} round(s)"),
        at_most(f"7 vs simple_benchmark: {label}, whole-command wall", wall_ratio, 1.0, "{:.3f}×",
                f"parbench {fmt_s(statistics.median(pb_walls))} vs simple_benchmark {fmt_s(statistics.median(sb_walls))} "
                "(process start to exit, each)", target="< 1.000×"),
    ]
    pb_worst, sb_worst = worst_precision("parbench"), worst_precision("simple_benchmark")
    detail = (f"parbench {reached('parbench')}; simple_benchmark {reached('simple_benchmark')} (95 % interval "
              "half-width of each point's times or speedup; parbench asked for simple_benchmark's worst of the "
              "same round, simple_benchmark runs 0.1 s or 3 calls a point)")
    if pb_worst is not None and sb_worst is not None:
        rows.append(at_most(f"7 vs simple_benchmark: {label}, worst precision parbench / simple_benchmark",
                            pb_worst / sb_worst, 1.0, "{:.2f}×", detail, target="≤ 1.00×"))
    else:
        rows.append(info(f"7 vs simple_benchmark: {label}, precision reached", "—", detail))
    if alone:
        solo = results[f"parbench {alone} alone"]
        ratios = {point: statistics.median(pb[1][point] / sb[1][point]
                                           for pb, sb in zip(solo, results["simple_benchmark"]))
                  for point in sorted(solo[0][1])}
        worst_solo = max(ratios, key=lambda p: abs(ratios[p] - 1))
        rows.append(info(f"7 vs simple_benchmark: {label}, parbench --strategies {alone} alone",
                         f"{abs(ratios[worst_solo] - 1) * 100:.1f}%",
                         f"worst |median ratio − 1| with no other strategy's calls between {alone}'s: "
                         + ", ".join(f"{s} {i}: {r:.3f}" for (s, i), r in ratios.items())))
    return rows


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    # The sleep experiment runs once in either mode: its times are sleeps, which the machine's speed
    # barely moves, and a shorter range would change what is compared (parbench skips the warm-up of
    # a call over 5 s, which at 50 ms an item only the 128-item loop reaches).
    sleep_items = "4..128"
    sleep_sizes = [4, 8, 16, 32, 64, 128]
    seed = {"seed": SEED}
    experiments = [
        ("squares", {"experiment": "squares", "workload": "squares", "length": 100_000, **seed},
         ["run", "--workload", "squares", "--items", "4..16", "--length", "100000", "--strategies", "serial,numpy",
          "--seed", str(SEED)],
         [4, 8, 16], ctx.rounds(5, 2)),
        ("seed lists 4..16 × 1e6", {"experiment": "lists", "workload": "squares", "length": 1_000_000, **seed},
         ["run", "--workload", "squares", "--items", "4..16", "--length", "1000000", "--strategies",
          "serial,processes", "--seed", str(SEED)],
         [4, 8, 16], ctx.rounds(2, 1)),
        ("seed arrays 4..64 × 1e6", {"experiment": "arrays", "workload": "squares", "length": 1_000_000, **seed},
         ["run", "--workload", "squares", "--items", "4..64", "--length", "1000000", "--strategies",
          "numpy,numpy-processes", "--seed", str(SEED)],
         [4, 8, 16, 32, 64], ctx.rounds(3, 1)),
        (f"seed sleep {sleep_items}", {"experiment": "sleep", "length": 10_000},
         ["run", "--workload", "sleep", "--items", sleep_items, "--length", "10000", "--sleep-ms", "50",
          "--strategies", "serial,processes"],
         sleep_sizes, 1),
    ]
    for label, sb_params, pb_args, sizes, rounds in experiments:
        strategies = pb_args[pb_args.index("--strategies") + 1].split(",")
        names = {name: name for name in strategies}
        try:
            rows.extend(_experiment(ctx, label, sb_params, pb_args, sizes, names, rounds,
                                    alone="numpy" if label == "squares" else None))
        except Exception as exc:
            rows.append(error_row(f"7 vs simple_benchmark: {label}", exc))
    return rows
