"""`Measurement`: what one strategy measured at one sweep point, as it flows from the measuring
process to the store, the exporters, the CLI table and the app; and `quality`, the one place that
says how far to trust it (ok, noisy, one repeat, stopped on the budget, measured alongside another
sweep, failed, timed out, not applicable)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from . import stats
from .costs import PoolCosts
from .stats import Interval, Stats, summarize
from .strategies import BASELINE, KINDS

OK = "ok"
FAILED = "failed"
NOT_APPLICABLE = "n/a"
TIMED_OUT = "timeout"

# Why a point stopped adding rounds.
STOP_FIXED = "fixed"  # --repeat N: exactly N
STOP_PRECISION = "precision"  # every interval within the asked precision
STOP_MAX_ROUNDS = "max rounds"
STOP_BUDGET = "budget"  # the point's share of the sweep's time budget was spent
STOP_DECIDED = "decided"  # every comparison at its point was decided (faster, slower or the same)
STOP_TOO_CLOSE = "too close"  # too close to the margin to decide within the most rounds allowed
STOP_CANCELLED = "cancelled"  # the run was cancelled before the point was done
STOP_OPEN = ""  # still being measured: a provisional row
# Every value `stop` may hold, in stored runs and exports of this and earlier versions.
STOPS = (STOP_FIXED, STOP_PRECISION, STOP_MAX_ROUNDS, STOP_BUDGET, STOP_DECIDED, STOP_TOO_CLOSE, STOP_CANCELLED,
         STOP_OPEN)
# How a --vs run's B rows are told apart from A's in a series name: `processes@2|B`.
ARM_MARK = "|"
# Every value `status` may hold.
STATUSES = (OK, FAILED, NOT_APPLICABLE, TIMED_OUT)
# A row whose calls waited for a CPU over this share of their time was measured while other programs
# used the machine (`busy`). Measured on this 2-vCPU VM: a serial row waits 0–2% on a quiet machine,
# 25–40% beside a test suite, 30–85% beside one to four busy loops.
BUSY_SHARE = 0.10


@dataclass(frozen=True)
class Measurement:
    workload: str
    strategy: str
    items: int
    length: int
    workers: int | None  # None for strategies without workers
    chunksize: int | None
    pool: str | None
    warmup: int  # warm-up calls actually made (slow points skip them)
    times_s: tuple[float, ...] = ()
    warmup_times_s: tuple[float, ...] = ()
    status: str = OK
    error: str = ""
    point_index: int = 0
    loops: int = 1  # calls per timed repeat (short calls run back to back; times_s is per call)
    stop: str = STOP_FIXED  # why the rounds stopped
    precision: float | None = None  # the interval's half-width reached, as a share (adaptive rounds)
    check: str = ""  # how its output was checked, e.g. "exactly equal to serial"
    shared: bool = False  # measured while another parbench sweep held the machine (--ignore-lock)
    costs: PoolCosts | None = None  # the pool's costs taken apart, measured outside the timing
    pace_s: tuple[float, ...] = ()  # the machine's pace gauge after each timed round at its point
    cpu_share: float | None = None  # the kernel's CPU time over its wall time (0 a sleep, 1 a Python loop)
    arm: str = ""  # "B" for the rows of --vs OPTION=VALUE, measured interleaved with the run's own
    # Per timed round, seconds per call its work spent runnable but waiting for a CPU (other programs
    # held them): the measuring thread's for serial and numpy, the mean worker's for a pool; () where
    # not measured (not Linux, a cold thread pool, Dask, runs before it was kept).
    wait_s: tuple[float, ...] = ()
    stats: Stats | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "times_s", tuple(self.times_s))
        object.__setattr__(self, "warmup_times_s", tuple(self.warmup_times_s))
        object.__setattr__(self, "pace_s", tuple(self.pace_s))
        object.__setattr__(self, "wait_s", tuple(self.wait_s))
        object.__setattr__(self, "stats", summarize(self.times_s))
        if isinstance(self.costs, dict):  # from JSON, SQLite or an older caller
            object.__setattr__(self, "costs", PoolCosts.from_dict(self.costs))

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def repeats(self) -> int:
        return len(self.times_s)

    @property
    def wait_share(self) -> float | None:
        """The share of its rounds' time its work waited for a CPU; None where not measured."""
        if not self.wait_s or len(self.wait_s) != len(self.times_s) or sum(self.times_s) <= 0:
            return None
        return min(1.0, sum(self.wait_s) / sum(self.times_s))

    @property
    def in_process(self) -> bool:
        """Its calls run on the measuring thread (serial, numpy), which waits for a CPU only when other
        programs hold them; a pool's workers also wait on each other and on the process feeding them."""
        kind = KINDS.get(self.strategy)
        return kind is not None and not kind.pooled

    @property
    def busy(self) -> bool:
        """Other programs held the CPUs while it was measured: it runs in the measuring process and its
        calls waited for one over `BUSY_SHARE` of their time, so its times are slower than the code."""
        share = self.wait_share
        return self.in_process and share is not None and share > BUSY_SHARE

    @property
    def point(self) -> tuple[int, int]:
        return (self.items, self.length)

    @property
    def key(self) -> tuple:
        """What identifies a row in a run: strategy, workers, items, length (and B's rows of --vs)."""
        return (self.strategy, self.workers, self.items, self.length, self.arm)

    @property
    def series(self) -> str:
        """The line this row belongs to on a chart: the strategy, with its workers in a worker sweep
        (and B's rows of --vs marked so: `processes@2|B`)."""
        name = self.strategy if self.workers is None else f"{self.strategy}@{self.workers}"
        return name + (ARM_MARK + self.arm if self.arm else "")

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "stats"}
        data["times_s"] = list(self.times_s)
        data["warmup_times_s"] = list(self.warmup_times_s)
        data["pace_s"] = list(self.pace_s)
        data["wait_s"] = list(self.wait_s)
        data["costs"] = self.costs.to_dict() if self.costs is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Measurement":
        known = {f.name for f in fields(cls)} - {"stats"}
        return cls(**{key: value for key, value in data.items() if key in known})


