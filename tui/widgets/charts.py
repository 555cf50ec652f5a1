"""plotext charts of a sweep: time against the swept axis, and speedup against serial.

plotext 5 replaces a figure's stored data with its log10 whenever it builds a log-scale plot, so a
figure built twice (a resize, a theme change) would take the log of a log. These widgets keep their
series themselves and rebuild the whole figure from them at every render; log scale is only turned
on when there is positive data to take the log of.
"""

from __future__ import annotations

import math

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from workloads import stats
from workloads.measurement import Measurement, serial_times, speedup, speedup_vs_serial
from workloads.strategies import KINDS

# One marker per strategy, so lines stay apart without colour (a monochrome SSH terminal).
MARKERS = {name: kind.marker for name, kind in KINDS.items()}
COLORS = {name: kind.color for name, kind in KINDS.items()}

Series = dict[str, list[tuple[float, float]]]


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


def swept_axis(measurements: list[Measurement]) -> str:
    """Which axis the chart runs along: the one that varies (items when both do)."""
    items = {m.items for m in measurements}
    lengths = {m.length for m in measurements}
    return "length" if len(items) == 1 and len(lengths) > 1 else "items"


class SweepChart(PlotextPlot):
    """Shared behaviour: series kept here, the figure rebuilt from them at every render."""

    log_scale: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.measurements: list[Measurement] = []
        self.pool_workers: int | None = None
        self.cpus: int | None = None

    def set_measurements(self, measurements: list[Measurement], *, workers: int | None = None,
                         cpus: int | None = None) -> None:
        self.measurements = list(measurements)
        self.pool_workers = workers
        self.cpus = cpus
        self.refresh()

    def watch_log_scale(self) -> None:
        self.refresh()

    def series(self) -> tuple[str, Series]:
        raise NotImplementedError

    def decorate(self, plt, axis: str, series: Series, xs: list[float]) -> None:
        raise NotImplementedError

    def render(self):
        plt = self.plt
        plt.clear_figure()
        axis, series = self.series()
        points = [p for line in series.values() for p in line]
        if not points:
            plt.title("no measurements yet: ctrl+r runs the sweep")
            return super().render()
        xs = sorted({x for x, _ in points})
        self.decorate(plt, axis, series, xs)
        plt.xlabel(axis)
        return super().render()


class TimeChart(SweepChart):
    """Median time of each strategy against the swept axis, log-log by default like the seed's."""

    def series(self) -> tuple[str, Series]:
        axis = swept_axis(self.measurements)
        series: Series = {}
        for m in self.measurements:
            if m.ok and m.stats is not None:
                x = m.items if axis == "items" else m.length
                series.setdefault(m.strategy, []).append((x, m.stats.median))
        return axis, series

    def decorate(self, plt, axis: str, series: Series, xs: list[float]) -> None:
        values = [y for line in series.values() for _, y in line]
        unit, scale = time_unit(max(values))
        for strategy, line in series.items():
            line.sort()
            lx = [x for x, _ in line]
            ly = [y / scale for _, y in line]
            plt.plot(lx, ly, label=strategy, color=COLORS.get(strategy, "white"))
            plt.scatter(lx, ly, marker=MARKERS.get(strategy, "o"), color=COLORS.get(strategy, "white"))
        low, high = min(values) / scale, max(values) / scale
        if self.log_scale and low > 0:
            plt.xscale("log")
            plt.yscale("log")
            ticks = log_ticks(low, high) or [low, high]
            plt.yticks(ticks, [tick_label(t) for t in ticks])
        plt.xticks(xs, [str(int(x)) for x in xs])
        plt.ylabel(f"median time ({unit})")
        plt.title("time per sweep point" + (" (log-log)" if self.log_scale else ""))


