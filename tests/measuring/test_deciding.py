"""Rounds that stop when the answer is decided (`--repeat auto`, the default): the whole picture
first, then rounds only where a comparison is still open, each row saying why its point stopped.
The statistics behind the rule are proven on seeded simulations (test_decision_simulation.py);
these tests run real sweeps with kernels whose answer is known."""

from __future__ import annotations

import re
import textwrap
import time

import pytest
from helpers import run_cli

from workloads.insight.decisions import decide_run
from workloads.measuring.sweep import run_sweep
from workloads.model.events import MeasurementDone, Outlook, PointStarted, Refused
from workloads.model.measurement import (
    STOP_BUDGET,
    STOP_DECIDED,
    STOP_FIXED,
    STOP_MAX_ROUNDS,
    STOP_PRECISION,
    STOP_TOO_CLOSE,
)
from workloads.model.spec import MAX_ROUNDS, MIN_ROUNDS, SpecError, build_spec

# Each test here asserts the decision a real sweep reaches (a 1.5x slower B read slower): two
# tests measuring at once on two CPUs would each time-slice the other's rounds.
pytestmark = pytest.mark.timing

# Each item waits: serial `SERIAL_MS`, the thread pool's `THREADS_MS` (steady), so that on two
# workers the threads take half of serial's time (a 2× gap) or, with one item, the same time.
WAITING = """
    import threading
    import time

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        time.sleep(0.004)
        return value
"""


def _sweep(workload_file, **fields):
    path = workload_file(textwrap.dedent(WAITING))
    spec = build_spec(workload=path, strategies="serial,threads", workers="2", warmup="0", length="1",
                      min_time="0", **fields)
    events: list = []
    started = time.monotonic()
    status = run_sweep(spec, events.append)
    final: dict = {}
    for e in events:
        if isinstance(e, MeasurementDone):
            final[e.measurement.key] = e.measurement
    return status, spec, list(final.values()), events, time.monotonic() - started


