"""What a run's measurements mean, in numbers: a model of each pool's time that predicts and is
checked, its break-even, worker scaling, and which strategy wins each point. Pure arithmetic on
`Measurement`s (their times and the costs `workloads.costs` took apart); no measuring, no words
(`workloads.explain` says it in sentences).

The model, for a pooled strategy at one item length, n items:

    T_pool(n) = S + n·a + W(n)        T_twin(n) = n·c

- S: the pool's fixed cost per call (cold: made, a first item to every worker, shut down; warm: one
  dispatch), a: shipping one item out and its result back, c: the work per item (the in-process
  strategy of the same form: serial for the kernel, numpy for kernel_numpy), all measured. A cold
  pool's start grows with the data this process holds (a forked worker copies its page tables), so
  S is fitted as S0 + n·g at each length; g counts as a per-item cost beside a;
- W(n): the work spread over the workers. Chunks of `chunksize` items go out `workers` at a time;
  a round of j items at once takes c·(s·max(1, j/P) + (1 − s)), s being the share of the work that
  needs a CPU (0 for a sleep, 1 for a Python loop) and P the machine's parallel ceiling (how many
  CPUs' worth of Python N processes really get; the CPU count when it was not measured). A pool
  under the GIL (threads: `ships` is False) runs CPU work one item at a time: c·(s·j + (1 − s)).
  For n well above the workers this is n·c·f, f = (s·max(1, w/P) + 1 − s)/w; with s = 1,
  f = 1/p_eff, p_eff = min(workers, ceiling);
- break-even: n* = S0 / (c·(1 − f) − a − g), never when a + g ≥ c·(1 − f) (searched item by item
  where n* is below a few rounds of workers); the break-even work per item at n items:
  c* = (S0 + n·(a + g)) / (n − W₁(n)), W₁ being W with c = 1.

It is checked on the run itself: fitted on the smaller half of a sweep's points (S the median of
their pool starts; a and c the medians of their per-item costs at each length, linear in length
when the lengths vary) and asked for the larger half, point by point, as predicted / measured. The
VM changes pace during a sweep, so the fitted figures are scaled at each checked point by how fast
the machine ran there against the fitted points: a fixed pure-Python loop timed after every round
(`costs.pace`, its median per point); the unscaled ratio is kept beside it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from ..model import stats
from ..model.costs import PoolCosts
from ..model.decision import MARGIN
from ..model.decision import interval as rule_interval
from ..model.measurement import Measurement
from ..model.strategies import BASELINE, KINDS, StrategyKind
from .decisions import PointVerdict, RunDecisions, decide_run

# A break-even above this many items is reported as such, never searched item by item.
SEARCH_ROUNDS = 8
MAX_ITEMS = 1 << 40

Point = tuple[int, int]  # (items, length)


# The model -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """One pool's model at one item length."""

    start_s: float  # S
    ship_s: float  # a: one item out and its result back
    work_s: float  # c
    cpu_share: float = 1.0  # s
    workers: int = 1
    ceiling: float = 1.0  # P: the most CPU work that runs at once on this machine
    gil: bool = False  # runs in this process: CPU work takes turns
    chunksize: int = 1
    start_per_item_s: float = 0.0  # S grows by this per item: the memory the parent holds (fork copies it)

    @property
    def per_item_s(self) -> float:
        """What each item adds besides its work: its shipping and its share of a growing start."""
        return self.ship_s + self.start_per_item_s


def _round_factor(p: Params, at_once: int) -> float:
    """How long a round of `at_once` items takes, in units of c."""
    s = min(1.0, max(0.0, p.cpu_share))
    if p.gil:
        return s * at_once + (1.0 - s)
    # A ceiling under 1 is a busy moment's reading: N processes never do less than one of them.
    return s * max(1.0, at_once / max(p.ceiling, 1.0)) + (1.0 - s)


def work_time(p: Params, n: int) -> float:
    """W(n): the work of n items spread over the pool's workers, chunk by chunk."""
    if n <= 0:
        return 0.0
    k = max(1, p.chunksize)
    w = max(1, p.workers)
    chunks, last = divmod(n, k)
    units = chunks + (1 if last else 0)
    full_rounds, rest = divmod(units, w)

    def longest(at_once: int) -> int:
        # The last round holds the short chunk: it is the longest only when it runs alone.
        return last if last and at_once == 1 else k

    if rest:
        total = full_rounds * k * _round_factor(p, w) + longest(rest) * _round_factor(p, rest)
    else:
        total = (full_rounds - 1) * k * _round_factor(p, w) + longest(w) * _round_factor(p, w)
    return p.work_s * total


