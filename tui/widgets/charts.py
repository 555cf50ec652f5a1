"""plotext charts of a sweep: time against the swept axis, and speedup against serial.

Each series is drawn with its strategy's own marker (`StrategyKind.marker`), the whole line made of
it, so lines stay apart on a monochrome terminal; the legend is a line of its own under the plot
(`ChartLegend`), never drawn over the data, and each entry shows the marker it stands for.

The lines are worked out once per change of the measurements (`set_measurements`), not at every
render. plotext 5 replaces a figure's stored data with its log10 whenever it builds a log-scale plot,
so a figure built twice (a resize, a theme change) would take the log of a log: the figure is
rebuilt from the kept lines at every render, and log scale is only turned on when there is positive
data to take the log of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.color import Color, ColorParseError
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual_plotext import PlotextPlot

from workloads.api import (
    KINDS,
    MARGIN,
    SAME,
    UNDECIDED,
    Measurement,
    decide_run,
    worker_sweep,
)

from .. import keys

IDEAL_MARKER = "·"
SERIAL_MARKER = "─"
CEILING_MARKER = "-"
NOISE_MARKER = "≈"


@dataclass(frozen=True)
class Line:
    """One line of a chart, as drawn and as its legend entry says: a strategy's series or a
    reference (the ideal, 1× = serial)."""

    label: str
    marker: str
    color: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    scatter: bool = False  # marks at points (within noise), not a line


def time_unit(max_seconds: float) -> tuple[str, float]:
    """The unit that keeps the largest value readable: (name, seconds per unit)."""
    if max_seconds < 1e-3:
        return "µs", 1e-6
    if max_seconds < 1:
        return "ms", 1e-3
    return "s", 1.0


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks covering [low, high] on a log axis, few enough to stay legible."""
    if low <= 0 or high <= 0:
        return []
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0 ** exponent
            if low / 1.001 <= value <= high * 1.001:
                ticks.append(value)
    if len(ticks) > 6:
        ticks = [t for t in ticks if round(t / 10 ** math.floor(math.log10(t))) == 1] or ticks
    return ticks


def tick_label(value: float) -> str:
    return f"{value:.3g}"


def log_axes(plt, log_scale: bool, low: float, high: float, suffix: str = "") -> None:
    """Log-log axes with 1-2-5 ticks, when the data allows it (log scale on, all positive)."""
    if log_scale and low > 0:
        plt.xscale("log")
        plt.yscale("log")
        ticks = log_ticks(low, high) or [low, high]
        plt.yticks(ticks, [tick_label(t) + suffix for t in ticks])


def swept_axis(measurements: list[Measurement]) -> str:
    """Which axis the chart runs along: the one that varies (items when both do); the workers when
    one point was measured at several worker counts."""
    items = {m.items for m in measurements}
    lengths = {m.length for m in measurements}
    if len(items) == 1 and len(lengths) == 1 and worker_sweep(measurements):
        return "workers"
    return "length" if len(items) == 1 and len(lengths) > 1 else "items"


def rich_color(name: str) -> str:
    """plotext's colour name as Rich knows it (plotext's "orange" is Rich's "orange1")."""
    for candidate in (name, name + "1"):
        try:
            Color.parse(candidate)
            return candidate
        except ColorParseError:
            continue
    return "default"


