"""Why the numbers are what they are, in sentences: the verdict first, then a paragraph for every
strategy that ran, the model's check, worker scaling, the machine's ceiling and what qualifies it all.

Every figure quoted comes from the run (`workloads.analysis` takes it apart); every piece of advice
follows from the run's own settings and figures: a warm pool is never told about start-up, longer
items are never suggested where shipping grows with them, "within noise" is `stats.classify`'s
word, and a run of one repeat says it cannot tell noise from signal.
"""

from __future__ import annotations

import math

from ..model import decision as rule
from ..model import stats
from ..model.machine import Machine
from ..model.measurement import (
    ARM_MARK,
    STOP_BUDGET,
    STOP_CANCELLED,
    STOP_MAX_ROUNDS,
    STOP_OPEN,
    STOP_TOO_CLOSE,
    Measurement,
)
from ..model.numbers import format_bytes, format_interval, format_ratio, format_seconds
from ..model.strategies import BASELINE, KINDS
from .analysis import (
    Analysis,
    BreakEven,
    PointResult,
    SeriesResult,
    analyse,
    saturated_share,
)

# A pool's start is worth naming when it is at least this share of the call.
START_SHARE = 0.2
# Threads are said to overlap waits when at most this share of the kernel's time needs the CPU.
WAITING_SHARE = 0.5
# Below this growth of numpy's time per item across a sweep, it is noise, not memory.
NUMPY_SLOWDOWN = 3.0


# Words for figures ---------------------------------------------------------------------------------------


def _at(point: tuple[int, int]) -> str:
    return f"items={point[0]}, length={point[1]}"


def _ratio(interval: stats.Interval | None) -> str:
    """`1.06× (95% 0.97–1.15, undecided)`, or the figure alone without an interval: the word is the
    decision the interval makes (the same rule as every table's)."""
    if interval is None:
        return "—"
    text = format_ratio(interval.estimate)
    if interval.has_bounds:
        word = rule.decide(interval)
        qualifier = f", {word}" if word in (rule.UNDECIDED, rule.SAME) else ""
        text += f" (95% {format_interval(interval.low, interval.high)}{qualifier})"
    return text


def _as_fast(interval: stats.Interval | None, than: str) -> str:
    """`2.03× as fast as serial (95% 1.95–2.11)`."""
    if interval is None:
        return f"— against {than}"
    text = f"{format_ratio(interval.estimate)} as fast as {than}"
    if interval.n >= 2 and not math.isnan(interval.low):
        text += f" (95% {format_interval(interval.low, interval.high)})"
    return text


def _items(value: float) -> str:
    return f"{value:.0f}" if value < 1e5 else f"{value:.2g}"


def _series_words(name: str) -> str:
    """`processes@2` → `processes with 2 workers`; B's of --vs (`processes@2|B`) → `processes with
    2 workers in B`: a series' key is never shown to the user as it is."""
    name, _, arm = name.partition(ARM_MARK)
    strategy, _, workers = name.partition("@")
    words = f"{strategy} with {workers} worker{'' if workers == '1' else 's'}" if workers else strategy
    return f"{words} in {arm}" if arm else words


def _pool_words(result: SeriesResult, costs: dict) -> str:
    kind = result.kind
    mode = f"{costs.pool} " if costs.pool else ""  # a run stored without costs does not say
    what = "LocalCluster" if kind.cluster else "pool"
    details = []
    if costs.start_method:
        details.append(costs.start_method)
    if kind.processes and costs.chunksize:
        details.append(f"chunksize {costs.chunksize}")
    extra = f", {', '.join(details)}" if details else ""
    return f"a {mode}{what} of {result.workers} worker{'s' if result.workers != 1 else ''}{extra}"


# The verdict ------------------------------------------------------------------------------------------------


def _faster_than_loop(a: Analysis, series: str, point) -> bool:
    interval = a.speedups.get((series, point))
    return interval is not None and rule.decide(interval, a.margin) == rule.FASTER


def _won(cell) -> bool:
    """Whether a point's winner is decided: its lead over the runner-up is, or nothing else ran there."""
    return cell.verdict == rule.FASTER or cell.runner_up is None


