"""The results of a sweep: table, time chart, speedup chart, the pools' split, the winner map and the
explanation, as tabs.

Used by the main screen (filled live as measurements arrive) and by the stored-run screen (filled
at once). It is given measurements; it never measures anything.

The table is laid out for an 80-column terminal: only the columns that qualify a figure (median,
speedup and its interval, status) beside what identifies the row, one space between columns, and
the focused row's whole story (min, stdev, rounds, why it is not plainly ok) in a line under it.
Only the view on screen is drawn: a chart or the explanation that is not shown is marked stale and
brought up to date when its tab is opened, so a running sweep redraws one thing per measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from workloads.api import (
    KINDS,
    STOP_BUDGET,
    STOP_MAX_ROUNDS,
    STOP_PRECISION,
    Machine,
    Measurement,
    explain,
    format_interval,
    format_ratio,
    format_seconds,
    quality,
    serial_times,
    speedup,
    worker_sweep,
)

from .. import keys
from .breakdown import Breakdown
from .charts import ChartPane, SpeedupChart, TimeChart
from .status_line import StatusLine
from .winner_map import WinnerMap

TABS = ("table", "time", "speedup", "split", "map", "why")
EMPTY_WHY = "Run a sweep to see why its numbers are what they are."
EMPTY_TABLE = ("No results yet: ctrl+r runs the sweep set up in the form. Each row will say how far to trust "
               "it (status); the row under the cursor tells its whole story here. F1 lists every key.")

# A status word's style; its meaning never rests on the colour (the word says it).
STATUS_STYLE = {"ok": "dim", "failed": "bold red", "timeout": "bold red", "n/a": "dim"}
QUALIFIED_STYLE = "yellow"  # noisy, 1 repeat, budget, rounds, shared: measured, but read with care


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    right: bool = False  # numbers line up on the right


COLUMNS = (
    Column("strategy", "strategy"),
    Column("workers", "workers", right=True),  # only in a worker sweep
    Column("items", "items", right=True),
    Column("length", "length", right=True),
    Column("median", "median", right=True),
    Column("speedup", "speedup", right=True),
    Column("interval", "95% int.", right=True),
    Column("status", "status"),
)


def row_key(m: Measurement) -> str:
    return f"{m.strategy}|{m.workers}|{m.items}|{m.length}"


def status_text(m: Measurement) -> Text:
    label = quality(m).label
    return Text(label, style=STATUS_STYLE.get(label, QUALIFIED_STYLE))


def row_story(m: Measurement) -> str:
    """Everything about one row that the table has no room for: its spread, how many rounds and
    how far their interval got, and its status with the whole reason (the median, speedup and
    interval are in the row itself)."""
    who = m.strategy + (f" ×{m.workers}" if m.workers is not None else "")
    head = f"{who}, {m.items} items × {m.length}"
    q = quality(m)
    if m.stats is None:
        return f"{head}: {q.label}: {q.detail}"
    s = m.stats
    if m.repeats == 1:
        parts = ["1 round"]
    else:
        rounds = f"over {m.repeats} rounds" + (f" of {m.loops} calls" if m.loops > 1 else "")
        parts = [f"min {format_seconds(s.min)}", f"stdev {format_seconds(s.stdev)} {rounds}"]
    if m.precision is not None and m.stop in (STOP_PRECISION, STOP_BUDGET, STOP_MAX_ROUNDS):
        parts.append(f"interval ±{m.precision:.1%}")
    text = f"{head}: " + ", ".join(parts) + "."
    if q.detail:
        # A detail may start with its own label ("noisy: its repeats spread..."): not said twice.
        text += f" {q.detail}." if q.detail.startswith(q.label) else f" {q.label}: {q.detail}."
    elif m.check:
        text += f" ok: output {m.check}."
    else:
        text += " ok."
    return text


class ResultsTable(DataTable):
    """The rows of a run, compact enough for 80 columns; `s` sorts by the next column."""

    # Listed in F1 rather than the footer, which keeps its 80 columns for the global keys.
    BINDINGS = keys.bindings(keys.RESULTS_TABLE)

    def __init__(self, **kwargs) -> None:
        # No padding of DataTable's own (two spaces between columns): each cell brings one space.
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs)
        self.sort_column = -1  # an index into `columns()`; -1: the order the points were measured in
        self.measurements: list[Measurement] = []
        self.worker_sweep = False
        self._baselines: dict = {}

    def on_mount(self) -> None:
        self._add_columns()

    def columns_shown(self) -> list[Column]:
        return [c for c in COLUMNS if c.key != "workers" or self.worker_sweep]

    def _add_columns(self) -> None:
        for index, column in enumerate(self.columns_shown()):
            label = column.label + ("▾" if index == self.sort_column else "")
            self.add_column(Text(" " + label, justify="right" if column.right else "left"), key=column.key)

    def action_cycle_sort(self) -> None:
        count = len(self.columns_shown())
        self.sort_column = (self.sort_column + 2) % (count + 1) - 1
        self.show(self.measurements)

    def _row(self, m: Measurement) -> tuple[list, tuple]:
        """The row's cells, and its sort key per shown column (speedup sorts best first)."""
        s = m.stats
        interval = speedup(m, self._baselines)
        estimate = interval.estimate if interval is not None else None
        has_interval = interval is not None and math.isfinite(interval.low) and math.isfinite(interval.high)
        inf = float("inf")
        values = {
            "strategy": (m.strategy, m.strategy),
            "workers": (str(m.workers) if m.workers is not None else "", m.workers or 0),
            "items": (str(m.items), m.items),
            "length": (str(m.length), m.length),
            "median": (format_seconds(s.median if s else None), s.median if s else inf),
            "speedup": (format_ratio(estimate), -(estimate or 0.0)),
            "interval": (format_interval(interval.low, interval.high) if has_interval else "—",
                         -(interval.low if has_interval else 0.0)),
            "status": (None, quality(m).label),
        }
        cells, keys = [], []
        for column in self.columns_shown():
            text, key = values[column.key]
            cell = status_text(m) if column.key == "status" else Text(text)
            cell = Text(" ") + cell
            if column.right:
                cell.justify = "right"
            cells.append(cell)
            keys.append(key)
        return cells, tuple(keys)

    def append(self, measurement: Measurement) -> None:
        """Add one measurement; cheap while the table is in measurement order, which is what a
        running sweep needs (its point's serial row always arrives before the others)."""
        if self.sort_column >= 0 or worker_sweep([*self.measurements, measurement]) != self.worker_sweep:
            self.show([*self.measurements, measurement])
            return
        self.measurements.append(measurement)
        if KINDS[measurement.strategy].baseline and measurement.ok and measurement.times_s:
            self._baselines[measurement.point] = measurement.times_s
        cells, _ = self._row(measurement)
        self.add_row(*cells, key=row_key(measurement))

    def show(self, measurements: list[Measurement]) -> None:
        """Fill the table, sorted by the chosen column."""
        self.measurements = list(measurements)
        self._baselines = serial_times(self.measurements)
        sweeping = worker_sweep(self.measurements)
        if sweeping != self.worker_sweep:
            self.sort_column = -1
        self.worker_sweep = sweeping
        rows = {row_key(m): self._row(m) for m in self.measurements}
        order = list(rows)
        if self.sort_column >= 0:
            order.sort(key=lambda k: rows[k][1][self.sort_column])
        cursor = self.cursor_row
        self.clear(columns=True)
        self._add_columns()
        for key in order:
            self.add_row(*rows[key][0], key=key)
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1))

    def focused_measurement(self) -> Measurement | None:
        if not self.row_count:
            return None
        key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return next((m for m in self.measurements if row_key(m) == key.value), None)


