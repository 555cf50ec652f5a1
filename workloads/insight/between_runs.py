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

Other programs using the CPUs are not a speed level: a 1 ms gauge fits in one time slice and does
not feel them, while a 45 ms call is time-sliced with them and takes twice as long. So each round
also records how long its work waited for a CPU (`Measurement.wait_s`, Linux's run-queue wait):

- for a single-threaded call (serial, numpy) the wait is taken out of its time: time − wait is the
  call without the other programs (measured here: a 45 ms loop took 55–350 ms beside 0 to 4 busy
  loops, time − wait stayed at 44–48 ms);
- a pool's time cannot be corrected so: its workers wait on each other and on the process feeding
  them as well as on other programs, and its call is a chain of hand-offs (the measuring process,
  its feeder thread, a worker, back), each of which waits for a CPU beside other programs. So when
  one run waited more than the other, the interval is widened by as much as that could explain:
  B/A's low end divided by F = ((1 − w_A)/(1 − w_B))^2 when B waited more (its high end multiplied
  by 1/F when A did), w the share of the time the serial and numpy calls at the row's point waited
  (they ran in the same rounds, and wait on nothing but other programs), or the pool's own workers'
  share, whichever moved more. The square is measured: beside the same busy loops, a cold pool of
  2 slowed down by up to the square of what serial's waits explained (2.98× where they explained
  1.68×). It then cannot read *slower* or *faster* on contention alone.
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


# A round's time without its wait for a CPU is kept at least this share of the round's time: the
# kernel's two counters (run time and run-queue wait) are read a few microseconds apart and can
# overlap, and a round is never taken as nearly free.
LEAST_LEFT = 0.05


@dataclass(frozen=True)
class RunRow:
    """One row of one run: a time per round, and the pace gauge after each round (when recorded)."""

    times: tuple[float, ...]
    pace: tuple[float, ...] = ()
    cpu_share: float | None = None  # None: not recorded, taken as CPU-bound (the wider interval)
    waits: tuple[float, ...] = ()  # per round, seconds per call its work waited for a CPU (when recorded)
    single: bool = True  # one thread does the work (serial, numpy): time − wait is its time alone
    point_wait: float | None = None  # the share of time the serial and numpy calls at its point waited

    @property
    def share(self) -> float:
        return 1.0 if self.cpu_share is None else min(1.0, max(0.0, self.cpu_share))

    @property
    def wait_share(self) -> float | None:
        """The share of its rounds' time its work waited for a CPU; None when not recorded."""
        if len(self.waits) != len(self.times) or not self.times or sum(self.times) <= 0:
            return None
        return min(1.0, max(0.0, sum(self.waits) / sum(self.times)))

    @property
    def corrected(self) -> bool:
        """Its times are taken without their wait for a CPU."""
        return self.single and self.wait_share is not None

    def alone(self) -> tuple[float, ...]:
        """Each round's time as without other programs: minus its wait, for a single-threaded call."""
        if not self.corrected:
            return self.times
        return tuple(max(t - w, t * LEAST_LEFT) for t, w in zip(self.times, self.waits))


@dataclass(frozen=True)
class RowComparison:
    ratio: Interval  # B's time over A's, the between-run variation included
    alone: Interval | None  # the same from the rounds' spread alone (what a plain test would claim)
    mark: str  # faster, slower, same (within the margin), within noise, one sample
    a_s: float  # A's time: the geometric mean of its rounds (at the machine's pace, when adjusted)
    b_s: float
    adjusted: bool  # each round's time scaled by the machine's pace at that moment
    note: str = ""
    wait_a: float | None = None  # the share of A's time its work waited for a CPU (None: not recorded)
    wait_b: float | None = None
    corrected: bool = False  # each round's time taken without its wait for a CPU (both sides)
    widened: float = 1.0  # how far the interval was widened for the two runs' different waits (1: not)

    @property
    def has_interval(self) -> bool:
        return self.ratio.has_bounds


