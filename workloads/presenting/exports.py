"""Exporters: a run's result table as CSV, JSON or a GitHub Markdown table.

One row per (strategy, items, length). Files are written atomically (a temporary file beside the
target, then a rename), so a failed export never leaves half a file or damages an existing one.
JSON and Markdown also carry the run's analysis (`workloads.analysis`, `workloads.explain`): the
verdict first, each pool's costs, model and break-even, and the winner of each point.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

from ..model.errors import ParbenchError
from ..model.measurement import Measurement, quality, serial_times, speedup
from ..model.numbers import format_interval, format_ratio, format_seconds
from ..model.run import Run
from ..model.version import parbench_version

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
                             "warmup": m.warmup, "point_index": m.point_index,
                             "costs": m.costs.to_dict() if m.costs is not None else None})
    document = {
        "format": EXPORT_FORMAT,
        "parbench": parbench_version(),
        "run": {
            "id": run.id,
            "spec": run.spec.to_dict(),
            "machine": run.machine.to_dict(),
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "error": run.error,
        },
        "measurements": measurements,
        "analysis": analysis_dict(run),
    }
    return json.dumps(document, indent=2) + "\n"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run_ceiling(run: Run) -> tuple[float | None, str]:
    """The run's parallel ceiling and a note on it (where it came from, or why there is none)."""
    return run.machine.ceiling_value, run.machine.ceiling_said