def _below_decided_lead(a: Analysis, best: str) -> list:
    """The points below those where `best` wins by a decided lead all the way to the largest point
    (below the largest point when its own lead there is not decided), smallest first; empty when
    `best` wins every point by a decided lead."""
    ordered = sorted(a.cells, key=lambda p: (p[0] * p[1], p))
    end = len(ordered)
    while end > 0 and a.cells[ordered[end - 1]].winner == best and _won(a.cells[ordered[end - 1]]):
        end -= 1
    return ordered[:min(end, len(ordered) - 1)]


def _best_python_pool(a: Analysis, point) -> SeriesResult | None:
    """The pooled strategy running the plain kernel to quote at this point: the fastest of those
    that beat the loop beyond noise; otherwise one that ships items to other processes (its costs
    say why it does not pay), the fastest of them."""
    base_form = KINDS[BASELINE].form
    candidates = [r for r in a.series.values() if r.kind.form == base_form and r.at(point) is not None]
    if not candidates:
        return None

    def estimate(r: SeriesResult) -> float:
        interval = a.speedups.get((r.series, point))
        return interval.estimate if interval is not None else 0.0

    winners = [r for r in candidates if _faster_than_loop(a, r.series, point)]
    shipping = [r for r in candidates if r.kind.ships]
    return max(winners or shipping or candidates, key=estimate)


def _why_never(be: BreakEven, result: SeriesResult) -> str:
    """Why the model says a pool never pays: from its fit over the points at one length (which is
    what decided it), named as such, so that it is never read as the one point's measured figures."""
    params = be.params
    fitted = sum(1 for p in result.points if p.length == be.length and p.params is not None)
    source = f"fitted to its {fitted} points, " if fitted > 1 else ""
    saves = params.work_s * (1 - saturated_share(params))
    if saves <= 0:
        if params.gil:
            return "the kernel keeps the CPU, and threads take turns on the GIL"
        return f"{source}its workers save nothing on an item"
    what = "shipping an item" if result.kind.ships else "a task"
    return (f"{source}{what} costs {format_seconds(params.ship_s)}, more than the {format_seconds(saves)} its "
            "workers save on it")


def _never_pays(result: SeriesResult, length: int) -> bool:
    be = result.break_even.get(length)
    return be is not None and be.items is None


def verdict(a: Analysis) -> str:
    """One or two sentences: what to use for this loop on this machine, how much faster, and where
    the choice flips. Empty when nothing was measured."""
    if not a.cells:
        return ""
    largest = a.largest
    cell = a.cells[largest]
    best = cell.winner
    serial_ran = any(s == BASELINE for s, _ in a.speedups)
    caveat = ("With one repeat per point this run cannot tell noise from signal, so take this as unconfirmed: "
              if a.one_repeat else "")
    wins = [p for p, c in a.cells.items() if c.winner == best]
    everywhere = len(wins) == len(a.cells)
    decided_wins = sum(1 for p in wins if _won(a.cells[p]))
    if decided_wins == len(a.cells):
        where = "the fastest at every point of this sweep"
    elif decided_wins == len(wins):
        where = f"the fastest at {len(wins)} of {len(a.cells)} points"
    else:  # a lead not decided is not called the fastest
        where = (f"ahead at {'every point of this sweep' if everywhere else f'{len(wins)} of {len(a.cells)} points'}"
                 f" (decided at {decided_wins})")
    same_strategy = cell.runner_up is not None and best.partition("@")[0] == cell.runner_up.partition("@")[0]
    close = cell.verdict in (rule.SAME, rule.UNDECIDED) and cell.runner_up is not None
    apart = "the same" if cell.verdict == rule.SAME else "not told apart"
    if close and same_strategy and serial_ran and best.partition("@")[0] != BASELINE:
        counts = " or ".join(sorted({best.partition("@")[2], cell.runner_up.partition("@")[2]}, key=int))
        first = (f"Use {best.partition('@')[0]}: {_as_fast(a.speedups.get((best, largest)), 'the plain loop')} at "
                 f"{_at(largest)}, the largest point; {counts} workers are {apart} there (lead "
                 f"{_ratio(cell.lead)})")
    elif close and cell.verdict == rule.SAME:
        first = (f"{_series_words(best)} and {_series_words(cell.runner_up)} are the same at the largest point, "
                 f"{_at(largest)}, within ±{a.margin:.0%} (lead {_ratio(cell.lead)}): either will do there")
    elif close:
        first = (f"{_series_words(best)} leads {_series_words(cell.runner_up)} at the largest point, {_at(largest)}, "
                 f"by {_ratio(cell.lead)}, but not by enough to decide it: they are not told apart there")
    elif best == BASELINE:
        first = ("Leave it serial: no strategy beat the plain loop at any point of this sweep" if everywhere else
                 f"Leave it serial at the largest point, {_at(largest)}: the plain loop is fastest there "
                 f"(and at {len(wins)} of {len(a.cells)} points)")
        closest = next((c for c in sorted(((a.speedups[(s, largest)].estimate, s) for s, p in a.speedups
                                           if p == largest and s != BASELINE), reverse=True)), None)
        if closest is not None:
            first += f" (closest: {_series_words(closest[1])}, {format_ratio(closest[0])} at {_at(largest)})"
    elif serial_ran:
        first = (f"Use {_series_words(best)}: {_as_fast(a.speedups.get((best, largest)), 'the plain loop')} at "
                 f"{_at(largest)}, the largest point, and {where}")
    else:
        runner = f", {_ratio(cell.lead)} ahead of {_series_words(cell.runner_up)}" if cell.runner_up else ""
        first = f"Fastest at the largest point, {_at(largest)}: {_series_words(best)}{runner} (serial did not run)"
    second = _where_it_flips(a, best, largest)
    text = _provisional(a) + caveat + first + "."
    text += (" " + second + "." if second else "")
    return text + _unfinished(a)


