"""The statistics every figure's qualifier comes from: summaries of a point's repeats, intervals,
and the one rule that decides what "within noise" means.

Times are compared on a log scale: a ratio of times is what a user reads ("1.8× faster"), and on
this kind of VM the noise is multiplicative (the machine runs at one of two speeds). So:

- a strategy's speedup at a point is the geometric mean of its per-round ratios serial / strategy
  (rounds are interleaved, so each ratio pairs two calls that ran side by side), with a Student t
  interval on the mean of the log ratios;
- two runs of the same point (compare) are unpaired: the ratio of geometric means, with a Welch t
  interval on the difference of mean logs.

Both are parametric; they are valid from two rounds on, where an exact distribution-free interval
of a median needs six rounds to reach 95 %. An interval that contains 1 is "within noise"; a
change smaller than the minimum effect is "same" however significant.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache

CONFIDENCE = 0.95
# A point whose repeats spread by more than this share of their median is flagged: on this kind of
# shared VM a speed flip between repeats shows up as exactly such a spread.
NOISY_SPREAD = 0.10

FASTER = "faster"
SLOWER = "slower"
WITHIN_NOISE = "within noise"
SAME = "same"  # significant, but smaller than the minimum effect
UNKNOWN = "one sample"


@dataclass(frozen=True)
class Stats:
    n: int
    min: float
    median: float
    mean: float
    stdev: float | None  # None with a single repeat: one sample has no spread to measure
    iqr: float
    max: float

    @property
    def spread(self) -> float:
        """IQR relative to the median (stdev-based when there are too few repeats for quartiles)."""
        if self.median <= 0:
            return 0.0
        return max(self.iqr, self.stdev or 0.0) / self.median

    @property
    def noisy(self) -> bool:
        return self.spread > NOISY_SPREAD


def summarize(times) -> Stats | None:
    if not times:
        return None
    ordered = sorted(times)
    stdev = statistics.stdev(ordered) if len(ordered) > 1 else None
    if len(ordered) >= 4:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        iqr = q3 - q1
    else:
        iqr = ordered[-1] - ordered[0] if len(ordered) > 1 else 0.0
    return Stats(n=len(ordered), min=ordered[0], median=statistics.median(ordered), mean=statistics.fmean(ordered),
                 stdev=stdev, iqr=iqr, max=ordered[-1])


# Student's t --------------------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    if math.isinf(df):  # the normal distribution (a variance known, not estimated)
        return 0.5 * math.erfc(-t / math.sqrt(2.0))
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (df may be fractional: Welch)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
        if high > 1e12:
            return high
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


# Intervals -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A ratio (or a time) and its confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n: int
    sd: float = math.nan  # the per-round sd of the log ratio it was made from
    df: float = math.nan  # the degrees of freedom of that sd (more than n - 1 when pooled)

    @property
    def log_estimate(self) -> float:
        return math.log(self.estimate)

    @property
    def log_half_width(self) -> float:
        return 0.5 * (math.log(self.high) - math.log(self.low))

    @property
    def has_bounds(self) -> bool:
        return self.n >= 2 and math.isfinite(self.low) and math.isfinite(self.high)

    @property
    def relative_half_width(self) -> float:
        """How far the interval reaches from the estimate, as a share of it (the precision)."""
        if self.estimate <= 0:
            return math.inf
        return max(self.high / self.estimate - 1.0, 1.0 - self.low / self.estimate)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _logs(values) -> list[float] | None:
    values = list(values)
    if any(v is None or not v > 0 or not math.isfinite(v) for v in values):
        return None
    return [math.log(v) for v in values]


def _mean_interval(logs: list[float], confidence: float) -> Interval | None:
    n = len(logs)
    if n == 0:
        return None
    mean = statistics.fmean(logs)
    if n < 2:
        return Interval(math.exp(mean), math.nan, math.nan, confidence, n)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * statistics.stdev(logs) / math.sqrt(n)
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), confidence, n)


def time_interval(times, confidence: float = CONFIDENCE) -> Interval | None:
    """The geometric mean of a strategy's repeat times, with its interval."""
    logs = _logs(times)
    return _mean_interval(logs, confidence) if logs else None


def paired_ratio(numerators, denominators, confidence: float = CONFIDENCE) -> Interval | None:
    """The geometric mean of the per-round ratios a_i / b_i, with its interval. Rounds pair up:
    both calls of a ratio ran side by side, so a change of machine speed between rounds cancels."""
    numerators, denominators = list(numerators), list(denominators)
    if len(numerators) != len(denominators) or not numerators:
        return None
    a, b = _logs(numerators), _logs(denominators)
    if a is None or b is None:
        return None
    return _mean_interval([x - y for x, y in zip(a, b)], confidence)


def unpaired_ratio(numerators, denominators, confidence: float = CONFIDENCE) -> Interval | None:
    """The ratio of the geometric means of two independent samples, with a Welch t interval."""
    a, b = _logs(numerators), _logs(denominators)
    if not a or not b:
        return None
    mean = statistics.fmean(a) - statistics.fmean(b)
    if len(a) < 2 or len(b) < 2:
        return Interval(math.exp(mean), math.nan, math.nan, confidence, min(len(a), len(b)))
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(math.exp(mean), math.exp(mean), math.exp(mean), confidence, min(len(a), len(b)))
    df = (va + vb) ** 2 / ((va ** 2 / (len(a) - 1) if va else 0.0) + (vb ** 2 / (len(b) - 1) if vb else 0.0))
    half = t_quantile(0.5 + confidence / 2.0, df) * se
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), confidence, min(len(a), len(b)))


def ratio(numerators, denominators, confidence: float = CONFIDENCE) -> Interval | None:
    """Paired when the two series are of one length (interleaved rounds), unpaired otherwise."""
    numerators, denominators = list(numerators), list(denominators)
    if numerators and len(numerators) == len(denominators):
        return paired_ratio(numerators, denominators, confidence)
    return unpaired_ratio(numerators, denominators, confidence)


def classify(interval: Interval | None, *, min_change: float = 0.0, higher_is: str = FASTER) -> str:
    """The one rule for "within noise": an interval that contains 1 is within noise; a significant
    change under `min_change` (0.05 for 5 %) is the same; otherwise the ratio says which way.
    `higher_is` says what a ratio above 1 means (a speedup: faster; a time ratio B/A: slower)."""
    if interval is None or interval.n < 2 or math.isnan(interval.low):
        return UNKNOWN
    if interval.contains(1.0):
        return WITHIN_NOISE
    if abs(math.log(interval.estimate)) < math.log1p(min_change):
        return SAME
    lower_is = SLOWER if higher_is == FASTER else FASTER
    return higher_is if interval.estimate > 1.0 else lower_is


def precise_enough(intervals, precision: float) -> bool:
    """The stopping rule of adaptive repeats: every interval is within ±precision of its estimate."""
    intervals = list(intervals)
    return bool(intervals) and all(i is not None and i.n >= 2 and not math.isnan(i.low)
                                   and i.relative_half_width <= precision for i in intervals)
