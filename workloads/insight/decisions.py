"""A run's decisions, as its report shows them: at every point, each strategy against serial and
the winner against the runner-up — faster, slower, the same, or undecided — with the interval each
decision rests on (`workloads.model.decision`: one look at the finished run, variance pooled
across its points). Every table, chart, map and sentence takes its speedups and its words from
here, so a figure and the word beside it always agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..model import decision as rule
from ..model.measurement import STOP_OPEN, Measurement
from ..model.stats import Interval
from ..model.strategies import BASELINE

BASELINE_WORD = "baseline"  # serial's own row: what the others are measured against


@dataclass(frozen=True)
class RowDecision:
    verdict: str  # faster, slower, same, undecided; baseline for serial; "" where nothing compares
    interval: Interval | None  # the speedup against serial and its interval (serial: 1×, no bounds)


@dataclass(frozen=True)
class PointVerdict:
    """Who wins a point, and how sure: the lead is the runner-up's time over the winner's."""

    winner: str
    runner_up: str | None
    lead: Interval | None
    verdict: str  # faster (the winner is ahead), same (within the margin), undecided


@dataclass
class RunDecisions:
    rows: dict[tuple, RowDecision]  # by Measurement.key
    points: dict[tuple[int, int], PointVerdict]
    margin: float
    # --vs: each of A's rows against B's, by (A's series, point): B's speedup over A, decided.
    versus: dict[tuple[str, tuple[int, int]], rule.Comparison] = field(default_factory=dict)

    def row(self, m: Measurement) -> RowDecision:
        return self.rows.get(m.key, RowDecision("", None))

    @property
    def undecided_points(self) -> list[tuple[int, int]]:
        return [p for p, v in self.points.items() if v.verdict == rule.UNDECIDED]


def _inverse(interval: Interval | None) -> Interval | None:
    if interval is None:
        return None
    return Interval(1.0 / interval.estimate, 1.0 / interval.high if interval.has_bounds else math.nan,
                    1.0 / interval.low if interval.has_bounds else math.nan, interval.confidence, interval.n,
                    interval.sd, interval.df)


def _single(values: list[float], other: list[float]) -> Interval | None:
    """A ratio from rounds too few for an interval: its estimate alone."""
    pairs = list(zip(other, values))
    if not pairs:
        return None
    mean = sum(math.log(o / v) for o, v in pairs) / len(pairs)
    return Interval(math.exp(mean), math.nan, math.nan, 1.0 - rule.ALPHA, len(pairs))


def first_pass_over(measurements: list[Measurement], points: int | None) -> bool:
    """Whether a sweep of `points` points has had its first pass: false while a provisional row
    (still being measured) is there and a point has no row yet (None: not known, taken as over)."""
    if points is None or not any(m.stop == STOP_OPEN for m in measurements):
        return True
    seen = {m.point_index for m in measurements}
    return None in seen or seen >= set(range(points))


def decide_run(measurements: list[Measurement], *, margin: float = rule.MARGIN,
               points: int | None = None) -> RunDecisions:
    """`points`: how many points the sweep has, for a live sweep's rows. Until its first pass is
    over nothing is decided and no interval given, as the sweep itself looks (`SweepLooks`): an
    interval from the points measured so far has almost nothing to pool (at two rounds and one
    degree of freedom, a range like 0.004–697577), and it is not the one the rule will decide on."""
    ok = [m for m in measurements if m.ok and m.times_s]
    points_seen = sorted({m.point for m in ok})
    times = [{m.series: list(m.times_s) for m in ok if m.point == point} for point in points_seen]
    has_baseline = [BASELINE in t for t in times]
    if first_pass_over(measurements, points):
        decided = rule.decide_sweep(times, BASELINE if any(has_baseline) else None, margin=margin)
        # --vs: B's strategies against B's own serial, pooled across B's points as A's are.
        own_b = rule.decide_sweep([_arm_b_times(t) for t in times], BASELINE, margin=margin)
    else:
        decided = own_b = [None] * len(times)
    rows: dict[tuple, RowDecision] = {}
    verdicts: dict[tuple[int, int], PointVerdict] = {}
    found_versus: dict = {}
    for point, point_times, decision, decision_b in zip(points_seen, times, decided, own_b):
        at_point = [m for m in ok if m.point == point]
        for m in at_point:
            if m.arm:  # B of --vs: against B's own serial, as A's rows are against A's
                rows[m.key] = _row_decision(m.series[:-len(rule.ARM_SUFFIX)], decision_b)
                versus = decision.against(m.series, m.series[:-len(rule.ARM_SUFFIX)]) if decision else None
                if versus is not None:
                    found_versus[(versus.reference, point)] = versus
                continue
            if m.series == BASELINE:
                rows[m.key] = RowDecision(BASELINE_WORD, Interval(1.0, math.nan, math.nan, 1.0 - rule.ALPHA, 0))
                continue
            comparison = decision.against(m.series, BASELINE) if decision is not None else None
            if comparison is not None:
                rows[m.key] = RowDecision(comparison.verdict, comparison.interval)
            elif BASELINE in point_times:  # one round: a figure, no interval, no decision
                rows[m.key] = RowDecision(rule.UNDECIDED, _single(point_times[m.series], point_times[BASELINE]))
            else:
                rows[m.key] = RowDecision("", None)
        verdicts[point] = _point_verdict(point_times, decision)
    return RunDecisions(rows, verdicts, margin, found_versus)


def _arm_b_times(times: dict[str, list[float]]) -> dict[str, list[float]]:
    """B's series at one point (--vs), under their own names."""
    return {name[:-len(rule.ARM_SUFFIX)]: t for name, t in times.items() if name.endswith(rule.ARM_SUFFIX)}


def _row_decision(series: str, decision: rule.PointDecision | None) -> RowDecision:
    if series == BASELINE:
        return RowDecision(BASELINE_WORD, Interval(1.0, math.nan, math.nan, 1.0 - rule.ALPHA, 0))
    found = decision.against(series, BASELINE) if decision is not None else None
    return RowDecision(found.verdict, found.interval) if found is not None else RowDecision(rule.UNDECIDED, None)


def _point_verdict(times: dict[str, list[float]], decision: rule.PointDecision | None) -> PointVerdict:
    order = rule.ranking(times)
    winner = order[0]
    runner_up = order[1] if len(order) > 1 else None
    if runner_up is None:
        return PointVerdict(winner, None, None, "")
    if decision is None:
        return PointVerdict(winner, runner_up, _single(times[winner], times[runner_up]), rule.UNDECIDED)
    direct = decision.against(winner, runner_up)
    if direct is not None:
        return PointVerdict(winner, runner_up, direct.interval, direct.verdict)
    flipped = decision.against(runner_up, winner)  # serial wins: the runner-up's speedup against it
    if flipped is None:
        return PointVerdict(winner, runner_up, _single(times[winner], times[runner_up]), rule.UNDECIDED)
    verdict = {rule.SLOWER: rule.FASTER, rule.FASTER: rule.SLOWER}.get(flipped.verdict, flipped.verdict)
    return PointVerdict(winner, runner_up, _inverse(flipped.interval), verdict)