def _provisional(a: Analysis) -> str:
    """While a sweep still decides: how many points are still open."""
    open_points = {m.point for m in a.measurements if m.ok and m.stop == STOP_OPEN}
    if not open_points:
        return ""
    undecided = [p for p in a.cells if a.cells[p].verdict == rule.UNDECIDED or p in set(a.decisions.undecided_points)]
    return (f"Provisional ({len(set(undecided))} of {len(a.cells)} points still undecided, rounds are being "
            "added): ")


def _unfinished(a: Analysis) -> str:
    """What the run could not decide, and why it stopped there (the budget, the most rounds, too
    close to call, a cancel)."""
    if a.decisions is None:
        return ""
    stops: dict[str, list] = {}
    for m in a.measurements:
        if m.ok and m.stop in (STOP_BUDGET, STOP_MAX_ROUNDS, STOP_TOO_CLOSE, STOP_CANCELLED) \
                and a.decisions.row(m).verdict == rule.UNDECIDED:
            stops.setdefault(m.stop, []).append(m)
    if not stops:
        return ""
    why = {STOP_BUDGET: "the budget ran out", STOP_MAX_ROUNDS: "the most rounds were spent",
           STOP_TOO_CLOSE: f"they are too close to ±{a.margin:.0%} to decide within the most rounds",
           STOP_CANCELLED: "the run was cancelled"}
    parts = []
    for stop, rows in stops.items():
        names = ", ".join(f"{_series_words(m.series)} at {_at(m.point)}" for m in rows[:3]) \
            + (" …" if len(rows) > 3 else "")
        parts.append(f"{len(rows)} undecided because {why[stop]} ({names})")
    return " Not decided: " + "; ".join(parts) + "."


def _listed(values: list[str]) -> str:
    """`4`, `4 and 8`, `4, 8 and 16`."""
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _points_words(a: Analysis, points: list) -> str:
    """`items=4, 8 and 16` in a sweep of items, `length=…` in one of lengths, else each point."""
    if len(a.lengths) == 1:
        return "items=" + _listed([str(p[0]) for p in points])
    if len(a.items) == 1:
        return "length=" + _listed([str(p[1]) for p in points])
    return _listed([_at(p) for p in points])


