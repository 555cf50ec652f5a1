"""One sweep from the caller's side: hand it to a measuring process, keep what it reports, store it
as it arrives, and say how the run ended. The CLI and the app both drive sweeps through this.

What a run is, in one place (`run_status`): completed (every measurement that applies succeeded),
partial (completed, with some measurements failed or timed out), failed (nothing measured, or
something the run depends on failed), or cancelled. The measurements are kept in memory as well as
in the store, so a store that cannot be written (a full disk, a read-only file, a lock held too
long, a file deleted under the run) never costs the run's numbers: the sweep goes on, the caller
still prints and exports them, and `Outcome.store_problem` says what happened to the store.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

from .measuring import ceiling as machine_ceiling
from .measuring.interpreters import InterpreterRefused
from .measuring.process import REFUSED_INTERPRETER, SweepProcess
from .model.errors import ParbenchError
from .model.events import (
    CANCELLED,
    COMPLETED,
    FAILED,
    CeilingMeasured,
    Event,
    MeasurementDone,
    Probed,
    Refused,
    RunFinished,
    RunStarted,
)
from .model.machine import Ceiling, Machine
from .model.measurement import Measurement
from .model.run import Run, run_status
from .model.spec import SweepOptions, SweepSpec
from .store.database import Store

PARTIAL = "partial"
REFUSED = "refused"


class SweepRefused(ParbenchError):
    """The sweep did not start; nothing was stored or measured. `kind` says why: workload, memory
    or lock (see `workloads.events`)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class SweepInterrupted(ParbenchError):
    """The caller was interrupted (Ctrl+C, SIGTERM): the run is stored as cancelled with what it
    measured, and this says which run that is."""

    def __init__(self, run: Run | None, how: str) -> None:
        super().__init__(how)
        self.run = run
        self.how = how


@dataclass
class Outcome:
    run: Run  # every measurement, whether or not the store took it
    status: str  # completed, partial, failed or cancelled
    error: str = ""
    store_problem: str = ""  # what went wrong writing the store; "" when every row is stored

    @property
    def run_id(self) -> int | None:
        return self.run.id


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class _Recorder:
    """The run as it arrives, in memory and in the store; a store write that fails is noted once
    and never stops the sweep."""

    store: Store | None
    spec: SweepSpec
    run: Run = None  # type: ignore[assignment]
    problem: str = ""
    stored_rows: int = 0
    identity: tuple | None = None
    _failed: bool = False
    _places: dict = field(default_factory=dict)  # a row's key -> its place in run.measurements
    _stored: set = field(default_factory=set)  # keys of the rows the store took

    def __post_init__(self) -> None:
        self.run = Run(id=None, spec=self.spec, status="running", started_at=_now())

    def _write(self, action: Callable[[], object], what: str, *, after_failure: bool = False):
        if self.store is None or (self._failed and not after_failure):
            return None
        try:
            result = action()
            return True if result is None else result
        except (sqlite3.Error, OSError) as exc:
            if not self._failed:
                self._failed = True
                self.problem = f"could not write the results store {self.store.path}: {_reason(exc)}"
            return None

    def started(self, event: RunStarted) -> None:
        self.run.machine = Machine.from_dict(event.machine)
        if self.store is not None:
            self.identity = self.store.identity()
        run_id = self._write(lambda: self.store.start_run(self.spec, machine=self.run.machine), "start")
        self.run.id = run_id

    def ceiling(self, event: CeilingMeasured) -> None:
        """The machine's parallel ceiling joins the run's machine; one measured now for this machine
        is kept for it, so the next run is handed it instead of measuring it."""
        ceiling = Ceiling.from_dict(event.info)
        if ceiling is None:
            return
        machine = self.run.machine = self.run.machine.with_ceiling(ceiling)
        if self.run.id is not None:
            self._write(lambda: self.store.set_machine(self.run.id, machine), "machine")
        if ceiling.kept_for_machine:
            self._write(lambda: self.store.set_machine_ceiling(ceiling.identity, machine, ceiling.value), "ceiling")

    def measured(self, m: Measurement) -> None:
        """A row, new or sent again with more rounds: it replaces its earlier version, in memory and
        in the store, in place."""
        place = self._places.get(m.key)
        if place is None:
            self._places[m.key] = len(self.run.measurements)
            self.run.measurements.append(m)
        else:
            self.run.measurements[place] = m
        if self.run.id is not None and self._write(lambda: self.store.put_measurement(self.run.id, m), "row") is not None:
            self._stored.add(m.key)
            self.stored_rows = len(self._stored)

    def finished(self, status: str, error: str) -> None:
        self.run.status = status
        self.run.error = error
        self.run.finished_at = _now()
        if self.run.id is not None:
            # Even after a failed write: if the store takes this one, the run reads as what it is,
            # with the reason its later rows are missing, rather than as interrupted.
            stored_error = error if not self.problem else "; ".join(filter(None, [error, "not all rows stored: "
                                                                                    + self.problem]))
            self._write(lambda: self.store.finish_run(self.run.id, status, stored_error), "finish",
                        after_failure=True)
        if self.store is not None and self.identity is not None and not self.problem:
            if self.store.identity() != self.identity:
                self.problem = (f"the results store {self.store.path} was deleted or replaced during the run, "
                                "so the rows written to it are gone")
                self.stored_rows = 0
        if self.problem:
            self.problem += (f"; {self.stored_rows} earlier row{'s' if self.stored_rows != 1 else ''} of it "
                             f"{'are' if self.stored_rows != 1 else 'is'} stored")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        lowered = text.lower()
        if "full" in lowered:
            return "no space left on device"
        if "readonly" in lowered or "read-only" in lowered:
            return "it is read-only"
        if "locked" in lowered:
            return "it stayed locked by another process beyond the busy timeout"
        if "disk i/o" in lowered:
            return "a disk I/O error (was the file deleted or its disk removed?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return text or type(exc).__name__


