"""Two stored runs compared (from F2 history): what differs between them, the ratio table with a
mark per row, and the time chart with both runs overlaid.

The comparison itself is `api.compare`: worked out in a thread, since a large sweep has
hundreds of rows and each interval takes a moment.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from workloads import api
from workloads.api import (
    MIN_CHANGE,
    Comparison,
    Run,
    compare,
    comparison_table,
    constant_columns,
    run_header,
    summary,
)

from .. import keys
from ..widgets.compare_chart import CompareTimeChart, chart_key
from ..widgets.focus import mark_tabs
from ..widgets.table_view import TableView

TABS = ("ratios", "time")
TITLES = {"ratios": "Ratios", "time": "Time"}


def _run_line(run: Run, label: str) -> str:
    """`run 3 (sleep, 11-25 14:23)`: the status only when the run did not complete."""
    h = run_header(run)
    status = "" if h.status == "completed" else f", {h.status}"
    imported = ", imported" if run.imported else ""
    return f"{label} ({h.workload}, {h.started[5:16]}{status}{imported})"


def header_lines(comparison: Comparison) -> list[Text]:
    """The runs, any warning, what differs and how to read the marks, fitted to 80 columns."""
    constant = constant_columns(comparison)
    fixed = "".join(f", {name} {value}" for name, value in constant.items())
    lines = [Text(f"A {_run_line(comparison.a, comparison.label_a)}  B {_run_line(comparison.b, comparison.label_b)}"
                  f"{fixed}")]
    lines += [Text(f"warning: {warning}", style="bold yellow") for warning in comparison.warnings]
    lines.append(Text(f"differs: {api.difference_text(comparison)}"))
    # The interval's kind, in two words: two runs apart count the machine's variation between runs;
    # --vs arms were interleaved round by round and are paired.
    how = "interleaved" if comparison.test == api.INTERLEAVED else "between runs"
    lines.append(Text(f"{summary(comparison)} · B/A < 1: B faster · 95% {how} · "
                      f"same ±{comparison.min_change:.0%}", style="dim"))
    return lines


class CompareScreen(Screen[None]):
    BINDINGS = keys.bindings(keys.COMPARE)

    def __init__(self, a: Run, b: Run, *, min_change: float = MIN_CHANGE) -> None:
        super().__init__()
        self.run_a = a
        self.run_b = b
        self.min_change = min_change
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"comparing run {self.run_a.id} with run {self.run_b.id}…", id="compare-summary")
        with TabbedContent(initial="ratios", id="compare-tabs"):
            with TabPane(TITLES["ratios"], id="ratios"):
                yield TableView(id="compare-table")
            with TabPane(TITLES["time"], id="time"):
                yield CompareTimeChart(id="compare-chart")
                yield Static("", id="compare-key")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compare-table", TableView).focus()
        self._compare()

    @work(thread=True, exclusive=True)
    def _compare(self) -> None:
        comparison = compare(self.run_a, self.run_b, min_change=self.min_change)
        self.app.call_from_thread(self._show, comparison)

    def _show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.query_one("#compare-summary", Static).update(Text("\n").join(header_lines(comparison)))
        self.query_one("#compare-table", TableView).show(comparison_table(comparison))
        self.query_one(CompareTimeChart).set_runs(self.run_a.measurements, self.run_b.measurements)
        strategies = list(dict.fromkeys(m.strategy for m in [*self.run_a.measurements, *self.run_b.measurements]))
        self.query_one("#compare-key", Static).update(chart_key(comparison.label_a, comparison.label_b, strategies))

    def on_descendant_focus(self) -> None:
        mark_tabs(self.query_one(TabbedContent), TITLES)

    def on_descendant_blur(self) -> None:
        mark_tabs(self.query_one(TabbedContent), TITLES)

    def on_tabbed_content_tab_activated(self) -> None:
        mark_tabs(self.query_one(TabbedContent), TITLES)

    # Called by the app's ctrl+t and ctrl+l, as on the screens with a results view.

    def next_tab(self) -> str:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active or TABS[0]) + 1) % len(TABS)]
        return tabs.active

    def toggle_log(self) -> bool:
        chart = self.query_one(CompareTimeChart)
        chart.log_scale = not chart.log_scale
        return chart.log_scale

    def markdown(self) -> str | None:
        """The comparison as `parbench compare --format md` prints it (for ctrl+y)."""
        return api.comparison_markdown(self.comparison) if self.comparison is not None else None
