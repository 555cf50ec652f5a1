"""Figure 9, rounds: how many interleaved rounds a real point takes to be decided (the default:
every comparison faster, slower or the same within the margin), and, with `--precision 5%` (the
advanced rule), that a noisy point's status says what it reached: one that stopped at the cap says so
instead of claiming the precision (a noisy point's first rounds can agree by chance; it then reached it).

- quiet: spin (a fixed pure-Python loop, nothing to ship) × 8 items, serial against a warm pool of
  the CPU count: a gap of about 1.6-1.9× on 2 CPUs, which the rule should decide in a few rounds
  (the simulation's promise: a 2× gap in a median of 2-3 rounds).
- noisy: the same with threads on a workload whose items wait a random 1 to 8 ms in a thread: the
  paired ratio is all over the place by construction.

Each is run several times (a new measuring process each); the figures are medians over those runs.
"""

from __future__ import annotations

import statistics
import textwrap

from workloads.model.measurement import (
    STOP_DECIDED,
    STOP_MAX_ROUNDS,
    STOP_PRECISION,
    quality,
)
from workloads.model.spec import MAX_ROUNDS, build_spec
from workloads.session import execute

from .common import Context, Row, at_least, at_most, log

QUIET_ROUNDS_LIMIT = 4
NOISY = """
    import random
    import threading
    import time

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.002)
        else:
            time.sleep(random.uniform(0.001, 0.008))
        return value
"""


def _rows(spec) -> list:
    outcome = execute(spec, None)
    if outcome.status != "completed":
        raise RuntimeError(f"sweep {outcome.status}: {outcome.error}")
    return [m for m in outcome.run.measurements if m.strategy != "serial"]


def run(ctx: Context) -> list[Row]:
    runs = ctx.rounds(5, 2)
    quiet_spec = build_spec(workload="spin", spin="200000", items="8", strategies="serial,processes", pool="warm",
                            costs="off")
    quiet = []
    for index in range(runs):
        log(f"rounds: quiet point, run {index + 1}/{runs}")
        quiet.extend(_rows(quiet_spec))
    noisy_file = ctx.workdir / "noisy_waits.py"
    noisy_file.write_text(textwrap.dedent(NOISY))
    noisy_spec = build_spec(workload=str(noisy_file), items="4", length="1", strategies="serial,threads",
                            workers="2", min_time="0", precision="5%", costs="off")
    noisy = []
    for index in range(runs):
        log(f"rounds: noisy point, run {index + 1}/{runs}")
        noisy.extend(_rows(noisy_spec))
    quiet_rounds = statistics.median(m.repeats for m in quiet)
    decided = sum(m.stop == STOP_DECIDED for m in quiet)
    # Honest: a run that stopped at the cap says so and did miss ±5 %; one that stopped on precision
    # did reach it (by chance a noisy point's first rounds can agree: it then has nothing to confess).
    missed = [m for m in noisy if m.stop != STOP_PRECISION]
    honest = sum((m.stop == STOP_MAX_ROUNDS and quality(m).label in ("rounds", "noisy") and (m.precision or 0) > 0.05)
                 or (m.stop == STOP_PRECISION and m.precision is not None and m.precision <= 0.05) for m in noisy)
    return [
        at_most("9 rounds to a decision: quiet point (spin 8 items, warm pool)", quiet_rounds, QUIET_ROUNDS_LIMIT,
                "{:.0f} rounds", f"rounds per run {[m.repeats for m in quiet]}; {decided} of {len(quiet)} stopped decided, "
                f"the others {[m.stop for m in quiet if m.stop != STOP_DECIDED]}"),
        at_least("9 --precision 5%: a noisy point's status says what it reached", honest / len(noisy), 1.0, "{:.0%}",
                 f"{len(missed)} of {len(noisy)} runs missed ±5 %; "
                 f"rounds {[m.repeats for m in noisy]} (cap {MAX_ROUNDS}); precision reached "
                 f"{[round(m.precision or 0, 3) for m in noisy]}; labels {[quality(m).label for m in noisy]}"),
    ]
