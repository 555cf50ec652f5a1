"""The model of a pool's time, on synthetic timings with known costs: its prediction, its
break-even, its check on the larger half of a sweep, worker scaling and the winner of each point."""

from __future__ import annotations

import math

import pytest
from analysis_fixtures import BACK, OUT, C, S, costs, m, pool_params, synthetic_run

from workloads.insight import analysis
from workloads.insight.analysis import (
    Params,
    analyse,
    break_even_items,
    break_even_work,
    karp_flatt,
    predict,
    work_time,
)
from workloads.model import stats

# The model ------------------------------------------------------------------------------------------------


def test_break_even_is_start_over_what_each_item_saves():
    # c·(1 − 1/p) − a = 0.01 × 0.5 − 0.002 = 0.003 s saved per item: 0.05 / 0.003 items pay the start.
    assert break_even_items(pool_params()) == pytest.approx(S / (C * 0.5 - 0.002))


def test_a_pool_never_pays_when_shipping_costs_what_the_workers_save():
    assert break_even_items(pool_params(ship_s=C * 0.5)) is None
    assert break_even_items(pool_params(ship_s=C * 0.6)) is None
    assert break_even_items(pool_params(ship_s=C * 0.4)) is not None


def test_the_ceiling_caps_cpu_work_and_not_waiting():
    # On a machine whose two processes give 1.6×, CPU work is spread over 1.6, not 2.
    capped = break_even_items(pool_params(ceiling=1.6))
    assert capped == pytest.approx(S / (C * (1 - 1 / 1.6) - 0.002))
    # A sleep needs no CPU: two workers overlap two waits whatever the ceiling.
    waiting = break_even_items(pool_params(ceiling=1.0, cpu_share=0.0))
    assert waiting == pytest.approx(S / (C * 0.5 - 0.002))


def test_threads_never_pay_for_cpu_work_and_do_for_waits():
    assert break_even_items(pool_params(gil=True, cpu_share=1.0, ship_s=1e-5)) is None
    assert break_even_items(pool_params(gil=True, cpu_share=0.0, ship_s=1e-5)) is not None


def test_a_small_break_even_is_searched_item_by_item():
    # S = 5 ms: one item never pays (it runs on one worker), two items do.
    p = pool_params(start_s=0.005)
    assert predict(p, 1) > 1 * C and predict(p, 2) < 2 * C
    assert break_even_items(p) == 2


def test_work_runs_in_rounds_of_workers_and_chunks():
    p = pool_params(start_s=0.0, ship_s=0.0, work_s=1.0, cpu_share=0.0)
    assert [work_time(p, n) for n in range(1, 7)] == [1, 1, 2, 2, 3, 3]
    # Chunks of 3 on two workers: 4 items are chunks of 3 and 1, run at once; 7 items take 3 + 1.
    chunked = pool_params(start_s=0.0, ship_s=0.0, work_s=1.0, cpu_share=0.0, chunksize=3)
    assert work_time(chunked, 4) == 3 and work_time(chunked, 7) == 4
    # Two CPU items at once on a 1.6× machine take 2/1.6 of one.
    assert work_time(pool_params(work_s=1.0, ceiling=1.6), 2) == pytest.approx(2 / 1.6)


def test_break_even_work_per_item_balances_the_two_times():
    p = pool_params()
    work = break_even_work(p, 64)
    assert work == pytest.approx((S + 64 * 0.002) / 32)
    at_break_even = Params(p.start_s, p.ship_s, work, p.cpu_share, p.workers, p.ceiling, p.gil, p.chunksize)
    assert predict(at_break_even, 64) == pytest.approx(64 * work)
    # One item cannot run in parallel: no amount of work makes a pool pay for it.
    assert break_even_work(p, 1) is None


def test_karp_flatt_serial_fraction():
    assert karp_flatt(1.6, 2) == pytest.approx(0.25)
    assert karp_flatt(2.0, 2) == pytest.approx(0.0)
    assert karp_flatt(1.0, 4) == pytest.approx(1.0)
    assert karp_flatt(1.5, 1) is None and karp_flatt(None, 2) is None


