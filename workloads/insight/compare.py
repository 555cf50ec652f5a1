"""Two runs side by side: did it change? (`parbench compare`, and the app's history).

Each row is one measured variant (strategy, with its workers in a worker sweep) at one sweep point
(items, length). For a row measured in both runs: each run's time (the geometric mean of its
rounds), the ratio B/A of those times with its interval, and a mark. Two runs measured apart are
not paired round by round, and this machine's speed can differ between them for a whole run, so
the interval counts that too (`workloads.insight.between_runs`): two runs of the same code read
*the same* or *within noise*, and a row whose rounds alone would claim a change says that the runs
cannot support it. Rows measured in one run only are kept and marked as such. A ratio under 1 is B
faster.

The header of a comparison is what differs between the two runs: the spec's fields and workload
settings, the machine (CPU, cores, memory), the interpreter as it ran (version, free-threaded build
and GIL, which executable), numpy, the start method used, the allocator's state and parbench's
version. Nothing here reads a store or a file: callers hand in `Run`s.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field

from ..model import stats
from ..model.decision import ARM_SUFFIX, UNDECIDED
from ..model.machine import Machine
from ..model.measurement import BUSY_SHARE, Measurement, worker_sweep
from ..model.run import Run, fingerprint
from ..model.spec import vs_spec
from ..model.stats import FASTER, SAME, SLOWER, UNKNOWN, WITHIN_NOISE, Interval
from ..model.strategies import KINDS
from .between_runs import RowComparison, RunRow, compare_row
from .decisions import decide_run

MIN_CHANGE = 0.05  # a change under 5 % is "same", however significant
ONLY_A = "only in A"
ONLY_B = "only in B"
# Every mark a row can get, best first for a reader scanning for trouble last.
MARKS = (FASTER, SAME, WITHIN_NOISE, UNDECIDED, UNKNOWN, SLOWER, ONLY_A, ONLY_B)
INTERLEAVED = ("ratio of B's and A's geometric mean times, measured interleaved in one sweep and paired by round, "
               "with a 95% interval that holds however the rounds stopped")
TEST = ("ratio of the two runs' geometric mean times (B over A; each round's time at the machine's typical pace "
        "when both runs recorded it, serial's and numpy's without their wait for a CPU), with a 95% interval that "
        "counts how much this machine's speed varies between runs, not only within one, and for a pool how much "
        "other programs' use of the CPUs differed")

# What the machine dict records, as a reader names it; in this order in a header.
MACHINE_FIELDS = (
    ("hostname", "host"), ("cpu_model", "CPU"), ("cpu_count", "CPUs"), ("usable_cpus", "usable CPUs"),
    ("memory_bytes", "memory"), ("os", "OS"), ("numpy", "numpy"), ("start_method", "start method"),
    ("allocator", "allocator"), ("parbench", "parbench"),
)
# Spec fields whose difference another line already says: the workload has a warning of its own,
# the start method used is the machine's (the spec's may be blank: the platform's default), and the
# interpreter is said as it ran (`_interpreter`), not as it was asked for.
_SPEC_SHOWN_ELSEWHERE = {"workload", "settings", "start_method", "python"}
NOT_RECORDED = "not recorded"
# Differences that only change how a pool runs: a strategy without workers (serial, numpy) runs the
# same code either way, so its rows are a control of the machine between the two runs.
POOL_ONLY = {("spec", "pool"), ("spec", "workers"), ("spec", "chunksize"), ("spec", "start-method"),
             ("spec", "dask-scheduler"), ("machine", "start method")}


@dataclass(frozen=True)
class Difference:
    group: str  # "spec", "setting", "machine" or "run"
    name: str
    a: str
    b: str


@dataclass(frozen=True)
class Row:
    strategy: str
    items: int
    length: int
    workers_a: int | None
    workers_b: int | None
    a: Measurement | None
    b: Measurement | None
    ratio: Interval | None  # time B / time A; None unless both measured it
    mark: str
    found: RowComparison | None = None  # how the ratio was reached (between_runs), when both measured it

    @property
    def time_a(self) -> float | None:
        """A's time as the ratio is of it: the geometric mean of its rounds (each at the machine's
        typical pace, when the runs recorded it)."""
        return self.found.a_s if self.found is not None else self.median_a

    @property
    def time_b(self) -> float | None:
        return self.found.b_s if self.found is not None else self.median_b

    @property
    def note(self) -> str:
        return self.found.note if self.found is not None else ""

    @property
    def median_a(self) -> float | None:
        return self.a.stats.median if self.a is not None and self.a.ok and self.a.stats else None

    @property
    def median_b(self) -> float | None:
        return self.b.stats.median if self.b is not None and self.b.ok and self.b.stats else None

    @property
    def workers(self) -> str:
        """`2`, or `2 → 8` when the runs used different pools; blank for strategies without workers."""
        if self.workers_a == self.workers_b or self.a is None or self.b is None:
            workers = self.workers_a if self.a is not None else self.workers_b
            return "" if workers is None else str(workers)
        return f"{'' if self.workers_a is None else self.workers_a} → {'' if self.workers_b is None else self.workers_b}"

    @property
    def has_interval(self) -> bool:
        return self.ratio is not None and self.ratio.n >= 2 and not math.isnan(self.ratio.low)

    @property
    def name(self) -> str:
        """The row as a sentence names it: `processes@2 at items 16, length 10000`."""
        workers = f"@{self.workers.replace(' ', '')}" if self.workers else ""
        return f"{self.strategy}{workers} at items {self.items}, length {self.length}"


@dataclass(frozen=True)
class Comparison:
    a: Run
    b: Run
    label_a: str  # how the tables name each run: "run 3", "server.json"
    label_b: str
    rows: tuple[Row, ...]
    differences: tuple[Difference, ...]
    warnings: tuple[str, ...]
    min_change: float
    same_run: bool  # the two are one run (one id, or one run and its export)
    confidence: float = stats.CONFIDENCE
    by_workers: bool = False  # rows matched with their worker counts (a worker sweep on either side)
    counts: dict = field(default_factory=dict)  # mark -> rows
    test: str = TEST  # how the ratio and its interval were worked out

    @property
    def common(self) -> list[Row]:
        return [row for row in self.rows if row.a is not None and row.b is not None]

    def slower_than(self, share: float) -> list[Row]:
        """Rows significantly slower in B by more than `share` (0.10 for 10 %): `classify` with that
        minimum effect, so one rule decides both the marks and a CI's failure."""
        return [row for row in self.common if row.has_interval and row.ratio.low > 1.0 + share]

    def failed_in_b(self) -> list[Row]:
        """Rows A measured that B could not (failed, timed out): no ratio, but a reader must see them."""
        return [row for row in self.common if row.a.ok and not row.b.ok]


