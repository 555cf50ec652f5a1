"""The sweep runner: measures every strategy at every point, interleaved, and streams events.

This is what the measuring process runs. Before the first point it loads the workload and measures
one item of it (`workloads.probe`: the memory guard and the estimate), then takes the machine lock
(`workloads.lock`). At each point, round k of every strategy runs before round k+1 of any (warm-up
rounds first), so that a change in the machine's speed hits every strategy alike. With a fixed
`--repeat` a point runs exactly that many rounds; otherwise rounds are added until every strategy's
interval is within the asked precision (at least 3, at most `MAX_ROUNDS`, within the sweep's budget).

Only the strategy call and the release of its output sit inside the timed region (calls shorter
than the spec's min-time back to back, timed per call): building inputs, checking outputs and
sending events happen outside it.
"""

from __future__ import annotations

import contextlib
import gc
import math
import signal
import threading
import time
from array import array
from dataclasses import dataclass, replace
from typing import Callable

from ..insight import estimate
from ..model import stats
from ..model import workload as workloads
from ..model.costs import PoolCosts
from ..model.errors import PoolBroken, RunAborted
from ..model.events import (
    CANCELLED,
    COMPLETED,
    FAILED,
    REFUSED_LOCK,
    REFUSED_MEMORY,
    REFUSED_WORKLOAD,
    CallStarted,
    CeilingMeasured,
    Event,
    LockWait,
    MeasurementDone,
    PointStarted,
    Probed,
    Refused,
    RunFinished,
    RunStarted,
)
from ..model.measurement import (
    FAILED as MEASUREMENT_FAILED,
)
from ..model.measurement import (
    NOT_APPLICABLE,
    OK,
    STOP_BUDGET,
    STOP_FIXED,
    STOP_MAX_ROUNDS,
    STOP_PRECISION,
    TIMED_OUT,
    Measurement,
)
from ..model.profile import Profile
from ..model.spec import LOCK_IGNORE, LOCK_NO_WAIT, SweepOptions, SweepSpec
from ..model.strategies import BASELINE, KINDS, StrategyKind, default_start_method
from ..model.workload import WorkloadError
from . import ceiling as machine_ceiling
from . import costs as pool_costs
from . import machine
from .loader import LoadedWorkload, Reference, describe_exception, input_data
from .lock import POLL_S, MachineLock
from .probe import profile
from .runners import Runner, RunnerConfig, make_runner

# A bound on a calibration gone wrong (a call timed at ~0 s): never loop forever.
MAX_LOOPS = 1_000_000
# How often a waiting sweep says it still waits.
LOCK_REPORT_S = 1.0



class Cancelled(Exception):
    pass


class PointTimeout(Exception):
    """Raised in the measuring process's main thread when a point's time budget runs out."""


class _Deadline:
    """Interrupts the call in flight when the point's time runs out.

    SIGALRM's handler runs in the main thread between bytecodes and interrupts a sleep or a lock
    wait, so it stops a Python loop, a sleeping kernel, or a wait on a pool; for a pool it kills
    the workers first, since the pool would otherwise go on with the items already queued. Only
    armed in the main thread of the process (the measuring process); elsewhere there is no timeout.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end: float | None = None
        self.usable = seconds is not None and threading.current_thread() is threading.main_thread()

    def start(self) -> None:
        if self.seconds is not None:
            self.end = time.perf_counter() + self.seconds

    def expired(self) -> bool:
        return self.end is not None and time.perf_counter() >= self.end

    def arm(self, runner: Runner) -> None:
        if not self.usable or self.end is None:
            return

        def on_alarm(signum, frame):
            runner.kill_workers()
            raise PointTimeout

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.end - time.perf_counter(), 1e-4))

    def disarm(self) -> None:
        if self.usable and self.end is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)


def describe_error(exc: BaseException) -> str:
    """One line a user can act on; a broken pool says which worker died and how."""
    if isinstance(exc, SystemExit):
        return f"the kernel called sys.exit({exc.code!r})"
    return describe_exception(exc) if not isinstance(exc, (PoolBroken, WorkloadError)) else str(exc)


@contextlib.contextmanager
def _gc_paused():
    """GC off while timing, as timeit does: a collection triggered by the harness's own garbage
    must not land in a strategy's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _time_call(runner: Runner, data: dict, deadline: _Deadline, loops: int = 1,
               keep: bool = False) -> tuple[float, list]:
    """Seconds per call of `loops` calls back to back, each one's output released inside the timed
    region, as `timeit` and simple_benchmark count it (freeing a big output is part of its cost).

    With `keep`, one call whose output is handed back, in a one-item list that is its only
    reference: the caller checks it, then times its release with `_time_release` and adds it.
    """
    kept: list = []
    with _gc_paused():
        deadline.arm(runner)
        try:
            start = time.perf_counter()
            if keep:
                kept.append(runner.call(data))
            else:
                for _ in range(loops):
                    runner.call(data)
            elapsed = time.perf_counter() - start
        finally:
            deadline.disarm()
    return elapsed / (1 if keep else loops), kept


