"""The one statistics module: Student's t, the intervals every speedup and comparison carries, the
rule for "within noise", and the adaptive stopping rule, on synthetic numbers with known answers."""

from __future__ import annotations

import math

import pytest

from workloads.model import stats

# Student's t quantiles from the tables (two-sided 95 %: the 0.975 quantile).
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 5: 2.571, 10: 2.228, 30: 2.042, 1000: 1.962}


@pytest.mark.parametrize("df, expected", sorted(T_975.items()))
def test_t_quantile_matches_the_tables(df, expected):
    assert stats.t_quantile(0.975, df) == pytest.approx(expected, abs=2e-3)
    assert stats.t_quantile(0.025, df) == pytest.approx(-expected, abs=2e-3)


def test_t_quantile_of_a_fractional_df_lies_between_its_neighbours():
    assert stats.t_quantile(0.975, 2) > stats.t_quantile(0.975, 2.5) > stats.t_quantile(0.975, 3)


def test_paired_ratio_of_exact_halves_is_two_with_no_width():
    interval = stats.paired_ratio([0.2, 0.4, 0.3], [0.1, 0.2, 0.15])
    assert interval.estimate == pytest.approx(2.0)
    assert interval.low == pytest.approx(2.0) and interval.high == pytest.approx(2.0)


def test_pairing_cancels_a_change_of_machine_speed_that_the_unpaired_ratio_does_not():
    # The machine ran at full, half, then full speed: both strategies slowed alike in round 2.
    serial = [0.10, 0.20, 0.10]
    pooled = [0.05, 0.10, 0.05]
    paired = stats.paired_ratio(serial, pooled)
    unpaired = stats.unpaired_ratio(serial, pooled)
    assert paired.relative_half_width < 1e-9
    assert unpaired.relative_half_width > 0.3
    assert stats.classify(paired) == stats.FASTER
    assert paired.estimate == pytest.approx(unpaired.estimate)


def test_the_interval_is_the_t_interval_of_the_log_ratios():
    ratios = [1.9, 2.0, 2.2, 2.1]
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    half = stats.t_quantile(0.975, 3) * sd / 2
    interval = stats.paired_ratio(ratios, [1, 1, 1, 1])
    assert interval.estimate == pytest.approx(math.exp(mean))
    assert interval.low == pytest.approx(math.exp(mean - half))
    assert interval.high == pytest.approx(math.exp(mean + half))


@pytest.mark.parametrize("ratios, expected", [
    ([1.01, 0.98, 1.03, 0.99], stats.WITHIN_NOISE),  # spans 1
    ([1.50, 1.52, 1.49, 1.51], stats.FASTER),
    ([0.50, 0.52, 0.49, 0.51], stats.SLOWER),
    ([1.020, 1.021, 1.019, 1.020], stats.SAME),  # significant, but under the 5 % minimum effect
    ([1.4], stats.UNKNOWN),  # one round: no interval at all
])
def test_classify_is_the_one_rule_for_within_noise(ratios, expected):
    interval = stats.paired_ratio(ratios, [1.0] * len(ratios))
    assert stats.classify(interval, min_change=0.05) == expected


def test_a_ratio_of_times_reads_the_other_way_round():
    slower = stats.unpaired_ratio([2.0, 2.1, 1.9, 2.0], [1.0, 1.05, 0.95, 1.0])
    assert stats.classify(slower, higher_is=stats.SLOWER) == stats.SLOWER


def test_one_outlier_widens_the_interval_rather_than_moving_the_verdict_silently():
    steady = stats.paired_ratio([2.0, 2.02, 1.98, 2.01, 1.99], [1.0] * 5)
    outlier = stats.paired_ratio([2.0, 2.02, 1.98, 2.01, 0.7], [1.0] * 5)
    assert outlier.relative_half_width > 5 * steady.relative_half_width
    assert stats.classify(outlier) == stats.WITHIN_NOISE  # no longer sure: said so


def test_the_stopping_rule_needs_every_interval_within_the_precision():
    tight = stats.paired_ratio([2.0, 2.01, 1.99], [1.0] * 3)
    loose = stats.paired_ratio([2.0, 2.5, 1.6], [1.0] * 3)
    assert stats.precise_enough([tight], 0.05)
    assert not stats.precise_enough([tight, loose], 0.05)
    assert not stats.precise_enough([tight, None], 0.05)  # an interval that cannot be formed yet
    assert not stats.precise_enough([], 0.05)


def test_one_repeat_has_no_stdev_and_is_never_called_quiet():
    summary = stats.summarize([0.25])
    assert summary.stdev is None and summary.spread == 0.0
    assert stats.time_interval([0.25]).n == 1 and math.isnan(stats.time_interval([0.25]).low)
