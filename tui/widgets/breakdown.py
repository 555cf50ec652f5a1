"""The split of a pool's measured time at each point, as stacked bars: start, shipping out, work,
shipping back and the rest (waiting), from the costs measured beside the timings (taken apart by
`api.analyse`).

Drawn as text, one line per pooled strategy and point, each part its own fill character, so the
parts read without colour; a ruler with round ticks (0, 200, 400 ms) above the bars, and a legend
on one line under them that explains every mark, `!` included.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from workloads.api import KINDS, Measurement, analyse

from .. import keys

SEGMENTS = (("start", "█", "red"), ("ship out", "▓", "dark_orange"), ("work", "▒", "green"),
            ("ship back", "░", "cyan"), ("waiting", "·", "grey50"))
# Parts that add up to more than the measured time by this share are marked: the costs overshoot.
OVERSHOOT = 0.1
OVER_MARK = "!"


def legend() -> str:
    return "  ".join(f"{mark} {name}" for name, mark, _ in SEGMENTS) + f"  {OVER_MARK} parts exceed the call"


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
            labels.append(f"{name} {point.items}/{point.length}" + (OVER_MARK if over else ""))
            columns.append([split.start_s, split.ship_out_s, split.work_s, split.ship_back_s, max(0.0, split.waiting_s)])
    return labels, [list(segment) for segment in zip(*columns)] if columns else [], overshoot


def nice_step(top: float, most: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers `top` in at most `most` steps."""
    if top <= 0:
        return 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _number(value: float) -> str:
    return f"{value:g}"


def ruler(scale_end: float, step: float, width: int) -> tuple[str, str]:
    """The tick labels and the ruler line over `width` columns from 0 to `scale_end`."""
    labels = [" "] * width
    line = ["─"] * width
    ticks = round(scale_end / step)
    for k in range(ticks + 1):
        column = round(k * step / scale_end * (width - 1))
        line[column] = "┼" if 0 < column < width - 1 else ("├" if column == 0 else "┤")
        text = _number(k * step)
        start = min(column, width - len(text))
        if all(c == " " for c in labels[max(0, start - 1):start + len(text)]):
            labels[start:start + len(text)] = list(text)
    return "".join(labels), "".join(line)


def bar(parts: list[float], scale_end: float, width: int) -> Text:
    """One bar: each part's fill for its share of `scale_end`, placed by its running total so the
    bar's length is its whole time whatever the rounding of each part."""
    text = Text()
    done = 0.0
    drawn = 0
    for (name, mark, colour), seconds in zip(SEGMENTS, parts):
        done += seconds
        end = round(done / scale_end * width)
        if end > drawn:
            text.append(mark * (end - drawn), style=colour)
            drawn = end
    return text


def split_chart(measurements: list[Measurement], width: int) -> Text:
    labels, segments, _ = bars(measurements)
    if not labels:
        return Text(empty_title(measurements), style="dim")
    per_bar = list(zip(*segments))
    top = max(sum(parts) for parts in per_bar)
    unit, factor = ("ms", 1e3) if top < 1 else ("s", 1.0)
    label_width = max(len(label) for label in labels)
    room = max(10, width - label_width - 2)
    step = nice_step(top * factor, max(2, min(5, room // 8)))
    scale_end = math.ceil(top * factor / step) * step / factor
    ticks, line = ruler(scale_end * factor, step, room)
    out = Text(f"each pool's call at each point, split ({unit})\n", style="bold")
    out.append(" " * (label_width + 2) + ticks + "\n")
    out.append(" " * (label_width + 2) + line + "\n", style="dim")
    for label, parts in zip(labels, per_bar):
        out.append(label.rjust(label_width) + "  ")
        out.append_text(bar(list(parts), scale_end, room))
        out.append("\n")
    out.rstrip()
    return out


def empty_title(measurements: list[Measurement]) -> str:
    pooled = [m for m in measurements if m.ok and KINDS[m.strategy].pooled]
    if not measurements:
        return f"no measurements yet: {keys.key_for('run')} runs the sweep"
    if not pooled:
        return "no pool split: no pooled strategy was measured"
    return "no pool split: the pooled rows carry no measured costs"


class BreakdownChart(Static):
    """The bars, drawn for the width they are given."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.measurements: list[Measurement] = []

    def set_measurements(self, measurements: list[Measurement], **_) -> None:
        self.measurements = list(measurements)
        self._draw()

    def _draw(self) -> None:
        width = self.size.width or 78
        self.update(split_chart(self.measurements, width))

    def on_resize(self) -> None:
        self._draw()


class Breakdown(Vertical):
    """The chart, with its legend on a line of its own under it (never over the bars)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="breakdown-scroll"):
            yield BreakdownChart(id="breakdown-chart")
        yield Static(legend(), id="breakdown-legend")

    def set_measurements(self, measurements: list[Measurement], **_) -> None:
        # Taken apart only when drawn: a hidden chart is never rendered.
        self.query_one(BreakdownChart).set_measurements(measurements)
