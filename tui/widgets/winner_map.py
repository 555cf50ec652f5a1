"""The winner map: the fastest strategy at each point of a sweep (items down, lengths across) and
its lead over the runner-up, with "≈" where that lead is within noise (its 95% interval spans 1,
`api.classify`). Given measurements; it never measures anything."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from workloads import api
from workloads.api import KINDS, Measurement, analyse, format_ratio

EMPTY = "The winner map fills in as points complete: the fastest strategy at each point and its lead."


def _marker(series: str) -> str:
    kind = KINDS.get(series.partition("@")[0])
    return kind.marker if kind is not None else "?"


def cell_text(cell) -> Text:
    """`* numpy 64.1×`: marker, winner, lead; `≈` and both names when the two are the same (within
    the margin); `?` after a lead not decided yet."""
    if cell is None:
        return Text("—", style="dim")
    text = Text(f"{_marker(cell.winner)} {cell.winner}")
    if cell.runner_up is None or cell.lead is None:
        return text
    if cell.verdict == api.SAME:
        return Text(f"≈ {cell.winner} / {cell.runner_up}", style="dim")
    text.append(f" {format_ratio(cell.lead.estimate)}", style="bold")
    if cell.verdict == api.UNDECIDED:
        text.append("?", style="yellow")
    return text


def winner_map(measurements: list[Measurement]):
    """The map as a rich renderable (a note when nothing succeeded yet)."""
    a = analyse(measurements)
    if not a.cells:
        return Text(EMPTY, style="dim")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    table.add_column("items \\ length", justify="right", no_wrap=True)
    for length in a.lengths:
        table.add_column(str(length), no_wrap=True)
    for items in a.items:
        table.add_row(str(items), *(cell_text(a.cells.get((items, length))) for length in a.lengths))
    notes = Text("fastest at each point; × = its lead over the runner-up (runner-up's time ÷ its own, paired by "
                 f"round); ≈ the same (within ±{a.margin:.0%}); ? lead not decided", style="dim")
    return Group(table, notes)


class WinnerMap(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__(Text(EMPTY, style="dim"), **kwargs)

    def show(self, measurements: list[Measurement]) -> None:
        self.update(winner_map(measurements))
