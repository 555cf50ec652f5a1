"""Figure 11, the model's predictions against what was then measured: the seed's three experiments
(a 50 ms sleep per item, squares over lists, squares over numpy arrays) and every workload file in
`examples/` when there is one.

Each experiment is a parbench sweep run as the app runs it (`workloads.session.execute`: a measuring
process of its own, costs measured beside the timings). The model (`workloads.insight.analysis`) is fitted
on the smaller half of its points and asked for the larger half; the figure is the median
|predicted / measured − 1| over those points, the median over interleaved rounds of each round's
figure. What bounds it on this machine: the pool's measured times are themselves only known to
their 95% interval (the median relative half-width is printed as `noise`); a model cannot be
checked closer than the times it is checked against, and the VM's two speeds move both.

Where the model's break-even (from every point) lies beyond the sweep, one more point past it is
measured (1.5 × n* items, at most `MAX_BEYOND_ITEMS`) and its predicted time and speedup are set
against the measured ones; where it lies inside, the larger half already is past it.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

from workloads.insight.analysis import analyse, predict
from workloads.model import stats
from workloads.model.spec import build_spec

from .common import (
    ROOT,
    Context,
    Row,
    at_most,
    error_row,
    fmt_s,
    info,
    interleave,
    parbench_run,
)

TARGET = 0.25
MAX_BEYOND_ITEMS = 512
REPEAT = "5"


def _experiments(quick: bool) -> list[tuple[str, dict, str]]:
    items = "2..8" if quick else "2..64"
    found = [
        ("sleep 50 ms, lists of 10000", dict(workload="sleep", items=items, length="10000", sleep_ms="50",
                                             strategies="serial,processes"), "processes"),
        ("squares, lists of 100000", dict(workload="squares", items=items, length="100000",
                                          strategies="serial,processes"), "processes"),
        ("squares, numpy arrays of 100000", dict(workload="squares", items=items, length="100000",
                                                 strategies="numpy,numpy-processes"), "numpy-processes"),
    ]
    for path in sorted((ROOT / "examples").glob("*.py")) if (ROOT / "examples").is_dir() else []:
        found.append((f"examples/{path.name}", dict(workload=str(path), items=items, strategies="serial,processes"),
                      "processes"))
    return found


def _spec(fields: dict, **overrides):
    return build_spec(**{"repeat": REPEAT, "warmup": "1", **fields, **overrides})


def _figures(run, strategy: str) -> dict:
    a = analyse(run.measurements, ceiling=run.machine.ceiling_value)
    result = next(r for r in a.series.values() if r.strategy == strategy)
    check = result.check
    noise = []
    for m in run.measurements:
        if m.strategy == strategy and m.ok:
            interval = stats.time_interval(m.times_s)
            if interval is not None and interval.n >= 2:
                noise.append(interval.relative_half_width)
    length = max(result.break_even)
    largest = max(result.points, key=lambda p: p.items)
    return {"result": result, "check": check, "noise": statistics.median(noise) if noise else math.nan,
            "break_even": result.break_even[length], "largest": largest, "ceiling": a.ceiling}


def _beyond(ctx: Context, fields: dict, strategy: str, figures: dict) -> str:
    """Measure one point past a break-even that lies beyond the sweep; '' when there is none."""
    be = figures["break_even"]
    swept = max(p.items for p in figures["result"].points)
    if be.items is None or be.items <= swept:
        return ""
    items = min(MAX_BEYOND_ITEMS, math.ceil(1.5 * be.items))
    run = parbench_run(_spec(fields, items=str(items)), ctx.db("beyond"))
    pooled = next(m for m in run.measurements if m.strategy == strategy)
    twin = next(m for m in run.measurements if m.strategy == (figures["result"].twin or "serial"))
    predicted = predict(be.params, items)
    speedup = stats.ratio(twin.times_s, pooled.times_s)
    return (f"; past the break-even, at {items} items: predicted {fmt_s(predicted)} "
            f"({be.params.work_s * items / predicted:.2f}× {twin.strategy}), measured {fmt_s(pooled.stats.median)} "
            f"({speedup.estimate:.2f}×, 95% {speedup.low:.2f}–{speedup.high:.2f})")


def _rest(seconds: float) -> str:
    return f"waiting {fmt_s(seconds)}" if seconds >= 0 else f"parts over the measured time by {fmt_s(-seconds)}"


def _context(figures: dict, strategy: str) -> str:
    check, be, largest = figures["check"], figures["break_even"], figures["largest"]
    ratios = ", ".join(f"{c.items}: {c.ratio:.2f} (unscaled {c.unscaled_ratio:.2f})" for c in check.checked) \
        if check else "no check"
    fitted = ",".join(str(p[0]) for p in check.fitted) if check else "—"
    split = largest.split
    parts = (f"start {fmt_s(split.start_s)}, out {fmt_s(split.ship_out_s)}, work {fmt_s(split.work_s)}, "
             f"back {fmt_s(split.ship_back_s)}, {_rest(split.waiting_s)}" if split else "no split")
    twin = figures["result"].twin or "serial"
    first = next((p.items for p in sorted(figures["result"].points, key=lambda p: p.items)
                  if p.twin_speedup is not None and p.twin_speedup.estimate > 1), None)
    breakeven = (f"never (a {fmt_s(be.params.ship_s)} ≥ c·(1−f), c {fmt_s(be.params.work_s)})" if be.items is None
                 else f"~{be.items:.0f} items")
    return (f"fitted on items {fitted}, predicted/measured at {ratios}; noise ±{figures['noise']:.0%}; "
            f"break-even vs {twin} {breakeven}, measured first faster at "
            f"{first if first is not None else 'no point'}; {strategy} at {largest.items} items "
            f"{fmt_s(largest.measured_s)}: {parts}; ceiling {figures['ceiling'] or 0:.2f}")


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    experiments = _experiments(ctx.quick)
    if not any(name.startswith("examples/") for name, _, _ in experiments):
        rows.append(info("11 model: examples/", "none", "no workload files in examples/ in this tree"))

    def step(fields: dict, strategy: str):
        def measure():
            run_ = parbench_run(_spec(fields), ctx.db("prediction"))
            return _figures(run_, strategy), run_

        return measure

    steps = [(name, step(fields, strategy)) for name, fields, strategy in experiments]
    try:
        results = interleave(steps, ctx.rounds(3, 1), "prediction")
    except Exception as exc:
        return rows + [error_row("11 model", exc)]
    for name, fields, strategy in experiments:
        figures = [f for f, _ in results[name]]
        errors = [f["check"].median_error for f in figures if f["check"] is not None]
        label = f"11 model: {name}, median |pred/meas − 1|"
        if not errors:
            rows.append(info(label, "no check", figures[-1]["result"].check_note))
            continue
        context = _context(figures[-1], strategy) + f"; per round {' '.join(f'{e:.0%}' for e in errors)}"
        try:
            context += _beyond(ctx, fields, strategy, figures[-1])
        except Exception as exc:
            context += f"; the point past the break-even could not be measured: {exc}"
        rows.append(at_most(label, statistics.median(errors), TARGET, "{:.1%}", context))
    return rows


if __name__ == "__main__":  # pragma: no cover - a quick look without the whole suite
    import tempfile

    from .common import table

    with tempfile.TemporaryDirectory() as folder:
        from rich.console import Console

        Console(width=200).print(table(run(Context(quick=False, workdir=Path(folder))), "prediction"))