def _variant_key(m: Measurement, by_workers: bool) -> tuple:
    return (m.items, m.length, m.strategy, m.workers if by_workers else None)


def _mark(a: Measurement | None, b: Measurement | None, found: RowComparison | None) -> str:
    if b is None:
        return ONLY_A
    if a is None:
        return ONLY_B
    if not a.ok or not b.ok:
        which = [f"{m.status} in {side}" for side, m in (("A", a), ("B", b)) if not m.ok]
        return ", ".join(which)
    return found.mark if found is not None else UNKNOWN


def _by_workers(a: Run, b: Run) -> bool:
    """Rows match with their worker counts when either run swept them; otherwise a pooled strategy
    matches whatever its pool size (2 workers against 8 is then what differs)."""
    return worker_sweep(a.measurements) or worker_sweep(b.measurements)


def have_common_rows(a: Run, b: Run) -> bool:
    """Whether the two runs measured any variant at the same point (cheap: no interval worked out)."""
    by_workers = _by_workers(a, b)
    return bool({_variant_key(m, by_workers) for m in a.measurements}
                & {_variant_key(m, by_workers) for m in b.measurements})


def point_waits(measurements) -> dict[tuple, float]:
    """The share of their time the serial and numpy calls at each point (and arm) waited for a CPU:
    they wait on nothing but other programs, and every row of the point ran in the same rounds."""
    waited: dict[tuple, list[float]] = {}
    for m in measurements:
        if m.ok and m.in_process and m.wait_share is not None:
            sums = waited.setdefault((m.items, m.length, m.arm), [0.0, 0.0])
            sums[0] += sum(m.wait_s)
            sums[1] += sum(m.times_s)
    return {key: min(1.0, wait / time) for key, (wait, time) in waited.items() if time > 0}


