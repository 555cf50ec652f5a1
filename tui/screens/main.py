"""The main screen: set-up form on the left; progress and results (table, charts, why) on the right.

A sweep runs in a thread worker that only waits on the measuring process's events and posts them
here as messages; all measuring happens in that separate process (the app's resident one, booted
at start), so the UI stays responsive while every core is busy.
"""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar
from textual.worker import Worker, WorkerState

from workloads.api import (
    KINDS,
    STARTING_WORDS,
    Event,
    InterpreterRefused,
    LockWait,
    Machine,
    MeasurementDone,
    Outcome,
    Profile,
    ResidentProcess,
    Run,
    RunStarted,
    Store,
    SweepInterrupted,
    SweepOptions,
    SweepRefused,
    SweepSpec,
    describe_event,
    event_progress,
    execute,
    prepare_interpreter,
    probe,
    run_name,
)

from .. import keys
from ..widgets.results_view import ResultsView
from ..widgets.setup_form import SetupForm, profile_key
from ..widgets.status_line import StatusLine

FORM_PREFERENCE = "form"
RECENT_PREFERENCE = "recent_workloads"  # workload files and modules used before, most recent first
RECENT_KEPT = 8
FOLD_BELOW = 100  # columns: narrower than this, the form folds away once results arrive


class SweepEvent(Message):
    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class SweepEnded(Message):
    def __init__(self, outcome: Outcome | None, error: str = "", run: Run | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.error = error
        self.run = run


class Preparing(Message):
    """A step of getting the engine ready under another interpreter (the first time: pip's downloads)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class ProbeDone(Message):
    def __init__(self, key: tuple, profile: Profile | None, error: str = "") -> None:
        super().__init__()
        self.key = key
        self.profile = profile
        self.error = error


def status_text(outcome: Outcome) -> str:
    """The run's status line: what it is, in words that never overstate it (the status and its
    reason come from `api.session.run_status`, the one place that says what a run is)."""
    run = outcome.run
    kept = len(run.measurements)
    rows = f"{kept} row{'s' if kept != 1 else ''}"
    name = sentence(run_name(run))
    if outcome.status == "completed":
        text = f"{name} completed: {rows}."
    elif outcome.status == "partial":
        text = f"{name} completed with failures: {outcome.error}."
    elif outcome.status == "cancelled":
        if run.id is None and not run.machine.recorded:
            return "Cancelled before measuring: nothing stored."
        text = f"{name} cancelled: {kept} completed row{'s' if kept != 1 else ''} kept."
    else:
        text = f"{name} failed: {outcome.error}."
    if outcome.store_problem:
        text += f" Not all stored: {outcome.store_problem}; {keys.key_for('export')} still exports it."
    return text


def sentence(text: str) -> str:
    """The engine's words (lower case, for the middle of a line) as the start of the status line;
    a strategy's name stays as it is written."""
    if text.split(" ", 1)[0] in KINDS:
        return text
    return text[:1].upper() + text[1:]


READY = f"Set up a sweep on the left, then {keys.key_for('run')}."


