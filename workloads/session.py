"""One sweep from the caller's side: start the measuring process, store what it reports as it
arrives, and record how the run ended. The CLI and the app both drive sweeps through this."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from . import estimate
from .events import CANCELLED, FAILED, Event, MeasurementDone, RunFinished, RunStarted
from .measuring import SweepProcess
from .spec import SweepSpec
from .store import Store


class SweepRefused(Exception):
    """The sweep was not started (it would not fit in memory); nothing was stored or allocated."""


@dataclass(frozen=True)
class Outcome:
    run_id: int
    status: str
    error: str = ""


def execute(
    spec: SweepSpec,
    store: Store,
    on_event: Callable[[Event], None] = lambda event: None,
    stop: threading.Event | None = None,
    *,
    quiet: bool = True,
    on_start: Callable[[int, SweepProcess], None] | None = None,
    sweep: SweepProcess | None = None,
) -> Outcome:
    """Run `spec` to the end (or until `stop` is set) and return how it ended.

    Each measurement is committed before the caller hears of it, so what the user has seen is
    always on disk. A KeyboardInterrupt cancels the sweep, records the run as cancelled, and is
    raised again for the caller to exit on. `sweep` is a measuring process started earlier without
    a spec, so that its start-up (numpy and the engine) overlaps the caller's; it is killed if the
    sweep is refused.
    """
    memory = estimate.memory(spec)
    if not memory.fits:
        if sweep is not None:
            sweep.kill()
        raise SweepRefused(memory.refusal())
    try:
        run_id = store.start_run(spec)
    except BaseException:
        if sweep is not None:
            sweep.kill()
        raise
    try:
        if sweep is None:
            sweep = SweepProcess(spec, quiet=quiet)
        else:
            sweep.begin(spec)
    except OSError as exc:
        if sweep is not None:
            sweep.kill()
        store.finish_run(run_id, FAILED, f"cannot start the measuring process: {exc}")
        return Outcome(run_id, FAILED, f"cannot start the measuring process: {exc}")
    if on_start is not None:
        on_start(run_id, sweep)
    finished = RunFinished(FAILED, "the sweep ended without a result")
    try:
        for event in sweep.events(stop=stop):
            if isinstance(event, RunStarted):
                store.set_machine(run_id, event.machine)
            elif isinstance(event, MeasurementDone):
                store.add_measurement(run_id, event.measurement)
            elif isinstance(event, RunFinished):
                finished = event
            on_event(event)
    except KeyboardInterrupt:
        sweep.kill()
        store.finish_run(run_id, CANCELLED, "interrupted")
        raise
    except BaseException as exc:
        sweep.kill()
        store.finish_run(run_id, FAILED, f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(run_id, finished.status, finished.error)
    return Outcome(run_id, finished.status, finished.error)