def _time_release(kept: list) -> float:
    """Seconds it takes to drop the outputs in `kept` (their only references)."""
    with _gc_paused():
        start = time.perf_counter()
        kept.clear()
        return time.perf_counter() - start


def loops_for(call_s: float, min_time: float) -> int:
    """Calls per timed repeat, so that a repeat lasts at least `min_time` (as pyperf calibrates its
    loops and `timeit` its number): a short call timed alone is at the mercy of whatever ran just
    before it (another strategy's call evicts its data from the caches: a 0.3 ms numpy call then
    takes 0.7 ms), and back to back it is timed in the steady state a user's loop runs in.
    Taken from a point's first call, then once more from the first untimed call, which runs warm;
    a first call over `min_time` is taken as a long call and never looped."""
    if min_time <= 0 or call_s >= min_time:
        return 1
    return min(MAX_LOOPS, math.ceil(min_time / max(call_s, 1e-7)))


def stop_reason(spec: SweepSpec, rounds: int, intervals: list, past_deadline: bool) -> str | None:
    """Why a point stops adding rounds after `rounds` timed ones, or None to add another: exactly
    `--repeat` rounds; otherwise at least MIN_ROUNDS, then when every interval is within the
    precision, at the most rounds allowed, or when the point's share of the budget is spent."""
    if not spec.adaptive:
        return STOP_FIXED if rounds >= spec.repeat else None
    if rounds < spec.min_rounds:
        return None
    if stats.precise_enough(intervals, spec.precision):
        return STOP_PRECISION
    if rounds >= spec.max_rounds:
        return STOP_MAX_ROUNDS
    if past_deadline:
        return STOP_BUDGET
    return None


def total_calls(spec: SweepSpec) -> int:
    """Every strategy call at the fewest rounds, warm-ups included."""
    return len(spec.points()) * len(spec.variants()) * (spec.warmup + spec.min_rounds)


# One sweep ---------------------------------------------------------------------------------------------


@dataclass
class _Variant:
    """One strategy with one worker count: a line on the charts, a row at every point."""

    name: str
    kind: StrategyKind
    workers: int | None
    runner: Runner | None  # None where the workload has no form for it (numpy on sleep)

    @property
    def key(self) -> str:
        return f"{self.name}@{self.workers}"


