"""Two runs measured apart (minutes, or machines, apart): how far apart one row's times may be with
nothing changed, and so whether a difference is real.

Within one run, rounds pair up and the machine's speed cancels. Between two runs it does not: this
VM's speed sits at one of a few levels (×1, ×1.1, ×1.5) for seconds at a time and can sit at
another level for a whole run, which no within-run spread sees. Per row, on the log scale:

    log t[run, k] = μ + s·L[run] + d[run] + e[run, k]

e the round-to-round noise (the row's own spread); L the machine's level while the row was
measured, felt by the CPU-bound share s of the time only (a sleep does not feel it); d anything
else that moves a whole run (memory placement, other tenants), a floor. B against A then has
variance s_A²/n_A + s_B²/n_B + 2σ_run², σ_run² = floor² + (s·σ_level·k)². σ_level is the spread of
this VM's pace (the measured trace, shared/data/vm-pace-trace.csv: 0.170 on the log scale), k = 1
for raw times. Every round is followed by a fixed pure-Python pace gauge; each round's time scaled
by the gauge (its CPU-bound share) takes out most of the level, k = 0.25 of it assumed to survive
(the gauge is a Python loop; a kernel may be numpy or memory bound). Two runs of the same code
then read *the same* or *within noise*; `make bench` runs the same sweep repeatedly and checks it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..model.stats import (
    CONFIDENCE,
    FASTER,
    SAME,
    SLOWER,
    UNKNOWN,
    WITHIN_NOISE,
    Interval,
    t_quantile,
)

SIGMA_LEVEL = 0.170  # the spread of this VM's pace between its speed levels (log scale)
SIGMA_FLOOR = 0.03  # what moves a whole run besides the machine's speed
GAUGE_MISMATCH = 0.25  # the share of a speed level that survives scaling by the pace gauge


@dataclass(frozen=True)
class RunRow:
    """One row of one run: a time per round, and the pace gauge after each round (when recorded)."""

    times: tuple[float, ...]
    pace: tuple[float, ...] = ()
    cpu_share: float | None = None  # None: not recorded, taken as CPU-bound (the wider interval)

    @property
    def share(self) -> float:
        return 1.0 if self.cpu_share is None else min(1.0, max(0.0, self.cpu_share))


@dataclass(frozen=True)
class RowComparison:
    ratio: Interval  # B's time over A's, the between-run variation included
    alone: Interval | None  # the same from the rounds' spread alone (what a plain test would claim)
    mark: str  # faster, slower, same (within the margin), within noise, one sample
    a_s: float  # A's time: the geometric mean of its rounds (at the machine's pace, when adjusted)
    b_s: float
    adjusted: bool  # each round's time scaled by the machine's pace at that moment
    note: str = ""

    @property
    def has_interval(self) -> bool:
        return self.ratio.has_bounds


def run_sigma(share: float, adjusted: bool) -> float:
    level = share * SIGMA_LEVEL * (GAUGE_MISMATCH if adjusted else 1.0)
    return math.hypot(SIGMA_FLOOR, level)


def _logs(row: RunRow, share: float, reference_pace: float | None) -> list[float]:
    if reference_pace is None:
        return [math.log(t) for t in row.times]
    return [math.log(t) - share * math.log(g / reference_pace) for t, g in zip(row.times, row.pace)]


def _satterthwaite(parts: list[tuple[float, int]], known: float) -> float:
    total = sum(v for v, _ in parts) + known
    denominator = sum(v * v / df for v, df in parts if df > 0)
    return total * total / denominator if denominator > 0 else math.inf


def _interval(diff: float, variance: float, df: float, n: int) -> Interval:
    half = t_quantile(0.5 + CONFIDENCE / 2.0, df) * math.sqrt(variance)
    return Interval(math.exp(diff), math.exp(diff - half), math.exp(diff + half), CONFIDENCE, n, math.sqrt(variance),
                    df)


def compare_row(a: RunRow, b: RunRow, *, margin: float) -> RowComparison | None:
    """B against A for one row; None when either side has no time."""
    if not a.times or not b.times:
        return None
    share = max(a.share, b.share)
    adjusted = (share > 0 and len(a.pace) == len(a.times) and len(b.pace) == len(b.times)
                and all(g > 0 for g in (*a.pace, *b.pace)))
    reference = statistics.median((*a.pace, *b.pace)) if adjusted else None
    logs_a, logs_b = _logs(a, share, reference), _logs(b, share, reference)
    mean_a, mean_b = statistics.fmean(logs_a), statistics.fmean(logs_b)
    diff = mean_b - mean_a
    a_s, b_s = math.exp(mean_a), math.exp(mean_b)
    n = min(len(logs_a), len(logs_b))
    if len(logs_a) < 2 or len(logs_b) < 2:
        return RowComparison(Interval(math.exp(diff), math.nan, math.nan, CONFIDENCE, n), None, UNKNOWN, a_s, b_s,
                             adjusted)
    var_a = statistics.variance(logs_a) / len(logs_a)
    var_b = statistics.variance(logs_b) / len(logs_b)
    between = 2.0 * run_sigma(share, adjusted) ** 2
    parts = [(var_a, len(logs_a) - 1), (var_b, len(logs_b) - 1)]
    full = _interval(diff, var_a + var_b + between, _satterthwaite(parts, between), n)
    alone = _interval(diff, var_a + var_b, _satterthwaite(parts, 0.0), n) if var_a + var_b > 0 else None
    mark = _mark(full, margin)
    note = ""
    if mark == WITHIN_NOISE and alone is not None and (alone.low > 1.0 or alone.high < 1.0):
        note = ("the rounds alone differ, but this machine's speed varies that much between runs: measure A and B "
                "in one sweep (--vs) to tell")
    return RowComparison(full, alone, mark, a_s, b_s, adjusted, note)


def _mark(ratio: Interval, margin: float) -> str:
    """B/A: same within ±margin, slower or faster when the interval excludes 1, within noise else."""
    upper = 1.0 + margin
    if ratio.low >= 1.0 / upper and ratio.high <= upper:
        return SAME
    if ratio.low > 1.0:
        return SLOWER
    if ratio.high < 1.0:
        return FASTER
    return WITHIN_NOISE