def execute(
    spec: SweepSpec,
    store: Store | None,
    on_event: Callable[[Event], None] = lambda event: None,
    stop: threading.Event | None = None,
    *,
    quiet: bool = True,
    options: SweepOptions = SweepOptions(),
    sweep: SweepProcess | None = None,
    on_started: Callable[[Run, SweepProcess], None] | None = None,
) -> Outcome:
    """Run `spec` to the end (or until `stop` is set) and return how it ended.

    Each measurement is committed before the caller hears of it, so what the user has seen is on
    disk (unless the store fails, which `Outcome.store_problem` then says). `SweepRefused` when the
    sweep never started (nothing stored). A KeyboardInterrupt (or any BaseException the caller
    raises for a signal) kills the sweep, records the run as cancelled and becomes
    `SweepInterrupted`, naming the run. `sweep` is a measuring process started earlier (booted in
    the background, or resident): it is used for this sweep. `on_started` gets the run (filled as
    measurements arrive) and the measuring process once measuring starts.
    """
    recorder = _Recorder(store, spec)
    options = _with_known_ceiling(options, store)
    # A process booted under another interpreter than the spec names is left to its owner.
    own_process = sweep is None or not sweep.serves(spec)
    if own_process:
        sweep = _process_for(spec, quiet)
    try:
        sweep.begin(spec, options=asdict(options), then_exit=own_process)
    except OSError as exc:
        sweep.kill()
        raise SweepRefused("process", f"cannot start the measuring process: {exc}") from None
    finished = RunFinished(FAILED, "the sweep ended without a result")
    try:
        for event in sweep.events(stop=stop):
            if isinstance(event, Refused):
                raise SweepRefused(event.kind, event.reason)
            if isinstance(event, RunStarted):
                recorder.started(event)
                if on_started is not None:
                    on_started(recorder.run, sweep)  # the run as it fills, for a caller that shows it
            elif isinstance(event, CeilingMeasured):
                recorder.ceiling(event)
            elif isinstance(event, MeasurementDone):
                recorder.measured(event.measurement)
            elif isinstance(event, RunFinished):
                finished = event
                if recorder.run.id is None and not recorder.run.machine.recorded and event.status == CANCELLED:
                    # Cancelled before it started (waiting for another sweep): nothing to keep.
                    recorder.run.status = CANCELLED
                    on_event(event)
                    return Outcome(recorder.run, CANCELLED, event.error)
            on_event(event)
    except SweepRefused:
        raise
    except BaseException as exc:
        sweep.kill()
        how = "cancelled with Ctrl+C" if isinstance(exc, KeyboardInterrupt) else str(exc) or type(exc).__name__
        recorder.finished(CANCELLED, how)
        raise SweepInterrupted(recorder.run, how) from exc
    status, error = run_status(finished, recorder.run.measurements)
    recorder.finished(status, error)
    return Outcome(recorder.run, status, error, recorder.problem)


