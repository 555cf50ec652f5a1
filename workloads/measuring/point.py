"""One point of a sweep (items × length): its inputs, the strategies measured there, and the steps
every visit takes, as pyperf splits a worker — calibrate (the first, checked call, which also says
how many calls a timed repeat holds), warm up, then values (timed rounds, every strategy once a
round, so a change of the machine's speed hits them all alike).

A point is visited once in the sweep's first pass, and again whenever the planner gives it another
round (`workloads.measuring.sweep`). Its inputs are kept between visits while they fit the memory
the sweep may hold, and rebuilt from the seed otherwise: the same values either way.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from dataclasses import dataclass, replace
from typing import Callable

from ..model.costs import PoolCosts
from ..model.events import CallStarted, MeasurementDone
from ..model.measurement import (
    ARM_MARK,
    FAILED,
    NOT_APPLICABLE,
    OK,
    TIMED_OUT,
    Measurement,
)
from ..model.spec import SweepSpec
from ..model.strategies import StrategyKind
from . import costs as pool_costs
from .check import OutputCheck, describe_error
from .loader import LoadedWorkload
from .runners import Runner
from .timing import (
    Deadline,
    PointTimeout,
    loops_for,
    time_calls,
    time_kept_call,
    time_release,
)

# A warm-up is judged to have changed nothing when it took at most this much longer than the
# median of the timed calls that followed it.
WARMUP_CHANGED_NOTHING = 1.10
# Calls shorter than this always get their warm-up: it costs next to nothing.
CHEAP_WARMUP_S = 0.1


class Cancelled(Exception):
    pass


@dataclass
class Variant:
    """One strategy with one worker count: a line on the charts, a row at every point."""

    name: str
    kind: StrategyKind
    workers: int | None
    runner: Runner | None  # None where the workload has no form for it (numpy on sleep)
    # Learnt over the sweep: whether its last warm-up changed anything, and its last call's time.
    warmup_needed: bool = True
    last_call_s: float = math.nan
    cpu_share: float | None = None  # its kernel's, from the item measured before the sweep

    arm: str = ""  # "B" for the strategies of --vs OPTION=VALUE

    @property
    def key(self) -> str:
        """As `Measurement.series` names its row's line: `processes@2`, `serial|B`."""
        name = f"{self.name}@{self.workers}" if self.workers is not None else self.name
        return name + (ARM_MARK + self.arm if self.arm else "")


