"""What the table commands (`run`, `history`, `export RUN -`, `compare`) print to stdout: the
format names a user types, and the text of each table in Markdown, CSV and JSON.

The box table (`table`) is drawn by the command line with rich, only when stdout is a terminal and
no format was asked; anything else gets text from here, so a pipe never receives ANSI escapes. A
pipe gets Markdown unless told otherwise: it reads as a table in a terminal, pastes into an issue,
and `--format csv|json` is there for programs. A run's own texts are the exporters' (`export.py`),
so a file written with `--export x.md` and `--format md` on stdout are the same table.
"""

from __future__ import annotations

import csv
import io
import json

from ..insight import compare as comparing
from ..insight.compare import Comparison, Row
from ..model.machine import Machine
from ..model.numbers import format_interval, format_ratio, format_seconds
from ..model.parsing import SpecError
from ..model.run import Run
from ..model.version import parbench_version
from . import exports as exporter

TABLE = "table"
MARKDOWN = "md"
CSV = "csv"
JSON = "json"
OUTPUT_FORMATS = (TABLE, MARKDOWN, CSV, JSON)
_ALIASES = {"markdown": MARKDOWN, "box": TABLE}
# The exporters' name for each text format.
_EXPORT_NAMES = {MARKDOWN: "markdown", CSV: "csv", JSON: "json"}
# The JSON of a comparison: a document of its own, versioned like the run export.
COMPARE_FORMAT = 1


def parse_output_format(text: str) -> str:
    value = text.strip().lower()
    value = _ALIASES.get(value, value)
    if value not in OUTPUT_FORMATS:
        raise SpecError("format", f"{text.strip()!r} is not one of " + ", ".join(OUTPUT_FORMATS))
    return value


def default_format(stdout_is_terminal: bool) -> str:
    """No --format: the box table on a terminal, Markdown into a pipe or a file."""
    return TABLE if stdout_is_terminal else MARKDOWN


def export_name(fmt: str) -> str:
    """The exporters' name of a text format (`md` -> `markdown`)."""
    return _EXPORT_NAMES[fmt]


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|")


# A run ------------------------------------------------------------------------------------------------


def run_text(run: Run, fmt: str) -> str:
    return exporter.RENDERERS[export_name(fmt)](run)


# The stored runs ------------------------------------------------------------------------------------------

HISTORY_COLUMNS = ("id", "started_at", "workload", "items", "length", "strategies", "status", "rows", "host",
                   "cpus", "python", "imported")


def history_rows(runs: list[Run], counts: dict[int, int]) -> list[dict]:
    return [{
        "id": run.id,
        "started_at": run.started_at,
        "workload": run.spec.workload_name(),
        "items": ",".join(map(str, run.spec.items)),
        "length": ",".join(map(str, run.spec.length)),
        "strategies": ",".join(run.spec.strategies),
        "status": run.status,
        "rows": counts.get(run.id, 0),
        "host": run.machine.hostname or "",
        "cpus": run.machine.cpu_count,
        "python": run.machine.python_text if run.machine.python else "",
        "imported": run.imported,
    } for run in runs]


def history_text(runs: list[Run], counts: dict[int, int], fmt: str) -> str:
    table = history_rows(runs, counts)
    if fmt == JSON:
        documents = [{**row, "spec": run.spec.to_dict(), "machine": run.machine.to_dict(), "error": run.error,
                      "finished_at": run.finished_at} for row, run in zip(table, runs)]
        return json.dumps({"runs": documents}, indent=2) + "\n"
    if fmt == CSV:
        return _csv(HISTORY_COLUMNS, table)
    lines = ["| id | started (UTC) | workload | items | length | strategies | status | rows | python | host |",
             "|--:|---|---|---|---|---|---|--:|---|---|"]
    for row in table:
        started = row["started_at"].replace("T", " ")[:16]
        host = row["host"] + (" (imported)" if row["imported"] else "")
        lines.append(f"| {row['id']} | {started} | {_escape(row['workload'])} | {row['items']} | {row['length']} "
                     f"| {row['strategies']} | {row['status']} | {row['rows']} | {_escape(row['python'])} "
                     f"| {_escape(host)} |")
    return "\n".join(lines) + "\n"


