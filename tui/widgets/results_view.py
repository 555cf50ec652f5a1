"""The results of a sweep: table, time chart, speedup chart, the pools' split, the winner map and the
explanation, as tabs.

Used by the main screen (filled live as measurements arrive) and by the stored-run screen (filled
at once). It is given measurements; it never measures anything.

The table is the run's (`api.run_table`) as the screen shows it: at 80 columns, only the columns
that qualify a figure (median, speedup and its interval, status and its notes) beside what
identifies the row, one space between columns, and the focused row's whole story (min, stdev,
rounds, why it is not plainly ok) in a line under it.
Only the view on screen is drawn: a chart or the explanation that is not shown is marked stale and
brought up to date when its tab is opened, so a running sweep redraws one thing per measurement.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from workloads.api import (
    MARGIN,
    Machine,
    Measurement,
    Run,
    busy_points,
    decide_run,
    explain,
    format_seconds,
    row_key,
    row_status,
    run_table,
)

from .. import keys
from .breakdown import Breakdown
from .charts import ChartPane, SpeedupChart, TimeChart
from .focus import mark_tabs
from .status_line import StatusLine
from .table_view import TableView
from .winner_map import WinnerMap

TABS = ("table", "time", "speedup", "split", "map", "why")
TITLES = {"table": "Table", "time": "Time", "speedup": "Speedup", "split": "Split", "map": "Map", "why": "Why"}
EMPTY_WHY = "Run a sweep to see why its numbers are what they are."
EMPTY_TABLE = (f"No results yet: {keys.key_for('run')} runs the sweep set up in the form. Each row will say how far to trust "
               "it (status); the row under the cursor tells its whole story here. F1 lists every key.")


def row_story(m: Measurement, run: Run | None = None, measurements: list[Measurement] | None = None) -> str:
    """Everything about one row that the table has no room for: its spread, how many rounds and
    how far their interval got, and its status with the whole reason (the median, speedup and
    interval are in the row itself). Its decision is the run's (`measurements`: the rows so far)."""
    who = m.strategy + (f" ×{m.workers}" if m.workers is not None else "")
    head = f"{who}, {m.items} items × {m.length}"
    rows = measurements if measurements is not None else run.measurements if run is not None else [m]
    decided = decide_run(rows, margin=run.spec.margin if run is not None else MARGIN,
                         points=len(run.spec.points()) if run is not None else None)
    status = row_status(m, decided.row(m), busy=(m.items, m.length, m.arm) in busy_points(rows))
    if m.stats is None:
        return f"{head}: {status.word}: {status.reason}"
    s = m.stats
    if m.repeats == 1:
        parts = ["1 round"]
    else:
        rounds = f"over {m.repeats} rounds" + (f" of {m.loops} calls" if m.loops > 1 else "")
        parts = [f"min {format_seconds(s.min)}", f"stdev {format_seconds(s.stdev)} {rounds}"]
    interval = decided.row(m).interval
    if interval is not None and interval.has_bounds and m.strategy != "serial":
        parts.append(f"interval ±{interval.relative_half_width:.1%}")
    text = f"{head}: " + ", ".join(parts) + "."
    said = " ".join(f"{line}." for line in (status.reason, *status.explanations) if line)
    if status.word in ("baseline", "ok"):
        text += f" {status.word}" + (f": output {m.check}." if m.check else ".")
    else:
        text += f" {status.word}."
    if said:
        text += f" {said}"
    if "busy" in status.notes and m.wait_share is not None:
        text += (f" Its {'calls' if m.in_process else 'workers'} waited for a CPU {m.wait_share:.0%} of their "
                 "time.")
    return text


class ResultsTable(TableView):
    """The rows of a run (`api.run_table`), compact enough for 80 columns; `s` sorts by the next
    column. While a sweep fills it, the cursor follows the newest row unless it was moved away."""

    # Listed in F1 rather than the footer, which keeps its 80 columns for the global keys.
    BINDINGS = keys.bindings(keys.RESULTS_TABLE)

    def __init__(self, **kwargs) -> None:
        super().__init__(sortable=True, **kwargs)

    @property
    def worker_sweep(self) -> bool:
        return any(c.key == "workers" for c in self._shown)


