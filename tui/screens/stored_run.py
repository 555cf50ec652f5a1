"""One stored run: its spec, machine and status above the same results view as a live sweep."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from workloads.api import Run, run_header

from .. import keys
from ..widgets.results_view import ResultsView


def run_summary(run: Run) -> str:
    h = run_header(run)
    return " · ".join(part for part in (
        h.name, h.workload, h.status, f"started {h.started}", h.machine,
        f"{h.pool}, {h.workers}, {h.chunksize}, {h.rounds}", run.error) if part)


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
                                                    cpus=cpus, run=self.run)

    def current_run(self) -> Run:
        return self.run
