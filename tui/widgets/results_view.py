"""The results of a sweep: table, time chart, speedup chart, the pools' split, the winner map and
the explanation, as tabs.

Used by the main screen (filled live as measurements arrive) and by the stored-run screen (filled
at once). It is given measurements; it never measures anything.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from workloads.explain import explain
from workloads.export import format_seconds, format_speedup
from workloads.measurement import Measurement, serial_times, speedup_vs_serial

from .breakdown import Breakdown
from .charts import SpeedupChart, TimeChart
from .winner_map import WinnerMap

# Speedup next to the median: the two figures a user reads first, visible in a narrow pane.
COLUMNS = ("strategy", "items", "length", "median", "speedup", "min", "stdev", "status")
TABS = ("table", "time", "speedup", "split", "map", "why")


class ResultsTable(DataTable):
    BINDINGS = [Binding("s", "cycle_sort", "Sort", tooltip="sort by the next column")]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_column = -1  # -1: the order the points were measured in
        self.measurements: list[Measurement] = []

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def action_cycle_sort(self) -> None:
        self.sort_column = (self.sort_column + 2) % (len(COLUMNS) + 1) - 1
        self.show(self.measurements)
        name = COLUMNS[self.sort_column] if self.sort_column >= 0 else "measurement order"
        self.notify(f"sorted by {name}", timeout=2)

    @staticmethod
    def _row(m: Measurement, speedup: float | None) -> tuple[tuple, tuple]:
        """The row's cells, and its sort key per column (speedup sorts best first)."""
        s = m.stats
        if m.ok:
            status = Text("noisy", style="yellow") if s and s.noisy else Text("ok", style="dim")
        elif m.status == "n/a":
            status = Text("n/a: " + m.error, style="dim")
        else:
            status = Text(f"{m.status}: {m.error}", style="bold red")
        inf = float("inf")
        sort_key = (m.strategy, m.items, m.length, s.median if s else inf, -(speedup or 0.0),
                    s.min if s else inf, s.stdev if s else inf, m.status)
        cells = (
            m.strategy, Text(str(m.items), justify="right"), Text(str(m.length), justify="right"),
            Text(format_seconds(s.median if s else None), justify="right"),
            Text(format_speedup(speedup), justify="right"),
            Text(format_seconds(s.min if s else None), justify="right"),
            Text(format_seconds(s.stdev if s else None), justify="right"), status,
        )
        return cells, sort_key

    def append(self, measurement: Measurement) -> None:
        """Add one measurement; cheap while the table is in measurement order, which is what a
        running sweep needs (its point's serial row always arrives before the others)."""
        if self.sort_column >= 0:
            self.show([*self.measurements, measurement])
            return
        self.measurements.append(measurement)
        cells, _ = self._row(measurement, speedup_vs_serial(measurement, serial_times(
            [m for m in self.measurements if m.point == measurement.point])))
        self.add_row(*cells, key=f"{measurement.strategy}|{measurement.items}|{measurement.length}")

    def show(self, measurements: list[Measurement]) -> None:
        """Fill the table, sorted by the chosen column."""
        self.measurements = list(measurements)
        baselines = serial_times(measurements)
        rows = {f"{m.strategy}|{m.items}|{m.length}": self._row(m, speedup_vs_serial(m, baselines))
                for m in measurements}
        order = list(rows)
        if self.sort_column >= 0:
            order.sort(key=lambda k: rows[k][1][self.sort_column])
        cursor = self.cursor_row
        self.clear()
        for key in order:
            self.add_row(*rows[key][0], key=key)
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1))


class ResultsView(Vertical):
    """Tabs: the table, the two charts, the split, the map and the explanation of the numbers."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.measurements: list[Measurement] = []
        self.pool_workers: int | None = None
        self.cpus: int | None = None
        self._explained = False
        self._mapped = False

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="table"):
            with TabPane("Table", id="table"):
                yield ResultsTable(id="results-table")
            with TabPane("Time", id="time"):
                yield TimeChart(id="time-chart")
            with TabPane("Speedup", id="speedup"):
                yield SpeedupChart(id="speedup-chart")
            with TabPane("Split", id="split"):
                yield Breakdown(id="breakdown")
            with TabPane("Map", id="map"):
                with VerticalScroll():
                    yield WinnerMap(id="winner-map")
            with TabPane("Why", id="why"):
                with VerticalScroll():
                    yield Static("Run a sweep to see why its numbers are what they are.", id="why-text")

    def set_measurements(self, measurements: list[Measurement], *, workers: int | None = None,
                         cpus: int | None = None) -> None:
        self.measurements = list(measurements)
        self.pool_workers = workers
        self.cpus = cpus
        self._refresh_views()

    def add_measurement(self, measurement: Measurement) -> None:
        self.measurements.append(measurement)
        self.query_one(ResultsTable).append(measurement)
        self._refresh_charts()

    def clear_results(self) -> None:
        self.set_measurements([], workers=self.pool_workers, cpus=self.cpus)

    def _refresh_views(self) -> None:
        self.query_one(ResultsTable).show(self.measurements)
        self._refresh_charts()

    def _refresh_charts(self) -> None:
        for chart in (self.query_one(TimeChart), self.query_one(SpeedupChart), self.query_one(Breakdown)):
            chart.set_measurements(self.measurements, workers=self.pool_workers, cpus=self.cpus)
        self._explained = False
        self._mapped = False
        active = self.query_one(TabbedContent).active
        if active == "why":
            self._explain()
        elif active == "map":
            self._map()

    def _map(self) -> None:
        if not self._mapped:
            self.query_one(WinnerMap).show(self.measurements)
            self._mapped = True

    def _explain(self) -> None:
        if self._explained:
            return
        lines = explain(self.measurements, workers=self.pool_workers, cpus=self.cpus)
        self.query_one("#why-text", Static).update(
            "\n\n".join(lines) if lines else "Run a sweep to see why its numbers are what they are."
        )
        self._explained = True

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # The explanation is only worked out when someone looks at it.
        if event.pane.id == "why":
            self._explain()
        elif event.pane.id == "map":
            self._map()

    def toggle_log(self) -> bool:
        charts = [*self.query(TimeChart).results(), *self.query(SpeedupChart).results()]
        new = not charts[0].log_scale if charts else True
        for chart in charts:
            chart.log_scale = new
        return new

    def next_tab(self) -> str:
        tabs = self.query_one(TabbedContent)
        current = tabs.active or "table"
        tabs.active = TABS[(TABS.index(current) + 1) % len(TABS)]
        return tabs.active