def _process_for(spec: SweepSpec, quiet: bool) -> SweepProcess:
    """A measuring process under the spec's interpreter; `SweepRefused` (nothing stored) when that
    interpreter cannot serve or the engine cannot be prepared for it."""
    try:
        return SweepProcess(quiet=quiet, python=spec.python)
    except InterpreterRefused as exc:
        raise SweepRefused(REFUSED_INTERPRETER, str(exc)) from None


def _with_known_ceiling(options: SweepOptions, store: Store | None) -> SweepOptions:
    """The options with this machine's parallel ceiling from the store, if it was measured before."""
    if options.ceiling is not None or store is None:
        return options
    try:
        known = store.machine_ceiling(machine_ceiling.machine_identity())
    except (sqlite3.Error, OSError):
        return options
    return replace(options, ceiling=known) if known else options


def probe(spec: SweepSpec, sweep: SweepProcess | None = None, *, quiet: bool = True,
          options: SweepOptions = SweepOptions()) -> Probed | None:
    """Measure one item of the spec's workload in a measuring process (the one given, or a fresh
    one): its `Probed` profile, or `SweepRefused` saying why the sweep could not run. Nothing is
    stored. None when no strategy of the spec applies to the workload."""
    own_process = sweep is None or not sweep.serves(spec)
    if own_process:
        sweep = _process_for(spec, quiet)
    sweep.begin(spec, options=asdict(options), then_exit=own_process, probe_only=True)
    probed = None
    for event in sweep.events():
        if isinstance(event, Refused):
            raise SweepRefused(event.kind, event.reason)
        if isinstance(event, Probed):
            probed = event
        elif isinstance(event, RunFinished) and event.status != COMPLETED:
            raise SweepRefused("workload", event.error or "the measuring process stopped")
    return probed


class ResidentProcess:
    """The app's measuring process, booted before the first sweep and reused by every sweep of the
    session; replaced after a sweep of a user's workload, a hard cancel, or a death."""

    def __init__(self, quiet: bool = True) -> None:
        self.quiet = quiet
        self._process: SweepProcess | None = None
        self._lock = threading.Lock()

    def boot(self) -> None:
        """Start one in the background if there is none ready."""
        with self._lock:
            if self._process is None or not self._process.reusable():
                self._process = SweepProcess(quiet=self.quiet)

    def take(self) -> SweepProcess:
        """A ready process for one sweep (a fresh one if the resident one is gone)."""
        with self._lock:
            process = self._process
            self._process = None
        if process is None or not process.reusable():
            process = SweepProcess(quiet=self.quiet)
        return process

    def give_back(self, process: SweepProcess) -> None:
        """Keep it for the next sweep if it can serve one; otherwise boot a replacement."""
        with self._lock:
            if process.reusable() and self._process is None:
                self._process = process
                return
        if process.alive:
            process.close()  # never left to the garbage collector: it may be frozen (gc.freeze)
        self.boot()

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            process.close()
