"""Seeded simulation of whole sweeps on a noisy shared VM: parbench's decision rule (the real
`workloads.model.decision`, `workloads.measuring.planner` and `workloads.insight.between_runs`)
against the rule it replaced (plain 95% t intervals, stopped at ±5%).

Calls are laid out on a simulated clock.  The machine has a slow-down factor
that is piecewise constant in time (flat, two-speed with exponential dwell
times, or replayed from vm-pace-trace.csv at a random offset); a call of
nominal work W seconds lasts until it has done W seconds of work at factor 1,
so a speed flip can land inside a call or between two calls of one round.
Each call also gets lognormal jitter (3% for calls of 10 ms and longer, more
for short calls: 3% * (10 ms / W) ** 0.35) and optionally a 2x outlier in one
call of ten.  After every round a pace gauge (median of 5 calls of a 1 ms
loop) is timed, for the between-run comparison.

``python tests/simulation.py`` prints the tables that docs/methodology.md quotes; the tests in
test_decision_simulation.py assert the targets on the same seeded runs.
"""

from __future__ import annotations

import bisect
import csv
import math
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import numpy as np

from workloads.insight.between_runs import RunRow, compare_row
from workloads.measuring.planner import (
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_MAX_ROUNDS,
    PointState,
    next_point,
    remaining_seconds,
)
from workloads.model import stats
from workloads.model.decision import MARGIN as DEFAULT_MARGIN
from workloads.model.decision import SPAN as DEFAULT_SPAN
from workloads.model.decision import (
    UNDECIDED,
    SweepLooks,
    comparison_pairs,
    decide,
    paired_log_ratios,
)
from workloads.model.stats import FASTER, SAME, SLOWER, WITHIN_NOISE, Interval

# The VM's measured pace, kept with the tests (a copy of shared/data/vm-pace-trace.csv).
TRACE = Path(__file__).resolve().parent / "data" / "vm-pace-trace.csv"