def run_row(m: Measurement, waits: dict[tuple, float] | None = None) -> RunRow:
    point = (waits or {}).get((m.items, m.length, m.arm))
    return RunRow(m.times_s, m.pace_s, m.cpu_share, m.wait_s, single=m.in_process, point_wait=point)


def compare_rows(a: Run, b: Run, *, min_change: float = MIN_CHANGE, by_workers: bool | None = None) -> list[Row]:
    """Every variant at every point of either run, in sweep order, A's variants first."""
    if by_workers is None:
        by_workers = _by_workers(a, b)
    in_a = {_variant_key(m, by_workers): m for m in a.measurements}
    in_b = {_variant_key(m, by_workers): m for m in b.measurements}
    waits_a, waits_b = point_waits(a.measurements), point_waits(b.measurements)
    order = list(dict.fromkeys([*in_a, *in_b]))
    # Points in size order; within a point, the variants in the order the runs measured them.
    position = {key: index for index, key in enumerate(order)}
    order.sort(key=lambda key: (key[0], key[1], position[key]))
    rows = []
    for key in order:
        ma, mb = in_a.get(key), in_b.get(key)
        found = None
        if ma is not None and mb is not None and ma.ok and mb.ok:
            found = compare_row(run_row(ma, waits_a), run_row(mb, waits_b), margin=min_change)
        items, length, strategy, _ = key
        rows.append(Row(strategy, items, length, ma.workers if ma else None, mb.workers if mb else None,
                        ma, mb, found.ratio if found else None, _mark(ma, mb, found), found))
    return rows


