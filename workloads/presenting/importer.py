"""Reading a run back from its JSON export (`parbench export RUN x.json`), possibly made on another
machine: for `parbench import` and for `parbench compare FILE.json`.

A file is either a complete, readable export or it is refused with one line saying why (not JSON,
truncated, not a parbench export, from a newer export format): nothing half-read ever reaches the
store. A run's `fingerprint` (a hash of what was measured, not of where it is stored) is the store's
import key, so importing one file twice, or the export of a run that is already here, adds nothing.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import ParbenchError
from ..model.measurement import Measurement
from ..model.run import Run, fingerprint
from ..model.spec import SweepSpec
from .exports import EXPORT_FORMAT

# Exports written before the document carried its "format" (a run and its measurements, without
# warm-up times): still readable.
FIRST_FORMAT = 1
_REQUIRED_MEASUREMENT_KEYS = ("workload", "strategy", "items", "length", "times_s")


class ImportRefused(ParbenchError):
    """The file is not an export this parbench can read; the message says why, in one line."""


@dataclass(frozen=True)
class ExportedRun:
    run: Run  # its `id` is the id it had where it was exported (None when it was never stored)
    path: Path
    format: int
    exported_by: str  # the parbench version that wrote the file ("unknown" for the first format)
    fingerprint: str


def read_export(path: str | os.PathLike) -> ExportedRun:
    """Read and check an exported run; raises `ImportRefused` with the reason."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(f"{path} is not a parbench export (not UTF-8 text)") from None
    return parse_export(text, path)


def parse_export(text: str, path: Path) -> ExportedRun:
    if not text.strip():
        raise ImportRefused(f"{path} is empty, not a parbench export")
    if not text.lstrip().startswith("{"):
        raise ImportRefused(f"{path} is not a parbench export (an export is a JSON object)")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # JSON that breaks on its last line (an export has one value per line) was cut short there,
        # mid-value (a number, `tru`, a string) or between values.
        if "\n" not in text[exc.pos:].rstrip():
            raise ImportRefused(f"{path} is truncated: its JSON stops mid-document ({exc.msg})") from None
        raise ImportRefused(f"{path} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), "
                            "so not a parbench export") from None
    if not isinstance(document, dict) or not isinstance(document.get("run"), dict) \
            or not isinstance(document.get("measurements"), list):
        raise ImportRefused(f"{path} is not a parbench export (no run and measurements in it)")
    version = document.get("format", FIRST_FORMAT)
    if not isinstance(version, int) or isinstance(version, bool) or version < FIRST_FORMAT:
        raise ImportRefused(f"{path} is not a parbench export (its format is {version!r})")
    exported_by = str(document.get("parbench", "unknown"))
    if version > EXPORT_FORMAT:
        raise ImportRefused(f"{path} was written by parbench {exported_by} in export format {version}; this "
                            f"parbench reads formats up to {EXPORT_FORMAT}: upgrade it to import this file")
    run = _run(document["run"], document["measurements"], path)
    return ExportedRun(run, path, version, exported_by, fingerprint(run))


def _run(data: dict, measurements: list, path: Path) -> Run:
    spec_data = data.get("spec")
    if not isinstance(spec_data, dict):
        raise ImportRefused(f"{path} is not a parbench export (its run has no spec)")
    try:
        spec = SweepSpec.from_dict(spec_data)
    except (TypeError, ValueError) as exc:
        raise ImportRefused(f"{path}: its run's spec cannot be read ({exc})") from None
    machine = data.get("machine") or {}
    run_id = data.get("id")
    if not isinstance(machine, dict) or not isinstance(data.get("started_at"), str) \
            or not isinstance(data.get("status"), str) or not (run_id is None or _is_int(run_id)):
        raise ImportRefused(f"{path} is not a parbench export (its run lacks a status, a start time or a machine)")
    return Run(
        id=run_id,
        spec=spec,
        status=data["status"],
        started_at=data["started_at"],
        finished_at=data.get("finished_at") if isinstance(data.get("finished_at"), str) else None,
        error=str(data.get("error") or ""),
        machine=machine,
        measurements=[_measurement(entry, index, path) for index, entry in enumerate(measurements, 1)],
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_time(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _measurement(entry, index: int, path: Path) -> Measurement:
    where = f"{path}: measurement {index}"
    if not isinstance(entry, dict):
        raise ImportRefused(f"{where} is not an object; not a parbench export")
    missing = [key for key in _REQUIRED_MEASUREMENT_KEYS if key not in entry]
    if missing:
        raise ImportRefused(f"{where} has no {missing[0]!r}; not a parbench export")
    if not (_is_int(entry["items"]) and _is_int(entry["length"]) and entry["items"] > 0 and entry["length"] > 0):
        raise ImportRefused(f"{where} has items or length that are not positive whole numbers")
    for key in ("times_s", "warmup_times_s"):
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(_is_time(v) for v in values):
            raise ImportRefused(f"{where} has {key} that are not durations in seconds")
    data = dict(entry)
    # The first format did not carry the warm-up calls made; their times say how many when present.
    data.setdefault("warmup", len(data.get("warmup_times_s", [])))
    try:
        return Measurement.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ImportRefused(f"{where} cannot be read ({exc})") from None


def import_into(store, exported: ExportedRun) -> tuple[int, bool]:
    """Store an exported run unless it is already there: imported before (same fingerprint), or
    the export of one of this store's own runs. Returns its id in the store and whether it was added."""
    if exported.run.id is not None:
        native = store.load_run(exported.run.id)
        if native is not None and not native.imported and fingerprint(native) == exported.fingerprint:
            return native.id, False
    return store.import_run(exported.run, exported.fingerprint)