def _below_the_flip(a: Analysis, best: str) -> str:
    """Who wins the points below those `best` wins by a decided lead, said only from leads the run
    decided: a point whose two fastest were the same, or not decided apart, is said so and given to
    neither, and the most common leader is never taken for the winner."""
    before = _below_decided_lead(a, best)
    if not before:
        return ""
    decided: dict[str, list] = {}
    for p in before:
        if _won(a.cells[p]):
            decided.setdefault(a.cells[p].winner, []).append(p)
    open_points = [p for p in before if not _won(a.cells[p])]
    pairs = {frozenset((a.cells[p].winner, a.cells[p].runner_up)) for p in open_points}
    words = {a.cells[p].verdict == rule.SAME for p in open_points}
    word = ("the same (within ±{:.0%})".format(a.margin) if words == {True} else
            "not told apart" if words == {False} else "the same or not told apart")
    if len(pairs) == 1:
        names = sorted(next(iter(pairs)), key=lambda s: (s != BASELINE, s))
        apart = f"{_series_words(names[0])} and {_series_words(names[1])} are {word}"
    else:
        apart = f"the two fastest are {word}"
    if len(a.items) > 1 and len(a.lengths) > 1:  # the winner map says each point; the sentence sums it up
        if not open_points and len(decided) == 1:
            return (f"measured, at the smaller points, up to {_at(before[-1])}, {_series_words(next(iter(decided)))} "
                    "wins (the winner map shows each)")
        return (f"measured, the smaller points up to {_at(before[-1])} are not all won by one strategy (the winner "
                "map shows each: ≈ where the two fastest are the same, ? after a lead not decided)")
    if not decided:
        return f"measured, no strategy won at {_points_words(a, before)}: {apart} there"
    parts = [f"{_series_words(name)} wins at {_points_words(a, points)}" for name, points in decided.items()]
    if open_points:
        parts.append(f"at {_points_words(a, open_points)}, {apart}")
    return "measured, " + "; ".join(parts)


def _break_even_fits(a: Analysis, result: SeriesResult, items: float) -> bool:
    """Whether a fitted break-even (as written, ~N items) agrees with what the run decided at its
    length: the pool decided slower than its twin only below N, faster only above it. A fit the
    measurements contradict is not put beside them: the measured decision is the stronger word."""
    be_items = round(items)
    length = a.largest[1]
    for point in result.points:
        if point.length != length:
            continue
        against = point.twin_speedup if result.twin else point.speedup
        word = rule.decide(against, a.margin)
        if (word == rule.SLOWER and point.items >= be_items) or (word == rule.FASTER and point.items <= be_items):
            return False
    return True


def _where_it_flips(a: Analysis, best: str, largest) -> str:
    parts = []
    below = _below_the_flip(a, best)
    if below:
        parts.append(below)
    best_kind = KINDS[best.partition("@")[0]]
    length = largest[1]
    if best_kind.pooled and best in a.series:
        be = a.series[best].break_even.get(length)
        if be is not None and be.items is not None and _break_even_fits(a, a.series[best], be.items):
            at_length = f" (length {length})" if len(a.lengths) > 1 else ""
            parts.append(f"the fitted model puts its break-even against {a.series[best].twin or 'the loop'} at "
                         f"~{_items(be.items)} items{at_length}")
    elif best_kind.form != KINDS[BASELINE].form:
        pool = _best_python_pool(a, largest)
        if pool is not None:
            at = pool.at(largest)
            be = pool.break_even.get(length)
            fits = be is not None and be.items is not None and _break_even_fits(a, pool, be.items)
            name = _series_words(pool.series)
            if _faster_than_loop(a, pool.series, largest):
                text = f"if the loop cannot be vectorised, {name} gives {_ratio(at.speedup)} at {_at(largest)}"
                if fits:
                    text += f" (break-even ~{_items(be.items)} items, the fitted model)"
                parts.append(text)
            elif be is not None and be.items is None:
                parts.append(f"if the loop cannot be vectorised, leave it serial: {name} never pays here "
                             f"({_why_never(be, pool)})")
            else:
                text = (f"if the loop cannot be vectorised, leave it serial here: no pool beat it at {_at(largest)} "
                        f"(best: {name}, {_ratio(at.speedup)})")
                if fits and be.items > largest[0]:
                    text += f"; the fitted model puts {name}'s break-even at ~{_items(be.items)} items"
                parts.append(text)
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


# The interpreter's GIL -----------------------------------------------------------------------------------------