def test_a_2x_gap_is_decided_as_faster_well_before_the_most_rounds(workload_file):
    # On two threads the waits overlap: half of serial's time at every point, a gap of 2×. Points
    # two-fold apart lend each other their variance, so the first pass usually decides them all
    # (the seeded simulation proves how often); a busy machine may ask a round or two more.
    status, spec, rows, events, _ = _sweep(workload_file, items="4,8,16")
    assert status == "completed" and spec.deciding
    assert all(m.stop == STOP_DECIDED for m in rows), [(m.strategy, m.items, m.stop) for m in rows]
    decided = decide_run(rows)
    assert all(decided.row(m).verdict == "faster" for m in rows if m.strategy == "threads")
    assert all(MIN_ROUNDS <= m.repeats < MAX_ROUNDS // 2 for m in rows)
    outlooks = [e for e in events if isinstance(e, Outlook)]
    assert outlooks[0].phase == "first pass" and outlooks[-1].phase == "done"
    assert outlooks[-1].undecided == 0


def test_only_open_points_get_further_rounds(workload_file):
    # One item: the thread pool runs it alone, as serial does, plus starting its thread: a race too
    # close to decide in two rounds. Eight items: a 2× gap, decided sooner.
    status, _, rows, events, _ = _sweep(workload_file, items="1,8")
    assert status == "completed"
    revisits = [e.index for e in events if isinstance(e, PointStarted) and e.visit > 1]
    assert 0 in revisits and revisits.count(0) > revisits.count(1), revisits  # most rounds go to the race
    by_point = {(m.strategy, m.items): m for m in rows}
    assert by_point[("threads", 8)].stop == STOP_DECIDED
    assert by_point[("threads", 8)].repeats < by_point[("threads", 1)].repeats
    assert by_point[("threads", 1)].repeats > MIN_ROUNDS
    assert by_point[("threads", 1)].stop in (STOP_DECIDED, STOP_TOO_CLOSE, STOP_MAX_ROUNDS)
    # A point's rows are sent again with each further round: the last says how many.
    sent = [e.measurement.repeats for e in events if isinstance(e, MeasurementDone)
            and e.measurement.strategy == "threads" and e.measurement.items == 1]
    assert sent == sorted(sent) and sent[-1] == by_point[("threads", 1)].repeats


NOISY = """
    import random
    import threading
    import time

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.012)
        else:
            time.sleep(random.uniform(0.004, 0.040))
        return value
"""


def test_the_budget_ends_the_rounds_and_each_row_says_so(workload_file):
    # A precision this noisy kernel never reaches: rounds would go on to the most allowed at both
    # points (about 2 s), but the budget ends them, and the rows say so.
    path = workload_file(textwrap.dedent(NOISY))
    spec = build_spec(workload=path, strategies="serial,threads", workers="2", warmup="0", length="1",
                      min_time="0", items="1,2", precision="0.5%", budget="1.5s")
    events: list = []
    started = time.monotonic()
    assert run_sweep(spec, events.append) == "completed"
    elapsed = time.monotonic() - started
    rows = {e.measurement.key: e.measurement for e in events if isinstance(e, MeasurementDone)}.values()
    assert any(m.stop == STOP_BUDGET for m in rows), [(m.strategy, m.items, m.stop, m.repeats) for m in rows]
    assert all(m.repeats < 20 for m in rows)
    assert elapsed < 1.5 * 1.1 + 0.5  # the budget, give or take the probe before the sweep's clock starts


def test_a_budget_too_short_for_one_pass_is_refused_saying_how_long_a_pass_takes(workload_file):
    path = workload_file(textwrap.dedent(WAITING))
    spec = build_spec(workload=path, strategies="serial,threads", workers="2", items="256", length="1",
                      budget="1s", warmup="0")
    events: list = []
    assert run_sweep(spec, events.append) == "refused"
    [refused] = [e for e in events if isinstance(e, Refused)]
    assert refused.kind == "budget" and "one pass over every point takes about" in refused.reason
    assert not [e for e in events if isinstance(e, MeasurementDone)]


def test_a_refused_budget_says_about_once_and_the_budget_as_given(workload_file, db_path):
    """It read "takes about about 20 s … the --budget of about 1 s"."""
    path = workload_file(textwrap.dedent(WAITING))
    result = run_cli("run", "--workload", path, "--strategies", "serial,threads", "--workers", "2", "--items", "256",
                     "--length", "1", "--budget", "1s", "--warmup", "0", db=db_path)
    assert result.returncode == 2, result.stderr
    assert re.search(r"refused: one pass over every point takes about \d+ s, more than the --budget of 1 s; give a "
                     r"longer budget or fewer points", result.stderr), result.stderr
    assert "about about" not in result.stderr


def test_precision_adds_rounds_until_every_interval_is_that_narrow(workload_file):
    _, spec, rows, _, _ = _sweep(workload_file, items="4", precision="50%")
    assert not spec.deciding and spec.precision == 0.5
    threads = next(m for m in rows if m.strategy == "threads")
    assert threads.stop == STOP_PRECISION


def test_a_fixed_repeat_means_exactly_that_many_rounds(workload_file):
    _, _, rows, events, _ = _sweep(workload_file, items="1,4", repeat="4")
    assert all(m.repeats == 4 and m.stop == STOP_FIXED for m in rows)
    assert not [e for e in events if isinstance(e, PointStarted) and e.visit > 1]


SPIN = """
    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value, work=100000):
        acc = 0
        for i in range(work):
            acc = (acc * 31 + i) & 0xFFFF
        return acc

    SETTINGS = {"work": {"default": 100000, "help": "loop iterations per item"}}
"""


def test_vs_measures_b_interleaved_and_decides_it_against_a(workload_file):
    # B does 1.5× the work: measured in the same rounds as A, paired round by round, it reads slower.
    # Calls of tens of ms, so that a busy machine's time slices do not swamp a round's pairing.
    from workloads.insight.compare import compare_arms

    path = workload_file(textwrap.dedent(SPIN))
    spec = build_spec(workload=path, strategies="serial", items="2,4", length="1", warmup="0",
                      vs="work=150000", costs="off")
    events: list = []
    assert run_sweep(spec, events.append) == "completed"
    rows = list({e.measurement.key: e.measurement for e in events if isinstance(e, MeasurementDone)}.values())
    assert sorted((m.arm, m.items) for m in rows) == [("", 2), ("", 4), ("B", 2), ("B", 4)]
    # Every round holds a call of each: A's and B's rounds pair up.
    assert {m.repeats for m in rows if not m.arm} == {m.repeats for m in rows if m.arm}
    from workloads.model.run import Run

    versus = compare_arms(Run(1, spec, "completed", "2026-12-02T00:00:00+00:00", measurements=rows))
    assert versus is not None and [row.mark for row in versus.rows] == ["slower", "slower"]
    for row in versus.rows:
        assert row.ratio.low > 1.0 and row.ratio.estimate == pytest.approx(1.5, rel=0.25)
        assert row.time_b / row.time_a == pytest.approx(row.ratio.estimate)  # B/A is the ratio of the two times
    assert [(d.name, d.a, d.b) for d in versus.differences] == [("work", "100000", "150000")]


def test_vs_refuses_what_it_cannot_interleave():
    for text, words in (("items=8", "dimension of the sweep"), ("pool=cold", "B must differ"),
                        ("nothing=1", "not an option"), ("pool", "not OPTION=VALUE")):
        with pytest.raises(SpecError, match=words):
            build_spec(strategies="serial,processes", vs=text)