class _Sweep:
    def __init__(self, spec: SweepSpec, workload: LoadedWorkload, start_method: str, emit, should_stop,
                 profile_: Profile | None, shared: bool) -> None:
        self.spec = spec
        self.workload = workload
        self.emit = emit
        self.should_stop = should_stop
        self.profile = profile_
        self.shared = shared
        self.ceiling: float | None = None  # the machine's parallel ceiling, once known
        self.ceiling_note = ""  # where it comes from, or why it is not known
        self.calls_done = 0
        self.calls_total = total_calls(spec)
        self.started = time.perf_counter()
        self.budget_end = self.started + spec.budget if spec.budget is not None else None
        self.variants: list[_Variant] = []
        upload = str(workload.ref.path) if workload.ref.kind == "file" else None
        for name, workers in spec.variants():
            kind = KINDS[name]
            runner = None
            if kind.form in workload.forms:
                config = RunnerConfig(
                    kernel=workload.kernel_of(kind.form), item_call=workload.item_call(kind.form),
                    workers=workers or 1, chunksize=spec.chunksize, warm=spec.pool == "warm",
                    start_method=start_method, upload=upload,
                    options={f.name: spec.option(f.name) for f in kind.options})
                runner = make_runner(kind, config)
            self.variants.append(_Variant(name, kind, workers, runner))
        # Serial first: its output is the reference the others are checked against, and the
        # baseline of every speedup.
        self.variants.sort(key=lambda v: not v.kind.baseline)
        # Each variant's latest call: [seconds it took, what the estimate said] (NaN before any),
        # to skip warm-ups that would buy nothing. C doubles made up front, updated in place: no
        # object is allocated after a timed call and kept (see `_Series`).
        self.last_call: dict[str, array] = {v.key: array("d", [math.nan, math.nan]) for v in self.variants}

    def check(self) -> None:
        checked: set[str] = set()
        for variant in self.variants:
            if variant.runner is not None and variant.name not in checked:
                checked.add(variant.name)
                variant.runner.check()

    def close(self) -> None:
        for variant in self.variants:
            if variant.runner is not None:
                variant.runner.close()

    def estimate(self, variant: _Variant, items: int, length: int) -> float:
        if self.profile is None:
            return 0.0
        return estimate.call_seconds(self.spec, self.profile, variant.name, items, length, variant.workers,
                                     machine.usable_cpus())

    def point_deadline(self, index: int) -> float | None:
        """When this point should stop adding rounds: its share of what is left of the budget."""
        if self.budget_end is None:
            return None
        remaining_points = len(self.spec.points()) - index
        return time.perf_counter() + max(0.0, self.budget_end - time.perf_counter()) / max(1, remaining_points)


class _Series:
    """One variant's calls at one point, and the measurement they make."""

    def __init__(self, variant: _Variant, warmups: int) -> None:
        self.variant = variant
        self.runner = variant.runner
        self.warmups = warmups
        # C doubles, not float objects: a float allocated right after a timed call lands in memory
        # its output just freed and keeps that arena mapped, so the next call takes fewer page
        # faults than the one before it, and a point's later rounds read faster than its first
        # (measured: 22 arenas mapped afresh per warm-pool call, drifting down once float objects
        # pinned them; the hand-written reference pool read 4-8 % fast for exactly this reason).
        self.times = array("d")
        self.warmup_times = array("d")
        self.loops = 1
        self.calibrated = False
        self.checked = False
        self.error = ""
        self.check_how = ""

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def key(self) -> str:
        return self.variant.key

    @property
    def live(self) -> bool:
        return not self.error