class ResultsView(Vertical):
    """Tabs: the table, the two charts, the pools' split, the winner map and the explanation."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.measurements: list[Measurement] = []
        self.run: Run | None = None  # the run they belong to (its status words may depend on it)
        self.pool_workers: int | None = None
        self.cpus: int | None = None
        self.machine: Machine | None = None  # the run's: which interpreter, and whether its GIL was off
        self._stale: set[str] = set()  # views not drawn since the measurements changed
        self._followed_to: int | None = None  # the row a running sweep last put the cursor on

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="table"):
            with TabPane(TITLES["table"], id="table"):
                yield Static(EMPTY_TABLE, id="empty-hint")
                yield ResultsTable(id="results-table")
                yield StatusLine("", id="row-detail")
            with TabPane(TITLES["time"], id="time"):
                yield ChartPane(TimeChart(id="time-chart"), id="time-pane")
            with TabPane(TITLES["speedup"], id="speedup"):
                yield ChartPane(SpeedupChart(id="speedup-chart"), id="speedup-pane")
            with TabPane(TITLES["split"], id="split"):
                yield Breakdown(id="breakdown")
            with TabPane(TITLES["map"], id="map"):
                with VerticalScroll():
                    yield WinnerMap(id="winner-map")
            with TabPane(TITLES["why"], id="why"):
                with VerticalScroll(id="why-scroll"):
                    yield Static(EMPTY_WHY, id="why-text")

    def on_mount(self) -> None:
        self._show_detail()

    # Feeding it ---------------------------------------------------------------------------------

    def set_measurements(self, measurements: list[Measurement], *, workers: int | None = None,
                         cpus: int | None = None, run: Run | None = None) -> None:
        self.measurements = list(measurements)
        self.pool_workers = workers
        self.cpus = cpus
        self.run = run
        self.query_one(ResultsTable).show(run_table(run, self.measurements))
        self._changed()

    def add_measurement(self, measurement: Measurement) -> None:
        """A measurement as a sweep sends it; one sent again for the same row (more rounds) replaces it."""
        table = self.query_one(ResultsTable)
        following = not table.row_count or table.cursor_row >= table.row_count - 1
        if not table.row_count:
            self._followed_to = None
        key = row_key(measurement)
        index = next((i for i, m in enumerate(self.measurements) if row_key(m) == key), None)
        if index is None:
            self.measurements.append(measurement)
        else:
            self.measurements[index] = measurement
        table.show(run_table(self.run, self.measurements))
        if following and table.row_count and table.sort_column < 0:
            # The newest row in view: what the sweep just measured, and the end of the table when it is done.
            table.move_cursor(row=table.row_count - 1, animate=False)
            self._followed_to = table.cursor_row
        else:
            self._followed_to = None  # the user took the cursor elsewhere (or sorted): it stays theirs
        self._changed()

    def sweep_ended(self) -> None:
        """The cursor that followed the rows in goes back to the first: at 80×24 the last row in
        view scrolled the first points (serial at the fewest items) off the top. Where the user
        moved it, it stays."""
        table = self.query_one(ResultsTable)
        if self._followed_to is not None and table.row_count and table.cursor_row == self._followed_to:
            table.move_cursor(row=0, animate=False)
            table.scroll_home(animate=False)
        self._followed_to = None

    def clear_results(self) -> None:
        self.set_measurements([], workers=self.pool_workers, cpus=self.cpus, run=None)

    def _changed(self) -> None:
        self._stale = {"time", "speedup", "split", "map", "why"}
        self._show_detail()
        self._draw(self.active)

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active or "table"

    def _draw(self, tab: str) -> None:
        """Bring the shown view up to date (the others wait until they are shown)."""
        if tab not in self._stale:
            return
        self._stale.discard(tab)
        if tab in ("time", "speedup"):
            self.query_one(f"#{tab}-pane", ChartPane).set_measurements(
                self.measurements, workers=self.pool_workers, cpus=self.cpus)
        elif tab == "split":
            self.query_one(Breakdown).set_measurements(self.measurements, workers=self.pool_workers, cpus=self.cpus)
        elif tab == "map":
            self.query_one(WinnerMap).show(self.measurements)
        elif tab == "why":
            lines = explain(self.measurements, workers=self.pool_workers, cpus=self.cpus, machine=self.machine)
            self.query_one("#why-text", Static).update("\n\n".join(lines) if lines else self._nothing_to_explain())
            self.query_one("#why-scroll", VerticalScroll).scroll_home(animate=False)  # the verdict first

    def _nothing_to_explain(self) -> str:
        if not self.measurements:
            return EMPTY_WHY
        if not any(m.ok for m in self.measurements):
            return ("No row of this run was measured, so there are no figures to explain: the table's status "
                    "column says what happened to each, and the line under it the reason in full.")
        return "Nothing to explain yet: the explanation compares strategies once a point has serial and another."

    def is_stale(self, tab: str) -> bool:
        return tab in self._stale

    # The focused row's story ----------------------------------------------------------------------

    def _show_detail(self) -> None:
        table = self.query_one(ResultsTable)
        # An empty table would show a header cut off by the form: a hint instead, until the first row.
        table.display = bool(table.row_count)
        self.query_one("#empty-hint").display = not table.row_count
        key = table.cursor_key()
        m = next((m for m in self.measurements if row_key(m) == key), None) if key is not None else None
        detail = self.query_one("#row-detail", StatusLine)
        if m is None:
            detail.display = False
            return
        detail.display = True
        detail.say("→ " + row_story(m, self.run, self.measurements))  # the arrow sets it apart from the rows without colour

    @on(DataTable.RowHighlighted, "#results-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    # Tabs and focus --------------------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or "table"
        self._draw(tab)
        mark_tabs(self.query_one(TabbedContent), TITLES)

    def on_descendant_focus(self) -> None:
        mark_tabs(self.query_one(TabbedContent), TITLES)

    def on_descendant_blur(self) -> None:
        mark_tabs(self.query_one(TabbedContent), TITLES)

    def focus_results(self) -> None:
        """Give the keys to the view shown: the table (arrows, `s`), the explanation (PageDown)."""
        tab = self.active
        if tab == "table":
            self.query_one(ResultsTable).focus()
        elif tab == "why":
            self.query_one("#why-scroll").focus()
        else:
            self.query_one(TabbedContent).query_one("Tabs").focus()

    def page_why(self, pages: int) -> bool:
        """Scroll the explanation by whole pages if it is the view shown (whatever has the focus:
        moving the focus to it would restyle the screen at every visit); False if it is not."""
        if self.active != "why":
            return False
        scroll = self.query_one("#why-scroll", VerticalScroll)
        if pages > 0:
            scroll.scroll_page_down(animate=False)
        else:
            scroll.scroll_page_up(animate=False)
        return True

    def toggle_log(self) -> bool:
        charts = [*self.query(TimeChart).results(), *self.query(SpeedupChart).results()]
        new = not charts[0].log_scale if charts else True
        for chart in charts:
            chart.log_scale = new
        return new

    def next_tab(self) -> str:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(self.active) + 1) % len(TABS)]
        return tabs.active
