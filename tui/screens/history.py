"""Stored runs, newest first; enter opens one with its table and charts; space marks two runs and
c compares them (the older is A, the newer B)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workloads.api import Run, Store, have_common_rows

from .. import keys
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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(HINT, id="history-hint")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("", key=MARK_COLUMN, width=1)
        for name in ("id", "started (UTC)", "workload", "items", "length", "status", "rows", "python", "host"):
            table.add_column(name, key=name)
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.runs = self.store.runs(limit=500)
        ids = {run.id for run in self.runs}
        self.marked = [run_id for run_id in self.marked if run_id in ids]
        counts = self.store.measurement_counts()
        for run in self.runs:
            spec = run.spec
            host = (run.machine.hostname or "") + (" (imported)" if run.imported else "")
            table.add_row(
                self._mark_text(run.id), str(run.id), run.started_at.replace("T", " ")[:19], spec.workload_name(),
                _sizes(spec.items), _sizes(spec.length), run.status, str(counts.get(run.id, 0)),
                run.machine.python_text if run.machine.python else "", host,
                key=str(run.id),
            )
        if not self.runs:
            self.query_one("#history-hint", Static).update("No stored runs yet: ctrl+r on the main screen runs one.")

    def _mark_text(self, run_id: int) -> str:
        """`A` for the older marked run, `B` for the newer: the comparison reads B against A."""
        if run_id not in self.marked:
            return ""
        return "AB"[sorted(self.marked).index(run_id)]

    def _say(self, text: str) -> None:
        self.query_one("#history-hint", Static).update(text)

    def _cursor_run_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(row_key.value)

    def action_toggle_mark(self) -> None:
        run_id = self._cursor_run_id()
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
            self.marked = self.marked[-2:]  # a third mark replaces the oldest
        table = self.query_one(DataTable)
        for run in self.runs:
            table.update_cell(str(run.id), MARK_COLUMN, self._mark_text(run.id))
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


def _sizes(values: tuple[int, ...]) -> str:
    text = ",".join(map(str, values))
    return text if len(text) <= 16 else f"{values[0]}..{values[-1]} ({len(values)})"
