"""Stored runs, newest first; enter opens one with its table and charts; space marks two runs and
c compares them (the older is A, the newer B)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workloads.api import (
    Column,
    Row,
    Run,
    Store,
    Table,
    have_common_rows,
    history_table,
)

from .. import keys
from ..widgets.table_view import TableView
from .compare import CompareScreen
from .stored_run import StoredRunScreen

HINT = "Stored runs, newest first. Enter opens one; space marks two, c compares them; escape goes back."
MARK_COLUMN = "mark"


class HistoryScreen(Screen[None]):
    BINDINGS = keys.bindings(keys.HISTORY)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.runs: list[Run] = []
        self.marked: list[int] = []  # run ids, in the order they were marked (two at most)
        self.counts: dict[int, int] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(HINT, id="history-hint")
        yield TableView(id="history-table")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(TableView).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.runs = self.store.runs(limit=500)
        ids = {run.id for run in self.runs}
        self.marked = [run_id for run_id in self.marked if run_id in ids]
        self.counts = self.store.measurement_counts()
        self._show()
        if not self.runs:
            self.query_one("#history-hint", Static).update(f"No stored runs yet: {keys.key_for('run')} on the main screen runs one.")

    def _show(self) -> None:
        """The stored runs (`api.history_table`), with a column for the A and B marks in front."""
        table = history_table(self.runs, self.counts)
        marks = Column(MARK_COLUMN, " ")
        rows = tuple(Row(row.key, {**row.values, MARK_COLUMN: self._mark_text(int(row.key))}, row.tones, row.notes)
                     for row in table.rows)
        self.query_one(TableView).show(Table((marks, *table.columns), rows, table.title, table.caption))

    def _mark_text(self, run_id: int) -> str:
        """`A` for the older marked run, `B` for the newer: the comparison reads B against A."""
        if run_id not in self.marked:
            return ""
        return "AB"[sorted(self.marked).index(run_id)]

    def _say(self, text: str) -> None:
        self.query_one("#history-hint", Static).update(text)

    def _cursor_run_id(self) -> int | None:
        key = self.query_one(TableView).cursor_key()
        return int(key) if key is not None else None

    def action_toggle_mark(self) -> None:
        run_id = self._cursor_run_id()
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
            self.marked = self.marked[-2:]  # a third mark replaces the oldest
        self._show()
        if len(self.marked) == 2:
            a, b = sorted(self.marked)
            self._say(f"Marked run {a} (A) and run {b} (B): c compares B against A.")
        elif self.marked:
            self._say(f"Marked run {self.marked[0]}: mark one more with space, then c compares them.")
        else:
            self._say(HINT)

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self._say(f"Mark two runs with space to compare them ({len(self.marked)} marked).")
            return
        a_id, b_id = sorted(self.marked)
        a, b = self.store.load_run(a_id), self.store.load_run(b_id)
        if a is None or b is None:
            self._say(f"Run {a_id if a is None else b_id} is no longer in the store.")
            self.reload()
            return
        if not have_common_rows(a, b):
            self._say(f"Runs {a_id} and {b_id} have no point in common (same strategy, items and length): "
                      "nothing to compare.")
            return
        self.app.push_screen(CompareScreen(a, b))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(event.row_key.value))

    def action_open_run(self) -> None:
        run_id = self._cursor_run_id()
        if run_id is not None:
            self._open(run_id)

    def _open(self, run_id: int) -> None:
        run = self.store.load_run(run_id)
        if run is None:
            self.notify(f"run {run_id} is no longer in the store", severity="error")
            return
        self.app.push_screen(StoredRunScreen(run))