def predict(p: Params, n: int) -> float:
    """T_pool(n)."""
    return p.start_s + n * p.per_item_s + work_time(p, n)


def saturated_share(p: Params) -> float:
    """f: the share of the serial time the work takes once every worker is busy."""
    w = max(1, p.workers)
    return _round_factor(p, w) / w


def break_even_items(p: Params) -> float | None:
    """The smallest number of items from which the pool beats the in-process loop; None if never."""
    saving = p.work_s * (1.0 - saturated_share(p)) - p.per_item_s
    if saving <= 0 or p.work_s <= 0:
        return None
    estimate = max(0.0, p.start_s) / saving
    limit = SEARCH_ROUNDS * max(1, p.workers) * max(1, p.chunksize)
    if estimate > limit:
        return min(estimate, float(MAX_ITEMS))
    for n in range(1, int(max(limit, math.ceil(estimate))) + 2):
        if predict(p, n) < n * p.work_s:
            return float(n)
    return estimate


def break_even_work(p: Params, n: int) -> float | None:
    """c*: the work per item from which the pool beats the loop at n items, with this pool's start
    and this payload's shipping; None when no amount of work would (n items cannot run in parallel,
    or the work takes turns on the GIL)."""
    unit = work_time(Params(0.0, 0.0, 1.0, p.cpu_share, p.workers, p.ceiling, p.gil, p.chunksize), n)
    if n - unit <= 1e-9:
        return None
    return (max(0.0, p.start_s) + n * p.per_item_s) / (n - unit)


def karp_flatt(speedup_: float | None, workers: int | None) -> float | None:
    """The experimentally determined serial fraction e = (1/ψ − 1/p) / (1 − 1/p)."""
    if speedup_ is None or not workers or workers < 2 or speedup_ <= 0:
        return None
    return (1.0 / speedup_ - 1.0 / workers) / (1.0 - 1.0 / workers)


# Taking a run apart -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A pool's measured time at one point, taken apart: what the parts explain, and the rest."""

    start_s: float
    ship_out_s: float
    work_s: float  # the work as the workers did it (W(n))
    ship_back_s: float
    waiting_s: float  # measured minus the parts: idle workers, contention; negative when they overshoot

    @property
    def parts_s(self) -> float:
        return self.start_s + self.ship_out_s + self.work_s + self.ship_back_s


@dataclass(frozen=True)
class PointResult:
    """One pooled strategy at one point."""

    items: int
    length: int
    measured_s: float
    speedup: stats.Interval | None  # against serial
    twin_speedup: stats.Interval | None  # against its in-process twin (serial, or numpy for numpy-processes)
    params: Params | None  # from this point's own costs
    split: Split | None
    costs: PoolCosts

    @property
    def predicted_s(self) -> float | None:
        return predict(self.params, self.items) if self.params is not None else None


@dataclass(frozen=True)
class CheckedPoint:
    """One point of the larger half: the model's time for it, from the smaller half's figures scaled
    by how fast the machine ran there (`speed`: the pace gauge's time at this point over the fitted
    points'), and the time measured."""

    items: int
    length: int
    predicted_s: float
    measured_s: float
    speed: float = 1.0  # the machine's pace here against the fitted points' (1.3: 30% slower)

    @property
    def ratio(self) -> float:
        return self.predicted_s / self.measured_s if self.measured_s > 0 else math.inf

    @property
    def unscaled_ratio(self) -> float:
        """The ratio before the machine's change of pace is taken out."""
        return self.ratio / self.speed if self.speed > 0 else math.inf


@dataclass(frozen=True)
class Check:
    """The model fitted on the smaller half of the points, asked for the larger half."""

    fitted: tuple[Point, ...]
    checked: tuple[CheckedPoint, ...]

    @property
    def errors(self) -> list[float]:
        return [abs(c.ratio - 1.0) for c in self.checked]

    @property
    def median_error(self) -> float | None:
        return statistics.median(self.errors) if self.checked else None

    @property
    def worst(self) -> CheckedPoint | None:
        return max(self.checked, key=lambda c: abs(c.ratio - 1.0)) if self.checked else None


@dataclass(frozen=True)
class BreakEven:
    length: int
    params: Params  # from every successful point at this length
    items: float | None  # n*; None: never
    work_items: int  # the item count the break-even work is given for (the largest measured)
    work_s: float | None  # c* at that item count


