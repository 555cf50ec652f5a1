"""Deciding a comparison, and an interval that stays true however the sweep stops.

Every round times each strategy once, back to back, so the log ratio r[k] = log(t_ref[k] /
t_subject[k]) cancels the machine's speed level for round k (it holds for seconds; a round lasts
milliseconds to a few seconds): the ratios are close to independent across rounds, with an
unknown spread.

The interval (a confidence sequence). At look n (after round n, n ≥ 2) it is a Student t interval
at level 1 − α_n, α_n = α / (n(n − 1)). Since Σ 1/(n(n − 1)) = 1 over n ≥ 2, the chance that *any*
look misses the true ratio is at most α (a union bound): the interval a point stops with covers
with probability ≥ 1 − α whatever stopped it — decided, the budget, a cancel, the planner moving
rounds elsewhere. Half of α is spent by round 2 and 90 % by round 10, where a 2× gap is decided;
the price is a slowly growing quantile (≈ 3σ at round 5 instead of a fixed interval's 2). With 2-5
rounds a point, what makes an interval short is the degrees of freedom of its variance, which is why
this and not a mixture or betting sequence (tuned for many observations): see docs/methodology.md,
where a seeded simulation of whole sweeps under the VM's noise backs every claim.

Borrowing strength (`Pooled`). A ratio's spread is mostly the machine's noise for calls of that
duration, so a comparison borrows the residuals of the same strategy pair at the sweep's other
points whose calls last within a factor `SPAN` of its own, and uses max(own sd, pooled sd) with the
pooled degrees of freedom: pooling adds degrees of freedom, never narrows a point below its own
spread.

Looks are counted. The union bound pays for one look per round count at each point; a pooled
interval moves whenever another point gets a round, so a running sweep re-decides a point only
when it has a new round of its own (`SweepLooks`), and pooled looks wait until every point has its
first pass. `decide_sweep` is one look per point, for a report of a finished run.

The decision: *same* when the whole interval lies within ±margin (1/(1 + m) .. 1 + m), *faster*
when it lies above 1, *slower* below 1, else *undecided*. A direction needs only the interval to
exclude 1 (the coverage guarantee protects exactly that); requiring it to clear the margin would
leave a true 1.06× undecided for ever.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .stats import CONFIDENCE, FASTER, SAME, SLOWER, Interval, t_quantile

UNDECIDED = "undecided"
VERDICTS = (FASTER, SLOWER, SAME, UNDECIDED)
ALPHA = 1.0 - CONFIDENCE
MARGIN = 0.05  # within ±5 %: the same
FIRST_LOOK = 2
# Pool a comparison's variance with points whose calls last within this factor of its own.
SPAN = 4.0
BASELINE_KIND = "baseline"  # a strategy against serial
WINNER_KIND = "winner"  # the fastest against the runner-up
VS_KIND = "vs"  # B's strategy against the same strategy in A (--vs)
# B's series of a --vs run end with this: `processes@2|B` (`Measurement.series`).
ARM_SUFFIX = "|B"


def look_alpha(n: int, alpha: float = ALPHA) -> float:
    """Error spent at look n (n ≥ 2): α / (n(n − 1)); over every look they add up to α."""
    if n < FIRST_LOOK:
        raise ValueError("the first look is after round 2")
    return alpha / (n * (n - 1))


@lru_cache(maxsize=8192)
def multiplier(n: int, df: float, alpha: float = ALPHA) -> float:
    """The interval's half-width at look n, in units of sd / √n."""
    return t_quantile(1.0 - look_alpha(n, alpha) / 2.0, df)


@dataclass(frozen=True)
class Pooled:
    """Residual sum of squares and its degrees of freedom, from other series of the same pair."""

    ss: float = 0.0
    df: int = 0

    @property
    def variance(self) -> float:
        return self.ss / self.df if self.df else math.nan

    def __add__(self, other: "Pooled") -> "Pooled":
        return Pooled(self.ss + other.ss, self.df + other.df)

    @classmethod
    def of(cls, values: Sequence[float]) -> "Pooled":
        if len(values) < 2:
            return cls()
        mean = statistics.fmean(values)
        return cls(sum((v - mean) ** 2 for v in values), len(values) - 1)


