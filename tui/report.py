"""What the command line prints to stdout: rich tables of a run's results, of the stored runs and of
a comparison, or the same tables as Markdown, CSV or JSON text (`api.formats`).

`render_run`, `render_history` and `render_comparisons` give the output of a command in the format
asked (a rich renderable for the box table, text for the others); `emit` writes it to stdout with
colour only on a terminal. Anything a command adds under its table belongs in its render function,
so that every format carries it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from workloads import api
from workloads.api import (
    Comparison,
    Run,
    format_interval,
    format_ratio,
    format_seconds,
    rows,
    run_ceiling,
    winner_grid,
)

STATUS_STYLE = {"ok": "dim", "noisy": "yellow", "1 repeat": "yellow", "budget": "yellow", "rounds": "yellow",
                "shared": "yellow",
                "failed": "bold red", "timeout": "bold red", "n/a": "dim"}


def _speedup_text(value: float | None, low: float | None, high: float | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    if low is not None and high is not None and low <= 1.0 <= high:
        style = "dim"  # within noise
    else:
        style = "green" if value >= 1.1 else "red" if value < 0.9 else ""
    return Text(format_ratio(value), style=style)


def run_title(run: Run) -> str:
    title = f"run {run.id if run.id is not None else '(not stored)'}: {run.spec.workload_name()}, {run.status}"
    if run.status != "completed" and run.error:
        title += f": {run.error}"
    return title


def results_table(run: Run) -> Group:
    """The run's table, with each distinct reason (a failure, a qualifier) once below it as a note."""
    spec = run.spec
    machine = run.machine
    rounds = f"{spec.repeat} rounds" if spec.repeat is not None else f"rounds until ±{spec.precision:.0%}"
    table = Table(
        title=run_title(run), box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0),
        caption=f"{machine.cpu_count or '?'} CPUs, Python {machine.python_text}, "
        f"start method {machine.start_method or '?'}, pool {spec.pool}, {rounds} after up to {spec.warmup} "
        f"warm-up; speedup = geometric mean of per-round serial/strategy, 95% interval; dim = within noise",
    )
    table_rows = rows(run.id, run.measurements)
    worker_sweep = len({r["workers"] for r in table_rows if r["workers"] is not None}) > 1
    columns = [("strategy", "left"), ("items", "right"), ("length", "right"), ("median", "right"),
               ("speedup", "right"), ("95% int.", "right"), ("stdev", "right"), ("status", "left")]
    if worker_sweep:
        columns.insert(1, ("workers", "right"))
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)
    notes: dict[str, int] = {}
    for row in table_rows:
        label = row["quality"]
        status = Text(label, style=STATUS_STYLE.get(label, ""))
        if row["quality_detail"]:
            number = notes.setdefault(row["quality_detail"], len(notes) + 1)
            status.append(f" [{number}]")
        cells = [row["strategy"], str(row["items"]), str(row["length"]), format_seconds(row["median_s"]),
                 _speedup_text(row["speedup_vs_serial"], row["speedup_low"], row["speedup_high"]),
                 format_interval(row["speedup_low"], row["speedup_high"]), format_seconds(row["stdev_s"]), status]
        if worker_sweep:
            cells.insert(1, str(row["workers"]) if row["workers"] is not None else "")
        table.add_row(*cells)
    lines = [Text(f"[{number}] {reason}", style="dim") for reason, number in notes.items()]
    return Group(table, *lines)