@dataclass
class SeriesResult:
    """One pooled strategy (with one worker count) over the whole sweep."""

    series: str  # "processes@2"
    strategy: str
    kind: StrategyKind
    workers: int
    twin: str | None  # the in-process strategy its work is compared with
    points: list[PointResult] = field(default_factory=list)
    failed: list[tuple[int, int, str, str]] = field(default_factory=list)  # items, length, status, reason
    break_even: dict[int, BreakEven] = field(default_factory=dict)
    check: Check | None = None
    check_note: str = ""  # why there is no check

    def at(self, point: Point) -> PointResult | None:
        return next((p for p in self.points if (p.items, p.length) == point), None)


@dataclass(frozen=True)
class Cell:
    """Who wins one point, and by how much over the runner-up."""

    items: int
    length: int
    winner: str  # a series: "numpy", "processes@2"
    winner_s: float
    runner_up: str | None
    lead: stats.Interval | None  # runner-up's time / the winner's, paired by round
    verdict: str  # the lead decided (`workloads.insight.decisions`): faster, same, undecided

    @property
    def point(self) -> Point:
        return (self.items, self.length)


@dataclass(frozen=True)
class WorkerPoint:
    workers: int
    speedup: stats.Interval | None  # against the in-process twin
    efficiency: float | None
    serial_fraction: float | None  # Karp–Flatt


@dataclass
class Analysis:
    points: list[Point]
    measurements: list[Measurement]
    series: dict[str, SeriesResult]  # pooled strategies, by series
    cells: dict[Point, Cell]
    speedups: dict[tuple[str, Point], stats.Interval]
    ceiling: float | None
    cpus: int | None
    one_repeat: bool
    ceiling_note: str = ""  # where the ceiling comes from, or why there is none
    decisions: RunDecisions | None = None  # every row's and point's decision

    @property
    def margin(self) -> float:
        return self.decisions.margin if self.decisions is not None else MARGIN

    @property
    def items(self) -> list[int]:
        return sorted({p[0] for p in self.points})

    @property
    def lengths(self) -> list[int]:
        return sorted({p[1] for p in self.points})

    @property
    def largest(self) -> Point | None:
        """The point with the most work: most items × length."""
        return max(self.cells, key=lambda p: (p[0] * p[1], p)) if self.cells else None

    def scaling(self, strategy: str, point: Point) -> list[WorkerPoint]:
        """Speedup, efficiency and serial fraction against workers, for one strategy at one point."""
        rows = []
        for result in self.series.values():
            if result.strategy != strategy:
                continue
            at = result.at(point)
            if at is None:
                continue
            interval = at.twin_speedup
            value = interval.estimate if interval is not None else None
            rows.append(WorkerPoint(result.workers, interval,
                                    value / result.workers if value is not None else None,
                                    karp_flatt(value, result.workers)))
        return sorted(rows, key=lambda r: r.workers)

    @property
    def worker_sweep(self) -> list[str]:
        """Strategies measured with more than one worker count."""
        counts: dict[str, set[int]] = {}
        for result in self.series.values():
            counts.setdefault(result.strategy, set()).add(result.workers)
        return [name for name, workers in counts.items() if len(workers) > 1]


def twin_of(kind: StrategyKind, measured: set[str]) -> str | None:
    """The in-process strategy doing the same work as a pool: same form, no workers."""
    return next((k.name for k in KINDS.values() if k.form == kind.form and not k.pooled and k.name in measured), None)


def params_from_costs(costs: PoolCosts | None, *, items: int, chunksize: int | None, ceiling: float | None,
                      cpus: int | None, kind: StrategyKind, workers: int, gil: bool = True) -> Params | None:
    """The model's parameters from one point's measured costs; None when they are incomplete."""
    if costs is None or not costs.complete:
        return None
    cap = ceiling or costs.ceiling or cpus or costs.cpus or workers
    return Params(
        start_s=float(costs.pool_start_s),
        ship_s=costs.ship_s,
        work_s=float(costs.work_per_item_s),
        cpu_share=1.0 if costs.cpu_share is None else float(costs.cpu_share),
        workers=workers,
        ceiling=float(cap),
        gil=gil and not kind.ships,
        chunksize=int(chunksize or costs.chunksize or 1),
    )


