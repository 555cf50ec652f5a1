"""The interval a run's table shows is the one the decision rule decides on: none while a live
sweep's first pass is still going (the sweep's own looks wait for it, and the points so far have
almost nothing to pool: two rounds, one degree of freedom, `0.004–697577.96`), and B's rows of --vs
pooled across B's points as A's are."""

from __future__ import annotations

from workloads.model import decision as rule
from workloads.model.measurement import STOP_MAX_ROUNDS, STOP_OPEN, Measurement
from workloads.model.run import Run
from workloads.model.spec import SweepSpec
from workloads.presenting.run_table import run_rows, run_table

ITEMS = (4, 8, 16)
# Two rounds each, the pool's second call far slower than its first (a cold start): a spread that,
# with one degree of freedom, makes an interval of thousands.
SERIAL = (0.040, 0.041)
POOLED = (0.030, 0.090)


def _rows(points: int, stop: str = STOP_OPEN, arm: str = "") -> list[Measurement]:
    rows = []
    for index, items in enumerate(ITEMS[:points]):
        scale = items / 4
        for strategy, times, workers in (("serial", SERIAL, None), ("processes", POOLED, 2)):
            rows.append(Measurement("squares", strategy, items, 1000, workers, None, "cold" if workers else None, 0,
                                    tuple(t * scale for t in times), point_index=index, stop=stop, arm=arm))
    return rows


def _run(rows: list[Measurement]) -> Run:
    spec = SweepSpec(workload="squares", items=ITEMS, length=(1000,), strategies=("serial", "processes"),
                     workers=(2,))
    return Run(1, spec, "running", "2026-01-02T03:04:05+00:00", measurements=rows)


def _interval_cells(run: Run) -> list[str]:
    table = run_table(run)
    column = next(c for c in table.columns if c.key == "interval")
    return [table.cell(row, column, "markdown") for row in table.rows if row.values["strategy"] != "serial"]


def test_the_first_point_of_a_live_sweep_shows_no_interval_until_the_first_pass_is_over():
    run = _run(_rows(1))
    row = next(r for r in run_rows(run) if r.values["strategy"] == "processes")
    assert row.values["interval"] is None  # it showed one from a single point's two rounds: 0.0…–1…
    assert row.values["speedup"] is not None  # the estimate is there, without a range it cannot have yet
    assert row.values["quality"] == "undecided"
    assert _interval_cells(run) == ["—"]


def test_once_every_point_has_its_first_rounds_the_table_shows_the_pooled_interval_the_rule_decides_on():
    rows = _rows(3)
    shown = [r.values["interval"] for r in run_rows(_run(rows)) if r.values["strategy"] == "processes"]
    times = [{m.series: list(m.times_s) for m in rows if m.point_index == i} for i in range(3)]
    pooled = [d.against("processes@2", "serial").interval for d in rule.decide_sweep(times, "serial")]
    assert shown == [(iv.low, iv.high) for iv in pooled]
    alone = rule.interval(rule.paired_log_ratios(times[0], "processes@2", "serial"))
    assert alone.high / alone.low > 1000 and all(high / low < alone.high / alone.low for low, high in shown)


def test_a_finished_run_still_shows_its_interval():
    """A cancelled or stopped run is looked at once, as it ended: its rows are not provisional."""
    run = _run(_rows(1, stop=STOP_MAX_ROUNDS))
    assert all(cell != "—" for cell in _interval_cells(run))


def test_b_rows_of_vs_are_pooled_across_b_s_points():
    """B's rows (against B's own serial) were decided point by point, unpooled: one degree of freedom."""
    rows = _rows(3, stop=STOP_MAX_ROUNDS) + _rows(3, stop=STOP_MAX_ROUNDS, arm="B")
    table = run_rows(_run(rows))
    a = [r.values["interval"] for r in table if r.values["strategy"] == "processes" and not r.values["arm"]]
    b = [r.values["interval"] for r in table if r.values["strategy"] == "processes" and r.values["arm"]]
    assert b == a  # the same times: the same pooled interval on either side
