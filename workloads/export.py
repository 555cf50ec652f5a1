"""Exporters: a run's result table as CSV, JSON or a GitHub Markdown table.

One row per (strategy, items, length). Files are written atomically (a temporary file beside the
target, then a rename), so a failed export never leaves half a file or damages an existing one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from .measurement import Measurement, serial_times, speedup_vs_serial
from .store import Run

COLUMNS = (
    "run_id", "workload", "strategy", "items", "length", "workers", "chunksize", "pool", "repeats",
    "loops", "min_s", "median_s", "mean_s", "stdev_s", "speedup_vs_serial", "noisy", "ok", "status", "error",
)
FORMATS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}


class ExportError(Exception):
    pass


def rows(run_id: int, measurements: list[Measurement]) -> list[dict]:
    baselines = serial_times(measurements)
    table = []
    for m in measurements:
        s = m.stats
        table.append({
            "run_id": run_id,
            "workload": m.workload,
            "strategy": m.strategy,
            "items": m.items,
            "length": m.length,
            "workers": m.workers,
            "chunksize": m.chunksize,
            "pool": m.pool,
            "repeats": m.repeats,
            "loops": m.loops,
            "min_s": s.min if s else None,
            "median_s": s.median if s else None,
            "mean_s": s.mean if s else None,
            "stdev_s": s.stdev if s else None,
            "speedup_vs_serial": speedup_vs_serial(m, baselines),
            "noisy": bool(s and s.noisy),
            "ok": m.ok,
            "status": m.status,
            "error": m.error,
        })
    return table


def to_csv(run: Run) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(run.id, run.measurements):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def to_json(run: Run) -> str:
    measurements = []
    for row, m in zip(rows(run.id, run.measurements), run.measurements):
        measurements.append({**row, "times_s": list(m.times_s)})
    document = {
        "run": {
            "id": run.id,
            "spec": run.spec.to_dict(),
            "machine": run.machine,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "error": run.error,
        },
        "measurements": measurements,
    }
    return json.dumps(document, indent=2) + "\n"


def format_seconds(value: float | None) -> str:
    """A duration with a unit a person reads at a glance: 950 µs, 12.3 ms, 3.21 s."""
    if value is None:
        return "—"
    if value < 1e-6:
        return f"{value * 1e9:.3g} ns"
    if value < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def format_speedup(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def to_markdown(run: Run) -> str:
    spec = run.spec
    machine = run.machine
    header = (
        f"**parbench run {run.id}**: `{spec.workload}`, {run.status}; "
        f"{machine.get('cpu_count', '?')} CPUs ({machine.get('cpu_model', '?')}), "
        f"Python {machine.get('python', '?')}, numpy {machine.get('numpy', '?')}, "
        f"start method {machine.get('start_method', '?')}; "
        f"{spec.repeat} repeats after up to {spec.warmup} warm-up, pool {spec.pool}; times per call, "
        f"releasing its output included, calls under {spec.min_time * 1000:g} ms timed back to back\n\n"
    )
    lines = [
        "| strategy | items | length | median | min | stdev | speedup | status |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows(run.id, run.measurements):
        status = row["status"] if row["ok"] else f"{row['status']}: {row['error']}"
        if row["noisy"]:
            status += " (noisy)"
        status = status.replace("|", "\\|")
        lines.append(
            f"| {row['strategy']} | {row['items']} | {row['length']} | {format_seconds(row['median_s'])} "
            f"| {format_seconds(row['min_s'])} | {format_seconds(row['stdev_s'])} "
            f"| {format_speedup(row['speedup_vs_serial'])} | {status} |"
        )
    return header + "\n".join(lines) + "\n"


RENDERERS = {"csv": to_csv, "json": to_json, "markdown": to_markdown}


def format_for(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"{path}: unknown export format {suffix or '(no suffix)'!r}; use .csv, .json or .md")
    return FORMATS[suffix]


def write_atomic(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private; an export gets the mode a plain open() would give it
        # (or keeps the mode of the file it replaces).
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp_name, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise


def export(run: Run, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write `run` to `path` in `fmt` (from the suffix when not given); returns the path written."""
    target = Path(path).expanduser()
    fmt = fmt or format_for(target)
    text = RENDERERS[fmt](run)
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