def interval(log_ratios: Sequence[float], *, alpha: float = ALPHA, pooled: Pooled | None = None) -> Interval | None:
    """The anytime-valid interval of exp(mean log ratio) at look n = len(log_ratios); None
    before the first look."""
    n = len(log_ratios)
    if n < FIRST_LOOK:
        return None
    own = Pooled.of(log_ratios)
    sd = math.sqrt(own.variance)
    df: float = own.df
    if pooled is not None and pooled.df > 0:
        combined = own + pooled
        sd = max(sd, math.sqrt(combined.variance))
        df = combined.df
    mean = statistics.fmean(log_ratios)
    half = multiplier(n, df, alpha) * sd / math.sqrt(n)
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), 1.0 - alpha, n, sd, df)


def decide(iv: Interval | None, margin: float = MARGIN) -> str:
    """faster, slower, same or undecided, for a ratio above 1 meaning faster (a speedup)."""
    if iv is None or not iv.has_bounds:
        return UNDECIDED
    upper = 1.0 + margin
    if iv.low >= 1.0 / upper and iv.high <= upper:
        return SAME
    if iv.low > 1.0:
        return FASTER
    if iv.high < 1.0:
        return SLOWER
    return UNDECIDED


# Whole points ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The speedup of `subject` over `reference` (t_reference / t_subject), paired by round."""

    subject: str
    reference: str
    kind: str  # BASELINE_KIND or WINNER_KIND
    interval: Interval | None
    verdict: str

    @property
    def decided(self) -> bool:
        return self.verdict != UNDECIDED


@dataclass(frozen=True)
class PointDecision:
    winner: str
    runner_up: str | None
    comparisons: tuple[Comparison, ...]

    @property
    def decided(self) -> bool:
        """A point is decided when every comparison at it is."""
        return all(c.decided for c in self.comparisons)

    @property
    def open(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.decided]

    def against(self, subject: str, reference: str) -> Comparison | None:
        return next((c for c in self.comparisons if (c.subject, c.reference) == (subject, reference)), None)


def paired_log_ratios(times: Mapping[str, Sequence[float]], subject: str, reference: str) -> list[float]:
    """log(t_reference[k] / t_subject[k]) for each round k both have."""
    return [math.log(r / s) for r, s in zip(times[reference], times[subject])]


def ranking(times: Mapping[str, Sequence[float]]) -> list[str]:
    """The run's own strategies (not B's of --vs), fastest first, by mean log time (the geometric mean)."""
    return sorted((name for name in times if times[name] and not name.endswith(ARM_SUFFIX)),
                  key=lambda name: statistics.fmean(map(math.log, times[name])))


