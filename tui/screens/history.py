"""Stored runs, newest first; enter opens one with its table and charts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workloads.store import Run, Store

from .stored_run import StoredRunScreen


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open_run", "Open", show=True),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.runs: list[Run] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Stored runs, newest first. Enter opens one; escape goes back.", id="history-hint")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in ("id", "started (UTC)", "workload", "items", "length", "status", "rows"):
            table.add_column(name)
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.runs = self.store.runs(limit=500)
        counts = self.store.measurement_counts()
        for run in self.runs:
            spec = run.spec
            table.add_row(
                str(run.id), run.started_at.replace("T", " ")[:19], spec.workload,
                _sizes(spec.items), _sizes(spec.length), run.status, str(counts.get(run.id, 0)),
                key=str(run.id),
            )
        if not self.runs:
            self.query_one("#history-hint", Static).update("No stored runs yet: ctrl+r on the main screen runs one.")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(event.row_key.value))

    def action_open_run(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self._open(int(row_key.value))

    def _open(self, run_id: int) -> None:
        run = self.store.load_run(run_id)
        if run is None:
            self.notify(f"run {run_id} is no longer in the store", severity="error")
            return
        self.app.push_screen(StoredRunScreen(run))


def _sizes(values: tuple[int, ...]) -> str:
    text = ",".join(map(str, values))
    return text if len(text) <= 16 else f"{values[0]}..{values[-1]} ({len(values)})"
