"""The split of a pool's measured time at each point, as stacked bars: start, shipping out, work,
shipping back and the rest (waiting), from the costs measured beside the timings
(`api.costs`, taken apart by `api.analysis`). One bar per pooled strategy and point,
each segment its own fill character, so the parts read without colour."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from workloads.api import KINDS, Measurement, analyse

from .. import keys

SEGMENTS = (("start", "█", "red"), ("ship out", "▓", "orange"), ("work", "▒", "green"),
            ("ship back", "░", "cyan"), ("waiting", "·", "gray"))
# Parts that add up to more than the measured time by this share are marked: the costs overshoot.
OVERSHOOT = 0.1


def legend() -> str:
    return "  ".join(f"{mark}{mark} {name}" for name, mark, _ in SEGMENTS) + "   !: parts over the call's time"


def bars(measurements: list[Measurement]) -> tuple[list[str], list[list[float]], bool]:
    """Bar labels, and each segment's seconds per bar (segments × bars); whether any bar's parts
    overshoot its measured time (those labels end in `!`)."""
    a = analyse(measurements)
    labels: list[str] = []
    columns: list[list[float]] = []
    overshoot = False
    for result in a.series.values():
        for point in result.points:
            split = point.split
            if split is None:
                continue
            over = split.waiting_s < -OVERSHOOT * point.measured_s
            overshoot = overshoot or over
            name = result.series.replace("@", "×")
            labels.append(f"{name} {point.items}/{point.length}" + ("!" if over else ""))
            columns.append([split.start_s, split.ship_out_s, split.work_s, split.ship_back_s, max(0.0, split.waiting_s)])
    return labels, [list(segment) for segment in zip(*columns)] if columns else [], overshoot


class BreakdownChart(PlotextPlot):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.measurements: list[Measurement] = []

    def set_measurements(self, measurements: list[Measurement], **_) -> None:
        self.measurements = list(measurements)
        self.refresh()

    def empty_title(self) -> str:
        pooled = [m for m in self.measurements if m.ok and KINDS[m.strategy].pooled]
        if not self.measurements:
            return f"no measurements yet: {keys.key_for('run')} runs the sweep"
        if not pooled:
            return "no pool split: no pooled strategy was measured"
        return "no pool split: the pooled rows carry no measured costs"

    def render(self):
        plt = self.plt
        plt.clear_figure()
        labels, segments, overshoot = bars(self.measurements)
        if not labels:
            plt.title(self.empty_title())
            return super().render()
        top = max(sum(values) for values in zip(*segments))
        scale, unit = (1e3, "ms") if top < 1 else (1.0, "s")
        plt.stacked_bar(labels, [[v * scale for v in segment] for segment in segments],
                        marker=[mark for _, mark, _ in SEGMENTS], color=[color for _, _, color in SEGMENTS],
                        orientation="horizontal", width=0.6)
        plt.title(f"each pool's call at each point, split ({unit})")
        return super().render()


class Breakdown(Vertical):
    """The chart, with its legend on a line of its own under it (never over the bars)."""

    def compose(self) -> ComposeResult:
        yield BreakdownChart(id="breakdown-chart")
        yield Static(legend(), id="breakdown-legend")

    def set_measurements(self, measurements: list[Measurement], **_) -> None:
        # Taken apart only when drawn: a hidden chart is never rendered.
        self.query_one(BreakdownChart).set_measurements(measurements)