def show_value(value) -> str:
    """A spec or machine value as a header shows it."""
    if value is None:
        return "default"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(show_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def show_memory(value) -> str:
    if not isinstance(value, (int, float)) or value <= 0:
        return NOT_RECORDED
    return f"{value / 2**30:.1f} GiB"


def _same_value(name: str, a, b) -> bool:
    """Strategies are a set: listed in another order they are no difference."""
    if name == "strategies" and isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return set(a) == set(b)
    return a == b


def differences(a: Run, b: Run) -> list[Difference]:
    """What differs between two runs, beyond the numbers: spec, workload settings, machine, status."""
    found: list[Difference] = []
    spec_a, spec_b = a.spec.to_dict(), b.spec.to_dict()
    for name in dict.fromkeys([*spec_a, *spec_b]):  # a blank --input is left out of one of them
        if name in _SPEC_SHOWN_ELSEWHERE or _same_value(name, spec_a.get(name), spec_b.get(name)):
            continue
        found.append(Difference("spec", name.replace("_", "-"), show_value(spec_a.get(name)),
                                show_value(spec_b.get(name))))
    settings_a, settings_b = a.spec.settings, b.spec.settings
    for name in dict.fromkeys([*settings_a, *settings_b]):
        if settings_a.get(name) != settings_b.get(name):
            found.append(Difference("setting", name.replace("_", "-"),
                                    show_value(settings_a[name]) if name in settings_a else "not set",
                                    show_value(settings_b[name]) if name in settings_b else "not set"))
    found.extend(_interpreter(a.machine, b.machine))
    for key, name in MACHINE_FIELDS:
        va, vb = getattr(a.machine, key), getattr(b.machine, key)
        if va == vb:
            continue
        shown = show_memory if key == "memory_bytes" else (lambda v: NOT_RECORDED if v is None else show_value(v))
        found.append(Difference("machine", name, shown(va), shown(vb)))
    recorded = a.machine.start_method is not None and b.machine.start_method is not None
    if a.spec.start_method != b.spec.start_method and not recorded:
        found.append(Difference("spec", "start-method", show_value(a.spec.start_method),
                                show_value(b.spec.start_method)))
    if a.status != b.status:
        found.append(Difference("run", "status", a.status, b.status))
    if a.imported != b.imported:
        found.append(Difference("run", "imported", show_value(a.imported), show_value(b.imported)))
    return found


def _interpreter(a: Machine, b: Machine) -> list[Difference]:
    """The interpreters as they ran: `Python 3.11.7 → 3.13.0` (with the build and the GIL where
    either could have run without it), and their paths when the version is the same but the
    interpreter is not (a project's venv against parbench's own: other packages)."""
    text_a, text_b = a.python_text, b.python_text
    if a.python is None and b.python is None:
        return []
    if text_a != text_b:
        return [Difference("machine", "Python", text_a if a.python else NOT_RECORDED,
                           text_b if b.python else NOT_RECORDED)]
    if a.executable and b.executable and a.executable != b.executable:
        return [Difference("machine", "interpreter", a.executable, b.executable)]
    return []


def control_warning(rows: list[Row], found: list[Difference], label_a: str, label_b: str) -> str | None:
    """When only pool settings differ, strategies without a pool should not change: if they did
    (significantly), something besides the settings differed between the runs. Which, the numbers
    cannot say: the machine's speed (a shared VM), or the pool's side effects on the measuring
    process where serial runs between pool calls (a forked pool's copy-on-write pages, say)."""
    if not found or any((d.group, d.name) not in POOL_ONLY for d in found):
        return None
    controls = [row for row in rows if row.a is not None and row.b is not None and row.strategy in KINDS
                and not KINDS[row.strategy].pooled and row.mark in (FASTER, SLOWER)]
    if not controls:
        return None
    ratios = sorted(row.ratio.estimate for row in controls)
    names = ", ".join(dict.fromkeys(row.strategy for row in controls))
    spread = f"{ratios[0]:.2f}×" if len(ratios) == 1 else f"{ratios[0]:.2f}× to {ratios[-1]:.2f}×"
    return (f"{names} changed ({spread} at {len(controls)} point(s)) though it uses no pool and only pool "
            "settings differ: the machine's speed, or the pool's side effects on the process it runs in, "
            "differed too, and the other ratios may carry that")


def run_wait(run: Run) -> float | None:
    """The share of their time a run's serial and numpy calls waited for a CPU (other programs held
    them); None when it recorded none (an older parbench, not Linux, or only pools)."""
    rows = [m for m in run.measurements if m.ok and m.in_process and m.wait_share is not None]
    total = sum(sum(m.times_s) for m in rows)
    return min(1.0, sum(sum(m.wait_s) for m in rows) / total) if rows and total > 0 else None


def contention_warnings(a: Run, b: Run, label_a: str, label_b: str) -> list[str]:
    """What other programs on the machine did to either run, and what the comparison did about it:
    the serial and numpy times are taken without their waits for a CPU, a pool's interval is widened
    (`between_runs`); a run that recorded no waits beside one that did is said to be unknown, since
    its serial and numpy times keep whatever waits they had."""
    # By position, not by label: two runs from two stores can both be "run 1".
    sides = [(label_a, a, run_wait(a)), (label_b, b, run_wait(b))]
    found = []
    for index, (label, _, share) in enumerate(sides):
        other, _, other_share = sides[1 - index]
        if share is None or share <= BUSY_SHARE:
            continue
        said = f"{other}: {other_share:.0%}" if other_share is not None else f"{other}: not recorded"
        found.append(f"{label} was measured while other programs used the CPUs: its serial and numpy calls waited "
                     f"for a CPU {share:.0%} of their time ({said}). Their times here are without that wait; "
                     "a pool's time cannot be corrected so, and its interval is widened by what the difference "
                     "could explain")
    unknown = [(label, run) for label, run, share in sides if share is None]
    if len(unknown) == 1 and any(m.ok and m.in_process for m in unknown[0][1].measurements):
        found.append(f"{unknown[0][0]} recorded no waits for a CPU (an older parbench, or not Linux): if other "
                     "programs used the CPUs while it ran, its times include that, which nothing here can take out")
    return found


def _same_run(a: Run, b: Run) -> bool:
    """One run twice: by content, since ids are per store (run 1 here is not run 1 of an export)."""
    return a is b or fingerprint(a) == fingerprint(b)


def compare(a: Run, b: Run, *, label_a: str | None = None, label_b: str | None = None,
            min_change: float = MIN_CHANGE) -> Comparison:
    """Compare run B against run A (B/A < 1: B is faster)."""
    label_a = label_a or f"run {a.id}"
    label_b = label_b or f"run {b.id}"
    by_workers = _by_workers(a, b)
    rows = compare_rows(a, b, min_change=min_change, by_workers=by_workers)
    warnings = []
    same = _same_run(a, b)
    if same:
        warnings.append(f"{label_a} and {label_b} are the same run: every difference is zero by construction")
    if a.spec.workload != b.spec.workload:
        warnings.append(f"different workloads ({a.spec.workload_name()} in A, {b.spec.workload_name()} in B): "
                        "rows are matched by strategy and size only, so a ratio compares two different kernels")
    noisy = [label for label, run in ((label_a, a), (label_b, b))
             if any(m.shared for m in run.measurements)]
    if noisy:
        warnings.append(f"{' and '.join(noisy)} measured alongside another parbench sweep (--ignore-lock): "
                        "both sweeps slowed each other")
    warnings.extend(contention_warnings(a, b, label_a, label_b))
    found = differences(a, b)
    control = control_warning(rows, found, label_a, label_b)
    if control:
        warnings.append(control)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.mark] = counts.get(row.mark, 0) + 1
    return Comparison(a, b, label_a, label_b, tuple(rows), tuple(found), tuple(warnings), min_change,
                      same, by_workers=by_workers, counts=counts)


