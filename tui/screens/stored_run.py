"""One stored run: its spec, machine and status above the same results view as a live sweep."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from workloads.api import Run

from .. import keys
from ..widgets.results_view import ResultsView


def run_summary(run: Run) -> str:
    spec = run.spec
    machine = run.machine
    return (
        f"run {run.id} · {spec.workload_name()} · {run.status} · started {run.started_at.replace('T', ' ')[:19]} UTC · "
        f"{machine.cpu_count or '?'} CPUs, Python {machine.python_text}, "
        f"start method {machine.start_method or '?'} · pool {spec.pool}, "
        f"{','.join(map(str, spec.workers))} workers, "
        f"chunksize {spec.chunksize}, "
        f"{f'{spec.repeat} rounds' if spec.repeat is not None else f'rounds until ±{spec.precision:.0%}'}"
        + (f" · {run.error}" if run.error else "")
    )


class StoredRunScreen(Screen[None]):
    BINDINGS = keys.bindings(keys.STORED_RUN)

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(run_summary(self.run), id="run-summary")
        yield ResultsView(id="stored-results")
        yield Footer()

    def on_mount(self) -> None:
        cpus = self.run.machine.cpus
        self.query_one(ResultsView).machine = self.run.machine
        self.query_one(ResultsView).set_measurements(self.run.measurements, workers=max(self.run.spec.workers),
                                                    cpus=cpus)

    def current_run(self) -> Run:
        return self.run
