"""Figure 8, the app's resident measuring process: how soon a sweep's first event follows its
request (a fresh measuring process against the app's resident one, booted earlier and idle), and
whether a process that has already served a sweep times the same as a fresh one.

- first event: from `begin()` (what ctrl+r does once the form is valid) to the sweep's first event
  and to `RunStarted`, three ways alternated, each a new process per round: a fresh process; the
  resident one (booted a second before, as the app boots its own at start) measuring the workload's
  item after ctrl+r; and the app's own path, the resident one handed the item the form's estimate
  measured while the user set the sweep up (the figure).
- agreement: the same sweep (squares 8 × 100000, serial and numpy, 9 rounds) in a process that has
  just served another sweep and in a fresh one, alternated; the figure is the median over rounds of
  the ratio of their medians, per strategy.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict

from workloads.measuring.process import SweepProcess
from workloads.model.events import RunStarted
from workloads.model.spec import SweepOptions, build_spec
from workloads.session import execute, probe

from .common import Context, Row, at_most, fmt_s, info, interleave, median_ratio, within

FIRST_EVENT_LIMIT_S = 0.1
AGREE = 0.03
SPEC = dict(workload="squares", items="8", length="100000", strategies="serial,numpy", repeat="9", warmup="1")


def _first_events(process: SweepProcess, options: dict | None = None) -> tuple[float, float]:
    """Seconds to the first event of any kind, and to `RunStarted`."""
    spec = build_spec(**SPEC)
    start = time.perf_counter()
    process.begin(spec, then_exit=True, options=options)
    first = started = float("nan")
    for event in process.events():
        if first != first:
            first = time.perf_counter() - start
        if isinstance(event, RunStarted):
            started = time.perf_counter() - start
            process.kill()
            break
    return first, started


def _resident_with_the_forms_probe() -> tuple[float, float]:
    """The app's own path: the form has measured one item of the workload in the resident process
    while the user set the sweep up (`session.probe`, as the form's estimate does), and ctrl+r hands
    that profile to the sweep, which then does not measure the item again."""
    process = SweepProcess()
    probed = probe(build_spec(**SPEC), sweep=process)
    time.sleep(0.5)
    options = asdict(SweepOptions(profile=probed.profile if probed is not None else None))
    return _first_events(process, options)


def _fresh() -> tuple[float, float]:
    return _first_events(SweepProcess())


def _resident() -> tuple[float, float]:
    process = SweepProcess()
    time.sleep(1.0)  # booted and idle, as the app's is long before the first ctrl+r
    return _first_events(process)


def _medians(process: SweepProcess | None) -> dict[str, float]:
    outcome = execute(build_spec(**SPEC), None, sweep=process)
    if outcome.status != "completed":
        raise RuntimeError(f"sweep {outcome.status}: {outcome.error}")
    return {m.strategy: m.stats.median for m in outcome.run.measurements}


def _reused() -> dict[str, float]:
    process = SweepProcess()
    try:
        _medians(process)  # it serves one sweep first, as the app's does
        return _medians(process)
    finally:
        process.close()


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    rounds = ctx.rounds(7, 3)
    first = interleave([("fresh", _fresh), ("resident", _resident), ("app", _resident_with_the_forms_probe)],
                       rounds, "first event")
    fresh_first = statistics.median(p for p, _ in first["fresh"])
    resident_first = statistics.median(p for p, _ in first["resident"])
    app_first = statistics.median(p for p, _ in first["app"])
    app_started = statistics.median(s for _, s in first["app"])
    rows.append(at_most("8 resident process: ctrl+r → first event, the app's path", app_first, FIRST_EVENT_LIMIT_S,
                        "{:.3f} s", f"resident process, one item already measured by the form's estimate; "
                        f"RunStarted after {fmt_s(app_started)}; {rounds} rounds",
                        target=f"≤ {FIRST_EVENT_LIMIT_S:.3f} s"))
    rows.append(info("8 resident process: ctrl+r → first event, no probe cached", fmt_s(resident_first),
                     f"resident, the item measured after ctrl+r (the form had no estimate yet); a fresh process "
                     f"{fmt_s(fresh_first)} (interpreter, numpy, the engine, then the item)"))
    agree_rounds = ctx.rounds(7, 2)
    results = interleave([("reused", _reused), ("fresh", lambda: _medians(None))], agree_rounds,
                         "resident agreement")
    for strategy in ("serial", "numpy"):
        ratio = median_ratio([r[strategy] for r in results["reused"]], [r[strategy] for r in results["fresh"]])
        per_round = " ".join(f"{a[strategy] / b[strategy]:.3f}" for a, b in zip(results["reused"], results["fresh"]))
        rows.append(within(f"8 resident process: {strategy} in a reused process / a fresh one", ratio, AGREE,
                           f"per-round ratios {per_round}; {agree_rounds} rounds"))
    if not rows:
        rows.append(info("8 resident process", "nothing measured"))
    return rows