def verdict_and_map(run: Run) -> Group:
    """What goes under the run's table: the verdict, then the winner map when both items and length
    vary, and speedup against workers in a worker sweep."""
    from workloads.api import analyse, verdict

    ceiling, _ = run_ceiling(run)
    cpus = run.machine.cpus
    a = analyse(run.measurements, ceiling=ceiling, cpus=cpus)
    parts: list = []
    said = verdict(a)
    if said:
        parts.append(Text.assemble(("verdict: ", "bold"), said))
    grid = winner_grid(run.measurements)
    if grid is not None and len(a.items) > 1 and len(a.lengths) > 1:
        head, body = grid
        table = Table(title="winner map", caption="lead = the runner-up's time ÷ the winner's; ≈ within noise",
                      box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
        for index, name in enumerate(head):
            table.add_column(name, justify="left" if index == 0 else "right", no_wrap=True)
        for row in body:
            table.add_row(*row)
        parts.append(table)
    if a.largest is not None:
        for strategy in a.worker_sweep:
            scaling = a.scaling(strategy, a.largest)
            table = Table(title=f"{strategy} against workers at items={a.largest[0]}, length={a.largest[1]}"
                          + (f" (this run's ceiling {a.ceiling:.2f}×)" if a.ceiling else ""),
                          box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
            for name in ("workers", "speedup", "95% int.", "efficiency", "serial fraction"):
                table.add_column(name, justify="right", no_wrap=True)
            for r in scaling:
                interval = r.speedup
                table.add_row(str(r.workers), format_ratio(interval.estimate if interval else None),
                              format_interval(interval.low, interval.high) if interval and interval.n >= 2
                              and interval.low == interval.low else "—",
                              f"{r.efficiency:.0%}" if r.efficiency is not None else "—",
                              f"{r.serial_fraction:.2f}" if r.serial_fraction is not None else "—")
            parts.append(table)
    return Group(*parts)


def _sizes(values) -> str:
    values = list(values)
    text = ",".join(map(str, values))
    return text if len(text) <= 9 else f"{values[0]}..{values[-1]}"


def history_table(runs: list[Run], counts: dict[int, int]) -> Table:
    """One line per run at 80 columns: the date without the year and seconds, sizes folded, the host
    the run was measured on (imported runs say so)."""
    table = Table(title="stored runs (newest first)", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0))
    for name, justify in (("id", "right"), ("started", "left"), ("workload", "left"), ("items", "right"),
                          ("length", "right"), ("strat.", "right"), ("status", "left"), ("rows", "right"),
                          ("host", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    for run in runs:
        spec = run.spec
        host = (run.machine.hostname or "")[:10] + (" (imp.)" if run.imported else "")
        table.add_row(
            str(run.id), run.started_at.replace("T", " ")[5:16], spec.workload_name()[:12], _sizes(spec.items),
            _sizes(spec.length), str(len(spec.strategies)), run.status, str(counts.get(run.id, 0)), host,
        )
    return table


# Comparisons -------------------------------------------------------------------------------------

MARK_STYLE = {api.FASTER: "green", api.SLOWER: "bold red", api.WITHIN_NOISE: "dim",
              api.SAME: "", api.UNKNOWN: "yellow", api.ONLY_A: "yellow", api.ONLY_B: "yellow"}


def comparison_table(comparison: Comparison) -> Group:
    """The header (the two runs, warnings, what differs), the ratio table and its legend."""
    lines = [
        Text(f"A: {api.describe_run(comparison.a, comparison.label_a)}", style="bold"),
        Text(f"B: {api.describe_run(comparison.b, comparison.label_b)}", style="bold"),
    ]
    lines += [Text(f"warning: {warning}", style="bold yellow") for warning in comparison.warnings]
    lines.append(Text(f"differs: {api.difference_text(comparison)}"))
    lines.append(Text(f"machine of A: {api.machine_line(comparison.a.machine)}", style="dim"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0),
                  caption=f"{api.legend(comparison)} {api.summary(comparison)}.")
    show_workers = any(row.workers for row in comparison.rows)
    columns = [("strategy", "left"), ("items", "right"), ("length", "right"), ("A", "right"), ("B", "right"),
               ("B/A", "right"), ("95% int.", "right"), ("B vs A", "left")]
    if show_workers:
        columns.insert(1, ("workers", "right"))
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)
    for row in comparison.rows:
        cells = [row.strategy, str(row.items), str(row.length), format_seconds(row.median_a),
                 format_seconds(row.median_b), format_ratio(row.ratio.estimate if row.ratio else None),
                 api.interval_text(row), Text(row.mark, style=MARK_STYLE.get(row.mark, "bold red"))]
        if show_workers:
            cells.insert(1, row.workers)
        table.add_row(*cells)
    return Group(*lines, table)


# One output per command, in the format asked -------------------------------------------------------


def render_run(run: Run, fmt: str) -> RenderableType | str:
    """The run's table, then (in the box table) its verdict and winner map; Markdown carries both
    too (`to_markdown`), JSON its `analysis` object."""
    if fmt == api.TABLE:
        return Group(results_table(run), verdict_and_map(run))
    return api.run_text(run, fmt)


def render_history(runs: list[Run], counts: dict[int, int], fmt: str) -> RenderableType | str:
    if fmt == api.TABLE:
        return history_table(runs, counts)
    return api.history_text(runs, counts, fmt)


def render_comparisons(comparisons: list[Comparison], fmt: str) -> RenderableType | str:
    if fmt == api.TABLE:
        parts: list[RenderableType] = []
        for index, comparison in enumerate(comparisons):
            if index:
                parts.append(Text(""))
            parts.append(comparison_table(comparison))
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