class SpeedupChart(SweepChart):
    """Speedup against serial per strategy, beside the ideal min(items, workers, CPUs) and 1×."""

    def series(self) -> tuple[str, Series]:
        if self._workers_vary_alone():
            return self._workers_series()
        axis = swept_axis(self.measurements)
        baselines = serial_times(self.measurements)
        series: Series = {}
        for m in self.measurements:
            if KINDS[m.strategy].baseline:
                continue
            value = speedup_vs_serial(m, baselines)
            if value is not None:
                x = m.items if axis == "items" else m.length
                # In a worker sweep each worker count is a line of its own ("processes@4").
                series.setdefault(m.series if self._several_workers() else m.strategy, []).append((x, value))
        return axis, series

    def decorate(self, plt, axis: str, series: Series, xs: list[float]) -> None:
        if axis == "workers":
            self._decorate_workers(plt, series, xs)
            return
        values = [y for line in series.values() for _, y in line]
        workers = self.pool_workers or 1
        cpus = self.cpus or workers
        by_x_items = {(m.items if axis == "items" else m.length): m.items for m in self.measurements}
        ideal = [min(by_x_items.get(x, 1), workers, cpus) for x in xs]
        plt.plot(xs, ideal, label=f"ideal (min of items, {workers} workers, {cpus} CPUs)", color="gray")
        plt.plot(xs, [1.0] * len(xs), label="1× = serial", color="white")
        for strategy, line in series.items():
            line.sort()
            lx = [x for x, _ in line]
            ly = [y for _, y in line]
            kind = strategy.partition("@")[0]
            plt.plot(lx, ly, label=strategy, color=COLORS.get(kind, "white"))
            plt.scatter(lx, ly, marker=MARKERS.get(kind, "o"), color=COLORS.get(kind, "white"))
        all_values = values + ideal + [1.0]
        low, high = min(all_values), max(all_values)
        if self.log_scale and low > 0:
            plt.xscale("log")
            plt.yscale("log")
            ticks = log_ticks(low, high) or [low, high]
            plt.yticks(ticks, [tick_label(t) + "×" for t in ticks])
        self._mark_within_noise(plt, axis)
        plt.xticks(xs, [str(int(x)) for x in xs])
        plt.ylabel("speedup vs serial")
        plt.title("speedup against serial" + (" (log)" if self.log_scale else ""))

    # Worker sweeps and confidence -----------------------------------------------------------------

    def _pooled(self) -> list[Measurement]:
        return [m for m in self.measurements if KINDS[m.strategy].pooled and m.workers is not None]

    def _several_workers(self) -> bool:
        return len({m.workers for m in self._pooled()}) > 1

    def _workers_vary_alone(self) -> bool:
        """One point measured at several worker counts: the chart runs along the workers."""
        pooled = self._pooled()
        return len({m.point for m in self.measurements}) == 1 and len({m.workers for m in pooled}) > 1

    def _ceiling(self) -> float | None:
        return next((m.costs["ceiling"] for m in self.measurements if m.costs and m.costs.get("ceiling")), None)

    def _workers_series(self) -> tuple[str, Series]:
        baselines = serial_times(self.measurements)
        series: Series = {}
        for m in self._pooled():
            value = speedup_vs_serial(m, baselines)
            if value is not None:
                series.setdefault(m.strategy, []).append((m.workers, value))
        return "workers", series

    def _decorate_workers(self, plt, series: Series, xs: list[float]) -> None:
        """Speedup against workers with the ideal (the workers, or the items when fewer) and this
        machine's measured ceiling; efficiency (speedup ÷ workers) on the right axis."""
        items = self.measurements[0].items
        ideal = [min(x, items) for x in xs]
        plt.plot(xs, ideal, label="ideal: the workers", color="gray")
        ceiling = self._ceiling()
        if ceiling:
            plt.plot(xs, [min(x, items, ceiling) for x in xs], label=f"this machine's ceiling {ceiling:.2f}×",
                     color="white", marker="-")
        values = list(ideal)
        for strategy, line in series.items():
            line.sort()
            lx = [x for x, _ in line]
            ly = [y for _, y in line]
            values.extend(ly)
            plt.plot(lx, ly, label=strategy, color=COLORS.get(strategy, "white"))
            plt.scatter(lx, ly, marker=MARKERS.get(strategy, "o"), color=COLORS.get(strategy, "white"))
            plt.plot(lx, [y / x for x, y in line], yside="right", color=COLORS.get(strategy, "white"), marker=".",
                     label=f"{strategy} efficiency (right)")
        self._mark_within_noise(plt, "workers")
        if self.log_scale and min(values) > 0:
            plt.xscale("log")
        plt.xticks(xs, [str(int(x)) for x in xs])
        plt.ylabel("speedup vs serial")
        plt.title(f"speedup and efficiency against workers (items={items}, length={self.measurements[0].length})")

    def _mark_within_noise(self, plt, axis: str) -> None:
        """A `≈` over each speedup whose 95% interval spans 1: not known to differ from serial."""
        baselines = serial_times(self.measurements)
        marks = []
        for m in self.measurements:
            if KINDS[m.strategy].baseline:
                continue
            interval = speedup(m, baselines)
            if interval is not None and stats.classify(interval) == stats.WITHIN_NOISE:
                x = m.workers if axis == "workers" else m.items if axis == "items" else m.length
                marks.append((x, interval.estimate))
        if marks:
            plt.scatter([x for x, _ in marks], [y for _, y in marks], marker="≈", color="yellow",
                        label="≈ within noise (95% interval spans 1×)")
