"""The time chart of two runs overlaid: each strategy's median time against the swept axis, run A
drawn with dotted lines and run B with solid ones, each point marked with its strategy's glyph and
coloured with its colour, so both runs and strategies stay apart on a monochrome terminal.

Like the sweep charts (`charts.py`), it keeps its series itself and rebuilds the figure at every
render (plotext takes the log of stored data in place).
"""

from __future__ import annotations

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from workloads.api import KINDS, Measurement, worker_sweep

from .charts import log_axes, swept_axis, time_unit

# (what the caption shows, plotext's marker for the line) per run.
RUN_LINES = {"A": ("·····", "·"), "B": ("▄▄▄▄▄", "hd")}

Line = list[tuple[float, float]]


def series_of(measurements: list[Measurement], axis: str) -> dict[str, Line]:
    """Median time per line (a strategy, or strategy@workers in a worker sweep) along `axis`."""
    by_workers = worker_sweep(measurements)
    lines: dict[str, Line] = {}
    for m in measurements:
        if m.ok and m.stats is not None:
            name = m.series if by_workers else m.strategy
            lines.setdefault(name, []).append((m.items if axis == "items" else m.length, m.stats.median))
    for line in lines.values():
        line.sort()
    return lines


class CompareTimeChart(PlotextPlot):
    log_scale: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.runs: dict[str, list[Measurement]] = {"A": [], "B": []}

    def set_runs(self, a: list[Measurement], b: list[Measurement]) -> None:
        self.runs = {"A": list(a), "B": list(b)}
        self.refresh()

    def watch_log_scale(self) -> None:
        self.refresh()

    def lines(self) -> tuple[str, dict[str, dict[str, Line]]]:
        """The swept axis, and each run's lines."""
        axis = swept_axis([m for ms in self.runs.values() for m in ms])
        return axis, {run: series_of(ms, axis) for run, ms in self.runs.items()}

    def render(self):
        plt = self.plt
        plt.clear_figure()
        axis, runs = self.lines()
        values = [y for lines in runs.values() for line in lines.values() for _, y in line]
        if not values:
            plt.title("neither run has a measured point to draw")
            return super().render()
        unit, scale = time_unit(max(values))
        xs = sorted({x for lines in runs.values() for line in lines.values() for x, _ in line})
        for run, lines in runs.items():
            _, line_marker = RUN_LINES[run]
            for name, line in lines.items():
                strategy = name.split("@")[0]
                lx = [x for x, _ in line]
                ly = [y / scale for _, y in line]
                color = KINDS[strategy].color if strategy in KINDS else "white"
                plt.plot(lx, ly, marker=line_marker, color=color)
                plt.scatter(lx, ly, marker=KINDS[strategy].marker if strategy in KINDS else "o", color=color)
        log_axes(plt, self.log_scale, min(values) / scale, max(values) / scale)
        plt.xticks(xs, [str(int(x)) for x in xs])
        plt.xlabel(axis)
        plt.ylabel(f"median time ({unit})")
        return super().render()


def chart_key(label_a: str, label_b: str, strategies: list[str]) -> str:
    """The chart's key in one line: which line is which run, which glyph which strategy."""
    runs = "  ".join(f"{RUN_LINES[run][0]} {run} = {label}" for run, label in (("A", label_a), ("B", label_b)))
    glyphs = "  ".join(f"{KINDS[s].marker if s in KINDS else 'o'} {s}" for s in strategies)
    return f"{runs}   {glyphs}"