def _csv(columns, table: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({key: "" if row[key] is None else row[key] for key in columns})
    return buffer.getvalue()


# Comparisons ------------------------------------------------------------------------------------------------

COMPARE_COLUMNS = ("a", "b", "strategy", "items", "length", "workers_a", "workers_b", "repeats_a", "repeats_b",
                   "median_a_s", "median_b_s", "ratio", "ratio_low", "ratio_high", "confidence", "mark",
                   "min_change")


def interval_text(row: Row) -> str:
    return format_interval(row.ratio.low, row.ratio.high) if row.has_interval else "—"


def comparison_rows(comparison: Comparison) -> list[dict]:
    table = []
    for row in comparison.rows:
        table.append({
            "a": comparison.label_a,
            "b": comparison.label_b,
            "strategy": row.strategy,
            "items": row.items,
            "length": row.length,
            "workers_a": row.workers_a,
            "workers_b": row.workers_b,
            "repeats_a": row.a.repeats if row.a is not None else None,
            "repeats_b": row.b.repeats if row.b is not None else None,
            "median_a_s": row.median_a,
            "median_b_s": row.median_b,
            "ratio": row.ratio.estimate if row.ratio is not None else None,
            "ratio_low": row.ratio.low if row.has_interval else None,
            "ratio_high": row.ratio.high if row.has_interval else None,
            "confidence": row.ratio.confidence if row.has_interval else None,
            "mark": row.mark,
            "min_change": comparison.min_change,
        })
    return table


def describe_run(run: Run, label: str) -> str:
    """`run 3 (sleep, 2026-05-09 10:00 UTC, completed)`."""
    started = run.started_at.replace("T", " ")[:16]
    imported = ", imported" if run.imported else ""
    return f"{label} ({run.spec.workload_name()}, {started} UTC, {run.status}{imported})"


def machine_line(machine: Machine) -> str:
    """The machine in one line: what every figure of a run depends on."""
    memory = comparing.show_memory(machine.memory_bytes)
    return (f"{machine.cpu_count or '?'} CPUs ({machine.cpu_model or '?'}), memory {memory}, "
            f"Python {machine.python_text}, numpy {machine.numpy or '?'}, "
            f"start method {machine.start_method or '?'}, parbench {machine.parbench or comparing.NOT_RECORDED}")


def difference_text(comparison: Comparison) -> str:
    if not comparison.differences:
        return "nothing: same spec, settings and machine"
    return "; ".join(f"{d.name} {d.a} → {d.b}" for d in comparison.differences)


def legend(comparison: Comparison) -> str:
    return (f"B/A = {comparing.TEST}; below 1 = B faster. Within noise = the interval contains 1; "
            f"same = significant but under {comparison.min_change:.0%}.")


def comparison_markdown(comparison: Comparison) -> str:
    lines = [f"**parbench compare**: A = {describe_run(comparison.a, comparison.label_a)}, "
             f"B = {describe_run(comparison.b, comparison.label_b)}", ""]
    for warning in comparison.warnings:
        lines.append(f"> **Warning**: {warning}")
        lines.append("")
    lines.append(f"What differs: {difference_text(comparison)}.  ")
    lines.append(f"Machine of A: {machine_line(comparison.a.machine)}.  ")
    lines.append(f"{legend(comparison)}  ")
    lines.append(f"Marks: {comparing.summary(comparison)}.")
    lines.append("")
    lines.append("| strategy | items | length | workers | A median | B median | B/A | 95% interval | B vs A |")
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|---|")
    for row in comparison.rows:
        lines.append(f"| {row.strategy} | {row.items} | {row.length} | {row.workers} "
                     f"| {format_seconds(row.median_a)} | {format_seconds(row.median_b)} "
                     f"| {format_ratio(row.ratio.estimate if row.ratio else None)} | {interval_text(row)} "
                     f"| {_escape(row.mark)} |")
    return "\n".join(lines) + "\n"


def _run_document(run: Run, label: str) -> dict:
    return {"label": label, "id": run.id, "workload": run.spec.workload_name(), "started_at": run.started_at,
            "status": run.status, "imported": run.imported, "spec": run.spec.to_dict(),
            "machine": run.machine.to_dict()}


def comparison_text(comparisons: list[Comparison], fmt: str) -> str:
    if fmt == MARKDOWN:
        return "\n".join(comparison_markdown(c) for c in comparisons)
    if fmt == CSV:
        return _csv(COMPARE_COLUMNS, [row for c in comparisons for row in comparison_rows(c)])
    document = {
        "format": COMPARE_FORMAT,
        "parbench": parbench_version(),
        "test": comparing.TEST,
        "comparisons": [{
            "a": _run_document(c.a, c.label_a),
            "b": _run_document(c.b, c.label_b),
            "same_run": c.same_run,
            "min_change": c.min_change,
            "confidence": c.confidence,
            "warnings": list(c.warnings),
            "differences": [{"group": d.group, "name": d.name, "a": d.a, "b": d.b} for d in c.differences],
            "marks": c.counts,
            "rows": [{key: value for key, value in row.items() if key not in ("a", "b", "min_change")}
                     for row in comparison_rows(c)],
        } for c in comparisons],
    }
    return json.dumps(document, indent=2) + "\n"