class SweepChart(PlotextPlot):
    """Shared behaviour: lines kept here, the figure rebuilt from them at every render.

    A subclass says what its lines are (`series_lines`, `reference_lines`) and how its axes read
    (`decorate`); the x value of a measurement comes from `x_of`.
    """

    log_scale: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.measurements: list[Measurement] = []
        self.pool_workers: int | None = None
        self.cpus: int | None = None
        self.margin = MARGIN  # the run's: what "the same as serial" means
        self.axis = "items"
        self.worker_sweep = False  # several worker counts: a line per strategy and count
        self.lines: list[Line] = []  # the strategies' series
        self.references: list[Line] = []  # lines to read them against
        self._version = 0  # bumped when the lines change
        self._drawn: tuple[tuple, object] | None = None  # (what it was drawn from, the drawing)

    def set_measurements(self, measurements: list[Measurement], *, workers: int | None = None,
                         cpus: int | None = None) -> None:
        self.measurements = measurements
        self.pool_workers = workers
        self.cpus = cpus
        self.axis = swept_axis(measurements)
        self.worker_sweep = worker_sweep(measurements)
        self.lines = self.series_lines()
        self.references = self.reference_lines() if self.lines else []
        self._version += 1
        self.refresh()

    def legend(self) -> list[Line]:
        return [*self.lines, *self.references]

    def watch_log_scale(self) -> None:
        self.refresh()

    def series_of(self, m: Measurement) -> str:
        """The line a measurement belongs to, named as its legend entry says (along the workers, a
        line per strategy; elsewhere in a worker sweep, a line per strategy and worker count)."""
        return m.series if self.worker_sweep and self.axis != "workers" else m.strategy

    def x_of(self, m: Measurement) -> float | None:
        if self.axis == "workers":
            return m.workers  # None for a strategy without workers: not on this axis
        return m.items if self.axis == "items" else m.length

    def xs(self) -> list[float]:
        return sorted({x for line in self.lines for x in line.xs})

    @staticmethod
    def strategy_line(label: str, strategy: str, points: list[tuple[float, float]]) -> Line:
        points.sort()
        kind = KINDS[strategy]
        return Line(label, kind.marker, kind.color, tuple(x for x, _ in points), tuple(y for _, y in points))

    def empty_title(self) -> str:
        if not self.measurements:
            return f"no measurements yet: {keys.key_for('run')} runs the sweep"
        return "nothing to draw: no row measured (the table says why)"

    def series_lines(self) -> list[Line]:
        raise NotImplementedError

    def reference_lines(self) -> list[Line]:
        return []

    def decorate(self, plt) -> None:
        raise NotImplementedError

    def scale_words(self) -> str:
        raise NotImplementedError

    def render(self):
        # A tab shown again, a layout pass: the same lines at the same size are not drawn again
        # (plotext takes 10-20 ms a figure, which a key press would otherwise wait for).
        key = (self._version, self.size, self.log_scale, self.app.theme)
        if self._drawn is not None and self._drawn[0] == key:
            return self._drawn[1]
        drawing = self._draw()
        self._drawn = (key, drawing)
        return drawing

    def _draw(self):
        plt = self.plt
        plt.clear_figure()
        if not self.lines:
            plt.title(self.empty_title())
            return super().render()
        # References first, so a strategy's marker wins where the two meet; marks last, over it.
        for line in sorted((*self.references, *self.lines), key=lambda line: line.scatter):
            draw = plt.scatter if line.scatter else plt.plot
            draw(list(line.xs), list(line.ys), marker=line.marker, color=line.color)
        self.decorate(plt)
        xs = self.xs()
        plt.xticks(xs, [str(int(x)) for x in xs])
        plt.xlabel(self.axis)
        return super().render()


class TimeChart(SweepChart):
    """Median time of each strategy against the swept axis, log-log by default like the seed's."""

    unit = "s"

    def series_lines(self) -> list[Line]:
        points: dict[str, list[tuple[float, float]]] = {}
        strategy_of: dict[str, str] = {}
        for m in self.measurements:
            if m.ok and m.stats is not None and self.x_of(m) is not None:
                points.setdefault(self.series_of(m), []).append((self.x_of(m), m.stats.median))
                strategy_of[self.series_of(m)] = m.strategy
        if not points:
            return []
        unit, scale = time_unit(max(y for line in points.values() for _, y in line))
        self.unit = unit
        return [self.strategy_line(series, strategy_of[series], [(x, y / scale) for x, y in line])
                for series, line in points.items()]

    def scale_words(self) -> str:
        return "log-log" if self.log_scale else "linear scale"

    def decorate(self, plt) -> None:
        values = [y for line in self.lines for y in line.ys]
        log_axes(plt, self.log_scale, min(values), max(values))
        plt.title(f"median time per call ({self.unit}) · {self.scale_words()}")