class _Point:
    """One point of the sweep: its inputs, its reference output, and a loop that schedules rounds."""

    def __init__(self, sweep: _Sweep, index: int, items: int, length: int) -> None:
        self.sweep = sweep
        self.spec = sweep.spec
        self.index = index
        self.items = items
        self.length = length
        self.reference: Reference | None = None
        # Where serial's checked call went, to add the release of its output (the reference for
        # every other strategy) once nothing needs it.
        self.reference_slot: tuple[list[float], int] | None = None
        self.timed_out = ""
        self.stop = STOP_FIXED
        self.pace: list[float] = []  # the machine's pace after each round (`costs.pace`)
        self.series = [_Series(v, self._warmups(v)) for v in sweep.variants if v.runner is not None]
        self.not_applicable = [v for v in sweep.variants if v.runner is None]

    def _warmups(self, variant: _Variant) -> int:
        """Warm-ups worth doing: none once a call takes over `skip_warmup_over` seconds, where a
        warm-up would only add its whole length to the wait for little gain (see
        `spec.DEFAULT_SKIP_WARMUP_OVER`). The estimate's guess for this point, corrected by how
        far off it was at this variant's previous point."""
        spec = self.spec
        if spec.skip_warmup_over is None or spec.warmup == 0:
            return spec.warmup
        expected = self.sweep.estimate(variant, self.items, self.length)
        measured, estimated = self.sweep.last_call[variant.key]
        if not math.isnan(measured):
            if estimated > 0:
                expected *= measured / estimated
            elif measured > 0:
                expected = measured
        return 0 if expected > spec.skip_warmup_over else spec.warmup

    def _measurement(self, variant: _Variant, series: _Series | None, status: str, error: str,
                     costs: dict | None = None) -> Measurement:
        spec = self.spec
        kind = variant.kind
        precision = None
        if series is not None and status == OK:
            interval = self._interval(series)
            precision = interval.relative_half_width if interval is not None and interval.n >= 2 else None
        return Measurement(
            workload=spec.workload_name(), strategy=variant.name, items=self.items, length=self.length,
            workers=variant.workers if kind.pooled else None,
            # ThreadPoolExecutor.map ignores chunksize: recording one would suggest it mattered.
            chunksize=(series.runner.chunksize if series is not None and kind.processes else None),
            pool=spec.pool if kind.pooled else None,
            warmup=len(series.warmup_times) if series else 0,
            times_s=tuple(series.times) if series else (),
            warmup_times_s=tuple(series.warmup_times) if series else (),
            status=status, error=error, point_index=self.index, loops=series.loops if series else 1,
            stop=self.stop if status == OK else STOP_FIXED, precision=precision,
            check=series.check_how if series is not None and status == OK else "",
            shared=self.sweep.shared, costs=costs,
        )

    def _emit(self, m: Measurement) -> None:
        self.sweep.emit(MeasurementDone(m, self.sweep.calls_done, self.sweep.calls_total))

    def _baseline(self) -> _Series | None:
        return next((s for s in self.series if s.variant.kind.baseline and s.live and s.times), None)

    def _interval(self, series: _Series) -> stats.Interval | None:
        """The interval a series' precision is judged by: a speedup's against serial (paired
        rounds), or, without serial beside it, its own time."""
        baseline = self._baseline()
        if baseline is None or series is baseline or len(baseline.times) != len(series.times):
            return stats.time_interval(series.times)
        return stats.paired_ratio(baseline.times, series.times)

    def _stop_reason(self, rounds: int, point_end: float | None) -> str | None:
        live = [s for s in self.series if s.live]
        if not live:
            return STOP_PRECISION if self.spec.adaptive else STOP_FIXED
        # The answer is the ratios: with serial measured, each strategy's paired speedup decides
        # (serial's own time swings with the machine's speed, which pairing cancels and more
        # rounds would not narrow); serial alone decides by its time.
        judged = [s for s in live if s is not self._baseline()] or live
        intervals = [self._interval(s) for s in judged] if self.spec.adaptive else []
        past_deadline = point_end is not None and time.perf_counter() >= point_end
        return stop_reason(self.spec, rounds, intervals, past_deadline)

    def run(self) -> None:
        sweep = self.sweep
        spec = self.spec
        for variant in self.not_applicable:
            sweep.calls_done += spec.warmup + spec.min_rounds
        if not self.series:
            self._emit_not_applicable()
            return
        calls_at_start = sweep.calls_done
        forms = {s.variant.kind.form for s in self.series}
        try:
            inputs = sweep.workload.make_inputs(self.items, self.length, spec.seed, forms)
        except (Exception, SystemExit) as exc:  # the workload's make_input failed here: this point fails
            sweep.calls_done = calls_at_start + len(self.series) * (spec.warmup + spec.min_rounds)
            for series in self.series:
                self._emit(self._measurement(series.variant, series, MEASUREMENT_FAILED, describe_error(exc)))
            self._emit_not_applicable()
            return
        for series in self.series:
            try:
                series.runner.prepare(self.items)
            except Exception as exc:  # a pool that cannot even start is that strategy's failure
                series.error = describe_error(exc)
                series.runner.reset()
        deadline = _Deadline(spec.point_timeout)
        deadline.start()
        point_end = sweep.point_deadline(self.index)
        planned = spec.min_rounds
        rounds_done = 0
        round_index = 0
        while True:
            warm = round_index < spec.warmup
            if not warm:
                reason = self._stop_reason(rounds_done, point_end)
                if reason is not None or self.timed_out:
                    self.stop = reason or STOP_FIXED
                    break
                if rounds_done >= planned:
                    planned += 1
                    sweep.calls_total += len(self.series)
            for series in self.series:
                self._one_call(series, inputs, round_index, warm, deadline, planned)
            if not warm:
                rounds_done += 1
                self.pace.append(pool_costs.pace())
            round_index += 1
        # Calls planned but never made (a failure, a timeout, a skipped warm-up) still count as done.
        sweep.calls_done = calls_at_start + len(self.series) * (spec.warmup + planned)
        costs, cancelled = self._costs(inputs, deadline)
        self._release_reference()
        for series in self.series:
            if series.error:
                m = self._measurement(series.variant, series, MEASUREMENT_FAILED, series.error)
            elif self.timed_out:
                m = self._measurement(series.variant, series, TIMED_OUT,
                                      f"{self.timed_out}; {len(series.times)} timed repeats done")
            else:
                m = self._measurement(series.variant, series, OK, "", costs.get(series.key))
            self._emit(m)
        self._emit_not_applicable()
        if cancelled:
            raise Cancelled

    def _costs(self, inputs: dict, deadline: _Deadline) -> tuple[dict[str, PoolCosts], bool]:
        """Each pooled strategy's costs taken apart (`workloads.costs`), after the rounds and outside
        them; and whether a cancel arrived meanwhile (the point's rows are still sent first). None
        once the point's time limit is spent: the limit holds for them too."""
        found: dict[str, PoolCosts] = {}
        if self.timed_out:
            return found, False
        if deadline.expired():
            return {s.key: PoolCosts(error="not measured: the point's time limit was spent") for s in self.series
                    if s.variant.kind.pooled}, False
        samples: dict[str, pool_costs.Sample] = {}
        for series in self.series:
            kind = series.variant.kind
            if not kind.pooled or not series.live or not series.times:
                continue
            if self.sweep.should_stop():
                return found, True
            if kind.form not in samples:
                twin = next((s for s in self.series if not s.variant.kind.pooled and s.variant.kind.form == kind.form
                             and s.live and s.times), None)
                reference = self.reference
                kept = reference.output if reference is not None and twin is not None and \
                    reference.against == twin.name else None
                profile_ = self.sweep.profile.forms.get(kind.form) if self.sweep.profile is not None else None
                try:
                    samples[kind.form] = pool_costs.sample(
                        inputs[kind.form], self.sweep.workload.kernel_of(kind.form), items=self.items,
                        twin_s=stats.summarize(twin.times).median if twin is not None else None,
                        twin=twin.name if twin is not None else "", reference=kept,
                        cpu_share=profile_.cpu_share if profile_ is not None else None)
                except Exception as exc:  # the kernel failed on a sample here: no costs for this form
                    samples[kind.form] = None
                    found[series.key] = PoolCosts(error=f"sampling the kernel failed: {describe_error(exc)}")
            if samples[kind.form] is None:
                found.setdefault(series.key, PoolCosts(error="sampling the kernel failed"))
                continue
            measured = pool_costs.measure_pool(series.runner, samples[kind.form], items=self.items,
                                               ceiling=self.sweep.ceiling, cpus=machine.usable_cpus(),
                                               ceiling_note=self.sweep.ceiling_note)
            found[series.key] = replace(measured, pace_s=stats.summarize(self.pace).median if self.pace else None)
        return found, False

    def _emit_not_applicable(self) -> None:
        for variant in self.not_applicable:
            self._emit(self._measurement(variant, None, NOT_APPLICABLE,
                                         f"{self.sweep.workload.ref.name} has no numpy form (no kernel_numpy)"))

    def _one_call(self, series: _Series, inputs: dict, round_index: int, warm: bool, deadline: _Deadline,
                  planned: int) -> None:
        sweep = self.sweep
        spec = self.spec
        name = series.name
        skipped_warmup = warm and round_index >= series.warmups
        if series.error or self.timed_out or skipped_warmup:
            return
        if sweep.should_stop():
            raise Cancelled
        if deadline.expired():
            self.timed_out = f"point stopped after {spec.point_timeout:g} s, before {name} round {round_index + 1}"
            return
        sweep.emit(CallStarted(
            name, self.items, self.length,
            repeat=(round_index + 1) if warm else (round_index - spec.warmup + 1),
            repeats=series.warmups if warm else planned, warmup=warm, calls_done=sweep.calls_done,
            workers=series.variant.workers, calls_total=sweep.calls_total,
        ))
        data = inputs[series.variant.kind.form]
        first = not series.checked
        try:
            if not first and series.loops > 1:
                # One untimed call first: the block is timed in steady state, not right after
                # another strategy has churned the caches. It also calibrates the block better
                # than the first call did: that one paid for fresh memory (7 ms where the steady
                # call takes 0.9 ms, numpy 16 × 100000).
                settle_s, _ = _time_call(series.runner, data, deadline)
                if not series.calibrated:  # once: every block of the point holds as many calls
                    series.calibrated = True
                    series.loops = max(series.loops, loops_for(settle_s, spec.min_time))
            elapsed, kept = _time_call(series.runner, data, deadline,
                                       loops=1 if first else series.loops, keep=first)
        except PointTimeout:
            self.timed_out = f"point stopped after {spec.point_timeout:g} s, in a {name} call"
            series.runner.reset()
            sweep.calls_done += 1
            return
        except (Exception, SystemExit) as exc:
            series.error = describe_error(exc)
            series.runner.reset()
            sweep.calls_done += 1
            return
        sweep.calls_done += 1
        timings = series.warmup_times if warm else series.times
        if first:
            series.checked = True
            series.loops = loops_for(elapsed, spec.min_time)
            output = kept[0]
            if self.reference is None:
                if series.variant.kind.baseline:
                    self.reference = Reference(output, BASELINE)
                    self.reference_slot = (timings, len(timings))
                else:
                    try:
                        expected = sweep.workload.expected(inputs, self.items, self.length, spec.seed)
                    except Exception as exc:
                        series.error = f"the reference output could not be computed: {describe_error(exc)}"
                        kept.clear()
                        return
                    self.reference = Reference(expected, "the workload's reference output")
            mismatch, how = self.reference.check(sweep.workload, output)
            if mismatch:
                series.error = mismatch
            else:
                series.check_how = f"{how}, against {self.reference.against}" if how else ""
            del output
            # The checked output's release, timed now; the reference's, once the point is done.
            elapsed += _time_release(kept)
        last = sweep.last_call[series.key]
        last[0] = elapsed
        last[1] = sweep.estimate(series.variant, self.items, self.length)
        timings.append(elapsed)

    def _release_reference(self) -> None:
        reference, self.reference = self.reference, None
        if reference is None:
            return
        output = reference.output
        reference.release()
        if self.reference_slot is not None:
            timings, slot = self.reference_slot
            self.reference_slot = None
            kept = [output]
            del output
            if slot < len(timings):
                timings[slot] += _time_release(kept)