class ResultsView(Vertical):
    """Tabs: the table, the two charts, the pools' split, the winner map and the explanation."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.measurements: list[Measurement] = []
        self.pool_workers: int | None = None
        self.cpus: int | None = None
        self.machine: Machine | None = None  # the run's: which interpreter, and whether its GIL was off
        self._stale: set[str] = set()  # views not drawn since the measurements changed

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="table"):
            with TabPane("Table", id="table"):
                yield Static(EMPTY_TABLE, id="empty-hint")
                yield ResultsTable(id="results-table")
                yield StatusLine("", id="row-detail")
            with TabPane("Time", id="time"):
                yield ChartPane(TimeChart(id="time-chart"), id="time-pane")
            with TabPane("Speedup", id="speedup"):
                yield ChartPane(SpeedupChart(id="speedup-chart"), id="speedup-pane")
            with TabPane("Split", id="split"):
                yield Breakdown(id="breakdown")
            with TabPane("Map", id="map"):
                with VerticalScroll():
                    yield WinnerMap(id="winner-map")
            with TabPane("Why", id="why"):
                with VerticalScroll(id="why-scroll"):
                    yield Static(EMPTY_WHY, id="why-text")

    def on_mount(self) -> None:
        self._show_detail()

    # Feeding it ---------------------------------------------------------------------------------

    def set_measurements(self, measurements: list[Measurement], *, workers: int | None = None,
                         cpus: int | None = None) -> None:
        self.measurements = list(measurements)
        self.pool_workers = workers
        self.cpus = cpus
        self.query_one(ResultsTable).show(self.measurements)
        self._changed()

    def add_measurement(self, measurement: Measurement) -> None:
        self.measurements.append(measurement)
        self.query_one(ResultsTable).append(measurement)
        self._changed()

    def clear_results(self) -> None:
        self.set_measurements([], workers=self.pool_workers, cpus=self.cpus)

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
        m = table.focused_measurement()
        detail = self.query_one("#row-detail", StatusLine)
        if m is None:
            detail.display = False
            return
        detail.display = True
        detail.say("→ " + row_story(m))  # the arrow sets it apart from the rows without colour

    @on(DataTable.RowHighlighted, "#results-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    # Tabs and focus --------------------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or "table"
        self._draw(tab)

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
