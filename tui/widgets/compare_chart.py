"""The time chart of two runs overlaid: each strategy's median time against the swept axis, run A
as a dotted line with the strategy's marker at each measured point, run B as a solid line of the
strategy's marker, each in the strategy's colour, so both runs and every strategy stay apart on a
monochrome terminal.

Like the sweep charts (`charts.py`), it keeps its series itself and rebuilds the figure at every
render (plotext takes the log of stored data in place).
"""

from __future__ import annotations

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from workloads.api import KINDS, Measurement, worker_sweep

from .charts import log_axes, swept_axis, time_unit

DOT = "·"  # run A's line between its marked points

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
        # A's dots first, B's solid lines over them, then A's marks on top: where the two runs
        # draw on the same cells (runs within noise of each other), B's line stays whole and each
        # measured point of A still shows its strategy's marker.
        drawn = [(run, name, line) for run in ("A", "B") for name, line in runs[run].items()]
        for step in ("A line", "B line", "A marks"):
            for run, name, line in drawn:
                if run != step[0]:
                    continue
                strategy = name.split("@")[0]
                color = KINDS[strategy].color if strategy in KINDS else "white"
                lx = [x for x, _ in line]
                ly = [y / scale for _, y in line]
                if step == "B line":
                    plt.plot(lx, ly, marker=marker_of(name), color=color)
                elif step == "A line":
                    plt.plot(lx, ly, marker=DOT, color=color)
                else:
                    plt.scatter(lx, ly, marker=marker_of(name), color=color)
        log_axes(plt, self.log_scale, min(values) / scale, max(values) / scale)
        plt.xticks(xs, [str(int(x)) for x in xs])
        plt.xlabel(axis)
        plt.ylabel(f"median time ({unit})")
        return super().render()


def marker_of(name: str) -> str:
    strategy = name.split("@")[0]
    return KINDS[strategy].marker if strategy in KINDS else "o"


def chart_key(label_a: str, label_b: str, strategies: list[str]) -> str:
    """The chart's key: which line is which run, which marker which strategy."""
    sample = marker_of(strategies[0]) if strategies else "o"
    dotted = f"{sample}{DOT * 3}{sample}"
    runs = f"A = {label_a}: dotted {dotted}   B = {label_b}: solid {sample * 5}"
    glyphs = "  ".join(f"{marker_of(s)} {s}" for s in strategies)
    return f"{runs}\n{glyphs}"