# The whole run -------------------------------------------------------------------------------------------


def _load(spec: SweepSpec) -> LoadedWorkload:
    try:
        ref = workloads.resolve(spec.workload, spec.python)
        info = workloads.describe(ref)
    except (workloads.SpecError, WorkloadError) as exc:
        raise WorkloadError(getattr(exc, "reason", None) or str(exc)) from None
    settings = {s.name: spec.settings.get(s.name, s.default) for s in info.settings}
    data = input_data(spec.input)  # the user's own items (--input), checked against the sweep's points
    if data is not None:
        data.check(spec.items, spec.length)
    return LoadedWorkload(ref, settings, data)


def _wait_for_lock(lock: MachineLock, options: SweepOptions, emit, should_stop, expected_s: float) -> bool | None:
    """Take the machine lock: True when held, False when measuring without it (--ignore-lock and
    another sweep holds it), None when refused (--no-wait). Raises Cancelled if stopped while waiting."""
    if lock.try_acquire(expected_s):
        return True
    if options.lock == LOCK_IGNORE:
        return False
    if options.lock == LOCK_NO_WAIT:
        emit(Refused(REFUSED_LOCK, f"{lock.holder()} is measuring on this machine (--no-wait)"))
        return None
    began = time.monotonic()
    reported = -LOCK_REPORT_S
    while not lock.try_acquire(expected_s):
        waited = time.monotonic() - began
        if waited - reported >= LOCK_REPORT_S:
            emit(LockWait(lock.holder(), waited))
            reported = waited
        if should_stop():
            raise Cancelled
        time.sleep(POLL_S)
    return True


