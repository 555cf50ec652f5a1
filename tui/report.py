"""What the command line prints to stdout: a run's results, the stored runs and comparisons as rich
tables on a terminal, or the same tables as Markdown, CSV or JSON text (`api.run_text` and co.).

Every table is an `api.Table` (declared once in the engine's presenting layer); `FittedTable`
draws one with rich at the terminal's width, dropping whole columns a table marks as droppable
rather than cutting a word, and saying each distinct note once under it. `render_run`,
`render_history` and `render_comparisons` give a command's output in the format asked; `emit`
writes it to stdout with colour only on a terminal.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table as RichTable
from rich.text import Text

from workloads import api
from workloads.api import SCREEN, Comparison, Run, Table, fit_texts, fold

from . import tones


class FittedTable:
    """An `api.Table` as a rich table, fitted to the width it is printed at."""

    def __init__(self, table: Table, *, notes: bool = True, gap: int = 1) -> None:
        self.table = table
        self.notes = notes
        self.gap = gap

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self.table
        shown = table.shown(SCREEN)
        numbers = table.footnotes(SCREEN) if self.notes else {}
        texts = self._texts(shown, numbers)
        # Each column but the last is followed by its padding (`gap`) and the box's divider (one space).
        columns, widths = fit_texts(shown, texts.values(), options.max_width + self.gap + 1, self.gap + 1)
        if self.notes and len(columns) < len(shown):  # a dropped column's notes are not numbered
            numbers = Table(tuple(columns), table.rows).footnotes(SCREEN)
            texts = self._texts(columns, numbers)
        out = RichTable(title=table.title or None, caption=table.caption or None, box=box.SIMPLE_HEAD,
                        show_edge=False, padding=(0, self.gap, 0, 0) if self.gap else (0, 0), pad_edge=False,
                        caption_justify="left")
        for column in columns:
            # A folding column (notes) gets the width left and its cells fold between words; every
            # other column is as wide as its widest cell, so a figure is never cut.
            out.add_column(column.header(SCREEN), justify="right" if column.align == api.RIGHT else "left",
                           no_wrap=True, width=widths[column.key] if column.fold else None)
        for row in table.rows:
            out.add_row(*(Text("\n".join(fold(texts[row.key][c.key], widths[c.key])) if c.fold else texts[row.key][c.key],
                               style=tones.style(row.tones.get(c.key))) for c in columns))
        yield out
        worded = table.worded_notes(SCREEN) if self.notes else set()
        for note, number in numbers.items():
            yield Text(note if note in worded else f"[{number}] {note}", style="dim")
        for column in shown:
            if column.fold and column not in columns:
                yield from self._left_out(column, options.max_width)

    def _left_out(self, column, width: int) -> RenderResult:
        """A folding column with no room even folded (notes beside a worker sweep's figures): each
        of its notes said under the table, with how many rows it qualifies."""
        rows = self.table.rows
        counts: dict[str, int] = {}
        for row in rows:
            for note in row.notes_of(column.key):
                counts[note] = counts.get(note, 0) + 1
        if not counts:
            return
        yield Text(f"{column.heading} (no room beside the figures in {width} columns; a wider terminal or --format md "
                   "shows each row's):", style="dim")
        for note, count in counts.items():
            which = "every row" if count == len(rows) else f"{count} of {len(rows)} rows"
            yield Text(f"- {note} ({which})", style="dim")

    def _texts(self, columns: list, numbers) -> dict[str, dict[str, str]]:
        table = self.table
        return {row.key: {c.key: table.cell_with_note(row, c, numbers, SCREEN) for c in columns} for row in table.rows}


# A run -------------------------------------------------------------------------------------------------------


def verdict_and_map(run: Run) -> Group:
    """What goes under the run's table: the verdict, then the winner map when both items and length
    vary, and speedup against workers in a worker sweep."""
    from workloads.api import analyse, run_ceiling, scaling_table, verdict, winner_table

    ceiling, _ = run_ceiling(run)
    a = analyse(run.measurements, ceiling=ceiling, cpus=run.machine.cpus)
    parts: list[RenderableType] = []
    said = verdict(a)
    if said:
        parts.append(Text.assemble(("verdict: ", "bold"), said))
    grid = winner_table(a)
    if grid is not None and len(a.items) > 1 and len(a.lengths) > 1:
        parts.append(FittedTable(grid))
    for strategy in a.worker_sweep:
        scaling = scaling_table(a, strategy)
        if scaling is not None:
            parts.append(FittedTable(scaling))
    return Group(*parts)


# Comparisons -------------------------------------------------------------------------------------------------


def comparison_group(comparison: Comparison) -> Group:
    """The header (the two runs, warnings, what differs), the ratio table and its legend."""
    lines: list[RenderableType] = [
        Text(f"A: {api.describe_run(comparison.a, comparison.label_a)}", style="bold"),
        Text(f"B: {api.describe_run(comparison.b, comparison.label_b)}", style="bold"),
    ]
    lines += [Text(f"warning: {warning}", style="bold yellow") for warning in comparison.warnings]
    constant = api.constant_columns(comparison)
    if constant:
        lines.append(Text("every row: " + ", ".join(f"{name} {value}" for name, value in constant.items())))
    lines.append(Text(f"differs: {api.difference_text(comparison)}"))
    lines.append(Text(f"machine of A: {api.machine_line(comparison.a.machine)}", style="dim"))
    table = api.comparison_table(comparison)
    legend = f"{api.legend(comparison)} {api.summary(comparison)}."
    return Group(*lines, FittedTable(Table(table.columns, table.rows, caption=legend)))


# One output per command, in the format asked ---------------------------------------------------------


def render_run(run: Run, fmt: str) -> RenderableType | str:
    """The run's table, then (in the box table) its verdict and winner map; Markdown carries both
    too (`to_markdown`), JSON its `analysis` object."""
    if fmt == api.TABLE:
        parts = [FittedTable(api.run_table(run)), verdict_and_map(run)]
        versus = api.compare_arms(run)
        if versus is not None:
            parts += [Text(""), comparison_group(versus)]
        return Group(*parts)
    return api.run_text(run, fmt)


def render_history(runs: list[Run], counts: dict[int, int], fmt: str) -> RenderableType | str:
    if fmt == api.TABLE:
        return FittedTable(api.history_table(runs, counts))
    return api.history_text(runs, counts, fmt)


def render_comparisons(comparisons: list[Comparison], fmt: str) -> RenderableType | str:
    if fmt == api.TABLE:
        parts: list[RenderableType] = []
        for index, comparison in enumerate(comparisons):
            if index:
                parts.append(Text(""))
            parts.append(comparison_group(comparison))
        return Group(*parts)
    return api.comparison_text(comparisons, fmt)


def emit(output: RenderableType | str, file: TextIO | None = None) -> None:
    """Write a command's output: text as it is; a rich table with colour only on a terminal (a pipe
    asked for `--format table` gets the same table without escapes)."""
    file = file or sys.stdout
    if isinstance(output, str):
        file.write(output)
        file.flush()
        return
    terminal = file.isatty()
    console = Console(file=file) if terminal else Console(file=file, color_system=None, force_terminal=False)
    console.print(output)