class SpeedupChart(SweepChart):
    """Speedup against serial per strategy, beside the ideal min(items, workers, CPUs), this
    machine's measured parallel ceiling when the run knows it, and 1×; a `≈` over each speedup whose
    95% interval spans 1 (within noise). Along the workers (one point, several worker counts) the
    ideal is the workers themselves.

    Its reference lines are one method each, gathered by `reference_lines`.
    """

    def series_lines(self) -> list[Line]:
        decided = decide_run(self.measurements, margin=self.margin)
        points: dict[str, list[tuple[float, float]]] = {}
        strategy_of: dict[str, str] = {}
        for m in self.measurements:
            if KINDS[m.strategy].baseline or self.x_of(m) is None or not m.ok:
                continue
            interval = decided.row(m).interval
            if interval is not None:
                points.setdefault(self.series_of(m), []).append((self.x_of(m), interval.estimate))
                strategy_of[self.series_of(m)] = m.strategy
        return [self.strategy_line(self.series_label(series, line), strategy_of[series], line)
                for series, line in points.items()]

    def series_label(self, series: str, points: list[tuple[float, float]]) -> str:
        """Along the workers, a strategy's legend entry carries its efficiency (speedup ÷ workers)
        at each count: the second curve of a worker sweep, read in words where a second y axis
        would not fit 80 columns."""
        if self.axis != "workers":
            return series
        return f"{series}, efficiency " + ", ".join(f"{y / x:.0%} at {x:g}" for x, y in sorted(points) if x)

    def empty_title(self) -> str:
        measured = {KINDS[m.strategy].baseline for m in self.measurements if m.ok}
        if measured == {False}:
            return "no speedup to draw: serial did not measure (the table says why)"
        if measured == {True}:
            return "no speedup to draw: no other strategy measured (the table says why)"
        return super().empty_title()

    def reference_lines(self) -> list[Line]:
        lines = [self.ideal_line()]
        ceiling = self.ceiling_line()
        if ceiling is not None:
            lines.append(ceiling)
        lines.append(self.serial_line())
        noise = self.within_noise_marks()
        if noise is not None:
            lines.append(noise)
        return lines

    def _items_at(self) -> dict[float, int]:
        return {self.x_of(m): m.items for m in self.measurements if self.x_of(m) is not None}

    def ideal_line(self) -> Line:
        """What perfect parallelism would give: as many items at once as workers and CPUs allow
        (along the workers: the workers, or the items when fewer)."""
        xs = self.xs()
        items_at = self._items_at()
        if self.axis == "workers":
            items = next(iter(items_at.values()), 1)
            return Line("ideal (the workers)", IDEAL_MARKER, "gray", tuple(xs),
                        tuple(float(min(x, items)) for x in xs))
        workers = self.pool_workers or 1
        cpus = self.cpus or workers
        ideal = tuple(float(min(items_at.get(x, 1), workers, cpus)) for x in xs)
        return Line(f"ideal (≤{min(workers, cpus)}×: {workers} workers, {cpus} CPUs)", IDEAL_MARKER, "gray",
                    tuple(xs), ideal)

    def ceiling(self) -> float | None:
        """This machine's measured parallel ceiling, as the pool costs of this run carry it."""
        return next((m.costs.ceiling for m in self.measurements if m.costs and m.costs.ceiling), None)

    def ceiling_line(self) -> Line | None:
        ceiling = self.ceiling()
        if not ceiling:
            return None
        xs = self.xs()
        items_at = self._items_at()
        workers = self.pool_workers or 1
        if self.axis == "workers":
            ys = tuple(min(x, items_at.get(x, x), ceiling) for x in xs)
        else:
            ys = tuple(min(items_at.get(x, 1), workers, ceiling) for x in xs)
        return Line(f"this machine's ceiling {ceiling:.2f}×", CEILING_MARKER, "white", tuple(xs), ys)

    def serial_line(self) -> Line:
        xs = self.xs()
        return Line("1× = serial", SERIAL_MARKER, "white", tuple(xs), tuple(1.0 for _ in xs))

    def within_noise_marks(self) -> Line | None:
        """A `≈` over each speedup not decided against serial (the same within the margin, or not
        told apart): the line there may not differ from serial."""
        decided = decide_run(self.measurements, margin=self.margin)
        marks = []
        for m in self.measurements:
            if KINDS[m.strategy].baseline or self.x_of(m) is None or not m.ok:
                continue
            decision = decided.row(m)
            if decision.interval is not None and decision.verdict in (SAME, UNDECIDED):
                marks.append((self.x_of(m), decision.interval.estimate))
        if not marks:
            return None
        return Line("not shown to differ from serial", NOISE_MARKER, "yellow", tuple(x for x, _ in marks),
                    tuple(y for _, y in marks), scatter=True)

    def scale_words(self) -> str:
        return "log scale" if self.log_scale else "linear scale"

    def decorate(self, plt) -> None:
        values = [y for line in self.legend() for y in line.ys]
        log_axes(plt, self.log_scale, min(values), max(values), "×")
        where = ""
        if self.axis == "workers" and self.measurements:
            where = f" at items={self.measurements[0].items}, length={self.measurements[0].length}"
        plt.title(f"speedup against serial{where} · {self.scale_words()}")


class ChartLegend(Widget):
    """The chart's legend on lines of its own under the plot: `marker label` entries, wrapped
    between entries (never inside one), each in its line's colour."""

    DEFAULT_CSS = """
    ChartLegend {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Line] = []

    def show(self, entries: list[Line]) -> None:
        if [(e.label, e.marker) for e in entries] != [(e.label, e.marker) for e in self.entries]:
            self.entries = entries
            self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        lines: list[Text] = []
        current = Text()
        for entry in self.entries:
            piece = Text(f"{entry.marker} ", style=f"bold {rich_color(entry.color)}") + Text(entry.label)
            if current and current.cell_len + 2 + piece.cell_len > width:
                lines.append(current)
                current = Text()
            if current:
                current.append("  ")
            current.append_text(piece)
        if current:
            lines.append(current)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_size.width))


class ChartPane(Vertical):
    """A chart with its legend under it."""

    DEFAULT_CSS = """
    ChartPane {
        height: 1fr;
    }
    """

    def __init__(self, chart: SweepChart, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart = chart

    def compose(self) -> ComposeResult:
        yield self.chart
        yield ChartLegend()

    def set_measurements(self, measurements: list[Measurement], *, workers: int | None = None,
                         cpus: int | None = None) -> None:
        self.chart.set_measurements(measurements, workers=workers, cpus=cpus)
        self.query_one(ChartLegend).show(self.chart.legend())