# A run taken apart -----------------------------------------------------------------------------------------


def test_the_model_fitted_on_the_smaller_half_predicts_the_larger_half():
    a = analyse(synthetic_run())
    check = a.series["processes@2"].check
    assert [p[0] for p in check.fitted] == [2, 4, 8]
    assert [c.items for c in check.checked] == [16, 32, 64]
    assert check.median_error == pytest.approx(0.0, abs=1e-9)
    # The larger half's own costs are not used: wrong figures recorded there change nothing.
    skewed = analyse(synthetic_run(later_costs=costs(start=1.0, out=0.1, back=0.1)))
    assert skewed.series["processes@2"].check.median_error == pytest.approx(0.0, abs=1e-9)


def test_a_prediction_that_misses_shows_in_the_check():
    rows = synthetic_run()
    # The largest point ran twice as long as the model says.
    rows[-1] = m("processes", 64, [2 * predict(pool_params(), 64)] * 3, costs=costs())
    check = analyse(rows).series["processes@2"].check
    assert check.worst.items == 64 and check.worst.ratio == pytest.approx(0.5)


def test_break_even_and_split_come_from_the_measured_costs():
    result = analyse(synthetic_run()).series["processes@2"]
    be = result.break_even[1000]
    assert be.items == pytest.approx(S / (C * 0.5 - 0.002))
    assert be.work_items == 64 and be.work_s == pytest.approx((S + 64 * 0.002) / 32)
    split = result.at((16, 1000)).split
    assert split.start_s == pytest.approx(S)
    assert split.ship_out_s == pytest.approx(16 * OUT) and split.ship_back_s == pytest.approx(16 * BACK)
    assert split.work_s == pytest.approx(8 * C)
    assert split.waiting_s == pytest.approx(0.0, abs=1e-12)


def test_one_point_gives_costs_but_no_fit():
    result = analyse(synthetic_run(items=(8,))).series["processes@2"]
    assert result.check is None and "one point: no fit possible" in result.check_note
    assert result.at((8, 1000)).split is not None and result.break_even[1000].items is not None


def test_failed_points_are_left_out_of_the_model_and_kept_as_failed():
    result = analyse(synthetic_run(failed_at=32)).series["processes@2"]
    assert result.failed == [(32, 1000, "failed", "BrokenProcessPool: a worker died")]
    assert [p.items for p in result.points] == [2, 4, 8, 16, 64]
    assert result.check.median_error == pytest.approx(0.0, abs=1e-9)


def test_costs_that_failed_to_measure_leave_the_point_without_a_model():
    rows = [m("serial", 8, [0.08] * 3), m("processes", 8, [0.05] * 3, costs={"error": "measuring failed: boom"})]
    result = analyse(rows).series["processes@2"]
    assert result.at((8, 1000)).params is None and not result.break_even


def test_worker_scaling_gives_efficiency_and_serial_fraction():
    rows = [m("serial", 16, [1.0, 1.0, 1.0])]
    for workers, seconds in ((1, 1.0), (2, 0.625), (4, 0.5)):
        rows.append(m("processes", 16, [seconds] * 3, workers=workers, costs=costs(workers=workers)))
    a = analyse(rows)
    assert a.worker_sweep == ["processes"]
    scaling = a.scaling("processes", (16, 1000))
    assert [r.workers for r in scaling] == [1, 2, 4]
    assert scaling[1].speedup.estimate == pytest.approx(1.6)
    assert scaling[1].efficiency == pytest.approx(0.8)
    assert scaling[1].serial_fraction == pytest.approx(0.25)
    assert scaling[0].serial_fraction is None  # one worker: no fraction to speak of


# The winner of each point -------------------------------------------------------------------------------------


