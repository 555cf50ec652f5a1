"""Other programs on the machine: two runs of the same code, one of them measured while other
programs held the CPUs, must not compare as *slower*. A seeded simulation of many such pairs (the
rule, on the shapes measured here), and a real pair of sweeps, one beside busy-loop processes."""

from __future__ import annotations

import math
import multiprocessing
import os
import random

import pytest

from workloads.insight.compare import compare
from workloads.model import stats
from workloads.model.measurement import BUSY_SHARE, Measurement, busy_points
from workloads.model.run import Run
from workloads.model.spec import SweepSpec

MACHINE = {"cpu_count": 2, "usable_cpus": 2, "cpu_model": "Test CPU", "memory_bytes": 8 * 2**30,
           "python": "3.11.7", "numpy": "2.0", "start_method": "fork", "parbench": "0.1.0", "hostname": "laptop"}
ROUNDS = 5
PAIRS = 200


# A seeded simulation -------------------------------------------------------------------------------------


def _rounds(rng: random.Random, cpu_s: float, wait_share: tuple[float, float], *, pool_power: float = 1.0):
    """One row's rounds: its own time (3% lognormal noise per round), stretched by waiting for a CPU a
    share of the wall time drawn from `wait_share` (a pool by that stretch to `pool_power`, as its
    hand-offs each wait), and the wait the kernel's counter reports (read microseconds apart from the
    clock: off by up to 1% of the round either way)."""
    times, waits = [], []
    for _ in range(ROUNDS):
        own = cpu_s * math.exp(rng.gauss(0.0, 0.03))
        share = rng.uniform(*wait_share)
        wall = own * (1.0 / (1.0 - share)) ** pool_power
        times.append(wall)
        waits.append(max(0.0, wall * share + rng.uniform(-0.01, 0.01) * wall))
    return tuple(times), tuple(waits)


def _run(rng: random.Random, run_id: int, wait_share: tuple[float, float], *, recorded: bool) -> Run:
    """The same code as every other call of it: serial 45 ms, numpy 1 ms, a cold pool of 2 at 140 ms
    whose workers also wait on each other (30% of their time on a quiet machine)."""
    rows = []
    for strategy, cpu_s in (("serial", 0.045), ("numpy", 0.001)):
        times, waits = _rounds(rng, cpu_s, wait_share)
        rows.append(Measurement("squares", strategy, 8, 1000, None, None, None, 1, times,
                                pace_s=(0.001,) * ROUNDS, cpu_share=1.0, wait_s=waits if recorded else ()))
    # A pool beside other programs: its hand-offs wait too, so it slows by up to the square of what
    # serial's waits explain (measured: 2.98x where serial's explained 1.68x).
    times, waits = _rounds(rng, 0.140, wait_share, pool_power=rng.uniform(1.0, 2.0))
    quiet = tuple(t * 0.30 for t in times)
    rows.append(Measurement("squares", "processes", 8, 1000, 2, 1, "cold", 1, times, pace_s=(0.001,) * ROUNDS,
                            cpu_share=1.0, wait_s=tuple(q + w for q, w in zip(quiet, waits)) if recorded else ()))
    spec = SweepSpec(workload="squares", items=(8,), length=(1000,), strategies=("serial", "numpy", "processes"),
                     repeat=ROUNDS, workers=(2,))
    return Run(run_id, spec, "completed", "2026-05-09T10:00:00+00:00", "2026-05-09T10:01:00+00:00",
               machine=dict(MACHINE), measurements=rows)


def _pairs(*, recorded: bool, seed: int = 7) -> dict[str, list]:
    """Each strategy's compared rows over `PAIRS` pairs: A on a quiet machine (0-2% waiting), B of the
    same code beside other programs (30-70% of each round waiting for a CPU)."""
    rng = random.Random(seed)
    rows: dict[str, list] = {}
    for _ in range(PAIRS):
        a = _run(rng, 1, (0.0, 0.02), recorded=recorded)
        b = _run(rng, 2, (0.30, 0.70), recorded=recorded)
        for row in compare(a, b).rows:
            rows.setdefault(row.strategy, []).append(row)
    return rows


