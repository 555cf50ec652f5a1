"""Comparing two runs: the mark of each row on synthetic repeats (clearly different, identical, one
outlier, a change inside what runs on this machine vary by), rows in one run only, what differs in
the header, and the Markdown, CSV and JSON texts parsed back. The rule's error rates between runs
are proven on seeded simulations (test_decision_simulation.py)."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from workloads.insight import compare as comparing
from workloads.insight.compare import compare, compare_rows, have_common_rows
from workloads.model import stats
from workloads.model.measurement import Measurement
from workloads.model.run import Run
from workloads.model.spec import SweepSpec
from workloads.presenting import formats

MACHINE = {"cpu_count": 2, "usable_cpus": 2, "cpu_model": "Test CPU", "memory_bytes": 8 * 2**30,
           "python": "3.11.7", "numpy": "2.0", "start_method": "fork", "parbench": "0.1.0", "hostname": "laptop"}
BASE = (0.100, 0.102, 0.098, 0.101, 0.099)


PACE = 0.001  # the pace gauge after every round: the machine at one steady speed


def m(strategy="serial", items=4, times=BASE, *, length=1000, workers=None, paced=True, **kwargs) -> Measurement:
    pooled = strategy in ("processes", "threads")
    if pooled and workers is None:
        workers = 2
    return Measurement("squares", strategy, items, length, workers, 1 if pooled else None,
                       "cold" if pooled else None, 1, tuple(times), pace_s=(PACE,) * len(times) if paced else (),
                       **kwargs)


def run(measurements, *, run_id=1, started="2026-05-09T10:00:00+00:00", machine=None, **spec) -> Run:
    spec = {"workload": "squares", "items": (4, 8), "length": (1000,), "strategies": ("serial", "processes"),
            "repeat": 5, "workers": (2,), **spec}
    return Run(run_id, SweepSpec(**spec), "completed", started, "2026-05-09T10:01:00+00:00",
               machine=dict(MACHINE if machine is None else machine), measurements=list(measurements))


def scaled(times, factor):
    return tuple(t * factor for t in times)


def one_row(a_times, b_times, *, min_change=comparing.MIN_CHANGE, paced=True) -> comparing.Row:
    [row] = compare_rows(run([m(times=a_times, paced=paced)]), run([m(times=b_times, paced=paced)], run_id=2),
                         min_change=min_change)
    return row


# The significance on synthetic repeats ---------------------------------------------------------------


def test_clearly_slower_and_clearly_faster_are_marked_so():
    slower = one_row(BASE, scaled(BASE, 1.5))
    assert slower.mark == stats.SLOWER
    assert slower.ratio.estimate == pytest.approx(1.5)
    assert 1.0 < slower.ratio.low < 1.5 < slower.ratio.high
    faster = one_row(BASE, scaled(BASE, 0.5))
    assert faster.mark == stats.FASTER and faster.ratio.high < 1.0
    # B/A is the ratio of the two times shown beside it.
    assert slower.time_b / slower.time_a == pytest.approx(slower.ratio.estimate)


def test_without_the_machine_s_pace_two_runs_support_only_large_changes():
    # Runs that recorded no pace gauge (older ones): this machine's speed can differ by up to
    # 1.5× between two runs, and nothing takes that out, so 1.5× is not a claim two runs can make.
    row = one_row(BASE, scaled(BASE, 1.5), paced=False)
    assert row.mark == stats.WITHIN_NOISE and row.has_interval
    assert "--vs" in row.note  # the rounds alone differ: it says how to tell
    assert one_row(BASE, scaled(BASE, 3.0), paced=False).mark == stats.SLOWER


def test_identical_repeats_are_within_noise():
    row = one_row(BASE, BASE)
    assert row.mark == stats.WITHIN_NOISE
    assert row.ratio.estimate == pytest.approx(1.0) and row.ratio.contains(1.0)
    constant = one_row((0.1, 0.1, 0.1), (0.1, 0.1, 0.1))  # no spread at all: still no change
    assert constant.mark == stats.WITHIN_NOISE


def test_one_outlier_does_not_make_a_change():
    # Four repeats agree with A; one was hit by the machine slowing down 3x. The mean of B's logs
    # moves by about 25 %, but the outlier widens the interval past 1: within noise, not slower.
    row = one_row(BASE, (0.100, 0.101, 0.099, 0.100, 0.300))
    assert row.ratio.estimate > 1.2
    assert row.mark == stats.WITHIN_NOISE
    # The same shift in every repeat is a real change.
    assert one_row(BASE, scaled(BASE, 1.25)).mark == stats.SLOWER


def test_three_repeats_suffice_for_a_clear_change():
    row = one_row((0.100, 0.101, 0.099), (0.150, 0.151, 0.149))
    assert row.mark == stats.SLOWER


def test_one_repeat_cannot_be_judged():
    row = one_row((0.1,), (0.2,))
    assert row.mark == stats.UNKNOWN
    assert not row.has_interval and row.ratio.estimate == pytest.approx(2.0)


# The minimum effect -------------------------------------------------------------------------------------


def test_a_small_change_between_two_runs_is_within_noise_and_says_why():
    # Tight rounds 2% apart: significant inside each run, but two runs of the same code on this
    # machine differ by more than that, so the runs cannot support the claim either way.
    tight = (0.1000, 0.1001, 0.0999, 0.1000, 0.1000)
    for factor in (1.02, 1 / 1.02):
        row = one_row(tight, scaled(tight, factor))
        assert row.ratio.contains(1.0) and row.mark == stats.WITHIN_NOISE
        assert not row.found.alone.contains(1.0) and "--vs" in row.note


def test_fail_if_slower_uses_the_same_rule_with_its_own_threshold():
    a = run([m(items=4), m("processes", 4), m(items=8)])
    b = run([m(items=4, times=scaled(BASE, 1.08)), m("processes", 4, times=scaled(BASE, 1.3)),
             m(items=8, times=(0.1, 0.1, 0.1, 0.1, 0.9))], run_id=2)
    comparison = compare(a, b)
    assert [row.mark for row in comparison.rows] == [stats.WITHIN_NOISE, stats.SLOWER, stats.WITHIN_NOISE]
    # Slower by more than 10%: the interval's low end above 1.10, the same interval the marks use.
    assert [(row.strategy, row.items) for row in comparison.slower_than(0.10)] == [("processes", 4)]
    assert comparison.slower_than(0.5) == []


# Rows, points and differences -----------------------------------------------------------------------------


def test_points_in_one_run_only_are_listed_not_dropped():
    a = run([m(items=4), m("processes", 4), m(items=8)])
    b = run([m(items=4), m(items=16)], run_id=2)
    comparison = compare(a, b)
    marks = {(row.strategy, row.items): row.mark for row in comparison.rows}
    assert marks == {("serial", 4): stats.WITHIN_NOISE, ("processes", 4): comparing.ONLY_A,
                     ("serial", 8): comparing.ONLY_A, ("serial", 16): comparing.ONLY_B}
    assert [row.items for row in comparison.rows] == [4, 4, 8, 16]  # in size order
    assert comparing.summary(comparison) == "1 within noise, 2 only in A, 1 only in B"


def test_no_point_in_common():
    a = run([m(items=4)])
    b = run([m(items=64)], run_id=2)
    assert not have_common_rows(a, b)
    assert compare(a, b).common == []


def test_a_failed_row_has_no_ratio_and_says_where_it_failed():
    a = run([m(items=4)])
    b = run([m(items=4, times=(), status="timeout", error="too slow")], run_id=2)
    comparison = compare(a, b)
    [row] = comparison.rows
    assert row.ratio is None and row.mark == "timeout in B"
    assert comparison.failed_in_b() == [row]


def test_pools_of_different_sizes_match_unless_workers_were_swept():
    a = run([m("processes", 4, workers=2)])
    b = run([m("processes", 4, workers=8)], run_id=2, workers=(8,))
    [row] = compare(a, b).rows
    assert row.a is not None and row.b is not None and row.workers == "2 → 8"
    assert ("spec", "workers", "2", "8") in [(d.group, d.name, d.a, d.b) for d in compare(a, b).differences]
    swept = run([m("processes", 4, workers=2), m("processes", 4, workers=8)], run_id=3, workers=(2, 8))
    rows = compare(a, swept).rows
    assert [(row.workers_a, row.workers_b, row.mark) for row in rows] == [
        (2, 2, stats.WITHIN_NOISE), (None, 8, comparing.ONLY_B)]


def test_the_header_lists_what_differs_and_only_that():
    a = run([m()], pool="cold")
    b = run([m()], run_id=2, pool="warm",
            machine={**MACHINE, "python": "3.13.0", "cpu_count": 64, "memory_bytes": 256 * 2**30,
                     "parbench": None, "hostname": "server"})
    found = {(d.name, d.a, d.b) for d in compare(a, b).differences}
    assert found == {("pool", "cold", "warm"), ("Python", "3.11.7", "3.13.0"), ("CPUs", "2", "64"),
                     ("memory", "8.0 GiB", "256.0 GiB"), ("parbench", "0.1.0", "not recorded"),
                     ("host", "laptop", "server")}
    assert compare(a, run([m()], run_id=2, started="2026-05-10T00:00:00+00:00")).differences == ()


def test_settings_and_start_method_differences():
    a = run([m()], workload="sleep", settings={"sleep_ms": 50})
    b = run([m()], run_id=2, workload="sleep", settings={"sleep_ms": 5},
            machine={**MACHINE, "start_method": "spawn"})
    found = {(d.group, d.name, d.a, d.b) for d in compare(a, b).differences}
    assert found == {("setting", "sleep-ms", "50", "5"), ("machine", "start method", "fork", "spawn")}


def test_different_workloads_are_compared_with_a_warning():
    a = run([m()])
    b = run([m()], run_id=2, workload="sleep")
    comparison = compare(a, b)
    assert comparison.common and not comparison.same_run
    [warning] = comparison.warnings
    assert "different workloads" in warning and "squares" in warning and "sleep" in warning


def test_a_run_with_itself_is_the_same_run():
    a = run([m()])
    assert compare(a, a).same_run
    copy = run([m()], run_id=None)  # the same content from elsewhere (an export of it)
    assert compare(a, copy).same_run
    assert "same run" in compare(a, copy).warnings[0]
    assert not compare(a, run([m(times=scaled(BASE, 1.01))], run_id=2)).same_run


# The texts, parsed back --------------------------------------------------------------------------------------


@pytest.fixture
def comparison():
    a = run([m(items=4), m("processes", 4), m(items=8)])
    b = run([m(items=4, times=scaled(BASE, 0.5)), m("processes", 4, times=scaled(BASE, 1.5)), m(items=16)],
            run_id=2, pool="warm")
    return compare(a, b, label_a="run 1", label_b="server.json")


def _markdown_table(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert set(lines[1].replace("|", "").replace("-", "").replace(":", "")) == set()
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[2:]]


def test_markdown_parses_back(comparison):
    text = formats.comparison_text([comparison], formats.MARKDOWN)
    table = _markdown_table(text)
    assert [(r["strategy"], r["items"], r["B vs A"]) for r in table] == [
        ("serial", "4", "faster"), ("processes", "4", "slower"), ("serial", "8", "only in A"),
        ("serial", "16", "only in B")]
    assert table[0]["B/A"] == "0.50×"
    assert table[2]["B/A"] == "—" and table[2]["B time"] == "—"
    assert "A = run 1" in text and "B = server.json" in text
    assert "What differs: pool cold → warm." in text
    assert "\x1b" not in text


def test_csv_parses_back(comparison):
    rows = list(csv.DictReader(io.StringIO(formats.comparison_text([comparison], formats.CSV))))
    assert [r["mark"] for r in rows] == ["faster", "slower", "only in A", "only in B"]
    assert float(rows[1]["ratio"]) == pytest.approx(1.5)
    assert float(rows[1]["ratio_low"]) < 1.5 < float(rows[1]["ratio_high"])
    assert rows[2]["ratio"] == "" and rows[2]["median_b_s"] == ""
    assert {r["a"] for r in rows} == {"run 1"} and {r["b"] for r in rows} == {"server.json"}


def test_json_parses_back(comparison):
    document = json.loads(formats.comparison_text([comparison], formats.JSON))
    [entry] = document["comparisons"]
    assert entry["a"]["label"] == "run 1" and entry["b"]["label"] == "server.json"
    assert entry["differences"] == [{"group": "spec", "name": "pool", "a": "cold", "b": "warm"}]
    assert entry["marks"] == {"faster": 1, "slower": 1, "only in A": 1, "only in B": 1}
    assert entry["rows"][0]["ratio"] == pytest.approx(0.5)
    assert entry["min_change"] == 0.05 and "between runs" in document["test"]
    assert all(not (isinstance(v, float) and math.isnan(v)) for r in entry["rows"] for v in r.values())


def test_history_texts_parse_back():
    runs = [run([m()], run_id=2), Run(1, SweepSpec(workload="sleep"), "partial", "2026-05-08T09:00:00+00:00",
                                      machine={"hostname": "server"}, imported=True)]
    counts = {2: 1, 1: 0}
    table = _markdown_table(formats.history_text(runs, counts, formats.MARKDOWN))
    assert [(r["id"], r["workload"], r["status"], r["rows"], r["host"]) for r in table] == [
        ("2", "squares", "completed", "1", "laptop"), ("1", "sleep", "partial", "0", "server (imported)")]
    rows = list(csv.DictReader(io.StringIO(formats.history_text(runs, counts, formats.CSV))))
    assert [(r["id"], r["imported"]) for r in rows] == [("2", "False"), ("1", "True")]
    document = json.loads(formats.history_text(runs, counts, formats.JSON))
    assert [r["id"] for r in document["runs"]] == [2, 1] and document["runs"][0]["spec"]["workload"] == "squares"


@pytest.mark.parametrize("text, expected", [("md", "md"), ("Markdown", "md"), (" csv ", "csv"), ("json", "json"),
                                            ("table", "table")])
def test_format_names(text, expected):
    assert formats.parse_output_format(text) == expected


def test_an_unknown_format_names_the_choices():
    with pytest.raises(Exception, match="one of table, md, csv, json"):
        formats.parse_output_format("xml")


def test_a_pipe_gets_markdown_a_terminal_the_box_table():
    assert formats.default_format(stdout_is_terminal=False) == formats.MARKDOWN
    assert formats.default_format(stdout_is_terminal=True) == formats.TABLE


def test_a_control_row_that_moved_warns_that_the_machine_changed():
    a = run([m(items=4), m("processes", 4)], pool="cold")
    steady = run([m(items=4), m("processes", 4, times=scaled(BASE, 0.5))], run_id=2, pool="warm")
    assert compare(a, steady).warnings == ()
    moved = run([m(items=4, times=scaled(BASE, 0.8)), m("processes", 4, times=scaled(BASE, 0.5))], run_id=3,
                pool="warm")
    [warning] = compare(a, moved).warnings
    assert warning.startswith("serial changed (0.80× at 1 point(s)) though it uses no pool and only pool settings")
    # Serial is no control when the code or interpreter differs: it may really have changed.
    other_python = run([m(items=4, times=scaled(BASE, 0.8)), m("processes", 4)], run_id=4,
                       machine={**MACHINE, "python": "3.13.0"})
    assert compare(a, other_python).warnings == ()


def test_the_interpreter_line_says_what_ran_as_it_ran():
    a = run([m()], python="")
    b = run([m()], run_id=2, python="/root/.pyenv/versions/3.13.5t/bin/python",
            machine={**MACHINE, "python": "3.13.5", "free_threaded": True, "gil_enabled": False})
    found = {(d.name, d.a, d.b) for d in compare(a, b).differences}
    # One line for the interpreter, however it was asked for (the spec's python is not repeated).
    assert found == {("Python", "3.11.7", "3.13.5 free-threaded, GIL off")}
    assert "Python 3.11.7 → 3.13.5 free-threaded, GIL off" in formats.difference_text(compare(a, b))
    venv = run([m()], run_id=3, machine={**MACHINE, "executable": "/home/me/project/.venv/bin/python"})
    base = run([m()], machine={**MACHINE, "executable": "/usr/bin/python3.11"})
    assert {(d.name, d.a, d.b) for d in compare(base, venv).differences} == {
        ("interpreter", "/usr/bin/python3.11", "/home/me/project/.venv/bin/python")}