def run_sigma(share: float, adjusted: bool) -> float:
    level = share * SIGMA_LEVEL * (GAUGE_MISMATCH if adjusted else 1.0)
    return math.hypot(SIGMA_FLOOR, level)


def _logs(row: RunRow, share: float, reference_pace: float | None) -> list[float]:
    times = row.alone()
    if reference_pace is None:
        return [math.log(t) for t in times]
    return [math.log(t) - share * math.log(g / reference_pace) for t, g in zip(times, row.pace)]


# How a pool's time follows a wait for a CPU, against a single-threaded call's: (1/(1 − w))^2.
POOL_EXPONENT = 2.0
# A share of the time spent waiting is never taken as more than this (the factor would be unbounded).
MOST_WAIT = 0.95


def _log_factor(wait_a: float | None, wait_b: float | None) -> float:
    """log((1 − w_A)/(1 − w_B)): above 0 when B waited more; 0 when either is not recorded."""
    if wait_a is None or wait_b is None:
        return 0.0
    return math.log((1.0 - min(wait_a, MOST_WAIT)) / (1.0 - min(wait_b, MOST_WAIT)))


def contention_factors(a: RunRow, b: RunRow) -> tuple[float, float]:
    """How much slower (first) or faster (second) B's time than A's the two runs' waits for a CPU
    could make it, as factors (1: none), for a row whose times are not corrected for them (a pool,
    threads, Dask): from the waits of the serial and numpy calls at its point and from its own
    workers', whichever moved more, to the power `POOL_EXPONENT`. A corrected row: (1, 1)."""
    if a.corrected and b.corrected:
        return 1.0, 1.0
    moves = [POOL_EXPONENT * _log_factor(a.point_wait, b.point_wait),
             POOL_EXPONENT * _log_factor(a.wait_share, b.wait_share)]
    return math.exp(max(0.0, *moves)), math.exp(max(0.0, *(-move for move in moves)))


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
    waits = dict(wait_a=a.wait_share if a.wait_share is not None else a.point_wait,
                 wait_b=b.wait_share if b.wait_share is not None else b.point_wait,
                 corrected=a.corrected and b.corrected)
    if len(logs_a) < 2 or len(logs_b) < 2:
        return RowComparison(Interval(math.exp(diff), math.nan, math.nan, CONFIDENCE, n), None, UNKNOWN, a_s, b_s,
                             adjusted, **waits)
    var_a = statistics.variance(logs_a) / len(logs_a)
    var_b = statistics.variance(logs_b) / len(logs_b)
    between = 2.0 * run_sigma(share, adjusted) ** 2
    parts = [(var_a, len(logs_a) - 1), (var_b, len(logs_b) - 1)]
    full = _interval(diff, var_a + var_b + between, _satterthwaite(parts, between), n)
    alone = _interval(diff, var_a + var_b, _satterthwaite(parts, 0.0), n) if var_a + var_b > 0 else None
    slower, faster = contention_factors(a, b)
    unwidened = full
    full = _widened(full, slower, faster)
    mark = _mark(full, margin)
    note = ""
    if mark == WITHIN_NOISE and alone is not None and (alone.low > 1.0 or alone.high < 1.0):
        if _mark(unwidened, margin) != WITHIN_NOISE:
            note = ("the rounds differ by more than this machine's speed varies between runs, but other programs "
                    "used the CPUs more while one of them ran, which can explain it for a pool: measure A and B in "
                    "one sweep (--vs) to tell")
        else:
            note = ("the rounds alone differ, but this machine's speed varies that much between runs: measure A and "
                    "B in one sweep (--vs) to tell")
    return RowComparison(full, alone, mark, a_s, b_s, adjusted, note, widened=max(slower, faster), **waits)


def _widened(interval: Interval, slower: float, faster: float) -> Interval:
    """B/A's interval reaching as far as contention could move it: its low end divided by `slower`
    (B waited more), its high end multiplied by `faster` (A did)."""
    if slower == 1.0 and faster == 1.0:
        return interval
    return Interval(interval.estimate, interval.low / slower, interval.high * faster, interval.confidence,
                    interval.n, interval.sd, interval.df)


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
