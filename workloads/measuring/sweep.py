"""The sweep: every strategy at every point, the whole picture first, then rounds where the
answer is still open; what the measuring process runs.

Before the first point: the workload is loaded and one item of it measured (`probe`: the memory
guard and the estimate), the machine lock taken (`lock`), and the machine's parallel ceiling known
(`ceiling`) when the pools' costs will be taken apart.

1. The first pass: every point at its fewest rounds (`workloads.measuring.point`), so the table,
   the charts and a provisional verdict exist early and stopping at any moment leaves a complete
   table.
2. Deciding: every strategy against serial and the winner against the runner-up, as faster,
   slower, the same (within ±margin) or undecided (`workloads.model.decision`: an interval that
   stays true however the sweep stops). Each further round goes to the open point that learns most
   per second (`planner`), until every point is decided, too close to decide within the most
   rounds, at the most rounds, or the budget is spent. With `--precision` the rounds go on until
   every interval is that narrow; with `--repeat N` every point gets exactly N rounds.
3. The pools' costs, taken apart for the Why (`costs`), where the model needs them.
4. Every row again, final, with why its point stopped.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Callable

from ..insight import estimate
from ..model.costs import PoolCosts
from ..model.decision import FIRST_LOOK, PointDecision, SweepLooks
from ..model.errors import RunAborted
from ..model.events import (
    CANCELLED,
    COMPLETED,
    COSTS,
    DECIDING,
    DONE,
    FAILED,
    FIRST_PASS,
    REFUSED_BUDGET,
    REFUSED_WORKLOAD,
    CallStarted,
    CeilingMeasured,
    Event,
    Outlook,
    PointStarted,
    Refused,
    RunFinished,
    RunStarted,
)
from ..model.measurement import (
    STOP_BUDGET,
    STOP_CANCELLED,
    STOP_DECIDED,
    STOP_FIXED,
    STOP_MAX_ROUNDS,
    STOP_PRECISION,
    STOP_TOO_CLOSE,
)
from ..model.numbers import format_duration
from ..model.profile import Profile
from ..model.spec import VS_ARM, SweepOptions, SweepSpec, vs_spec
from ..model.strategies import BASELINE, KINDS, default_start_method
from ..model.workload import WorkloadError
from . import ceiling as machine_ceiling
from . import machine, planner
from .loader import LoadedWorkload
from .lock import MachineLock, WaitCancelled, wait_for_lock
from .point import Arm, Cancelled, Context, Point, Variant
from .probe import load_workload, probe_workload
from .runners import RunnerConfig, make_runner

# Roughly what taking one pool's costs apart at a point costs (two cold pool starts and a few
# round trips): reserved from a budget for the costs the Why needs.
COSTS_S_PER_SERIES = 0.5


class Progress:
    """The one counter of calls behind the progress bar: done, and the total as now expected (the
    first pass's calls, then what deciding the open points is expected to take)."""

    def __init__(self, total: int) -> None:
        self.done = 0
        self.total = max(1, total)

    def call(self, emit: Callable[[Event], None], event: CallStarted) -> None:
        self.total = max(self.total, self.done + 1)
        emit(replace(event, calls_done=self.done, calls_total=self.total))
        self.done += 1

    def done_event(self, emit: Callable[[Event], None], make: Callable[[int, int], Event]) -> None:
        emit(make(self.done, max(self.total, self.done)))

    def expect(self, more_calls: int) -> None:
        """From now on, `more_calls` more are expected."""
        self.total = self.done + max(0, more_calls)

    def finish(self) -> None:
        self.total = self.done


def first_pass_calls(spec: SweepSpec, variants: int) -> int:
    """Calls of the first pass, warm-ups included: the progress bar's first 100 %."""
    return len(spec.points()) * variants * (spec.warmup + spec.min_rounds)


class Sweep:
    def __init__(self, spec: SweepSpec, workload: LoadedWorkload, start_method: str, emit: Callable[[Event], None],
                 should_stop: Callable[[], bool], profile: Profile | None, *, shared: bool,
                 started: float, versus: Arm | None = None) -> None:
        self.spec = spec
        self.emit = emit
        self.profile = profile
        self.started = started
        self.budget_end = started + spec.budget if spec.budget is not None else None
        arms = {"": Arm(spec, workload)}
        if versus is not None:
            arms[VS_ARM] = versus
        self.variants: list[Variant] = []
        for arm_name, arm in arms.items():
            upload = str(arm.workload.ref.path) if arm.workload.ref.kind == "file" else None
            for name, workers in arm.spec.variants():
                kind = KINDS[name]
                runner = None
                if kind.form in arm.workload.forms:
                    config = RunnerConfig(
                        kernel=arm.workload.kernel_of(kind.form), item_call=arm.workload.item_call(kind.form),
                        workers=workers or 1, chunksize=arm.spec.chunksize, warm=arm.spec.pool == "warm",
                        start_method=arm.spec.start_method or start_method, upload=upload,
                        options={f.name: arm.spec.option(f.name) for f in kind.options})
                    runner = make_runner(kind, config)
                form = profile.forms.get(kind.form) if profile is not None else None
                self.variants.append(Variant(name, kind, workers if kind.pooled else None, runner,
                                             cpu_share=form.cpu_share if form is not None else None, arm=arm_name))
        runnable = sum(v.runner is not None for v in self.variants)
        self.progress = Progress(first_pass_calls(spec, runnable))
        self.context = Context(spec, workload, emit, should_stop, shared, self.progress, arms)
        self.points = [Point(self.context, index, items, length, self.variants)
                       for index, (items, length) in enumerate(spec.points())]
        self.baseline = BASELINE if any(v.kind.baseline and v.runner is not None and not v.arm
                                        for v in self.variants) else None
        self.looks = SweepLooks(self.baseline, margin=spec.margin)
        self.decisions: list[PointDecision | None] = [None] * len(self.points)
        self.ceiling: float | None = None
        self.ceiling_note = ""
        self.on_remaining: Callable[[float | None], None] = lambda seconds: None  # the lock says it to waiters

    # Around the points -------------------------------------------------------------------------------

    def check(self) -> None:
        checked: set[str] = set()
        for variant in self.variants:
            if variant.runner is not None and variant.name not in checked:
                checked.add(variant.name)
                variant.runner.check()

    def close(self) -> None:
        for point in self.points:
            point.release_inputs()
        for variant in self.variants:
            if variant.runner is not None:
                variant.runner.close()

    @property
    def costs_wanted(self) -> bool:
        return self.spec.costs != "off" and any(v.kind.pooled and v.runner is not None for v in self.variants)

    def seconds_left(self) -> float | None:
        return self.budget_end - time.perf_counter() if self.budget_end is not None else None

    # 1. The whole picture first ----------------------------------------------------------------------

    def first_pass(self) -> None:
        for point in self.points:
            self.emit(PointStarted(point.index, point.items, point.length))
            point.visit(self.spec.min_rounds)
            if self.spec.repeat is not None:
                point.stop = STOP_FIXED
            point.emit(final=False)
            self._keep_or_release(point)
        self._look()
        self._outlook(FIRST_PASS)

    def _keep_or_release(self, point: Point) -> None:
        """Keep a point's inputs for its next rounds while every kept input fits a share of the
        memory the sweep may plan with; otherwise they are rebuilt from the seed when needed."""
        if point.closed or self.profile is None:
            point.release_inputs()
            return
        kept = sum(self._input_bytes(p) for p in self.points if p.inputs is not None)
        if kept > estimate.KEPT_INPUTS_SHARE * estimate.available_memory():
            point.release_inputs()

    def _input_bytes(self, point: Point) -> float:
        return estimate.input_bytes(self.spec, self.profile, point.items, point.length) if self.profile else 0.0

    # 2. Deciding --------------------------------------------------------------------------------------

    def _look(self) -> None:
        """Decide every point that has a round not yet looked at (`SweepLooks` keeps the count the
        interval pays for); close the ones now decided."""
        self.decisions = self.looks.update([p.times() for p in self.points])
        for point, decision in zip(self.points, self.decisions):
            if point.closed or decision is None:
                continue
            if self.spec.deciding and decision.decided:
                point.stop = STOP_DECIDED
            elif self.spec.precision is not None and self._precise(decision):
                point.stop = STOP_PRECISION

    def _precise(self, decision: PointDecision) -> bool:
        return all(c.interval is not None and c.interval.relative_half_width <= self.spec.precision
                   for c in decision.comparisons)

    def _states(self) -> list[planner.PointState]:
        states = []
        for point, decision in zip(self.points, self.decisions):
            if self.spec.precision is not None and decision is not None:
                decision = self._precision_view(decision)
            rounds = point.rounds if not point.closed else self.spec.max_rounds
            states.append(planner.PointState(rounds, max(point.round_s, 1e-3), decision))
        return states

    def _precision_view(self, decision: PointDecision) -> PointDecision:
        """With --precision, a comparison is open while its interval is wider than asked."""
        comparisons = tuple(replace(c, verdict=c.verdict if c.interval is not None and
                                    c.interval.relative_half_width <= self.spec.precision else "undecided")
                            for c in decision.comparisons)
        return replace(decision, comparisons=comparisons)

    def _planner_options(self) -> dict:
        give_up = planner.DEFAULT_GIVE_UP_AFTER if self.spec.deciding else None
        return dict(min_rounds=FIRST_LOOK, max_rounds=self.spec.max_rounds, margin=self.spec.margin,
                    give_up_after=give_up)

    def _outlook(self, phase: str) -> None:
        undecided = sum(1 for p, d in zip(self.points, self.decisions)
                        if p.live and (d is None or not d.decided) and p.stop != STOP_FIXED)
        left = None
        if phase in (FIRST_PASS, DECIDING) and self.spec.repeat is None:
            left = planner.remaining_seconds(self._states(), **self._planner_options())
            calls_per_round = {p.index: len(p.live) for p in self.points}
            rounds = sum(planner.remaining_rounds(s, **self._planner_options()) * calls_per_round[i]
                         for i, s in enumerate(self._states()))
            self.progress.expect(rounds)
            self.on_remaining(left)
        self.emit(Outlook(phase, len(self.points), undecided, left))

    def decide(self) -> None:
        if self.spec.repeat is not None:
            return
        reserve = self._costs_reserve()
        while True:
            states = self._states()
            index = planner.next_point(states, **self._planner_options())
            if index is None:
                break
            point = self.points[index]
            left = self.seconds_left()
            if left is not None and left - reserve < point.round_s:
                point.stop = STOP_BUDGET  # this one cannot have another round; a cheaper one may
                continue
            self.emit(PointStarted(point.index, point.items, point.length, visit=point.rounds))
            started = time.perf_counter()
            point.visit(1)
            point.round_s = time.perf_counter() - started
            point.emit(final=False)
            self._keep_or_release(point)
            self._look()
            self._outlook(DECIDING)
        self._close_open_points()

    def _close_open_points(self) -> None:
        """Why each point still open took no more rounds."""
        states = self._states()
        for point, state in zip(self.points, states):
            if point.stop:
                continue
            if point.rounds >= self.spec.max_rounds:
                point.stop = STOP_MAX_ROUNDS
            elif self.spec.deciding and planner.hopeless(state, margin=self.spec.margin,
                                                         max_rounds=self.spec.max_rounds):
                point.stop = STOP_TOO_CLOSE
            else:
                point.stop = STOP_BUDGET

    # 3. The pools' costs -------------------------------------------------------------------------------

    def cost_points(self) -> list[Point]:
        """Where the Why needs each pool's costs: every point with `--costs on`; with auto, the
        smallest and the largest item count at each length (the model is fitted on the first and
        checked on the second)."""
        live = [p for p in self.points if any(s.variant.kind.pooled and s.times for s in p.live)]
        if self.spec.costs == "on":
            return live
        chosen: dict[int, list[Point]] = {}
        for point in live:
            chosen.setdefault(point.length, []).append(point)
        picked = []
        for at_length in chosen.values():
            ordered = sorted(at_length, key=lambda p: p.items)
            picked.extend(dict.fromkeys([ordered[0], ordered[-1]]))
        return sorted(picked, key=lambda p: p.index)

    def _costs_reserve(self) -> float:
        if not self.costs_wanted or self.budget_end is None:
            return 0.0
        series = sum(1 for v in self.variants if v.kind.pooled and v.runner is not None)
        return COSTS_S_PER_SERIES * series * len(self.cost_points() or self.points[:2])

    def measure_costs(self) -> None:
        if not self.costs_wanted:
            return
        self._outlook(COSTS)
        skipped = "not measured: the budget was spent" if self.budget_end is not None else ""
        for point in self.cost_points():
            left = self.seconds_left()
            if left is not None and left <= 0:
                for series in point.live:
                    if series.variant.kind.pooled:
                        point.costs[series.key] = PoolCosts(error=skipped)
                continue
            point.measure_costs(ceiling=self.ceiling, ceiling_note=self.ceiling_note, cpus=machine.usable_cpus())
            point.release_inputs()

    # 4. Final rows ------------------------------------------------------------------------------------

    def _record_reached(self) -> None:
        for point, decision in zip(self.points, self.decisions):
            if decision is None:
                continue
            for comparison in decision.comparisons:
                width = comparison.interval.relative_half_width if comparison.interval is not None else math.inf
                if not math.isfinite(width):
                    continue
                for key in (comparison.subject, comparison.reference):
                    point.reached[key] = max(point.reached.get(key, 0.0), width)

    def finish(self) -> None:
        self.progress.finish()
        self._record_reached()
        for point in self.points:
            point.emit(final=True)
        self.emit(Outlook(DONE, len(self.points), sum(1 for p in self.points if p.stop != STOP_DECIDED
                                                         and p.stop != STOP_FIXED and p.live), 0.0))

    def cancelled(self) -> None:
        """Cancelled: every row says so, as it stands."""
        for point in self.points:
            if point.rounds and not point.stop:
                point.stop = STOP_CANCELLED
        self.progress.finish()
        self._record_reached()
        for point in self.points:
            if point.rounds or point.timed_out or not point.live:
                point.emit(final=True)


def _versus(spec: SweepSpec, workload: LoadedWorkload, emit: Callable[[Event], None]) -> Arm | None:
    """B of --vs OPTION=VALUE: A's spec with that option changed, its workload loaded (A's own when
    B measures the same code); None, with `Refused` sent, when B's workload cannot be loaded."""
    spec_b = vs_spec(spec)
    if spec_b.workload == spec.workload and spec_b.settings == spec.settings:
        return Arm(spec_b, workload)
    try:
        return Arm(spec_b, load_workload(spec_b))
    except WorkloadError as exc:
        emit(Refused(REFUSED_WORKLOAD, f"--vs {spec.vs}: {exc}"))
        return None


def run_sweep(spec: SweepSpec, emit: Callable[[Event], None], should_stop: Callable[[], bool] = lambda: False, *,
              options: SweepOptions = SweepOptions(), lock: MachineLock | None = None) -> str:
    """Measure the whole sweep, emitting events; returns the final status ("refused" when it never
    started)."""
    started = time.perf_counter()
    start_method = spec.start_method or default_start_method()
    probed = probe_workload(spec, emit, options)
    if probed is None:
        return "refused"
    workload, profile = probed
    versus = None
    if spec.vs is not None:
        versus = _versus(spec, workload, emit)
        if versus is None:
            return "refused"
    expected = estimate.duration_seconds(spec, profile) if profile else 60.0
    if spec.budget is not None and profile is not None and expected > spec.budget:
        # format_duration says "about" itself; the budget is the user's own figure, said exactly.
        emit(Refused(REFUSED_BUDGET, f"one pass over every point takes {format_duration(expected)}, more than the "
                                     f"--budget of {spec.budget:g} s; give a longer budget or fewer points"))
        return "refused"
    lock = lock or MachineLock()
    try:
        held = wait_for_lock(lock, options, emit, should_stop, expected)
    except WaitCancelled:
        emit(RunFinished(CANCELLED, "cancelled while waiting for another sweep"))
        return CANCELLED
    if held is None:
        return "refused"
    sweep = Sweep(spec, workload, start_method, emit, should_stop, profile, shared=not held, started=started,
                  versus=versus)
    sweep.on_remaining = lock.update
    try:
        emit(RunStarted(len(spec.points()), sweep.progress.total, machine.describe(start_method), shared=not held))
        if sweep.costs_wanted and any(KINDS[name].ships for name in spec.strategies):
            ceiling, stopped = machine_ceiling.measure_for_run(options.ceiling, should_stop, shared=not held)
            if stopped:
                raise Cancelled
            sweep.ceiling, sweep.ceiling_note = ceiling.value, ceiling.said
            emit(CeilingMeasured(ceiling.to_dict()))
        try:
            sweep.check()
        except RunAborted as exc:
            emit(RunFinished(FAILED, str(exc)))
            return FAILED
        sweep.first_pass()
        sweep.decide()
        sweep.measure_costs()
        sweep.finish()
    except Cancelled:
        sweep.cancelled()
        emit(RunFinished(CANCELLED))
        return CANCELLED
    finally:
        sweep.close()
        lock.release()
    emit(RunFinished(COMPLETED))
    return COMPLETED