def _gil_paragraph(a: Analysis, machine: Machine | None) -> str:
    """What the interpreter's GIL meant for threads in this run: on a GIL build they help only code
    that releases it; on a free-threaded build with the GIL off they run Python code in parallel,
    and are weighed against the process pool on that basis (no pool start, no pickling)."""
    if machine is None or not machine.python:
        return ""
    python = f"Python {machine.python_text}"
    threads = [r for r in a.series.values() if r.strategy == "threads" and _largest_ok(r) is not None]
    pools = [r for r in a.series.values() if r.kind.processes and r.kind.form == KINDS[BASELINE].form
             and _largest_ok(r) is not None]
    if machine.gil_off:
        if not threads:
            return (f"{python}: Python threads run in parallel under this interpreter; threads were not measured, "
                    "so add them to the strategies to weigh them against the pool.") if pools else ""
        text = (f"{python}: a free-threaded build with the GIL off, so threads run Python code on several cores at "
                "once, with no pool to start and no item to pickle.")
        best_threads = max(threads, key=lambda r: _estimate(a, r))
        if pools:
            best_pool = max(pools, key=lambda r: _estimate(a, r))
            at = _largest_ok(best_threads)
            pool_at = best_pool.at((at.items, at.length))
            if at.speedup is not None and pool_at is not None and pool_at.speedup is not None:
                lead = at.speedup.estimate / pool_at.speedup.estimate
                word = "ahead of" if lead >= 1 else "behind"
                text += (f" Against the process pool at {_at((at.items, at.length))}: "
                         f"{_series_words(best_threads.series)} {format_ratio(at.speedup.estimate)}, "
                         f"{_series_words(best_pool.series)} {format_ratio(pool_at.speedup.estimate)} against serial: "
                         f"threads {format_ratio(lead if lead >= 1 else 1 / lead)} {word} the pool.")
        return text
    if not threads:
        return ""
    if machine.free_threaded:
        return (f"{python}: a free-threaded build, but the GIL was on when it ran (a module the workload imported "
                "does not support running without it, or PYTHON_GIL=1 was set), so threads took turns on it as on "
                "a GIL build.")
    return (f"{python} has a GIL: its threads run Python code one at a time, so they help only code that releases "
            "it (sleep, I/O, large numpy operations, C extensions that release it). A free-threaded build (--python "
            "3.13t or 3.14t) runs CPU-bound Python threads in parallel.")


def _estimate(a: Analysis, result: SeriesResult) -> float:
    at = _largest_ok(result)
    return at.speedup.estimate if at is not None and at.speedup is not None else 0.0


# One paragraph per strategy ----------------------------------------------------------------------------------


def _largest_ok(result: SeriesResult) -> PointResult | None:
    return max(result.points, key=lambda p: (p.items * p.length, p.items), default=None)


def _pool_paragraph(a: Analysis, result: SeriesResult) -> str:
    at = _largest_ok(result)
    if at is None:
        return ""
    costs = at.costs
    name = _series_words(result.series)
    twin = result.twin or BASELINE
    against = at.twin_speedup if result.twin else at.speedup
    lead = (f"{name} ({_pool_words(result, costs)}): {_ratio(against)} against {twin} at {_at((at.items, at.length))}"
            if against is not None else f"{name} ({_pool_words(result, costs)}) at {_at((at.items, at.length))}")
    if at.params is None or at.split is None:
        reason = costs.error or "its costs were not measured"
        return f"{lead}, {format_seconds(at.measured_s)} a call; {reason}."
    split, params = at.split, at.params
    waiting = (f"waiting {format_seconds(split.waiting_s)}" if split.waiting_s >= 0 else
               f"the parts add up to {format_seconds(-split.waiting_s)} more than was measured")
    text = (f"{lead}. Its {format_seconds(at.measured_s)} there: start {format_seconds(split.start_s)}, shipping out "
            f"{format_seconds(split.ship_out_s)}, work {format_seconds(split.work_s)}, shipping back "
            f"{format_seconds(split.ship_back_s)}, {waiting}.")
    if result.kind.ships:
        text += (f" Per item at this point, shipping costs {format_seconds(params.ship_s)} both ways "
                 f"({format_bytes(costs.input_bytes or 0)} out, {format_bytes(costs.result_bytes or 0)} back) "
                 f"against {format_seconds(params.work_s)} of work.")
    else:
        text += (f" Per item at this point, a task costs {format_seconds(params.ship_s)} against "
                 f"{format_seconds(params.work_s)} of work.")
    text += " " + _pool_advice(a, result, at)
    return text.strip()