def probe_workload(spec: SweepSpec, emit: Callable[[Event], None],
                   options: SweepOptions = SweepOptions()) -> tuple[LoadedWorkload, Profile | None] | None:
    """Load the workload and measure one item of it: emits `Probed` (the sweep fits) and returns
    both, or emits `Refused` (a workload that cannot run, a sweep too big) and returns None."""
    try:
        workload = _load(spec)
        forms = tuple(f for f in workload.forms if any(KINDS[name].form == f for name in spec.strategies))
        if not forms:
            return workload, None
        ships = any(KINDS[name].ships for name in spec.strategies)
        available = options.available_bytes or estimate.available_memory()
        if options.profile is not None:
            measured = Profile.from_dict(options.profile)
        else:
            measured = profile(workload, spec.length, spec.seed, forms, ships=ships, max_items=max(spec.items),
                               available_bytes=int(available * estimate.SAFE_SHARE), timeout=spec.point_timeout)
    except WorkloadError as exc:
        emit(Refused(REFUSED_WORKLOAD, str(exc)))
        return None
    memory = estimate.memory(spec, measured, available)
    if not memory.fits:
        emit(Refused(REFUSED_MEMORY, memory.refusal()))
        return None
    emit(Probed(measured.to_dict(), memory.peak_bytes, available,
                estimate.duration_seconds(spec, measured, machine.usable_cpus())))
    return workload, measured


