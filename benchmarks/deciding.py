"""Figure 13, deciding: the decision rule's promises kept by real runs on this machine, and the time a
decided answer takes.

- same code, same answer: one sweep (the seed's squares 4..16 × 100000, serial, processes and numpy)
  run again and again, each a measuring process of its own, every pair of runs compared as `parbench
  compare` compares them; a row reads *same* or *within noise*, never *faster* or *slower* (target
  ≥ 95 % of rows). The runs follow each other over minutes, so the VM's speed moves between them:
  what `between_runs` counts.
- a real 20 % slowdown found: `spin` (a pure-Python loop) against itself doing 1.2× the work,
  `--vs spin=…`, measured interleaved in one sweep; B reads *slower* than A (target ≥ 80 % of rows).
- the default sweep (the app's form as it opens: squares 4..64 × 100000, serial, processes, numpy)
  from the start of a run to its whole first picture (target ≤ 10 s) and to its end (≤ 30 s), the
  winner at every point the same as a `--precision 2%` run's.
- the seed's commands at defaults against `simple_benchmark` (its autorange, a couple of calls a
  point, no decision): parbench's whole-command wall time over simple_benchmark's, interleaved
  (target ≤ 1), with the winners of a `--precision 2%` run.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time

from workloads.insight.compare import compare, compare_arms
from workloads.insight.decisions import decide_run
from workloads.model.decision import UNDECIDED
from workloads.model.events import FIRST_PASS, Outlook
from workloads.model.spec import build_spec
from workloads.model.stats import FASTER, SAME, SLOWER, WITHIN_NOISE
from workloads.session import execute
from workloads.store.database import Store

from .common import (
    Context,
    Row,
    at_least,
    at_most,
    error_row,
    fmt_s,
    info,
    interleave,
    log,
    median_ratio,
    parbench_cli,
    run_independent,
)

SAME_OR_NOISE = 0.95
SLOWDOWN_FOUND = 0.80
FIRST_PICTURE_S = 10.0
FINAL_S = 30.0
SEED = 12345


def winners(run) -> dict[tuple[int, int], str]:
    """The fastest strategy at each point the run decided (a point whose lead is undecided has no
    winner to agree with)."""
    found = decide_run(run.measurements, margin=run.spec.margin)
    return {point: v.winner for point, v in found.points.items() if v.verdict != UNDECIDED}


def _agree(a: dict, b: dict) -> tuple[int, int, list[str]]:
    both = sorted(set(a) & set(b))
    differ = [f"{items}×{length}: {a[(items, length)]} vs {b[(items, length)]}" for items, length in both
              if a[(items, length)] != b[(items, length)]]
    return len(both) - len(differ), len(both), differ


def _timed(spec, db) -> tuple[object, float, float | None]:
    """Run `spec` into `db`; the run, its whole time and the time to its first picture (the first pass's
    outlook: every point has a figure)."""
    began = time.perf_counter()
    first: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, Outlook) and event.phase == FIRST_PASS and not first:
            first.append(time.perf_counter() - began)

    with Store(db) as store:
        outcome = execute(spec, store, on_event, threading.Event())
        if outcome.status != "completed":
            raise RuntimeError(f"run {outcome.run_id} {outcome.status}: {outcome.error}")
        run = store.load_run(outcome.run_id)
    return run, time.perf_counter() - began, (first[0] if first else None)


def same_code(ctx: Context) -> list[Row]:
    spec = build_spec(workload="squares", items="4..16", length="100000", strategies="serial,processes,numpy",
                      costs="off")
    db = ctx.db("same-code")
    runs = []
    for index in range(ctx.rounds(10, 4)):
        log(f"deciding: same code, run {index + 1}")
        runs.append(_timed(spec, db)[0])
    marks: dict[str, int] = {}
    for a, b in itertools.combinations(runs, 2):
        for row in compare(a, b).rows:
            marks[row.mark] = marks.get(row.mark, 0) + 1
    compared = sum(marks.values())
    kept = marks.get(SAME, 0) + marks.get(WITHIN_NOISE, 0)
    pairs = len(runs) * (len(runs) - 1) // 2
    return [at_least("13 same code twice: rows same or within noise", kept / compared, SAME_OR_NOISE, "{:.1%}",
                     f"{pairs} pairs of {len(runs)} runs, {compared} rows: "
                     + ", ".join(f"{mark} {count}" for mark, count in sorted(marks.items())))]


def slowdown(ctx: Context) -> list[Row]:
    spec = build_spec(workload="spin", spin="200000", items="4,16", strategies="serial", costs="off",
                      vs="spin=240000")
    db = ctx.db("slowdown")
    marks: dict[str, int] = {}
    ratios = []
    for index in range(ctx.rounds(10, 4)):
        log(f"deciding: 20% slowdown, run {index + 1}")
        run = _timed(spec, db)[0]
        found = compare_arms(run)
        for row in found.rows:
            marks[row.mark] = marks.get(row.mark, 0) + 1
            if row.ratio is not None:
                ratios.append(row.ratio.estimate)
    rows = sum(marks.values())
    return [at_least("13 a 20% slowdown (--vs) found slower", marks.get(SLOWER, 0) / rows, SLOWDOWN_FOUND,
                     "{:.1%}", f"{rows} rows: " + ", ".join(f"{m} {c}" for m, c in sorted(marks.items()))
                     + f"; B/A median {statistics.median(ratios):.3f} (1.200 by construction)"
                     + (f"; wrong way (faster) {marks[FASTER]}" if marks.get(FASTER) else ""))]


def default_sweep(ctx: Context) -> list[Row]:
    default = build_spec()
    precise = build_spec(precision="2%", costs="off")
    db = ctx.db("default")
    firsts, finals, agreed, compared, differ = [], [], 0, 0, []

    def ours():
        run, whole, first = _timed(default, db)
        firsts.append(first if first is not None else whole)
        finals.append(whole)
        return run

    def reference():
        return _timed(precise, db)[0]

    results = interleave([("default", ours), ("precision 2%", reference)], ctx.rounds(2, 1), "deciding: default")
    for run, ref in zip(results["default"], results["precision 2%"]):
        same, both, wrong = _agree(winners(run), winners(ref))
        agreed, compared, differ = agreed + same, compared + both, differ + wrong
    spec_words = (f"{default.workload} {','.join(map(str, default.items))} × {default.length[0]}, "
                  f"{','.join(default.strategies)}")
    return [
        at_most("13 default sweep: whole first picture", max(firsts), FIRST_PICTURE_S, "{:.1f} s",
                f"{spec_words}; each run {', '.join(fmt_s(s) for s in firsts)} (a fresh measuring process each)"),
        at_most("13 default sweep: decided and done", max(finals), FINAL_S, "{:.1f} s",
                f"each run {', '.join(fmt_s(s) for s in finals)}; costs as the app measures them (auto)"),
        at_least("13 default sweep: winners as --precision 2%", agreed / compared if compared else 0.0, 1.0,
                 "{:.0%}", f"{agreed} of {compared} decided points agree" + (f"; differ: {differ}" if differ else "")),
    ]


def seed_commands(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    experiments = [
        ("seed sleep 4..64", {"experiment": "sleep", "length": 10_000}, [4, 8, 16, 32, 64],
         ["--workload", "sleep", "--items", "4..64", "--length", "10000", "--sleep-ms", "50",
          "--strategies", "serial,processes"]),
        ("seed lists 4..16 × 1e6", {"experiment": "lists", "workload": "squares", "length": 1_000_000, "seed": SEED},
         [4, 8, 16], ["--workload", "squares", "--items", "4..16", "--length", "1000000",
                      "--strategies", "serial,processes", "--seed", str(SEED)]),
    ]
    for label, params, sizes, args in experiments:
        try:
            db = ctx.db(f"seed-{label.split()[1]}")

            def parbench(extra=()):
                def step():
                    wall, _ = parbench_cli(["run", *args, *extra, "--format", "csv"], db, timeout=1800)
                    with Store(db) as store:
                        return wall, store.load_run(store.last_run_id())
                return step

            def simple_benchmark():
                began = time.perf_counter()
                run_independent("simple_benchmark", timeout=1800, sizes=sizes, **params)
                return time.perf_counter() - began, None

            results = interleave([("simple_benchmark", simple_benchmark), ("parbench", parbench())],
                                 ctx.rounds(2, 1), f"deciding: {label}")
            precise = parbench(["--precision", "2%", "--costs", "off"])()[1]
            pb = [wall for wall, _ in results["parbench"]]
            sb = [wall for wall, _ in results["simple_benchmark"]]
            agreed, compared, differ = 0, 0, []
            for _, run in results["parbench"]:
                same, both, wrong = _agree(winners(run), winners(precise))
                agreed, compared, differ = agreed + same, compared + both, differ + wrong
            rows.append(at_most(f"13 {label} at defaults: wall / simple_benchmark's", median_ratio(pb, sb), 1.0,
                                "{:.2f}×", f"parbench {', '.join(fmt_s(w) for w in pb)}; simple_benchmark "
                                f"{', '.join(fmt_s(w) for w in sb)} (process start to exit, interleaved)"))
            rows.append(at_least(f"13 {label} at defaults: winners as --precision 2%",
                                 agreed / compared if compared else 0.0, 1.0, "{:.0%}",
                                 f"{agreed} of {compared} decided points agree"
                                 + (f"; differ: {differ}" if differ else "")))
        except Exception as exc:
            rows.append(error_row(f"13 {label} at defaults", exc))
    return rows


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for part in (default_sweep, same_code, slowdown, seed_commands):
        try:
            rows.extend(part(ctx))
        except Exception as exc:
            rows.append(error_row(f"13 {part.__name__.replace('_', ' ')}", exc))
    if not rows:
        rows.append(info("13 deciding", "—", "nothing ran"))
    return rows
