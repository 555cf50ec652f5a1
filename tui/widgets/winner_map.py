"""The winner map: the fastest strategy at each point of a sweep (items down, lengths across) and
its lead over the runner-up; "≈" where the two fastest are the same within the margin (the lead's
whole interval within ±margin), "?" after a lead not decided.
The table is the engine's (`api.winner_table`, the same as the exports' and the CLI's); given
measurements, it never measures anything."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from workloads.api import Measurement, analyse, winner_table

from ..report import FittedTable

EMPTY = "The winner map fills in as points complete: the fastest strategy at each point and its lead."


def winner_map(measurements: list[Measurement]):
    """The map as a rich renderable (a note when nothing succeeded yet)."""
    table = winner_table(analyse(measurements))
    if table is None:
        return Text(EMPTY, style="dim")
    caption = table.caption
    return Group(FittedTable(table.__class__(table.columns, table.rows)), Text(caption, style="dim"))


class WinnerMap(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__(Text(EMPTY, style="dim"), **kwargs)

    def show(self, measurements: list[Measurement]) -> None:
        self.update(winner_map(measurements))