class MainScreen(Screen[None]):
    BINDINGS = keys.bindings(keys.MAIN)

    def __init__(self, store: Store, resident: ResidentProcess | None = None, *, probes: bool = True) -> None:
        super().__init__()
        self.store = store
        self.resident = resident
        self.probes = probes
        self.run: Run | None = None  # the run shown: the one running, or the last one
        self._stop: threading.Event | None = None
        self._worker: Worker | None = None
        # The form folds away by itself on a narrow screen once results arrive, unless the user
        # brought it back (ctrl+b) during this run.
        self._form_auto_folded = False
        self._form_kept = False
        # What the status line says when nothing is refused: the shown run's status, or how to start.
        self._settled = READY
        self._not_started = False  # the line says why ctrl+r did not start: redone as the form changes
        self._refused_texts: dict | None = None  # the form the engine refused (a file that failed to import, ...)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield SetupForm(id="form")
            with Vertical(id="right"):
                yield ProgressBar(id="progress", show_eta=True)
                yield StatusLine(READY, id="status")
                yield ResultsView(id="results")
        yield Footer()

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False  # until there is a sweep to show
        form = self.query_one(SetupForm)
        form.focus_first()
        if self.store is not None:
            form.set_recent(self._recent_workloads())
        saved = self.store.preference(FORM_PREFERENCE) if self.store is not None else None
        if isinstance(saved, dict):
            try:
                form.set_texts(saved)
            except Exception:  # a saved form from another version: start from the defaults
                form.set_texts(form.defaults())

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "cancel_sweep":
            return self.running  # in the footer only while there is something to cancel
        return True

    def _status(self, text: str) -> None:
        self._not_started = False
        self.query_one("#status", StatusLine).say(text)

    def _settle(self, text: str) -> None:
        """What the line says until the next run or refusal: the shown run's state."""
        self._settled = text
        self._status(text)

    def _refused(self, text: str, *, by_engine: bool = False) -> None:
        self._status(text)
        self._not_started = True
        self._refused_texts = self.query_one(SetupForm).texts() if by_engine else None

    def _why_not_started(self, state) -> str:
        form = self.query_one(SetupForm)
        if state.spec is None:
            return f"Not started: fix {', '.join(form.label_of(name) for name in state.errors)} first."
        return f"Not started: {state.refusal}"

    @on(SetupForm.Validated)
    def _form_validated(self, message: SetupForm.Validated) -> None:
        """A refusal on the line follows the form: it names what is still wrong, and goes once
        nothing is (the line then says again what the shown run is)."""
        if not self._not_started or self.running:
            return
        state = message.state
        if self._refused_texts is not None and self.query_one(SetupForm).texts() == self._refused_texts:
            return  # the engine's reason (a file that failed to import) holds until the form changes
        if state.runnable:
            self._status(self._settled)
        else:
            self._refused(self._why_not_started(state))

    # The form beside the results ------------------------------------------------------------------

    def toggle_form(self) -> None:
        """ctrl+b: to the form's first field (showing the form if it was folded away); from the
        form, fold it away and give the keys to the results."""
        form = self.query_one(SetupForm)
        self._form_auto_folded = False
        if form.display and form.has_focus_within:
            form.display = False
            self.query_one(ResultsView).focus_results()
            return
        form.display = True
        self._form_kept = True  # the user wants it: it stays for this run
        form.focus_first()

    def _fold_form_for_results(self) -> None:
        """Under FOLD_BELOW columns the form and a results table side by side hide the table's
        status column: the form gives way once there are results to read."""
        form = self.query_one(SetupForm)
        if not form.display or self._form_kept or self.size.width >= FOLD_BELOW:
            return
        had_focus = form.has_focus_within
        form.display = False
        self._form_auto_folded = True
        if had_focus:
            self.query_one(ResultsView).focus_results()

    def on_resize(self) -> None:
        form = self.query_one(SetupForm)
        if self._form_auto_folded and self.size.width >= FOLD_BELOW:
            form.display = True
            self._form_auto_folded = False
        elif self.query_one(ResultsView).measurements:
            self._fold_form_for_results()

    # The workload files used before --------------------------------------------------------------

    def _recent_workloads(self) -> list[str]:
        saved = self.store.preference(RECENT_PREFERENCE, [])
        return [text for text in saved if isinstance(text, str)] if isinstance(saved, list) else []

    def _remember_workload(self, workload: str) -> None:
        from workloads.api import builtin_names

        if self.store is None or workload in builtin_names():
            return
        recent = [workload, *[text for text in self._recent_workloads() if text != workload]][:RECENT_KEPT]
        try:
            self.store.set_preference(RECENT_PREFERENCE, recent)
        except Exception:
            return  # a courtesy: a store problem shows with the run
        self.query_one(SetupForm).set_recent(recent)

    # Starting and stopping -------------------------------------------------------------------

    def action_run_sweep(self) -> None:
        if self.running:
            self.notify(f"a sweep is already running; {keys.key_for('cancel')} cancels it", severity="warning")
            return
        form = self.query_one(SetupForm)
        state = form.revalidate()
        if state.spec is None or state.refusal:
            self._refused(self._why_not_started(state))
            if not form.display:  # the reasons are marked in the form: show it
                form.display = True
                self._form_kept = True
                self._form_auto_folded = False
            form.reveal_errors()
            return
        if self.store is not None:
            try:
                self.store.set_preference(FORM_PREFERENCE, form.texts())
            except Exception:
                pass  # remembering the form is a courtesy; a store problem shows with the run
        self._remember_workload(state.spec.workload)
        self.start(state.spec)

    def start(self, spec: SweepSpec) -> None:
        self._stop = threading.Event()
        results = self.query_one(ResultsView)
        results.pool_workers = max(spec.workers)
        results.clear_results()
        self.run = None
        self._form_kept = False
        form = self.query_one(SetupForm)
        form.estimate_paused = "estimate: after the running sweep (nothing else measures meanwhile)"
        progress = self.query_one(ProgressBar)
        progress.update(total=None, progress=0)
        progress.display = True
        self._status(sentence(STARTING_WORDS) + "…")
        # The item the estimate measured moments ago (same file contents, settings, forms): the sweep
        # starts from it instead of measuring it again, so its first event follows ctrl+r at once.
        known = form.profiles.get(profile_key(spec))
        options = SweepOptions(profile=known.to_dict() if known is not None else None)
        self._worker = self._run(spec, self._stop, options)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _run(self, spec: SweepSpec, stop: threading.Event, options: SweepOptions) -> None:
        process = self.resident.take() if self.resident is not None else None
        try:
            self._prepare(spec)
            outcome = execute(spec, self.store, lambda event: self.post_message(SweepEvent(event)), stop,
                              sweep=process, on_started=self._started, options=options)
        except (SweepRefused, InterpreterRefused) as exc:
            self.post_message(SweepEnded(None, f"refused: {getattr(exc, 'reason', exc)}"))
            return
        except SweepInterrupted as exc:
            self.post_message(SweepEnded(None, f"interrupted: {exc.how}", exc.run))
            return
        except Exception as exc:  # shown inline
            self.post_message(SweepEnded(None, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            if self.resident is not None and process is not None:
                self.resident.give_back(process)
        self.post_message(SweepEnded(outcome))

    def _started(self, run: Run, process) -> None:
        """From the sweep's thread: the run being filled, so that it can be exported mid-sweep."""
        self.run = run

    def action_cancel_sweep(self) -> None:
        if self.running and self._stop is not None:
            self._stop.set()
            self._status("Cancelling: stopping the measuring process and its pool…")

    def cancel_for_exit(self) -> None:
        """The app is ending: stop a running sweep (its measuring process is killed after the
        cooperative grace) without waiting; the thread then ends before the interpreter exits.
        Not guarded by `running`: Textual marks every worker CANCELLED before the app unmounts,
        while a thread worker goes on running."""
        if self._stop is not None:
            self._stop.set()

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
        results = self.query_one(ResultsView)
        said = describe_event(event)
        if said is not None and not isinstance(event, MeasurementDone):
            # The line says what runs next; a finished row shows in the table itself.
            wait = f". {keys.key_for('cancel')} cancels the wait." if isinstance(event, LockWait) else ""
            self._status(sentence(said) + wait)
        counted = event_progress(event)
        if counted is not None:
            done, total = counted
            progress.update(total=total or progress.total, progress=done)
        if isinstance(event, RunStarted):
            machine = Machine.from_dict(event.machine)
            results.cpus = machine.cpus
            results.machine = machine  # which interpreter ran it: whether its threads had a GIL
        elif isinstance(event, MeasurementDone):
            results.run = self.run  # the run being filled, once the sweep has made it
            results.add_measurement(event.measurement)
            self._fold_form_for_results()

    @on(SweepEnded)
    def _on_sweep_ended(self, message: SweepEnded) -> None:
        form = self.query_one(SetupForm)
        form.estimate_paused = ""
        # The bar goes: a bar left at 75 % beside "cancelled" reads as still going; the line says it all.
        self.query_one(ProgressBar).display = False
        outcome = message.outcome
        self.query_one(ResultsView).sweep_ended()
        if outcome is None:
            self.run = message.run
            if message.run is None:
                self._refused(f"Not started: {message.error}", by_engine=True)
            else:
                self._settle(f"Run {message.error}")
        else:
            self.run = outcome.run
            self.query_one(ResultsView).run = outcome.run
            self._settle(status_text(outcome))
            if outcome.store_problem:
                self.notify(outcome.store_problem, severity="error", timeout=10)
        self.refresh_bindings()
        form.revalidate()

    @on(SetupForm.RunRequested)
    def _form_run(self) -> None:
        self.action_run_sweep()

    # The estimate's one measured item -------------------------------------------------------------

    @on(SetupForm.ProbeWanted)
    def _probe_wanted(self, message: SetupForm.ProbeWanted) -> None:
        form = self.query_one(SetupForm)
        if self.running or message.key in form.probing or not self.probes:
            return
        form.probing.add(message.key)
        self._probe(message.spec, message.key)

    @work(thread=True, group="probe", exit_on_error=False)
    def _probe(self, spec: SweepSpec, key: tuple) -> None:
        from workloads.api import builtin_names

        # A user's file runs in a process of its own, so the resident one never imports it.
        process = self.resident.take() if self.resident is not None and spec.workload in builtin_names() else None
        try:
            self._prepare(spec)
            probed = probe(spec, process)
        except (SweepRefused, InterpreterRefused) as exc:
            self.post_message(ProbeDone(key, None, getattr(exc, "reason", str(exc))))
            return
        except Exception as exc:
            self.post_message(ProbeDone(key, None, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            if process is not None:
                self.resident.give_back(process)
        self.post_message(ProbeDone(key, Profile.from_dict(probed.profile) if probed else None))

    def _prepare(self, spec: SweepSpec) -> None:
        """From a worker: the engine made ready under the spec's interpreter, each step said on the
        status line (the first time, pip downloads what it lacks there)."""
        if spec.python:
            prepare_interpreter(spec.python, progress=lambda line: self.post_message(Preparing(line.strip())))

    @on(Preparing)
    def _preparing(self, message: Preparing) -> None:
        self._status(message.line)

    @on(ProbeDone)
    def _probe_done(self, message: ProbeDone) -> None:
        self.query_one(SetupForm).set_profile(message.key, message.profile, message.error)

    # What the app's global actions act on ----------------------------------------------------

    def current_run(self) -> Run | None:
        """The run on screen, from memory: what the user sees is what exports, stored or not."""
        return self.run