def _split(p: Params, n: int, measured: float, costs: PoolCosts) -> Split:
    out = (costs.ship_out_s or 0.0) * n
    back = (costs.ship_back_s or 0.0) * n
    work = work_time(p, n)
    return Split(p.start_s, out, work, back, measured - (p.start_s + out + work + back))


def _linear(samples: list[tuple[int, float]]):
    """value(length): the median where one length was measured, a least-squares line in length
    otherwise (never below zero)."""
    lengths = {length for length, _ in samples}
    if len(lengths) == 1:
        value = statistics.median(v for _, v in samples)
        return lambda length: value
    mean_l = statistics.fmean(l for l, _ in samples)
    mean_v = statistics.fmean(v for _, v in samples)
    slope = sum((l - mean_l) * (v - mean_v) for l, v in samples) / sum((l - mean_l) ** 2 for l, _ in samples)
    return lambda length: max(0.0, mean_v + slope * (length - mean_l))


def _start_line(samples: list[tuple[int, float]]) -> tuple[float, float]:
    """S = S0 + growth × (items × length): a pool's start as it grows with the data this process
    holds (a forked worker copies the parent's page tables: 20 ms with nothing held, ~0.4 s with
    half a GB of Python lists). Least squares over the points; the median and no growth where there
    is one size or the line would fall."""
    sizes = {size for size, _ in samples}
    median = statistics.median(v for _, v in samples)
    if len(sizes) < 2:
        return median, 0.0
    mean_x = statistics.fmean(x for x, _ in samples)
    mean_v = statistics.fmean(v for _, v in samples)
    slope = sum((x - mean_x) * (v - mean_v) for x, v in samples) / sum((x - mean_x) ** 2 for x, _ in samples)
    if slope <= 0:
        return median, 0.0
    return max(0.0, mean_v - slope * mean_x), slope


def fit(points: list[PointResult], template: Params):
    """The model fitted on these points: a function (length, chunksize) -> Params (S from a line in
    items × length, a and c by length), with `template`'s settings (workers, ceiling, GIL)."""
    usable = [p for p in points if p.params is not None]
    if not usable:
        return None
    start, growth = _start_line([(p.items * p.length, p.params.start_s) for p in usable])
    ship = _linear([(p.length, p.params.ship_s) for p in usable])
    work = _linear([(p.length, p.params.work_s) for p in usable])
    share = statistics.median(p.params.cpu_share for p in usable)

    def at(length: int, chunksize: int) -> Params:
        return Params(start, ship(length), work(length), share, template.workers, template.ceiling, template.gil,
                      chunksize, growth * length)

    return at


def _check(result: SeriesResult, clock: dict[Point, float]) -> tuple[Check | None, str]:
    usable = [p for p in result.points if p.params is not None]
    if len(usable) < 2:
        return None, ("one point: no fit possible (the model needs a smaller half to fit and a larger half to "
                      "predict)" if len(usable) == 1 else "no point with measured costs")
    # Fitted on the smaller half along what varies: by items at each length when the items vary,
    # by length otherwise.
    items_vary = len({p.items for p in usable}) > 1
    groups: dict[int, list[PointResult]] = {}
    for p in usable:
        groups.setdefault(p.length if items_vary else 0, []).append(p)
    fitted: list[PointResult] = []
    checked: list[PointResult] = []
    for group in groups.values():
        group.sort(key=lambda p: (p.items * p.length, p.items))
        if len(group) < 2:
            continue
        half = len(group) // 2
        fitted.extend(group[:half])
        checked.extend(group[half:])
    if not checked:
        return None, "no length was measured at two item counts: nothing to fit and predict"
    model = fit(fitted, fitted[0].params)
    out = []
    for p in checked:
        params = model(p.length, p.params.chunksize)
        # This VM changes pace during a sweep (two speeds, other tenants): the pace gauge, timed after
        # every round of the point (`costs.pace`), says how fast the machine ran here against the
        # fitted points at this length, and every figure of the model moves with it.
        fitted_clock = [clock[(f.items, f.length)] for f in fitted if f.length == p.length and (f.items, f.length) in clock]
        here = clock.get((p.items, p.length))
        speed = here / statistics.median(fitted_clock) if here and fitted_clock else 1.0
        out.append(CheckedPoint(p.items, p.length, speed * predict(params, p.items), p.measured_s, speed))
    return Check(tuple((p.items, p.length) for p in fitted), tuple(out)), ""