class Series:
    """One variant's calls at one point."""

    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self.runner = variant.runner
        # C doubles, not float objects: a float allocated right after a timed call lands in memory
        # its output just freed and keeps that arena mapped, so the next call takes fewer page
        # faults than the one before it, and a point's later rounds read faster than its first.
        self.times = array("d")
        self.warmup_times = array("d")
        # Seconds per call each timed value's work waited for a CPU (`Runner.waited`); dropped for
        # good (`waits_read` False) once a value could not be read.
        self.waits = array("d")
        self.waits_read = True
        self.last_wait: float | None = None  # its last call's, per call
        self.loops = 1
        self.calibrated = False  # the first call, checked, has run
        self.settled = False  # the loop count was taken again from a warm call
        self.error = ""
        self.check_how = ""
        self.chunksize: int | None = None  # the runner's at this point (it serves every point)

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def key(self) -> str:
        return self.variant.key

    @property
    def live(self) -> bool:
        return not self.error

    def median(self) -> float | None:
        return sorted(self.times)[len(self.times) // 2] if self.times else None


@dataclass(frozen=True)
class Arm:
    """What one side of the sweep measures: the run's own (""), or B of --vs OPTION=VALUE."""

    spec: SweepSpec
    workload: LoadedWorkload


class Context:
    """What every point of a sweep shares: the spec, the workload (each arm's), the events and the
    cancel."""

    def __init__(self, spec: SweepSpec, workload: LoadedWorkload, emit: Callable, should_stop: Callable[[], bool],
                 shared: bool, progress, arms: dict[str, Arm] | None = None) -> None:
        self.spec = spec
        self.workload = workload
        self.arms = arms or {"": Arm(spec, workload)}
        self.emit = emit
        self.should_stop = should_stop
        self.shared = shared
        self.progress = progress


class Point:
    def __init__(self, context: Context, index: int, items: int, length: int, variants: list[Variant]) -> None:
        self.context = context
        self.spec = context.spec
        self.index = index
        self.items = items
        self.length = length
        self.series = [Series(v) for v in variants if v.runner is not None]
        self.not_applicable = [v for v in variants if v.runner is None]
        self.inputs: dict[str, dict] | None = None  # each arm's input dict of each form
        self.checks: dict[str, OutputCheck] = {}  # each arm's output check, while its first calls run
        self.deadline = Deadline(self.spec.point_timeout)
        self.timed_out = ""
        self.pace = array("d")  # the machine's pace gauge after each timed round
        self.rounds = 0
        self.round_s = 0.0  # how long its last round took, calls and all
        self.stop = ""  # why it took no more rounds ("" while it may take more)
        self.costs: dict[str, PoolCosts] = {}
        # Each strategy's widest interval at its last look, as a share (`Measurement.precision`):
        # what --precision asked of it, and what a row that stopped at the most rounds reached.
        self.reached: dict[str, float] = {}

    # Inputs ----------------------------------------------------------------------------------------

    def forms(self, arm: str) -> set[str]:
        return {s.variant.kind.form for s in self.series if s.variant.arm == arm}

    def build_inputs(self) -> str:
        """Build the point's inputs if they are not held (an arm measuring the same workload as the
        run's shares its dict); '' or why they could not be built."""
        if self.inputs is not None:
            return ""
        inputs: dict[str, dict] = {}
        try:
            for name, arm in self.context.arms.items():
                shared = next((other for other, built in self.context.arms.items() if other in inputs
                               and built.workload is arm.workload), None)
                if shared is not None:
                    inputs[name] = inputs[shared]
                    missing = self.forms(name) - set(inputs[name])
                    if missing:
                        inputs[name].update(arm.workload.make_inputs(self.items, self.length, self.spec.seed, missing))
                    continue
                inputs[name] = arm.workload.make_inputs(self.items, self.length, self.spec.seed,
                                                        self.forms(name) | (self.forms("") if not name else set()))
        except (Exception, SystemExit) as exc:  # the workload's make_input failed here: this point fails
            reason = describe_error(exc)
            for series in self.series:
                series.error = series.error or reason
            return reason
        self.inputs = inputs
        return ""

    def release_inputs(self) -> None:
        self._release_checks()
        self.inputs = None

    def _release_checks(self) -> None:
        for check in self.checks.values():
            check.release()
        self.checks = {}

    @property
    def live(self) -> list[Series]:
        return [s for s in self.series if s.live]

    @property
    def closed(self) -> bool:
        return bool(self.stop) or bool(self.timed_out) or not self.live

    # One visit -------------------------------------------------------------------------------------

    def visit(self, rounds: int) -> None:
        """Measure `rounds` more timed rounds here (the first visit calibrates and checks first).
        Raises `Cancelled`."""
        self.deadline.resume()
        try:
            if self.build_inputs():
                return
            for series in self.live:
                try:
                    series.runner.prepare(self.items)
                    series.chunksize = series.runner.chunksize
                except Exception as exc:  # a pool that cannot even start is that strategy's failure
                    series.error = describe_error(exc)
                    series.runner.reset()
            first = self.rounds == 0 and not any(s.calibrated for s in self.series)
            warm = {s.key: self._wants_warmup(s) for s in self.live}
            # Rounds pair up only if every strategy's values start together: the first call counts
            # as a warm-up for all of them as soon as one of them wants one.
            any_warm = any(warm.values())
            if first:
                self.checks = {name: OutputCheck(arm.workload, self.inputs[name], self.items, self.length,
                                                 self.spec.seed) for name, arm in self.context.arms.items()}
                self._calibrate(as_warmup=any_warm, warm=warm)
            done = 1 if first and any_warm else 0  # the first call was warm-up 1
            for repeat in range(done, self.spec.warmup):
                for series in list(self.live):
                    if warm.get(series.key):
                        self._call(series, kept=False, warmup=True, timings=series.warmup_times,
                                   number=(repeat + 1, self.spec.warmup))
            for _ in range(rounds - (1 if first and not any_warm else 0)):
                if self.timed_out or not self.live:
                    break
                self._round()
            self._release_checks()
            self._learn_warmups()
        finally:
            self.deadline.pause()

    def _order(self) -> list[Series]:
        """This round's order: shuffled (seeded), so that no strategy always follows the same one,
        whose cache churn or freed memory it would otherwise inherit every round."""
        order = list(self.live)
        random.Random(f"{self.spec.seed}:{self.index}:{self.rounds}").shuffle(order)
        return order

    def _calibrate(self, *, as_warmup: bool, warm: dict) -> None:
        """Every strategy's first call at this point: its output checked (serial's first, as the
        reference), its time telling how many calls a repeat holds; a warm-up, or the first timed
        round when no strategy wants one."""
        ordered = sorted(self.live, key=lambda s: not s.variant.kind.baseline)  # the reference first
        for series in ordered:
            # A strategy that wants no warm-up of its own still gets this one, and only this one.
            warmups = (1, self.spec.warmup if warm.get(series.key) else 1) if as_warmup else None
            elapsed = self._call(series, kept=True, warmup=as_warmup,
                                 timings=series.warmup_times if as_warmup else series.times, number=warmups)
            if elapsed is None:
                continue
            series.calibrated = True
            series.loops = loops_for(self._alone(series, elapsed), self.spec.min_time)
        if not as_warmup:
            self._after_round()

    def _wants_warmup(self, series: Series) -> bool:
        """A warm-up, unless none is asked for, a block of short calls starts with an untimed call
        anyway, the call is long (`skip_warmup_over`), or this strategy's warm-up changed nothing at
        its last point and a call is too long to warm up for nothing."""
        spec = self.spec
        if spec.warmup == 0 or (series.calibrated and series.loops > 1):
            return False
        expected = series.variant.last_call_s
        if not math.isnan(expected):
            if spec.skip_warmup_over is not None and expected > spec.skip_warmup_over:
                return False
            if not series.variant.warmup_needed and expected >= CHEAP_WARMUP_S:
                return False
        return True

    def _round(self) -> None:
        started = time.perf_counter()
        for series in self._order():
            if not series.live or self.timed_out:
                continue
            if series.loops > 1:
                # One untimed call first: the block is timed in steady state, not right after another
                # strategy has churned the caches. The first such call also calibrates the block
                # better than the first call did, which paid for fresh memory (7 ms where the steady
                # call takes 0.9 ms, numpy 16 × 100000).
                settle = self._call(series, kept=False, warmup=True, timings=None, number=(0, 0))
                if settle is None:
                    continue
                if not series.settled:
                    series.settled = True
                    series.loops = max(series.loops, loops_for(self._alone(series, settle), self.spec.min_time))
            self._call(series, kept=False, warmup=False, timings=series.times)
        self.round_s = time.perf_counter() - started
        self._after_round()

    def _after_round(self) -> None:
        self.rounds = max((len(s.times) for s in self.live), default=self.rounds)
        self.pace.append(pool_costs.pace())

    def _call(self, series: Series, *, kept: bool, warmup: bool, timings: array | None,
              number: tuple[int, int] | None = None) -> float | None:
        """One timed call of `series` (a block of `loops` calls for a timed value); its seconds per
        call, or None when it failed, timed out or the point's time ran out. `number` is a warm-up's
        (which, of how many); a timed call is numbered by its round, of the most the point may get."""
        context = self.context
        if context.should_stop():
            raise Cancelled
        if self.timed_out or not series.live:
            return None
        if self.deadline.expired():
            self.timed_out = f"point stopped after {self.spec.point_timeout:g} s, before {series.name}'s next call"
            return None
        repeat, repeats = number if number is not None else (len(timings) + 1, self.spec.max_rounds)
        context.progress.call(context.emit, CallStarted(
            series.name, self.items, self.length, repeat=repeat, repeats=repeats, warmup=warmup, calls_done=0,
            workers=series.variant.workers, exact=not self.spec.adaptive))
        data = self.inputs[series.variant.arm][series.variant.kind.form]
        loops = 1 if kept or warmup else series.loops
        try:
            mark = series.runner.wait_mark()  # outside the timed region's clock reads
            if kept:
                elapsed, outputs = time_kept_call(series.runner, data, self.deadline)
            else:
                elapsed, outputs = time_calls(series.runner, data, self.deadline, loops), []
            waited = series.runner.waited(mark)
        except PointTimeout:
            self.timed_out = f"point stopped after {self.spec.point_timeout:g} s, in a {series.name} call"
            series.runner.reset()
            return None
        except (Exception, SystemExit) as exc:
            series.error = describe_error(exc)
            series.runner.reset()
            return None
        if timings is not None:
            timings.append(elapsed)
        waited = waited / loops if waited is not None else None  # per call, as `elapsed` is
        if outputs:
            mismatch, how = self.checks[series.variant.arm].check(series.name, outputs[0], timings)
            if mismatch:
                series.error = mismatch
            else:
                series.check_how = how
            # Dropping the checked output is part of its call (the reference's drop is added when
            # the check is done with it).
            mark = series.runner.wait_mark()
            released = time_release(outputs)
            elapsed += released
            if timings is not None:
                timings[-1] += released
            more = series.runner.waited(mark)  # the measuring thread's; a pool's workers, idle, add ~0
            waited = waited + (more or 0.0) if waited is not None else None
        if timings is series.times:
            if waited is None:
                series.waits_read = False
            series.waits.append(waited if waited is not None else 0.0)
        series.variant.last_call_s = elapsed
        series.last_wait = waited
        return elapsed

    def _alone(self, series: Series, elapsed: float) -> float:
        """A call's time without its wait for a CPU, for a call that runs on this thread (serial,
        numpy): what a block's length is taken from, so that other programs taking the CPU during
        a point's first call do not change how its calls are timed."""
        wait = series.last_wait
        if series.variant.kind.pooled or wait is None or not 0 <= wait < elapsed:
            return elapsed
        return elapsed - wait

    def _learn_warmups(self) -> None:
        """Remember, per strategy, whether this point's warm-up changed anything."""
        for series in self.live:
            median = series.median()
            if series.warmup_times and median:
                series.variant.warmup_needed = series.warmup_times[-1] > median * WARMUP_CHANGED_NOTHING

    # What it measured ---------------------------------------------------------------------------------

    def times(self) -> dict[str, list[float]]:
        """Each live strategy's timed values, by its key: what the decisions are taken on."""
        return {s.key: list(s.times) for s in self.live if s.times}

    def measurement(self, series: Series, *, final: bool) -> Measurement:
        kind = series.variant.kind
        if series.error:
            status, error = FAILED, series.error
        elif self.timed_out:
            status, error = TIMED_OUT, f"{self.timed_out}; {len(series.times)} timed repeats done"
        else:
            status, error = OK, ""
        costs = self.costs.get(series.key) if status == OK else None
        return Measurement(
            workload=self.context.arms[series.variant.arm].spec.workload_name(), strategy=series.name,
            items=self.items, length=self.length,
            workers=series.variant.workers if kind.pooled else None,
            # ThreadPoolExecutor.map ignores chunksize: recording one would suggest it mattered.
            chunksize=series.chunksize if kind.processes else None,
            pool=self.context.arms[series.variant.arm].spec.pool if kind.pooled else None,
            warmup=len(series.warmup_times), times_s=tuple(series.times), warmup_times_s=tuple(series.warmup_times),
            status=status, error=error, point_index=self.index, loops=series.loops,
            stop=(self.stop if final else "") if status == OK else "", check=series.check_how if status == OK else "",
            shared=self.context.shared, costs=costs, pace_s=tuple(self.pace), cpu_share=series.variant.cpu_share,
            arm=series.variant.arm, precision=self.reached.get(series.key) if final and status == OK else None,
            wait_s=tuple(series.waits) if series.waits_read and len(series.waits) == len(series.times) else ())

    def not_applicable_measurement(self, variant: Variant) -> Measurement:
        return Measurement(
            workload=self.context.arms[variant.arm].spec.workload_name(), strategy=variant.name, items=self.items,
            length=self.length, arm=variant.arm,
            workers=variant.workers if variant.kind.pooled else None, chunksize=None,
            pool=self.spec.pool if variant.kind.pooled else None, warmup=0, status=NOT_APPLICABLE,
            error=f"{self.context.arms[variant.arm].workload.ref.name} has no numpy form (no kernel_numpy)",
            point_index=self.index)

    def emit(self, *, final: bool) -> None:
        context = self.context
        for series in self.series:
            context.progress.done_event(context.emit, lambda done, total, s=series: MeasurementDone(
                self.measurement(s, final=final), done, total))
        for variant in self.not_applicable:
            context.progress.done_event(context.emit, lambda done, total, v=variant: MeasurementDone(
                self.not_applicable_measurement(v), done, total))

    # The pools' costs, taken apart ------------------------------------------------------------------

    def measure_costs(self, *, ceiling: float | None, ceiling_note: str, cpus: int) -> None:
        """Each pooled strategy's costs taken apart (`workloads.measuring.costs`), outside every
        timed call; within the point's time limit. Raises `Cancelled`."""
        self.deadline.resume()
        try:
            self._measure_costs(ceiling, ceiling_note, cpus)
        finally:
            self.deadline.pause()

    def _measure_costs(self, ceiling: float | None, ceiling_note: str, cpus: int) -> None:
        pooled = [s for s in self.live if s.variant.kind.pooled and s.times]
        if not pooled or self.timed_out:
            return
        if self.deadline.expired():
            for series in pooled:
                self.costs[series.key] = PoolCosts(error="not measured: the point's time limit was spent")
            return
        if self.build_inputs():
            return
        samples: dict[tuple[str, str], pool_costs.Sample | None] = {}
        for series in pooled:
            kind, arm = series.variant.kind, series.variant.arm
            if self.context.should_stop():
                raise Cancelled
            if (arm, kind.form) not in samples:
                twin = next((s for s in self.live if not s.variant.kind.pooled and s.variant.kind.form == kind.form
                             and s.variant.arm == arm and s.times), None)
                try:
                    samples[arm, kind.form] = pool_costs.sample(
                        self.inputs[arm][kind.form], self.context.arms[arm].workload.kernel_of(kind.form),
                        items=self.items, twin_s=twin.median() if twin is not None else None,
                        twin=twin.name if twin else "")
                except Exception as exc:  # the kernel failed on a sample here: no costs for this form
                    samples[arm, kind.form] = None
                    self.costs[series.key] = PoolCosts(error=f"sampling the kernel failed: {describe_error(exc)}")
            sampled = samples[arm, kind.form]
            if sampled is None:
                self.costs.setdefault(series.key, PoolCosts(error="sampling the kernel failed"))
                continue
            measured = pool_costs.measure_pool(series.runner, sampled, items=self.items, ceiling=ceiling, cpus=cpus,
                                               ceiling_note=ceiling_note)
            median_pace = sorted(self.pace)[len(self.pace) // 2] if self.pace else None
            self.costs[series.key] = replace(measured, pace_s=median_pace)