def test_simulated_runs_of_the_same_code_beside_other_programs_do_not_read_slower():
    pairs = _pairs(recorded=True)
    for strategy, rows in pairs.items():
        # The same code: never a change (`the same` or `within noise`).
        marks = [row.mark for row in rows]
        assert marks.count(stats.SLOWER) == 0 and marks.count(stats.FASTER) == 0, (strategy, marks)
    # Serial's and numpy's time without its wait is the code's: the B/A a user reads is about 1 (raw,
    # it would be about 2), not only an interval wide enough to hold 1.
    for strategy in ("serial", "numpy"):
        ratios = sorted(row.ratio.estimate for row in pairs[strategy])
        assert 0.95 < ratios[len(ratios) // 20] and ratios[-len(ratios) // 20] < 1.05, (strategy, ratios)


def test_simulated_runs_without_recorded_waits_read_slower():
    # What compare said before the waits were kept (and still says of runs that kept none): the
    # simulation above is not passing on a rule that cannot read slower.
    pairs = _pairs(recorded=False)
    for strategy in ("serial", "processes"):
        assert [row.mark for row in pairs[strategy]].count(stats.SLOWER) >= 0.9 * PAIRS


def test_a_real_slowdown_beside_other_programs_is_still_found_in_simulation():
    # B's serial code takes 1.5x the CPU time and is measured beside other programs: still slower.
    rng = random.Random(11)
    found = []
    for _ in range(50):
        a = _run(rng, 1, (0.0, 0.02), recorded=True)
        b = _run(rng, 2, (0.30, 0.70), recorded=True)
        b.measurements[0] = Measurement(**{**b.measurements[0].__dict__,
                                           "times_s": tuple(t + 0.5 * (t - w) for t, w in
                                                            zip(b.measurements[0].times_s, b.measurements[0].wait_s)),
                                           "stats": None})
        [serial] = [row for row in compare(a, b).rows if row.strategy == "serial"]
        found.append(serial.mark)
    assert found.count(stats.SLOWER) >= 48, found


# A real pair of sweeps ----------------------------------------------------------------------------------


def _busy_loop() -> None:
    while True:
        pass


def _measure(spec: SweepSpec, run_id: int) -> Run:
    from workloads.measuring.sweep import run_sweep
    from workloads.model.events import MeasurementDone

    final: dict = {}

    def hear(event) -> None:
        if isinstance(event, MeasurementDone):
            final[event.measurement.key] = event.measurement

    status = run_sweep(spec, hear, lambda: False)
    assert status == "completed"
    return Run(run_id, spec, status, "2026-05-09T10:00:00+00:00", "2026-05-09T10:01:00+00:00",
               machine=dict(MACHINE), measurements=list(final.values()))


@pytest.mark.skipif(not os.path.exists("/proc/thread-self/schedstat"), reason="the kernel keeps no run-queue waits")
@pytest.mark.timing  # it starts busy loops on every CPU: run alone, not beside other tests
def test_the_same_loop_measured_beside_busy_loops_does_not_read_slower():
    from workloads.model.spec import build_spec

    # Serial spin of ~40 ms a call: longer than a scheduler time slice, so the busy loops beside it
    # take turns with it on the two CPUs (a 1 ms call would fit in one slice and not feel them).
    spec = build_spec(workload="spin", items="4", length="1", strategies="serial", repeat="5", warmup="1",
                      spin="120000", min_time="0", costs="off")
    quiet = _measure(spec, 1)
    loops = [multiprocessing.get_context("spawn").Process(target=_busy_loop, daemon=True)
             for _ in range((os.cpu_count() or 2) + 1)]
    try:
        for process in loops:
            process.start()
        crowded = _measure(spec, 2)
    finally:
        for process in loops:
            process.kill()
        for process in loops:
            process.join(5)
    [a], [b] = quiet.measurements, crowded.measurements
    # The busy loops took the CPUs: the run says so (`busy`), and its raw times carry it.
    assert b.wait_share is not None and b.wait_share > BUSY_SHARE and b.wait_share > (a.wait_share or 0.0)
    assert busy_points(crowded.measurements)
    [row] = compare(quiet, crowded).rows
    raw = math.exp(sum(map(math.log, b.times_s)) / len(b.times_s) - sum(map(math.log, a.times_s)) / len(a.times_s))
    print(f"raw B/A {raw:.2f}, corrected {row.ratio.estimate:.2f} {row.ratio}, waits {a.wait_share:.0%} "
          f"{b.wait_share:.0%}, mark {row.mark}")
    assert row.found.corrected and row.ratio.estimate < raw
    assert row.mark != stats.SLOWER, (row.mark, row.ratio, raw)


# Shown where it qualifies a figure ------------------------------------------------------------------------


def test_busy_qualifies_every_row_of_its_point_and_fits_an_80_column_terminal():
    from rich.console import Console

    from tui.report import FittedTable
    from workloads.presenting.run_table import run_table

    def row(strategy, items, times, waits, workers=None):
        return Measurement("spin", strategy, items, 1, workers, 1 if workers else None, "cold" if workers else None,
                           1, times, point_index=0 if items == 4 else 1, stop="max rounds", wait_s=waits)

    spread = (0.0747, 0.0952, 0.0660)  # beside busy loops: noisy as well as busy
    rows = [row("serial", 4, spread, scaled := tuple(t * 0.5 for t in spread)),
            row("processes", 4, (0.0863, 0.0901, 0.1204), scaled, workers=2),
            row("threads", 4, (0.0716, 0.0502, 0.1100), (), workers=2),
            row("serial", 8, (0.0451, 0.0452, 0.0450), (0.0001, 0.0, 0.0002)),  # a quiet point
            row("processes", 8, (0.0301, 0.0302, 0.0300), (0.01, 0.01, 0.01), workers=2)]
    spec = SweepSpec(workload="spin", items=(4, 8), length=(1,), strategies=("serial", "processes", "threads"),
                     repeat=3, workers=(2,))
    run = Run(1, spec, "completed", "2026-05-09T10:00:00+00:00", "2026-05-09T10:01:00+00:00",
              machine=dict(MACHINE), measurements=rows)
    console = Console(width=80, record=True)
    console.print(FittedTable(run_table(run)))
    lines = console.export_text().splitlines()
    body = [line for line in lines if line.startswith(("serial", "processes", "threads"))]
    # Every row of the busy point says so, the pools' too (their calls ran in the same rounds); the
    # quiet point's do not, though its pool's workers waited on each other.
    assert [("busy" in line) for line in body] == [True, True, True, False, False], body
    # No figure cut to make room for it.
    assert not any("…" in line for line in body), body
    assert all(len(line) <= 80 for line in lines)
    # Said once under the table, keyed by its word (the cell has no room for numbers as well).
    assert any(line.startswith("busy: other programs were using the CPUs") for line in lines)
