"""Rich tables of a run's results and of the stored runs, for the command line."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from workloads.export import format_seconds, format_speedup, rows
from workloads.store import Run


def _speedup_text(value: float | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    style = "green" if value >= 1.1 else "red" if value < 0.9 else ""
    return Text(format_speedup(value), style=style)


def results_table(run: Run) -> Group:
    """The run's table, with each distinct failure reason once below it as a numbered note."""
    spec = run.spec
    machine = run.machine
    table = Table(
        title=f"run {run.id}: {spec.workload}, {run.status}",
        caption=f"{machine.get('cpu_count', '?')} CPUs, Python {machine.get('python', '?')}, "
        f"start method {machine.get('start_method', '?')}, pool {spec.pool}, "
        f"{spec.repeat} repeats after up to {spec.warmup} warm-up; speedup = median of serial/strategy over paired repeats",
    )
    for name, justify in (("strategy", "left"), ("items", "right"), ("length", "right"), ("median", "right"),
                          ("min", "right"), ("stdev", "right"), ("speedup", "right"), ("status", "left")):
        table.add_column(name, justify=justify)
    notes: dict[str, int] = {}
    for row in rows(run.id, run.measurements):
        if row["ok"]:
            status = Text("noisy", style="yellow") if row["noisy"] else Text("ok", style="dim")
        else:
            number = notes.setdefault(row["error"], len(notes) + 1)
            status = Text(f"{row['status']} [{number}]", style="red" if row["status"] != "n/a" else "dim")
        table.add_row(
            row["strategy"], str(row["items"]), str(row["length"]), format_seconds(row["median_s"]),
            format_seconds(row["min_s"]), format_seconds(row["stdev_s"]), _speedup_text(row["speedup_vs_serial"]),
            status,
        )
    lines = [Text(f"[{number}] {reason}", style="dim") for reason, number in notes.items()]
    return Group(table, *lines)


def history_table(runs: list[Run], counts: dict[int, int]) -> Table:
    table = Table(title="stored runs (newest first)")
    for name in ("id", "started (UTC)", "workload", "items", "length", "strategies", "status", "rows"):
        table.add_column(name)
    for run in runs:
        spec = run.spec
        table.add_row(
            str(run.id), run.started_at.replace("T", " ")[:19], spec.workload,
            ",".join(map(str, spec.items)), ",".join(map(str, spec.length)), ",".join(spec.strategies),
            run.status, str(counts.get(run.id, 0)),
        )
    return table