def comparison_pairs(times: Mapping[str, Sequence[float]], baseline: str | None,
                     order: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(subject, reference, kind): each strategy against the baseline, the winner against the
    runner-up unless that is already one of those, and (--vs) each of B's strategies against the
    same strategy in A."""
    own = [name for name in times if not name.endswith(ARM_SUFFIX)]
    pairs = [(name, baseline, BASELINE_KIND) for name in own if name != baseline and baseline in times]
    order = ranking(times) if order is None else order
    if len(order) >= 2 and baseline not in order[:2]:
        pairs.append((order[0], order[1], WINNER_KIND))
    pairs += [(name, name[:-len(ARM_SUFFIX)], VS_KIND) for name in times
              if name.endswith(ARM_SUFFIX) and name[:-len(ARM_SUFFIX)] in times]
    return pairs


def pair_key(subject: str, reference: str) -> frozenset:
    return frozenset((subject, reference))


def decide_point(times: Mapping[str, Sequence[float]], baseline: str | None, *, margin: float = MARGIN,
                 alpha: float = ALPHA, pools: Mapping[frozenset, Pooled] | None = None) -> PointDecision:
    """Every strategy against `baseline` and the winner against the runner-up, at one point."""
    order = ranking(times)
    comparisons = []
    for subject, reference, kind in comparison_pairs(times, baseline, order):
        pooled = pools.get(pair_key(subject, reference)) if pools else None
        iv = interval(paired_log_ratios(times, subject, reference), alpha=alpha, pooled=pooled)
        comparisons.append(Comparison(subject, reference, kind, iv, decide(iv, margin)))
    return PointDecision(order[0] if order else "", order[1] if len(order) > 1 else None, tuple(comparisons))


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def call_duration(times: Mapping[str, Sequence[float]], subject: str, reference: str) -> float:
    """What pooling groups by: the median time of the slower of the two calls (short calls jitter
    more; long ones are more often split by a change of the machine's speed)."""
    return max(_median(times[subject]), _median(times[reference]))


def rounds_of(times: Mapping[str, Sequence[float]]) -> int:
    return min((len(v) for v in times.values()), default=0)


def sweep_pools(points: Sequence[Mapping[str, Sequence[float]]], baseline: str | None, *,
                span: float = SPAN) -> list[dict[frozenset, Pooled]]:
    """For each point, the residuals it may borrow: the same pair at other points whose calls last
    within a factor `span` of its own."""
    series: list[tuple[int, frozenset, float, Pooled]] = []
    for index, times in enumerate(points):
        if rounds_of(times) < FIRST_LOOK:
            continue
        for subject, reference, _ in comparison_pairs(times, baseline):
            ratios = paired_log_ratios(times, subject, reference)
            series.append((index, pair_key(subject, reference), call_duration(times, subject, reference),
                           Pooled.of(ratios)))
    pools: list[dict[frozenset, Pooled]] = [{} for _ in points]
    for index, key, duration, _ in series:
        for other, other_key, other_duration, residuals in series:
            if other != index and other_key == key and duration / span <= other_duration <= duration * span:
                pools[index][key] = pools[index].get(key, Pooled()) + residuals
    return pools


def decide_sweep(points: Sequence[Mapping[str, Sequence[float]]], baseline: str | None, *, margin: float = MARGIN,
                 alpha: float = ALPHA, pool: bool = True) -> list[PointDecision | None]:
    """One look at every point of a finished sweep, pooling variance across its points (None for a
    point with fewer than two rounds)."""
    pools = sweep_pools(points, baseline) if pool else [{} for _ in points]
    return [decide_point(times, baseline, margin=margin, alpha=alpha, pools=pools[index])
            if rounds_of(times) >= FIRST_LOOK else None for index, times in enumerate(points)]


class SweepLooks:
    """The decisions of a running sweep, looked at the way the confidence sequence pays for: a
    point is re-decided only when it has a round of its own not yet looked at, and, with pooling,
    not before every point has its first pass (a half-measured sweep's pool is one neighbour's one
    degree of freedom, which can be tiny by chance)."""

    def __init__(self, baseline: str | None, *, margin: float = MARGIN, alpha: float = ALPHA,
                 pool: bool = True) -> None:
        self.baseline, self.margin, self.alpha, self.pool = baseline, margin, alpha, pool
        self._decisions: dict[int, PointDecision] = {}
        self._looked_at: dict[int, int] = {}

    def update(self, points: Sequence[Mapping[str, Sequence[float]]], *,
               first_pass_done: bool = True) -> list[PointDecision | None]:
        """Look at every point with a round not yet looked at; the caller says whether the first
        pass is over (points that failed or timed out in it never reach a look)."""
        rounds = [rounds_of(times) for times in points]
        due = [i for i, n in enumerate(rounds) if n >= FIRST_LOOK and self._looked_at.get(i) != n]
        if due and (first_pass_done or not self.pool):
            pools = sweep_pools(points, self.baseline) if self.pool else [{} for _ in points]
            for index in due:
                self._decisions[index] = decide_point(points[index], self.baseline, margin=self.margin,
                                                      alpha=self.alpha, pools=pools[index])
                self._looked_at[index] = rounds[index]
        return [self._decisions.get(i) for i in range(len(points))]


def pooled_from(series: Iterable[Sequence[float]]) -> Pooled:
    total = Pooled()
    for values in series:
        total = total + Pooled.of(values)
    return total