def read_pace(path: Path) -> list[float]:
    """The median_call_us column of a pace trace (comment lines start with '#')."""
    with open(path, newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [float(row["median_call_us"]) for row in rows]


def fixed_interval(log_ratios):
    """The rule parbench replaced: a plain 95% t interval, as if the rounds had been fixed."""
    return stats.paired_ratio([math.exp(r) for r in log_ratios], [1.0] * len(log_ratios))
BASELINE = "serial"
GAP_S = 0.0002  # dispatch gap between two calls
GAUGE_WORK_S = 0.001
GAUGE_REPEATS = 1  # parbench times its pace gauge once after each round
BUDGET_S = 600.0  # per sweep; never binding in these scenarios (largest ~90 s)


# --------------------------------------------------------------------------
# The machine.
# --------------------------------------------------------------------------


@dataclass
class Machine:
    """Piecewise-constant slow-down: factors[i] holds from edges[i] to edges[i+1]."""

    edges: list[float]
    factors: list[float]

    def run(self, start: float, work: float) -> float:
        """Duration of a call of nominal ``work`` seconds starting at ``start``."""
        index = bisect.bisect_right(self.edges, start) - 1
        clock, remaining = start, work
        while True:
            factor = self.factors[index]
            end = self.edges[index + 1] if index + 1 < len(self.edges) else math.inf
            capacity = (end - clock) / factor
            if remaining <= capacity:
                return clock + remaining * factor - start
            remaining -= capacity
            clock = end
            index += 1


def flat_machine(rng: np.random.Generator, horizon: float) -> Machine:
    return Machine([0.0], [1.0])


def two_speed_machine(
    rng: np.random.Generator, horizon: float, levels: tuple[float, float] = (1.0, 1.4), mean_dwell: float = 4.0
) -> Machine:
    edges, factors = [0.0], [levels[int(rng.integers(2))]]
    clock = float(rng.exponential(mean_dwell))
    while clock < horizon:
        edges.append(clock)
        factors.append(levels[1] if factors[-1] == levels[0] else levels[0])
        clock += float(rng.exponential(mean_dwell))
    return Machine(edges, factors)


_PACE: np.ndarray | None = None


def trace_pace() -> np.ndarray:
    """The trace's 100 ms pace as a slow-down factor (median_call_us / its median)."""
    global _PACE
    if _PACE is None:
        pace = np.array(read_pace(TRACE))
        _PACE = pace / np.median(pace)
    return _PACE


def trace_machine(rng: np.random.Generator, horizon: float) -> Machine:
    pace = trace_pace()
    windows = int(horizon / 0.1) + 1
    offset = int(rng.integers(len(pace)))
    factors = pace[(offset + np.arange(windows)) % len(pace)]
    return Machine([0.1 * i for i in range(windows)], factors.tolist())


def run_level_machine(rng: np.random.Generator, horizon: float) -> Machine:
    """A whole run at one of the VM's levels (x1.0, x1.1, x1.5): the between-run stress."""
    return Machine([0.0], [float(rng.choice([1.0, 1.1, 1.5]))])


@dataclass(frozen=True)
class NoiseModel:
    name: str
    machine: Callable[[np.random.Generator, float], Machine]
    jitter: float = 0.03
    outlier_rate: float = 0.0


NOISE_MODELS: dict[str, NoiseModel] = {
    "a": NoiseModel("(a) lognormal 3%", flat_machine),
    "b": NoiseModel("(b) two-speed x1/x1.4, dwell 4 s", two_speed_machine),
    "c_a": NoiseModel("(c) a + 1 in 10 calls 2x", flat_machine, outlier_rate=0.1),
    "c_b": NoiseModel("(c) b + 1 in 10 calls 2x", two_speed_machine, outlier_rate=0.1),
    "d": NoiseModel("(d) trace-driven + 3%", trace_machine),
}
RUN_LEVEL = NoiseModel("(r) whole run at x1.0/x1.1/x1.5 + 3%", run_level_machine)


def jitter_sd(work: float, base: float) -> float:
    """Short calls jitter more: 3% at 10 ms and above, ~6% at 1.6 ms, ~11% at 0.25 ms."""
    return base * max(1.0, (0.010 / work) ** 0.35)


class Bench:
    """A simulated machine plus clock: times calls and the pace gauge."""

    def __init__(self, noise: NoiseModel, rng: np.random.Generator, horizon: float = 900.0) -> None:
        self.noise, self.rng = noise, rng
        # Per-call draws from a generator seeded by the machine's: numpy's scalar draws cost ~1 µs each.
        self.draws = random.Random(int(rng.integers(2**63)))
        self.machine = noise.machine(rng, horizon)
        self.clock = 0.0
        self.calls = 0

    def call(self, work: float, *, outliers: bool = True) -> float:
        work *= math.exp(self.draws.gauss(0.0, jitter_sd(work, self.noise.jitter)))
        if outliers and self.draws.random() < self.noise.outlier_rate:
            work *= 2.0
        duration = self.machine.run(self.clock, work)
        self.clock += duration + GAP_S
        self.calls += 1
        return duration

    def gauge(self) -> float:
        return median(self.call(GAUGE_WORK_S, outliers=False) for _ in range(GAUGE_REPEATS))


# --------------------------------------------------------------------------
# Scenarios: true per-call times.
# --------------------------------------------------------------------------

ITEMS = (4, 8, 16, 32, 64)


@dataclass(frozen=True)
class Scenario:
    """True speedups over serial per strategy and point; serial = 40 ms * items / 4."""

    name: str
    speedups: Mapping[str, Sequence[float]]
    items: Sequence[int] = ITEMS
    slowdown: float = 1.0  # every call x this (a 'changed code' run)

    def nominal(self, point: int) -> dict[str, float]:
        serial = 0.040 * self.items[point] / 4 * self.slowdown
        times = {BASELINE: serial}
        times.update({name: serial / s[point] for name, s in self.speedups.items()})
        return times

    def with_slowdown(self, factor: float) -> Scenario:
        return Scenario(self.name, self.speedups, self.items, factor)


SCENARIOS = (
    Scenario("crossing", {"processes": (0.45, 0.7, 1.0, 1.4, 2.0), "numpy": (25, 40, 60, 100, 160)}),
    Scenario("race", {"processes": (1.03,) * 5, "threads": (2.0,) * 5}),
    Scenario("tie", {"processes": (2.0,) * 5, "threads": (2.0,) * 5}),
    Scenario("null", {"processes": (1.0,) * 5, "threads": (0.5,) * 5}),
)
VS_SCENARIO = Scenario("vs", {"B": (1 / 1.2,) * 5})  # interleaved A (= serial) vs B 20% slower


# --------------------------------------------------------------------------
# Running a sweep.
# --------------------------------------------------------------------------


@dataclass
class Outcome:
    """One comparison at one point, as the rule finally reported it."""

    scenario: str
    point: int
    subject: str
    reference: str
    truth: float  # true speedup of subject over reference
    verdict: str
    interval: Interval | None
    first_decided: int | None  # rounds at the point when it first read decided
    rounds: int  # rounds at the point when it stopped


@dataclass
class SweepResult:
    outcomes: list[Outcome]
    calls: int
    seconds: float
    times: list[dict[str, list[float]]]
    gauges: list[list[float]] = field(default_factory=list)
    eta: tuple[float, float] | None = None  # (estimated, actual) seconds left after the first pass


class SweepRun:
    """The data of one sweep being measured."""

    def __init__(self, scenario: Scenario, bench: Bench) -> None:
        self.scenario, self.bench = scenario, bench
        self.nominal = [scenario.nominal(i) for i in range(len(scenario.items))]
        self.times: list[dict[str, list[float]]] = [{s: [] for s in n} for n in self.nominal]
        self.gauges: list[list[float]] = [[] for _ in self.nominal]

    def round(self, point: int) -> None:
        """One round: every strategy once, back to back, then the pace gauge."""
        for strategy, work in self.nominal[point].items():
            self.times[point][strategy].append(self.bench.call(work))
        self.gauges[point].append(self.bench.gauge())

    def rounds(self, point: int) -> int:
        return len(self.times[point][BASELINE])

    def round_seconds(self, point: int) -> float:
        return sum(median(v) for v in self.times[point].values()) if self.rounds(point) else 1.0

    def truth(self, point: int, subject: str, reference: str) -> float:
        return self.nominal[point][reference] / self.nominal[point][subject]

    def result(self, outcomes: list[Outcome]) -> SweepResult:
        return SweepResult(outcomes, self.bench.calls, self.bench.clock, self.times, self.gauges)


def run_new_rule(
    scenario: Scenario, bench: Bench, *, pool: bool = True, max_rounds: int = DEFAULT_MAX_ROUNDS,
    budget_s: float = BUDGET_S, margin: float = DEFAULT_MARGIN, give_up_after: int | None = DEFAULT_GIVE_UP_AFTER,
    span: float = DEFAULT_SPAN,
) -> SweepResult:
    """Planner-driven: first pass of 2 rounds per point, then rounds where open.

    A decided point gets no more rounds, so its verdict stays as first decided.
    """
    sweep = SweepRun(scenario, bench)
    points = range(len(scenario.items))
    looks = SweepLooks(BASELINE, margin=margin, pool=pool)
    first: dict[tuple[int, str, str], int] = {}
    estimate: tuple[float, float] | None = None  # (clock, estimated remaining s) after the first pass
    while True:
        decisions = looks.update(sweep.times, first_pass_done=all(sweep.rounds(i) >= 2 for i in points))
        for i in points:
            for c in decisions[i].comparisons if decisions[i] else ():
                if c.decided:
                    first.setdefault((i, c.subject, c.reference), sweep.rounds(i))
        states = [PointState(sweep.rounds(i), sweep.round_seconds(i), decisions[i]) for i in points]
        if estimate is None and all(d is not None for d in decisions):
            estimate = (bench.clock, remaining_seconds(states, max_rounds=max_rounds, margin=margin,
                                                       give_up_after=give_up_after))
        chosen = next_point(states, max_rounds=max_rounds, margin=margin, give_up_after=give_up_after)
        if chosen is None or bench.clock >= budget_s:
            break
        sweep.round(chosen)
    outcomes = []
    for i in points:
        decision = decisions[i]
        assert decision is not None
        for c in decision.comparisons:
            outcomes.append(Outcome(scenario.name, i, c.subject, c.reference, sweep.truth(i, c.subject, c.reference),
                                    c.verdict, c.interval, first.get((i, c.subject, c.reference)), sweep.rounds(i)))
    result = sweep.result(outcomes)
    if estimate is not None:
        result.eta = (estimate[1], bench.clock - estimate[0])
    return result


def run_todays_rule(
    scenario: Scenario, bench: Bench, *, min_rounds: int = 3, max_rounds: int = 20, budget_s: float = BUDGET_S,
    width: float = 0.05, margin: float = DEFAULT_MARGIN,
) -> SweepResult:
    """Point by point: plain 95% t intervals after every round from round 3; stop
    when every strategy's relative half-width vs serial is <= 5%, at 20 rounds,
    or when the budget is spent.  The verdict words are applied to the plain
    interval at stopping (today's tool reports no decision; this is what a
    reader of its interval would conclude)."""
    sweep = SweepRun(scenario, bench)
    outcomes = []
    for i in range(len(scenario.items)):
        while sweep.rounds(i) < max_rounds and bench.clock < budget_s:
            sweep.round(i)
            if sweep.rounds(i) >= min_rounds and all(
                fixed_interval(paired_log_ratios(sweep.times[i], s, BASELINE)).relative_half_width <= width
                for s in sweep.times[i] if s != BASELINE
            ):
                break
        for subject, reference, _ in comparison_pairs(sweep.times[i], BASELINE):
            iv = fixed_interval(paired_log_ratios(sweep.times[i], subject, reference))
            verdict = decide(iv, margin)
            stop = sweep.rounds(i)
            outcomes.append(Outcome(scenario.name, i, subject, reference, sweep.truth(i, subject, reference),
                                    verdict, iv, stop if verdict != UNDECIDED else None, stop))
    return sweep.result(outcomes)


RULES: dict[str, Callable[..., SweepResult]] = {
    "new (pooled)": lambda sc, b: run_new_rule(sc, b, pool=True),
    "new (pooled, never give up)": lambda sc, b: run_new_rule(sc, b, pool=True, give_up_after=None),
    "new (own variance)": lambda sc, b: run_new_rule(sc, b, pool=False),
    "today": run_todays_rule,
}


# --------------------------------------------------------------------------
# Scoring.
# --------------------------------------------------------------------------


def is_wrong(verdict: str, truth: float, margin: float = DEFAULT_MARGIN) -> bool:
    """A verdict the truth contradicts: FASTER with truth <= 1, SLOWER with
    truth >= 1, SAME with truth outside [1/(1+m), 1+m]."""
    if verdict == FASTER:
        return truth <= 1.0
    if verdict == SLOWER:
        return truth >= 1.0
    if verdict == SAME:
        return not (1.0 / (1.0 + margin) <= truth <= 1.0 + margin)
    return False


def is_trivial_claim(verdict: str, truth: float, margin: float = DEFAULT_MARGIN) -> bool:
    """FASTER/SLOWER in the right direction about a difference inside the margin."""
    inside = 1.0 / (1.0 + margin) <= truth <= 1.0 + margin
    return inside and verdict in (FASTER, SLOWER) and not is_wrong(verdict, truth, margin)


def is_gap(truth: float) -> bool:
    """A 2x difference (either way; 1.94x for the 2.0 vs 1.03 winner comparison)."""
    return abs(abs(math.log(truth)) - math.log(2.0)) < 0.05


def is_race(truth: float) -> bool:
    return abs(truth - 1.03) < 1e-9


def is_tie(truth: float) -> bool:
    return abs(truth - 1.0) < 1e-9


def _ends(outcomes: Sequence[Outcome]) -> dict[str, int]:
    ends: dict[str, int] = defaultdict(int)
    for o in outcomes:
        ends[o.verdict] += 1
    return dict(ends)


@dataclass
class Summary:
    comparisons: int
    wrong: int
    decided: int
    covered: int
    trivial: int
    tie_total: int
    tie_wrong: int
    tie_rounds: list[int]
    tie_ends: dict[str, int]
    gap_rounds: list[int]  # rounds when a 2x comparison first read decided (correctly)
    gap_total: int
    race_rounds: list[int]
    race_ends: dict[str, int]
    calls_per_sweep: float
    seconds_per_sweep: float
    eta_ratio: float | None  # actual / estimated remaining time after the first pass (pooled over sweeps)

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.comparisons

    @property
    def tie_wrong_rate(self) -> float:
        return self.tie_wrong / max(self.tie_total, 1)

    @property
    def coverage(self) -> float:
        return self.covered / self.comparisons

    @property
    def gap_decided_share(self) -> float:
        return len(self.gap_rounds) / max(self.gap_total, 1)

    def gap_quantile(self, q: float) -> int:
        """Rounds by which a share q of the 2x comparisons were decided (21 = not by max)."""
        ordered = sorted(self.gap_rounds) + [DEFAULT_MAX_ROUNDS + 1] * (self.gap_total - len(self.gap_rounds))
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def summarise(results: Sequence[SweepResult]) -> Summary:
    outcomes = [o for r in results for o in r.outcomes]
    gaps = [o for o in outcomes if is_gap(o.truth)]
    races = [o for o in outcomes if is_race(o.truth)]
    ties = [o for o in outcomes if is_tie(o.truth)]
    etas = [r.eta for r in results if r.eta is not None]
    estimated = sum(e for e, _ in etas)
    return Summary(
        comparisons=len(outcomes),
        wrong=sum(is_wrong(o.verdict, o.truth) for o in outcomes),
        decided=sum(o.verdict != UNDECIDED for o in outcomes),
        covered=sum(o.interval is not None and o.interval.contains(o.truth) for o in outcomes),
        trivial=sum(is_trivial_claim(o.verdict, o.truth) for o in outcomes),
        tie_total=len(ties),
        tie_wrong=sum(is_wrong(o.verdict, o.truth) for o in ties),
        tie_rounds=[o.rounds for o in ties],
        tie_ends=_ends(ties),
        gap_rounds=[o.first_decided for o in gaps if o.first_decided is not None and not is_wrong(o.verdict, o.truth)],
        gap_total=len(gaps),
        race_rounds=[o.rounds for o in races],
        race_ends=_ends(races),
        calls_per_sweep=sum(r.calls for r in results) / len(results),
        seconds_per_sweep=sum(r.seconds for r in results) / len(results),
        eta_ratio=sum(a for _, a in etas) / estimated if estimated > 0 else None,
    )


def simulate_rule(rule: str, noise_key: str, sweeps_per_scenario: int, seed: int) -> Summary:
    """Every scenario ``sweeps_per_scenario`` times on fresh machines (seeded)."""
    noise = NOISE_MODELS[noise_key]
    rng = np.random.default_rng(seed)
    results = [
        RULES[rule](scenario, Bench(noise, rng))
        for scenario in SCENARIOS
        for _ in range(sweeps_per_scenario)
    ]
    return summarise(results)


# --------------------------------------------------------------------------
# Between runs (part 5).
# --------------------------------------------------------------------------


@dataclass
class RunsSummary:
    rows: int
    identical_ok: dict[str, float]  # same/within-noise share for identical code, raw / normalised
    stored_slower: dict[str, float]  # share of rows found SLOWER for a real 20% slowdown
    interleaved_slower: float  # --vs: share of points where B reads SLOWER than A
    interleaved_rounds: float


def _row_verdicts(a: SweepResult, b: SweepResult, normalise: bool) -> list[str]:
    verdicts = []
    for point, (times_a, times_b) in enumerate(zip(a.times, b.times)):
        for strategy in times_a:
            ra = RunRow(tuple(times_a[strategy]), tuple(a.gauges[point]) if normalise else (), 1.0)
            rb = RunRow(tuple(times_b[strategy]), tuple(b.gauges[point]) if normalise else (), 1.0)
            verdicts.append(compare_row(ra, rb, margin=DEFAULT_MARGIN).mark)
    return verdicts


def simulate_runs(noise: NoiseModel, pairs: int, seed: int, scenario: Scenario = SCENARIOS[0]) -> RunsSummary:
    """Two stored runs (new rule) of identical code, and of code 20% slower;
    plus the interleaved A/B sweep."""
    rng = np.random.default_rng(seed)
    identical: dict[str, list[bool]] = {"raw": [], "normalised": []}
    slower: dict[str, list[bool]] = {"raw": [], "normalised": []}
    vs: list[bool] = []
    vs_rounds: list[int] = []
    for _ in range(pairs):
        run_a = run_new_rule(scenario, Bench(noise, rng))
        run_same = run_new_rule(scenario, Bench(noise, rng))
        run_slow = run_new_rule(scenario.with_slowdown(1.2), Bench(noise, rng))
        for label, normalise in (("raw", False), ("normalised", True)):
            identical[label] += [v in (SAME, WITHIN_NOISE) for v in _row_verdicts(run_a, run_same, normalise)]
            slower[label] += [v == SLOWER for v in _row_verdicts(run_a, run_slow, normalise)]
        interleaved = run_new_rule(VS_SCENARIO, Bench(noise, rng))
        vs += [o.verdict == SLOWER for o in interleaved.outcomes]
        vs_rounds += [o.rounds for o in interleaved.outcomes]
    share = lambda flags: sum(flags) / len(flags)  # noqa: E731
    return RunsSummary(
        rows=len(identical["raw"]),
        identical_ok={k: share(v) for k, v in identical.items()},
        stored_slower={k: share(v) for k, v in slower.items()},
        interleaved_slower=share(vs),
        interleaved_rounds=sum(vs_rounds) / len(vs_rounds),
    )


# --------------------------------------------------------------------------
# Tables.
# --------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _ends_cell(rounds: Sequence[int], ends: Mapping[str, int]) -> str:
    total = max(sum(ends.values()), 1)
    shares = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in sorted(ends.items()))
    return f"{sum(rounds) / max(len(rounds), 1):.1f}: {shares}"


