"""The main screen: set-up form on the left; progress and results (table, charts, why) on the right.

A sweep runs in a thread worker that only waits on the measuring process's events and posts them
here as messages; all measuring happens in that separate process, so the UI stays responsive while
every core is busy.
"""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from workloads.events import CallStarted, Event, MeasurementDone, PointStarted, RunFinished, RunStarted
from workloads.session import Outcome, SweepRefused, execute
from workloads.spec import SweepSpec
from workloads.store import Run, Store

from ..widgets.results_view import ResultsView
from ..widgets.setup_form import SetupForm


class SweepEvent(Message):
    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class SweepStarted(Message):
    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class SweepEnded(Message):
    def __init__(self, outcome: Outcome | None, error: str = "") -> None:
        super().__init__()
        self.outcome = outcome
        self.error = error


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "cancel_sweep", "Cancel", tooltip="cancel the running sweep"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.run_id: int | None = None
        self._stop: threading.Event | None = None
        self._worker: Worker | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield SetupForm(id="form")
            with Vertical(id="right"):
                yield ProgressBar(id="progress", show_eta=True)
                yield Static("Set up a sweep on the left, then ctrl+r.", id="status")
                yield ResultsView(id="results")
        yield Footer()

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False  # until there is a sweep to show

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "cancel_sweep":
            return True if self.running else None  # shown (greyed) only while it means something
        return True

    # Starting and stopping -------------------------------------------------------------------

    def action_run_sweep(self) -> None:
        if self.running:
            self.notify("a sweep is already running; escape cancels it", severity="warning")
            return
        state = self.query_one(SetupForm).revalidate()
        if state.spec is None:
            fields = ", ".join(state.errors)
            self.query_one("#status", Static).update(f"Not started: fix {fields} first.")
            self.notify(f"cannot run: fix {fields}", severity="error")
            return
        if state.refusal:
            self.query_one("#status", Static).update(f"Not started: {state.refusal}")
            self.notify("refused: the sweep would not fit in memory", severity="error")
            return
        self.start(state.spec)

    def start(self, spec: SweepSpec) -> None:
        self._stop = threading.Event()
        results = self.query_one(ResultsView)
        results.pool_workers = spec.workers
        results.clear_results()
        progress = self.query_one(ProgressBar)
        progress.update(total=None, progress=0)
        progress.display = True
        self.query_one("#status", Static).update("Starting the measuring process…")
        self._worker = self._run(spec, self._stop)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _run(self, spec: SweepSpec, stop: threading.Event) -> None:
        try:
            outcome = execute(
                spec, self.store, lambda event: self.post_message(SweepEvent(event)), stop,
                on_start=lambda run_id, _process: self.post_message(SweepStarted(run_id)),
            )
        except SweepRefused as exc:
            self.post_message(SweepEnded(None, str(exc)))
            return
        except Exception as exc:  # shown inline; the run is already stored as failed
            self.post_message(SweepEnded(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(SweepEnded(outcome))

    def action_cancel_sweep(self) -> None:
        if self.running and self._stop is not None:
            self._stop.set()
            self.query_one("#status", Static).update("Cancelling: stopping the measuring process and its pool…")

    async def stop_and_wait(self) -> None:
        """Cancel a running sweep and wait until its processes are gone (for quitting)."""
        if self.running and self._stop is not None and self._worker is not None:
            self._stop.set()
            try:
                await self._worker.wait()
            except Exception:
                pass

    # Events from the sweep --------------------------------------------------------------------

    @on(SweepEvent)
    def _on_sweep_event(self, message: SweepEvent) -> None:
        event = message.event
        progress = self.query_one(ProgressBar)
        status = self.query_one("#status", Static)
        results = self.query_one(ResultsView)
        if isinstance(event, RunStarted):
            progress.update(total=event.total_calls, progress=0)
            results.cpus = event.machine.get("usable_cpus") or event.machine.get("cpu_count")
            status.update(f"Run {self.run_id}: {event.total_points} points, {event.total_calls} calls")
        elif isinstance(event, PointStarted):
            status.update(f"Point {event.index + 1}: items={event.items} length={event.length}")
        elif isinstance(event, CallStarted):
            progress.update(progress=event.calls_done)
            kind = "warm-up" if event.warmup else "repeat"
            status.update(f"{event.strategy} · items={event.items} length={event.length} · "
                          f"{kind} {event.repeat}/{event.repeats}")
        elif isinstance(event, MeasurementDone):
            progress.update(progress=event.calls_done)
            results.add_measurement(event.measurement)
        elif isinstance(event, RunFinished):
            if progress.total is not None and event.status == "completed":
                progress.update(progress=progress.total)

    @on(SweepStarted)
    def _on_sweep_started(self, message: SweepStarted) -> None:
        self.run_id = message.run_id

    @on(SweepEnded)
    def _on_sweep_ended(self, message: SweepEnded) -> None:
        status = self.query_one("#status", Static)
        outcome = message.outcome
        if outcome is None:
            status.update(f"Not started: {message.error}")
            self.notify(message.error, severity="error")
        else:
            self.run_id = outcome.run_id
            kept = len(self.query_one(ResultsView).measurements)
            if outcome.status == "completed":
                status.update(f"Run {outcome.run_id} completed: {kept} rows stored. ctrl+e exports.")
            elif outcome.status == "cancelled":
                status.update(f"Run {outcome.run_id} cancelled: the {kept} completed rows are kept.")
            else:
                status.update(f"Run {outcome.run_id} failed: {outcome.error}")
                self.notify(f"run failed: {outcome.error}", severity="error")
        self.refresh_bindings()

    @on(SetupForm.RunRequested)
    def _form_run(self) -> None:
        self.action_run_sweep()

    # What the app's global actions act on ----------------------------------------------------

    def current_run(self) -> Run | None:
        return self.store.load_run(self.run_id) if self.run_id is not None else None