def test_each_point_has_a_winner_and_its_lead_over_the_runner_up():
    rows = [m("serial", 4, [1.0, 1.02, 0.98]), m("numpy", 4, [0.1, 0.1, 0.1]),
            m("serial", 8, [1.0, 1.0, 1.0]), m("processes", 8, [0.98, 1.03, 0.99], costs=costs()),
            m("serial", 16, [2.0]), m("numpy", 16, [0.5])]
    cells = analyse(rows).cells
    assert cells[(4, 1000)].winner == "numpy" and cells[(4, 1000)].runner_up == "serial"
    assert cells[(4, 1000)].lead.estimate == pytest.approx(10.0, rel=0.01)
    assert cells[(4, 1000)].verdict == stats.FASTER
    # A lead whose interval spans 1 is undecided, whichever row happens to be faster.
    assert cells[(8, 1000)].verdict == "undecided"
    # One repeat: no interval, so nothing is decided, and the lead is a figure alone.
    assert cells[(16, 1000)].verdict == "undecided" and not cells[(16, 1000)].lead.has_bounds


def test_speedup_interval_is_paired_by_round_and_classified():
    rows = [m("serial", 4, [1.0, 2.0, 1.0, 2.0]), m("processes", 4, [0.5, 1.0, 0.5, 1.0], costs=costs())]
    interval = analyse(rows).speedups[("processes@2", (4, 1000))]
    # Serial's own time swings 2× between rounds; paired, the ratio is exactly 2 every round.
    assert interval.estimate == pytest.approx(2.0) and interval.low == pytest.approx(2.0)
    assert stats.classify(interval) == stats.FASTER
    assert not math.isnan(interval.high)


def test_parameters_need_the_costs_that_make_them():
    assert analysis.params_from_costs(None, items=4, chunksize=1, ceiling=2.0, cpus=2,
                                      kind=analysis.KINDS["processes"], workers=2) is None
    made = analysis.params_from_costs(costs(), items=4, chunksize=1, ceiling=None, cpus=2,
                                      kind=analysis.KINDS["threads"], workers=2)
    assert made.gil and made.ceiling == 2.0 and made.ship_s == pytest.approx(OUT + BACK)


def test_the_check_takes_in_the_machine_changing_pace_during_the_sweep():
    # The larger half ran on a machine 1.5× slower: serial, the pool and every cost with it.
    rows = []
    for index, n in enumerate((2, 4, 8, 16, 32, 64)):
        pace = 1.5 if index >= 3 else 1.0
        slow = pool_params(start_s=S * pace, ship_s=(OUT + BACK) * pace, work_s=C * pace)
        rows.append(m("serial", n, [n * C * pace] * 3))
        rows.append(m("processes", n, [predict(slow, n)] * 3,
                      costs=costs(start=S * pace, out=OUT * pace, back=BACK * pace, work=C * pace,
                                  pace_s=0.001 * pace)))
    check = analyse(rows).series["processes@2"].check
    assert [c.speed for c in check.checked] == pytest.approx([1.5] * 3)
    assert check.median_error == pytest.approx(0.0, abs=1e-9)
    assert [c.unscaled_ratio for c in check.checked] == pytest.approx([1 / 1.5] * 3)


def test_a_start_that_grows_with_the_data_is_fitted_and_costs_per_item():
    # A cold fork pool whose start grows 2 ms per item (the parent's page tables): S = 20 ms + 2 ms·n.
    rows = []
    for n in (2, 4, 8, 16, 32, 64):
        start = 0.02 + 0.002 * n
        rows.append(m("serial", n, [n * C] * 3))
        rows.append(m("processes", n, [predict(pool_params(start_s=start), n)] * 3, costs=costs(start=start)))
    result = analyse(rows).series["processes@2"]
    assert result.check.median_error == pytest.approx(0.0, abs=1e-9)
    params = result.break_even[1000].params
    assert params.start_s == pytest.approx(0.02) and params.start_per_item_s == pytest.approx(0.002)
    # It costs like shipping: 0.005 − 0.002 − 0.002 saved per item pays 20 ms from 20 items.
    assert result.break_even[1000].items == pytest.approx(0.02 / (C * 0.5 - 0.002 - 0.002))
    from workloads.insight.explain import explain

    assert ("Its start grew from 24 ms at items=2 to 148 ms at items=64: a cold pool's start grows with the data "
            "this process holds (each forked worker copies its page tables)") in "\n".join(explain(rows))