def _cell(point: Point, rows: list[Measurement], verdict: PointVerdict | None) -> Cell | None:
    by_series = {m.series: m for m in rows if m.ok and m.stats is not None}
    if verdict is None or verdict.winner not in by_series:
        return None
    return Cell(point[0], point[1], verdict.winner, by_series[verdict.winner].stats.median, verdict.runner_up,
                verdict.lead, verdict.verdict)


def analyse(measurements: list[Measurement], *, ceiling: float | None = None, cpus: int | None = None,
            margin: float = MARGIN, gil: bool = True) -> Analysis:
    """Everything `explain`, the exports and the views say about a run's numbers; its speedups and
    who wins each point are the run's decisions (`workloads.insight.decisions`). `gil`: Python
    threads took turns (False only for a free-threaded build that ran with the GIL off)."""
    ok = [m for m in measurements if m.ok and m.stats is not None]
    if ceiling is None:
        ceiling = next((m.costs.ceiling for m in measurements if m.costs and m.costs.ceiling), None)
    if cpus is None:
        cpus = next((m.costs.cpus for m in measurements if m.costs and m.costs.cpus), None)
    ceiling_note = next((m.costs.ceiling_note for m in measurements if m.costs and m.costs.ceiling_note), "")
    decisions = decide_run(measurements, margin=margin)
    by_point: dict[Point, list[Measurement]] = {}
    for m in ok:
        by_point.setdefault(m.point, []).append(m)
    points = sorted({m.point for m in measurements})
    cells = {p: c for p in by_point if (c := _cell(p, by_point[p], decisions.points.get(p))) is not None}
    speedups = {}
    for m in ok:
        interval = decisions.row(m).interval
        if interval is not None:
            speedups[(m.series, m.point)] = interval
    measured_names = {m.strategy for m in ok}
    clock = {m.point: m.costs.pace_s for m in ok if m.costs and m.costs.pace_s}
    series: dict[str, SeriesResult] = {}
    for m in measurements:
        kind = KINDS.get(m.strategy)
        if kind is None or not kind.pooled:
            continue
        result = series.get(m.series)
        if result is None:
            result = series[m.series] = SeriesResult(m.series, m.strategy, kind, m.workers or 1,
                                                     twin_of(kind, measured_names))
        if not m.ok or m.stats is None:
            if m.status != "n/a":
                result.failed.append((m.items, m.length, m.status, m.error))
            continue
        twin = next((t for t in by_point.get(m.point, []) if t.strategy == result.twin), None)
        twin_speedup = _twin_speedup(twin, m, speedups)
        params = params_from_costs(m.costs, items=m.items, chunksize=m.chunksize, ceiling=ceiling, cpus=cpus,
                                   kind=kind, workers=m.workers or 1, gil=gil)
        split = _split(params, m.items, m.stats.median, m.costs) if params is not None else None
        result.points.append(PointResult(m.items, m.length, m.stats.median, speedups.get((m.series, m.point)),
                                         twin_speedup, params, split, m.costs or PoolCosts()))
    for result in series.values():
        result.points.sort(key=lambda p: (p.length, p.items))
        for length in sorted({p.length for p in result.points}):
            at_length = [p for p in result.points if p.length == length and p.params is not None]
            if not at_length:
                continue
            model = fit(at_length, at_length[0].params)
            largest = max(p.items for p in at_length)
            chunk = next(p.params.chunksize for p in at_length if p.items == largest)
            params = model(length, chunk)
            result.break_even[length] = BreakEven(length, params, break_even_items(params), largest,
                                                  break_even_work(params, largest))
        result.check, result.check_note = _check(result, clock)
    one_repeat = any(m.repeats == 1 for m in ok)
    return Analysis(points, list(measurements), series, cells, speedups, ceiling, cpus, one_repeat, ceiling_note,
                    decisions)


def _twin_speedup(twin: Measurement | None, m: Measurement, speedups) -> stats.Interval | None:
    """A pool against the in-process strategy doing the same work: the run's decision where that
    is serial, else the same kind of interval on their paired rounds."""
    if twin is None:
        return None
    if twin.strategy == BASELINE:
        return speedups.get((m.series, m.point))
    ratios = [math.log(t / s) for t, s in zip(twin.times_s, m.times_s)]
    found = rule_interval(ratios)
    if found is None and ratios:
        found = stats.Interval(math.exp(sum(ratios) / len(ratios)), math.nan, math.nan, stats.CONFIDENCE, len(ratios))
    return found
