"""What the table commands (`run`, `history`, `export RUN -`, `compare`) print to stdout: the
format names a user types, and the text of each table in Markdown, CSV and JSON.

The box table (`table`) is drawn by the command line with rich, only when stdout is a terminal and
no format was asked; anything else gets text from here, so a pipe never receives ANSI escapes. A
pipe gets Markdown unless told otherwise: it reads as a table in a terminal, pastes into an issue,
and `--format csv|json` is there for programs. A run's own texts are the exporters' (`export.py`),
so a file written with `--export x.md` and `--format md` on stdout are the same table.
"""

from __future__ import annotations

import json

from ..insight import compare as comparing
from ..insight.compare import Comparison, Row
from ..model.machine import Machine
from ..model.numbers import format_interval
from ..model.parsing import SpecError
from ..model.run import Run
from ..model.version import parbench_version
from . import exports as exporter
from . import tables
from .comparison_table import comparison_table
from .history_table import history_table
from .run_table import run_header

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


# A run ------------------------------------------------------------------------------------------------


def run_text(run: Run, fmt: str) -> str:
    return exporter.RENDERERS[export_name(fmt)](run)


# The stored runs ------------------------------------------------------------------------------------------


def history_text(runs: list[Run], counts: dict[int, int], fmt: str) -> str:
    table = history_table(runs, counts)
    if fmt == JSON:
        documents = [{**row, "spec": run.spec.to_dict(), "machine": run.machine.to_dict(), "error": run.error,
                      "finished_at": run.finished_at} for row, run in zip(tables.to_records(table), runs)]
        return json.dumps({"runs": documents}, indent=2) + "\n"
    if fmt == CSV:
        return tables.to_csv(table)
    return tables.to_markdown(table)


# Comparisons ------------------------------------------------------------------------------------------------


def interval_text(row: Row) -> str:
    return format_interval(row.ratio.low, row.ratio.high) if row.has_interval else "—"


def describe_run(run: Run, label: str) -> str:
    """`run 3 (sleep, 2026-05-09 10:00 UTC, completed)`."""
    h = run_header(run)
    imported = ", imported" if run.imported else ""
    return f"{label} ({h.workload}, {h.started}, {h.status}{imported})"


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
    return (f"B/A = {comparison.test}; below 1 = B faster. The same = the interval lies within "
            f"±{comparison.min_change:.0%}; within noise (two runs) or undecided (one sweep) = it cannot tell.")


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
    return "\n".join(lines) + "\n" + tables.to_markdown(comparison_table(comparison))


def _run_document(run: Run, label: str) -> dict:
    return {"label": label, "id": run.id, "workload": run.spec.workload_name(), "started_at": run.started_at,
            "status": run.status, "imported": run.imported, "spec": run.spec.to_dict(),
            "machine": run.machine.to_dict()}


def comparison_text(comparisons: list[Comparison], fmt: str) -> str:
    if fmt == MARKDOWN:
        return "\n".join(comparison_markdown(c) for c in comparisons)
    if fmt == CSV:
        text = "".join(tables.to_csv(comparison_table(c)) for c in comparisons)
        header = text.splitlines(keepends=True)[0] if text else ""
        return header + "".join(line for line in text.splitlines(keepends=True) if line != header)
    document = {
        "format": COMPARE_FORMAT,
        "parbench": parbench_version(),
        "test": comparisons[0].test if comparisons else comparing.TEST,
        "comparisons": [{
            "a": _run_document(c.a, c.label_a),
            "b": _run_document(c.b, c.label_b),
            "same_run": c.same_run,
            "min_change": c.min_change,
            "confidence": c.confidence,
            "warnings": list(c.warnings),
            "differences": [{"group": d.group, "name": d.name, "a": d.a, "b": d.b} for d in c.differences],
            "marks": c.counts,
            "rows": tables.to_records(comparison_table(c)),
        } for c in comparisons],
    }
    return json.dumps(document, indent=2) + "\n"