def decision_table(sweeps_per_scenario: int = 40, seed: int = 1) -> str:
    lines = [
        "| noise | rule | wrong: all / true ties | coverage | 2x: rounds median / p90 | "
        "1.03x race: mean rounds: ends | 1.0x tie: mean rounds: ends | calls / sweep | ETA actual/est. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, noise in NOISE_MODELS.items():
        for rule in RULES:
            s = simulate_rule(rule, key, sweeps_per_scenario, seed)
            eta = f"{s.eta_ratio:.2f}" if s.eta_ratio is not None else "-"
            lines.append(
                f"| {noise.name} | {rule} | {_pct(s.wrong_rate)} (of {s.comparisons}) / {_pct(s.tie_wrong_rate)} "
                f"(of {s.tie_total}) | {_pct(s.coverage)} | {s.gap_quantile(0.5)} / {s.gap_quantile(0.9)} | "
                f"{_ends_cell(s.race_rounds, s.race_ends)} | {_ends_cell(s.tie_rounds, s.tie_ends)} | "
                f"{s.calls_per_sweep:.0f} | {eta} |"
            )
    return "\n".join(lines)


def runs_table(pairs: int = 27, seed: int = 1) -> str:
    lines = [
        "| noise | rows | identical code: same/within noise (raw / gauge-normalised) | "
        "stored runs, B 20% slower: found slower (raw / normalised) | interleaved --vs, B 20% slower: found slower "
        "(mean rounds) |",
        "|---|---|---|---|---|",
    ]
    for noise in (NOISE_MODELS["a"], NOISE_MODELS["b"], NOISE_MODELS["c_b"], NOISE_MODELS["d"], RUN_LEVEL):
        s = simulate_runs(noise, pairs, seed)
        lines.append(
            f"| {noise.name} | {s.rows} | {_pct(s.identical_ok['raw'])} / {_pct(s.identical_ok['normalised'])} | "
            f"{_pct(s.stored_slower['raw'])} / {_pct(s.stored_slower['normalised'])} | "
            f"{_pct(s.interleaved_slower)} ({s.interleaved_rounds:.1f}) |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> None:
    sweeps = int(argv[0]) if argv else 40
    print("## Decisions per noise model\n")
    print(decision_table(sweeps))
    print("\n## Between runs\n")
    print(runs_table())


if __name__ == "__main__":
    main(sys.argv[1:])