def _pool_advice(a: Analysis, result: SeriesResult, at: PointResult) -> str:
    params, costs = at.params, at.costs
    be = result.break_even.get(at.length)
    twin = result.twin or "the loop"
    sentences = []
    if result.kind.ships or params.cpu_share >= WAITING_SHARE:
        if be is not None and be.items is None:
            sentences.append(f"It cannot beat {twin} at any item count: {_why_never(be, result)}")
        elif be is not None:
            measured = next((p for p in sorted(result.points, key=lambda p: p.items)
                             if p.length == at.length and p.twin_speedup is not None
                             and p.twin_speedup.estimate > 1), None)
            beyond = be.items > max(p.items for p in result.points if p.length == at.length)
            text = f"Break-even against {twin}: ~{_items(be.items)} items (the model)"
            if measured is not None:
                text += f"; measured, it first beats {twin} at items={measured.items}"
            elif beyond:
                text += ", beyond this sweep"
            sentences.append(text)
        if be is not None and be.work_s is not None and (be.items is None or be.items > be.work_items):
            needed = f"It would pay at {be.work_items} items from ~{format_seconds(be.work_s)} of work per item"
            shipped = costs.shipped_bytes
            if result.kind.ships and shipped > 0:
                needed += (f" at this payload; longer items would not change that if their work grows with their size "
                           f"as their shipping does: the pool needs {format_seconds(be.work_s / shipped)} of work per "
                           f"byte shipped, and this kernel does {format_seconds(params.work_s / shipped)}")
            sentences.append(needed)
    growth = _start_growth(result, at)
    if growth:
        sentences.append(growth)
    if costs.pool == "cold" and at.measured_s > 0 and params.start_s / at.measured_s >= START_SHARE:
        sentences.append(f"Starting the pool is {params.start_s / at.measured_s:.0%} of its call: a warm pool "
                         f"(--pool warm) pays {format_seconds(costs.dispatch_s)} a call instead of "
                         f"{format_seconds(params.start_s)}")
    if result.kind.processes and costs.chunksize == 1 and at.items >= 4 * result.workers:
        pickling = costs.pickle_s
        if params.ship_s > 2 * pickling and params.ship_s * at.items / at.measured_s >= START_SHARE:
            sentences.append(f"Most of an item's shipping is the task itself, not its bytes "
                             f"({format_seconds(pickling)} of pickling): --chunksize auto sends fewer, larger tasks")
    return ". ".join(sentences) + ("." if sentences else "")


def _start_growth(result: SeriesResult, at: PointResult) -> str:
    """A cold pool whose start grew with the data (at least doubled, by 10 ms or more)."""
    if at.costs.pool != "cold":
        return ""
    same = sorted((p for p in result.points if p.length == at.length and p.params is not None), key=lambda p: p.items)
    if len(same) < 2:
        return ""
    first, last = same[0], same[-1]
    if last.params.start_s < max(2 * first.params.start_s, first.params.start_s + 0.01):
        return ""
    forked = " (each forked worker copies its page tables)" if at.costs.start_method == "fork" else ""
    return (f"Its start grew from {format_seconds(first.params.start_s)} at items={first.items} to "
            f"{format_seconds(last.params.start_s)} at items={last.items}: a cold pool's start grows with the data "
            f"this process holds{forked}")


def _threads_paragraph(a: Analysis, result: SeriesResult, gil: bool = True) -> str:
    at = _largest_ok(result)
    if at is None:
        return ""
    name = _series_words(result.series)
    share = at.params.cpu_share if at.params is not None else at.costs.cpu_share
    value = at.speedup.estimate if at.speedup is not None else None
    head = f"{name}: {_ratio(at.speedup)} against serial at {_at((at.items, at.length))}"
    if share is None:
        return head + "."
    if share >= WAITING_SHARE and not gil:
        most = min(result.workers, at.items, a.cpus or result.workers)
        reached = f", and reached {value / most:.0%} of it" if value is not None and most else ""
        return (f"{head}: the kernel keeps the CPU ({share:.0%} of its time), and with the GIL off the "
                f"{result.workers} threads ran it on several cores at once. {most}× is the most they can give "
                f"here{reached}.")
    if share >= WAITING_SHARE:
        return (f"{head}: the kernel keeps the CPU ({share:.0%} of its time) and Python code holds the GIL, so "
                f"threads take turns on one core; they help only while items wait (sleep, I/O).")
    most = min(result.workers, at.items)
    reached = f", and reached {value / most:.0%} of it" if value is not None else ""
    limit = ("with Workers at " f"{result.workers}" if most == result.workers else f"with {at.items} items")
    return (f"{head}: items wait ({1 - share:.0%} of their time), so {result.workers} threads overlap "
            f"{result.workers} waits. {most}× is the most they can give {limit}{reached}"
            + (": more workers would give more." if most == result.workers and at.items > result.workers else "."))