def analysis_dict(run: Run) -> dict:
    """The JSON export's `analysis`: the verdict, the ceiling, and per parallel strategy (by series,
    `processes@2`) its measured costs (`ship_per_item_s` sums both ways; `ship_out_per_item_s` and
    `ship_back_per_item_s` are each way), its break-even, the model's check, and every point's split."""
    from ..insight.analysis import analyse
    from ..insight.explain import verdict

    ceiling, note = run_ceiling(run)
    cpus = run.machine.cpus
    a = analyse(run.measurements, ceiling=ceiling, cpus=cpus)
    strategies = {}
    for name, result in a.series.items():
        length = max(result.break_even) if result.break_even else None
        be = result.break_even.get(length) if length is not None else None
        costs = [p.costs for p in result.points if p.params is not None and p.length == length]

        def median_of(key: str):
            values = [getattr(c, key) for c in costs if getattr(c, key) is not None]
            return _finite(sorted(values)[len(values) // 2]) if values else None

        check = result.check
        strategies[name] = {
            "strategy": result.strategy,
            "workers": result.workers,
            "compared_with": result.twin,
            "at_length": length,
            "pool_start_s": _finite(be.params.start_s) if be else None,
            "cold_start_s": median_of("cold_start_s"),
            "dispatch_s": median_of("dispatch_s"),
            "ship_per_item_s": _finite(be.params.ship_s) if be else None,
            "ship_out_per_item_s": median_of("ship_out_s"),
            "ship_back_per_item_s": median_of("ship_back_s"),
            "input_bytes_per_item": median_of("input_bytes"),
            "result_bytes_per_item": median_of("result_bytes"),
            "work_per_item_s": _finite(be.params.work_s) if be else None,
            "cpu_share": _finite(be.params.cpu_share) if be else None,
            "break_even_items": _finite(be.items) if be and be.items is not None else None,
            "break_even_work_per_item_s": _finite(be.work_s) if be and be.work_s is not None else None,
            "break_even_work_at_items": be.work_items if be else None,
            "model_check": None if check is None else {
                "fitted_points": [list(p) for p in check.fitted],
                "median_error": _finite(check.median_error),
                "points": [{"items": c.items, "length": c.length, "predicted_s": _finite(c.predicted_s),
                            "measured_s": _finite(c.measured_s), "ratio": _finite(c.ratio),
                            "machine_pace": _finite(c.speed), "unscaled_ratio": _finite(c.unscaled_ratio)}
                           for c in check.checked],
            },
            "model_note": result.check_note,
            "points": [{
                "items": p.items, "length": p.length, "measured_s": _finite(p.measured_s),
                "predicted_s": _finite(p.predicted_s) if p.predicted_s is not None else None,
                "split_s": None if p.split is None else {
                    "start": _finite(p.split.start_s), "ship_out": _finite(p.split.ship_out_s),
                    "work": _finite(p.split.work_s), "ship_back": _finite(p.split.ship_back_s),
                    "waiting": _finite(p.split.waiting_s)},
                "speedup_vs_twin": _finite(p.twin_speedup.estimate) if p.twin_speedup else None,
                "efficiency": _finite(p.twin_speedup.estimate / result.workers) if p.twin_speedup else None,
                "serial_fraction": _finite(_karp_flatt(p, result.workers)),
                "costs_error": p.costs.error,
            } for p in result.points],
            "failed_points": [{"items": i, "length": l, "status": s, "error": e} for i, l, s, e in result.failed],
        }
    return {
        "verdict": verdict(a),
        "ceiling": _finite(a.ceiling),
        "ceiling_note": note,
        "one_repeat": a.one_repeat,
        "model": "T_pool(n) = S + n*a + W(n); T_twin(n) = n*c; see README 'Why, measured'",
        "strategies": strategies,
        "winner_map": [{
            "items": c.items, "length": c.length, "winner": c.winner, "winner_median_s": _finite(c.winner_s),
            "runner_up": c.runner_up, "lead": _finite(c.lead.estimate) if c.lead else None,
            "lead_low": _finite(c.lead.low) if c.lead else None, "lead_high": _finite(c.lead.high) if c.lead else None,
            "verdict": c.verdict,
        } for c in (a.cells[p] for p in sorted(a.cells))],
    }


def _karp_flatt(point, workers: int) -> float | None:
    from ..insight.analysis import karp_flatt

    return karp_flatt(point.twin_speedup.estimate if point.twin_speedup else None, workers)


def winner_grid(measurements: list[Measurement]) -> tuple[list[str], list[list[str]]] | None:
    """The winner map as text cells: a header row (items, then each length) and a row per item
    count; each cell the winner and its lead over the runner-up (`≈` within noise: the lead's 95%
    interval spans 1; `?` one repeat, no interval). None when no point succeeded."""
    from ..insight.analysis import analyse
    from ..model import stats

    a = analyse(measurements)
    if not a.cells:
        return None
    header = ["items \\ length", *map(str, a.lengths)]
    grid = []
    for items in a.items:
        row = [str(items)]
        for length in a.lengths:
            cell = a.cells.get((items, length))
            if cell is None:
                row.append("—")
            elif cell.runner_up is None or cell.lead is None:
                row.append(cell.winner)
            elif cell.verdict == stats.WITHIN_NOISE:
                row.append(f"{cell.winner} ≈ {cell.runner_up}")
            else:
                unsure = "?" if cell.verdict == stats.UNKNOWN else ""
                row.append(f"{cell.winner} {format_ratio(cell.lead.estimate)}{unsure}")
        grid.append(row)
    return header, grid


def to_markdown(run: Run) -> str:
    from ..insight.analysis import analyse
    from ..insight.explain import verdict

    spec = run.spec
    machine = run.machine
    rounds = f"{spec.repeat} rounds" if spec.repeat is not None else \
        f"rounds until ±{spec.precision:.0%} (3 to {spec.max_rounds})"
    header = (
        f"**parbench run {run.id if run.id is not None else '(not stored)'}**: `{spec.workload_name()}`, "
        f"{run.status}{': ' + run.error if run.error else ''}; "
        f"{machine.cpu_count or '?'} CPUs ({machine.cpu_model or '?'}), "
        f"Python {machine.python_text}, numpy {machine.numpy or '?'}, "
        f"start method {machine.start_method or '?'}; "
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
            f"| {format_ratio(row['speedup_vs_serial'])} | {format_interval(row['speedup_low'], row['speedup_high'])} "
            f"| {status} |"
        )
    ceiling, _ = run_ceiling(run)
    said = verdict(analyse(run.measurements, ceiling=ceiling))
    # Which run it is first (a pasted table must say what it measured), then the answer, then the rows.
    top = f"**Verdict**: {said}\n\n" if said else ""
    text = header + top + "\n".join(lines) + "\n"
    grid = winner_grid(run.measurements)
    if grid is not None and len(grid[0]) > 2 and len(grid[1]) > 1:
        head, body = grid
        text += ("\n**Winner map**: the fastest strategy at each point and its lead over the runner-up "
                 "(≈: within noise, the lead's 95% interval spans 1; ?: one repeat, no interval)\n\n")
        text += "| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n"
        text += "".join("| " + " | ".join(row) + " |\n" for row in body)
    return text


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