# How far to trust a row ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quality:
    label: str  # a word that fits a narrow column: ok, noisy, 1 repeat, budget, rounds, shared, failed, timeout, n/a
    detail: str  # the whole reason, for the focused row, exports and notes
    trusted: bool  # whether its figures can be read as measured (ok, or qualified but measured)


# What qualifies a row's figures, as short words (a narrow column) and in full (said once, under a
# table, and in the focused row's story).
QUALIFIERS = {
    "shared": "measured while another parbench sweep ran on this machine (--ignore-lock): both measured each other",
    "1 round": "one timed round: no spread and no interval, so noise cannot be told from signal",
    "budget": "the time budget ran out before it was decided",
    "rounds": "the most rounds allowed were spent before it was decided",
    "too close": "too close to the margin to decide within the most rounds allowed",
    "cancelled": "the run was cancelled before it was decided",
    "noisy": (f"its rounds spread over {stats.NOISY_SPREAD:.0%} of their median (see stdev): the machine's speed "
              "changed while measuring; read its figures as ranges"),
    "busy": (f"other programs were using the CPUs: the serial and numpy calls at its point waited for one over "
             f"{BUSY_SHARE:.0%} of their time (wait_s in the JSON export), so its times are slower than the code "
             "alone and a pool's speedup may be off"),
}
_STOP_QUALIFIER = {STOP_BUDGET: "budget", STOP_MAX_ROUNDS: "rounds", STOP_TOO_CLOSE: "too close",
                   STOP_CANCELLED: "cancelled"}


def quality(m: Measurement, *, busy: bool | None = None) -> Quality:
    """How far to trust a row: failed, timeout and n/a have no figure; a measured row is ok, or
    qualified by the first of its qualifiers (`qualifiers` lists them all; `busy` as there)."""
    if m.status == FAILED:
        return Quality("failed", m.error or "failed", False)
    if m.status == TIMED_OUT:
        return Quality("timeout", m.error or "the point ran out of time", False)
    if m.status == NOT_APPLICABLE:
        return Quality("n/a", m.error or "does not apply", False)
    words = qualifiers(m, busy=busy)
    return Quality(words[0] if words else "ok", "; ".join(f"{w}: {QUALIFIERS[w]}" for w in words), True)


def qualifiers(m: Measurement, *, busy: bool | None = None) -> list[str]:
    """What qualifies a measured row's figures, most serious first. `busy`: whether other programs
    held the CPUs at its point (`busy_points`); by default, whether its own calls say so."""
    words = []
    if m.shared:
        words.append("shared")
    if m.repeats == 1:
        words.append("1 round")
    if m.stop in _STOP_QUALIFIER:
        words.append(_STOP_QUALIFIER[m.stop])
    if m.busy if busy is None else busy:
        words.append("busy")
    if m.stats is not None and m.stats.noisy:
        words.append("noisy")
    return words


def busy_points(measurements) -> set[tuple[int, int, str]]:
    """The points (items, length, arm) where other programs held the CPUs: a serial or numpy row there
    is `busy`. Every row of a point ran in the same rounds, so each of them is qualified by it."""
    return {(m.items, m.length, m.arm) for m in measurements if m.ok and m.busy}


# Speedups ----------------------------------------------------------------------------------------------


def worker_sweep(measurements) -> bool:
    """Whether these rows measured pools of several sizes: rows are then told apart by their
    workers too (`Measurement.series`)."""
    return len({m.workers for m in measurements if m.workers is not None}) > 1


def serial_times(measurements) -> dict[tuple[int, int], tuple[float, ...]]:
    """Serial's repeat times at each point: the baseline every speedup is taken against."""
    return {m.point: m.times_s for m in measurements if m.strategy == BASELINE and m.ok and m.times_s}


def speedup(m: Measurement, baselines: dict[tuple[int, int], tuple[float, ...]]) -> Interval | None:
    """Serial's time over this strategy's at the same point, with its interval: the geometric mean
    of the per-round ratios (rounds are interleaved, so each pairs two calls that ran side by side),
    or of the two series' geometric means when their rounds do not pair up."""
    base = baselines.get(m.point)
    if not m.ok or not m.times_s or not base:
        return None
    if m.strategy == BASELINE:
        return stats.Interval(1.0, math.nan, math.nan, stats.CONFIDENCE, 0)  # itself: no interval to speak of
    return stats.ratio(base, m.times_s)


def speedup_vs_serial(m: Measurement, baselines) -> float | None:
    interval = speedup(m, baselines)
    return interval.estimate if interval is not None else None