def _in_process_paragraph(a: Analysis, name: str) -> str:
    rows = [m for m in a.measurements if m.strategy == name and m.ok and m.stats is not None]
    if not rows:
        return ""
    m = max(rows, key=lambda m: (m.items * m.length, m.items))
    if name == BASELINE:
        return (f"serial (the plain loop, the baseline): {format_seconds(m.stats.median / m.items)} per item at "
                f"{_at(m.point)}.")
    serial = next((s for s in a.measurements if s.strategy == BASELINE and s.point == m.point and s.ok and s.stats),
                  None)
    per_item = format_seconds(m.stats.median / m.items)
    versus = (f" against {format_seconds(serial.stats.median / serial.items)} in the plain loop"
              if serial is not None else "")
    return (f"{name} ({KINDS[name].summary}): {_ratio(a.speedups.get((m.series, m.point)))} against serial at "
            f"{_at(m.point)}: {per_item} per item{versus}.")


def _vectorised_memory(a: Analysis) -> list[str]:
    """Why a vectorised strategy's lead shrinks as the data grows: its time per item and unit of
    length is set by memory, not by the arithmetic. Quoted only when the sweep shows it."""
    lines = []
    for name, kind in KINDS.items():
        if kind.pooled or kind.form == KINDS[BASELINE].form:
            continue
        rows = {m.point: m for m in a.measurements if m.strategy == name and m.ok and m.stats is not None}
        if len(rows) < 2:
            continue
        per_unit = {p: m.stats.median / max(1, p[0] * p[1]) for p, m in rows.items()}
        small, large = min(per_unit, key=lambda p: p[0] * p[1]), max(per_unit, key=lambda p: p[0] * p[1])
        growth = per_unit[large] / per_unit[small] if per_unit[small] > 0 else 0.0
        if growth < NUMPY_SLOWDOWN:
            continue
        first = rows[large].warmup_times_s
        cold = (f" Its first call there, on memory not touched before, took {format_seconds(first[0])} against "
                f"{format_seconds(rows[large].stats.median)} once warm." if first else "")
        lines.append(
            f"{name}'s time per item and unit of length grows {growth:.0f}× from {_at(small)} to {_at(large)}: the "
            f"arithmetic costs the same, the memory does not. Small arrays stay in the CPU's caches from call to "
            f"call; large ones are read from RAM, and every result is fresh memory.{cold} The plain loop pays per "
            f"object either way, so {name}'s lead shrinks.")
    return lines


# The model, workers, the machine ---------------------------------------------------------------------------


def _check_paragraph(a: Analysis) -> list[str]:
    lines = []
    for result in a.series.values():
        if result.check is None:
            if result.points:
                lines.append(f"{_series_words(result.series)}: {result.check_note}; the measured costs above still hold.")
            continue
        check = result.check
        worst = check.worst
        fitted = ", ".join(sorted({str(p[0]) for p in check.fitted}, key=int))
        asked = ", ".join(sorted({str(c.items) for c in check.checked}, key=int))
        lines.append(
            f"The model for {_series_words(result.series)} (start + n × shipping + the work spread over the workers, "
            f"capped at the machine's ceiling), fitted on items {fitted}, predicts items {asked} within "
            f"{check.median_error:.0%} (median; worst {abs(worst.ratio - 1):.0%} at {_at((worst.items, worst.length))}, "
            f"predicted {format_seconds(worst.predicted_s)}, measured {format_seconds(worst.measured_s)}"
            + (f"; the machine ran {_pace(worst.speed)} there than at the fitted points, which the prediction "
               f"takes in" if abs(worst.speed - 1) >= 0.05 else "") + ").")
    return lines


def _pace(speed: float) -> str:
    return f"{speed - 1:.0%} slower" if speed > 1 else f"{1 - speed:.0%} faster"


