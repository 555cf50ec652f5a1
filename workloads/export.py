"""Exporters: a run's result table as CSV, JSON or a GitHub Markdown table.

One row per (strategy, items, length). Files are written atomically (a temporary file beside the
target, then a rename), so a failed export never leaves half a file or damages an existing one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

from .errors import ParbenchError
from .measurement import Measurement, quality, serial_times, speedup
from .store import Run
from .version import parbench_version

COLUMNS = (
    "run_id", "workload", "strategy", "items", "length", "workers", "chunksize", "pool", "repeats",
    "loops", "min_s", "median_s", "mean_s", "stdev_s", "speedup_vs_serial", "speedup_low", "speedup_high",
    "confidence", "noisy", "ok", "status", "quality", "error", "quality_detail", "stop", "precision", "check",
    "shared",
)
FORMATS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}
# The JSON export's own format: `parbench import` refuses a file from a newer one.
EXPORT_FORMAT = 2


class ExportError(ParbenchError):
    pass


def rows(run_id: int | None, measurements: list[Measurement]) -> list[dict]:
    baselines = serial_times(measurements)
    table = []
    for m in measurements:
        s = m.stats
        interval = speedup(m, baselines)
        has_interval = interval is not None and interval.n >= 2 and not math.isnan(interval.low)
        judged = quality(m)
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
            "speedup_vs_serial": interval.estimate if interval is not None else None,
            "speedup_low": interval.low if has_interval else None,
            "speedup_high": interval.high if has_interval else None,
            "confidence": interval.confidence if has_interval else None,
            "noisy": bool(s and s.noisy),
            "ok": m.ok,
            "status": m.status,
            "quality": judged.label,
            "error": m.error,
            "quality_detail": judged.detail,
            "stop": m.stop,
            "precision": m.precision,
            "check": m.check,
            "shared": m.shared,
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
        # Everything a Measurement holds beyond its row, so `parbench import` rebuilds it exactly.
        measurements.append({**row, "times_s": list(m.times_s), "warmup_times_s": list(m.warmup_times_s),
                             "warmup": m.warmup, "point_index": m.point_index, "costs": m.costs})
    document = {
        "format": EXPORT_FORMAT,
        "parbench": parbench_version(),
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


def format_interval(low: float | None, high: float | None) -> str:
    """`0.97–1.15`: the interval of a speedup, as compact as its figures allow."""
    if low is None or high is None:
        return "—"

    def short(value: float) -> str:
        return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"

    return f"{short(low)}–{short(high)}"


def to_markdown(run: Run) -> str:
    spec = run.spec
    machine = run.machine
    rounds = f"{spec.repeat} rounds" if spec.repeat is not None else \
        f"rounds until ±{spec.precision:.0%} (3 to {spec.max_rounds})"
    header = (
        f"**parbench run {run.id if run.id is not None else '(not stored)'}**: `{spec.workload_name()}`, "
        f"{run.status}{': ' + run.error if run.error else ''}; "
        f"{machine.get('cpu_count', '?')} CPUs ({machine.get('cpu_model', '?')}), "
        f"Python {machine.get('python', '?')}, numpy {machine.get('numpy', '?')}, "
        f"start method {machine.get('start_method', '?')}; "
        f"{rounds} after up to {spec.warmup} warm-up, pool {spec.pool}; times per call, "
        f"releasing its output included, calls under {spec.min_time * 1000:g} ms timed back to back; "
        f"speedup = geometric mean of the per-round ratios serial / strategy, with its 95% interval\n\n"
    )
    lines = [
        "| strategy | items | length | workers | median | min | stdev | speedup | 95% interval | status |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows(run.id, run.measurements):
        detail = row["quality_detail"]
        # A detail that starts with its own label ("noisy: its repeats…") is not prefixed twice.
        status = detail if detail.startswith(row["quality"]) else row["quality"] + (f": {detail}" if detail else "")
        status = status.replace("|", "\\|")
        lines.append(
            f"| {row['strategy']} | {row['items']} | {row['length']} "
            f"| {row['workers'] if row['workers'] is not None else ''} | {format_seconds(row['median_s'])} "
            f"| {format_seconds(row['min_s'])} | {format_seconds(row['stdev_s'])} "
            f"| {format_speedup(row['speedup_vs_serial'])} | {format_interval(row['speedup_low'], row['speedup_high'])} "
            f"| {status} |"
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
