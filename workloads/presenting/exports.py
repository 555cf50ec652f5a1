"""Exporters: a run's result table as CSV, JSON or a GitHub Markdown table.

One row per (strategy, items, length). Files are written atomically (a temporary file beside the
target, then a rename), so a failed export never leaves half a file or damages an existing one.
JSON and Markdown also carry the run's analysis (`workloads.analysis`, `workloads.explain`): the
verdict first, each pool's costs, model and break-even, and the winner of each point.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from ..model.errors import ParbenchError
from ..model.run import Run
from ..model.version import parbench_version
from . import tables
from .run_table import WINNER_KEY, header_markdown, run_table, winner_table

FORMATS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}
# The JSON export's own format: `parbench import` refuses a file from a newer one.
EXPORT_FORMAT = 2


class ExportError(ParbenchError):
    pass


def rows(run: Run) -> list[dict]:
    """The run's rows as programs read them (the JSON export's measurements, before their times)."""
    return tables.to_records(run_table(run))


def to_csv(run: Run) -> str:
    """One line per measurement; values never hold a comma, so the lines split on commas alone
    (the columns and their units: docs/exports.md)."""
    return tables.to_csv(run_table(run))


def to_json(run: Run) -> str:
    measurements = []
    for row, m in zip(rows(run), run.measurements):
        # Everything a Measurement holds beyond its row, so `parbench import` rebuilds it exactly.
        measurements.append({**row, "times_s": list(m.times_s), "warmup_times_s": list(m.warmup_times_s),
                             "warmup": m.warmup, "point_index": m.point_index,
                             "costs": m.costs.to_dict() if m.costs is not None else None,
                             "pace_s": list(m.pace_s), "cpu_share": m.cpu_share, "wait_s": list(m.wait_s)})
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
        "model": "T_pool(n) = S + n*a + W(n); T_twin(n) = n*c; see docs/methodology.md#why-measured",
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


def to_markdown(run: Run) -> str:
    """Which run it is first (a pasted table must say what it measured), then the answer, then the
    rows with a status word each (the reasons once, under the table), then the winner map, and B
    against A in a run of --vs."""
    from ..insight.analysis import analyse
    from ..insight.compare import compare_arms
    from ..insight.explain import verdict
    from .formats import comparison_markdown

    ceiling, _ = run_ceiling(run)
    a = analyse(run.measurements, ceiling=ceiling, margin=run.spec.margin)
    said = verdict(a)
    text = header_markdown(run) + "\n\n"
    if said:
        text += f"**Verdict**: {said}\n\n"
    text += tables.to_markdown(run_table(run))
    grid = winner_table(a)
    if grid is not None and len(a.lengths) > 1 and len(a.items) > 1:
        text += f"\n**Winner map**: {WINNER_KEY}\n\n"
        text += tables.to_markdown(grid)
    versus = compare_arms(run)
    if versus is not None:
        text += "\n" + comparison_markdown(versus)
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