def run_sweep(
    spec: SweepSpec,
    emit: Callable[[Event], None],
    should_stop: Callable[[], bool] = lambda: False,
    *,
    start_index: int = 0,
    options: SweepOptions = SweepOptions(),
    lock: MachineLock | None = None,
) -> str:
    """Measure the whole sweep, emitting events; returns the final status ("refused" when it never
    started)."""
    start_method = spec.start_method or default_start_method()
    probed = probe_workload(spec, emit, options)
    if probed is None:
        return "refused"
    workload, measured_profile = probed

    lock = lock or MachineLock()
    expected = estimate.duration_seconds(spec, measured_profile) if measured_profile else 60.0
    try:
        held = _wait_for_lock(lock, options, emit, should_stop, expected)
    except Cancelled:
        emit(RunFinished(CANCELLED, "cancelled while waiting for another sweep"))
        return CANCELLED
    if held is None:
        return "refused"
    sweep = _Sweep(spec, workload, start_method, emit, should_stop, measured_profile, shared=not held)
    try:
        emit(RunStarted(len(spec.points()), sweep.calls_total, machine.describe(start_method), shared=not held))
        if any(KINDS[name].ships for name in spec.strategies):
            ceiling, cancelled = machine_ceiling.measure_for_run(options.ceiling, should_stop, shared=not held)
            if cancelled:
                raise Cancelled
            sweep.ceiling = ceiling.value
            sweep.ceiling_note = ceiling.said
            emit(CeilingMeasured(ceiling.to_dict()))
        try:
            sweep.check()
        except RunAborted as exc:
            emit(RunFinished(FAILED, str(exc)))
            return FAILED
        points = spec.points()
        for index, (items, length) in enumerate(points):
            if index < start_index:
                continue
            emit(PointStarted(index, items, length))
            _Point(sweep, index, items, length).run()
            done = index + 1
            elapsed = time.perf_counter() - sweep.started
            lock.update(elapsed / done * (len(points) - done))
    except Cancelled:
        emit(RunFinished(CANCELLED))
        return CANCELLED
    finally:
        sweep.close()
        lock.release()
    emit(RunFinished(COMPLETED))
    return COMPLETED
