"""The decision rule's promises, asserted on seeded whole-sweep simulations (tests/simulation.py).

Each noise model runs every scenario 40 times (~2,050 comparisons, 440 of
them true ties, 40x(1+10+10+5) = 1,040 2x gaps); the between-run part uses 27
run pairs (405 rows).  Where a target is not met the test is an xfail(strict)
whose reason says why, so a silent improvement or regression is noticed.
"""

from __future__ import annotations

from functools import cache

import pytest
import simulation as sim

SWEEPS = 40
PAIRS = 27
SEED = 1
MODELS = list(sim.NOISE_MODELS)
OUTLIER_MODELS = {"c_a", "c_b"}
RUN_MODELS = {"a": sim.NOISE_MODELS["a"], "b": sim.NOISE_MODELS["b"], "c_b": sim.NOISE_MODELS["c_b"],
              "d": sim.NOISE_MODELS["d"], "r": sim.RUN_LEVEL}


@cache
def new_rule(model: str) -> sim.Summary:
    return sim.simulate_rule("new (pooled)", model, SWEEPS, SEED)


@cache
def today(model: str) -> sim.Summary:
    return sim.simulate_rule("today", model, SWEEPS, SEED)


@cache
def runs(model: str) -> sim.RunsSummary:
    return sim.simulate_runs(RUN_MODELS[model], PAIRS, SEED)


@pytest.mark.parametrize("model", MODELS)
def test_wrong_verdicts_at_most_5_percent(model: str) -> None:
    s = new_rule(model)
    assert s.comparisons >= 400 and s.tie_total >= 400
    assert s.wrong_rate <= 0.05
    assert s.tie_wrong_rate <= 0.05  # true ties: where a sign error is easiest


@pytest.mark.parametrize("model", MODELS)
def test_coverage_at_stopping_time_at_least_95_percent(model: str) -> None:
    s = new_rule(model)
    assert s.coverage >= 0.95
    assert s.coverage >= today(model).coverage


@pytest.mark.parametrize("model", MODELS)
def test_a_2x_gap_is_decided_in_at_most_4_rounds_typically(model: str) -> None:
    s = new_rule(model)
    assert s.gap_total >= 400
    assert s.gap_quantile(0.5) <= 3
    assert s.gap_quantile(0.5) < today(model).gap_quantile(0.5)


@pytest.mark.parametrize(
    "model",
    [m if m not in OUTLIER_MODELS else pytest.param(m, marks=pytest.mark.xfail(
        strict=True, reason="1 call in 10 at 2x gives the paired log ratio an sd of ~0.3: a mean-based "
                            "interval needs 5-9 rounds for some 2x gaps"))
     for m in MODELS],
)
def test_a_2x_gap_is_decided_in_at_most_4_rounds_nine_times_in_ten(model: str) -> None:
    assert new_rule(model).gap_quantile(0.9) <= 4


@pytest.mark.parametrize("model", MODELS)
def test_a_103_race_never_reads_slower_often(model: str) -> None:
    s = new_rule(model)
    assert s.race_ends.get("slower", 0) / len(s.race_rounds) <= 0.05
    assert sum(s.race_rounds) / len(s.race_rounds) <= 20


@pytest.mark.parametrize("model", sorted(RUN_MODELS))
def test_identical_code_in_two_stored_runs_reads_same_or_within_noise(model: str) -> None:
    s = runs(model)
    assert s.rows >= 400
    assert s.identical_ok["raw"] >= 0.95
    assert s.identical_ok["normalised"] >= 0.95


@pytest.mark.parametrize(
    "model",
    [m if m != "c_b" else pytest.param(m, marks=pytest.mark.xfail(
        strict=True, reason="with 1 call in 10 at 2x the per-round sd (~0.3) exceeds what 20 rounds of an "
                            "anytime-valid mean interval can resolve for a 20% change"))
     for m in sorted(RUN_MODELS)],
)
def test_interleaved_20_percent_slowdown_is_found(model: str) -> None:
    assert runs(model).interleaved_slower >= 0.80