def _workers_paragraph(a: Analysis) -> list[str]:
    lines = []
    largest = a.largest
    for strategy in a.worker_sweep:
        rows = a.scaling(strategy, largest)
        if not rows:
            continue
        twin = next((r.twin for r in a.series.values() if r.strategy == strategy and r.twin), None) or "serial"
        figures = "; ".join(
            f"{r.workers} → {_ratio(r.speedup)}"
            + (f", efficiency {r.efficiency:.0%}" if r.efficiency is not None else "")
            + (f", serial fraction {r.serial_fraction:.2f}" if r.serial_fraction is not None else "")
            for r in rows)
        text = f"{strategy} against workers at {_at(largest)}, speedup over {twin}: {figures}. The ideal is the worker count"
        if a.ceiling:
            text += f"; this machine's ceiling is {a.ceiling:.2f}×"
        text += "."
        cpus = a.cpus
        if cpus:
            within = [r for r in rows if r.workers <= cpus and r.speedup is not None]
            over = [r for r in rows if r.workers > cpus and r.speedup is not None]
            if within and over:
                ref = max(within, key=lambda r: r.speedup.estimate)
                worst = min(over, key=lambda r: r.speedup.estimate)
                change = worst.speedup.estimate / ref.speedup.estimate - 1
                word = "cost" if change < 0 else "gained"
                text += (f" Oversubscription: {worst.workers} workers on {cpus} CPUs ran at "
                         f"{format_ratio(worst.speedup.estimate)} against {format_ratio(ref.speedup.estimate)} with "
                         f"{ref.workers}: it {word} {abs(change):.0%}.")
        lines.append(text)
    return lines


def _ceiling_paragraph(a: Analysis, note: str) -> list[str]:
    if not a.series or not any(r.kind.ships for r in a.series.values()):
        return []
    if a.ceiling:
        source = {"measured": "measured by this run, once for this machine",
                  "stored": "measured before on this machine"}.get(a.ceiling_note, a.ceiling_note)
        return [f"This machine's parallel ceiling: {a.ceiling:.2f}× for {a.cpus or '?'} processes of pure Python "
                f"together against one alone ({source or 'measured'}): no pool of CPU work beats it here."]
    cpus = f"the {a.cpus} CPUs" if a.cpus else "the worker count"
    said = note or a.ceiling_note or "the parallel ceiling was not measured"
    return [f"{said[0].upper() + said[1:]}; the model caps CPU work at {cpus} instead."]


def _failures(a: Analysis) -> list[str]:
    lines = []
    for result in a.series.values():
        if not result.failed:
            continue
        total = len(result.failed) + len(result.points)
        items, length, status, reason = result.failed[0]
        lines.append(f"{_series_words(result.series)} {'timed out' if status == 'timeout' else status} at "
                     f"{len(result.failed)} of {total} points ({_at((items, length))}: {reason}); the model uses the "
                     f"{len(result.points)} point{'s' if len(result.points) != 1 else ''} that succeeded.")
    return lines


def explain(measurements: list[Measurement], *, workers: int | None = None, cpus: int | None = None,
            ceiling: float | None = None, ceiling_note: str = "", machine: Machine | None = None) -> list[str]:
    """The Why view's paragraphs, in order: the verdict first. `workers` is accepted for callers
    that pass it; each row carries its own. `machine` (the run's) says which interpreter ran it:
    whether its threads could run Python code in parallel."""
    gil = not (machine is not None and machine.gil_off)
    a = analyse(measurements, ceiling=ceiling, cpus=cpus, gil=gil)
    if not a.cells:
        return []
    lines = [verdict(a)]
    shared = [m for m in measurements if m.shared]
    if shared:
        lines.append(f"{len(shared)} rows were measured while another parbench sweep ran (--ignore-lock): both "
                     f"measured each other, so every figure here is in doubt.")
    measured = {m.strategy for m in measurements if m.ok}
    for name, kind in KINDS.items():
        if name not in measured:
            continue
        if not kind.pooled:
            lines.append(_in_process_paragraph(a, name))
            continue
        for result in a.series.values():
            if result.strategy != name:
                continue
            paragraph = _pool_paragraph(a, result) if kind.ships else _threads_paragraph(a, result, gil)
            if paragraph:
                lines.append(paragraph)
    lines.append(_gil_paragraph(a, machine))
    lines.extend(_vectorised_memory(a))
    lines.extend(_check_paragraph(a))
    lines.extend(_workers_paragraph(a))
    lines.extend(_ceiling_paragraph(a, ceiling_note))
    lines.extend(_failures(a))
    ok = [m for m in measurements if m.ok and m.stats is not None]
    noisy = [m for m in ok if m.stats.noisy]
    if noisy:
        lines.append(f"{len(noisy)} of {len(ok)} measurements are noisy (repeats spread over "
                     f"{stats.NOISY_SPREAD:.0%} of their median): the machine's speed changed while measuring. Read "
                     f"them as ranges, or raise repeats.")
    return [line for line in lines if line]