def compare_arms(run: Run, *, label_b: str | None = None) -> Comparison | None:
    """A run of --vs OPTION=VALUE as a comparison: B's rows against A's, measured interleaved and
    paired by round, each decided as the run's own comparisons are (`workloads.insight.decisions`);
    None for a run without B."""
    b_rows = [m for m in run.measurements if m.arm]
    if not b_rows:
        return None
    a_rows = [m for m in run.measurements if not m.arm]
    decided = decide_run(run.measurements, margin=run.spec.margin)
    in_a = {(m.series, m.point): m for m in a_rows}
    rows = []
    for mb in b_rows:
        series = mb.series[:-len(ARM_SUFFIX)]
        ma = in_a.get((series, mb.point))
        found = None
        mark = ONLY_B if ma is None else _mark(ma, mb, None)
        comparison = decided.versus.get((series, mb.point))
        if ma is not None and ma.ok and mb.ok:
            pairs = list(zip(ma.times_s, mb.times_s))
            a_s = math.exp(statistics.fmean(math.log(a) for a, _ in pairs))
            b_s = math.exp(statistics.fmean(math.log(b) for _, b in pairs))
            speed = comparison.interval if comparison is not None else None
            ratio = (Interval(1.0 / speed.estimate, 1.0 / speed.high, 1.0 / speed.low, speed.confidence, speed.n,
                              speed.sd, speed.df) if speed is not None and speed.has_bounds
                     else Interval(b_s / a_s, math.nan, math.nan, stats.CONFIDENCE, len(pairs)))
            mark = comparison.verdict if comparison is not None else UNDECIDED
            found = RowComparison(ratio, None, mark, a_s, b_s, False)
        rows.append(Row(mb.strategy, mb.items, mb.length, ma.workers if ma else None, mb.workers, ma, mb,
                        found.ratio if found else None, mark, found))
    a = Run(run.id, dataclasses.replace(run.spec, vs=None), run.status, run.started_at, run.finished_at, run.error,
            run.machine, a_rows, run.imported)
    b = Run(run.id, vs_spec(run.spec), run.status, run.started_at, run.finished_at, run.error, run.machine, b_rows,
            run.imported)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.mark] = counts.get(row.mark, 0) + 1
    found = differences(a, b)
    # What each arm is, as its header says it: `A: pool=cold (…)`, `B: pool=warm (…)`, not `A: A (…)`.
    options = [d for d in found if d.group in ("spec", "setting")]
    label_a = ", ".join(f"{d.name}={d.a}" for d in options) or "A"
    label = label_b or ", ".join(f"{d.name}={d.b}" for d in options) or f"B ({run.spec.vs})"
    return Comparison(a, b, label_a, label, tuple(rows), tuple(found), (), run.spec.margin, False,
                      by_workers=True, counts=counts, test=INTERLEAVED)


def summary(comparison: Comparison) -> str:
    """`3 faster, 1 slower, 4 within noise, 2 only in A`: the marks counted, in a fixed order."""
    counts = comparison.counts
    ordered = [mark for mark in MARKS if mark in counts] + sorted(mark for mark in counts if mark not in MARKS)
    return ", ".join(f"{counts[mark]} {mark}" for mark in ordered) or "no rows"
