"""Reading a run back from its JSON export (`parbench export RUN x.json`), possibly made on another
machine: for `parbench import` and for `parbench compare FILE.json`.

Nothing in the file is trusted. A file is a complete export of a format this parbench reads, holding a
run that `parbench run` could have produced (`workloads.presenting.import_checks` says what that takes,
field by field), or it is refused with one line naming what is wrong: nothing of it reaches the store.
What the file derives from the measurements (speedups, qualities, its `analysis`) is never read: every
view recomputes it from the measurements.

A large file (30,000 rows, 90 MB) is decoded with orjson, each measurement checked and written once as the
store keeps it; the standard library's decoder, which accepts what orjson does not (NaN, numbers past 64
bits: the checks then name the field that holds one), reads a file orjson refuses and says where it breaks.
`progress` hears how far the checking and the storing got. The import key, a hash of those rows and the
run's record (of what was measured, not of where it is stored), is the store's key for imported runs, so
importing one file twice adds nothing; a run already here under another key (the export of one of its own
runs, or a file imported by an older parbench, whose keys were `fingerprint`s) is found by its start time
and compared whole.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

import orjson

from ..model.measurement import Measurement
from ..model.run import Run, fingerprint
from .exports import EXPORT_FORMAT
from .import_checks import ImportRefused, RowChecker, check_run, is_int, shown

# Exports written before the document carried its "format" (a run and its measurements, without
# warm-up times): still readable.
FIRST_FORMAT = 1
# How often (in measurements) the checking reports its progress.
PROGRESS_EVERY = 1000

# progress(phase, done, total): "checking", then "storing", counting rows.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class ExportedRun:
    header: Run  # the run without its measurements; its `id` is the id it had where it was exported
    rows: tuple[dict, ...]  # its measurements as `Measurement.to_dict()` gives them, checked
    encoded: tuple[str, ...]  # the same, written as the store keeps them
    path: Path
    format: int
    exported_by: str  # the parbench version that wrote the file ("unknown" for the first format)
    import_key: str  # the store's key for it: a hash of `encoded` and the run's record

    @cached_property
    def fingerprint(self) -> str:
        """`workloads.model.run.fingerprint` of the run (what older parbench keyed imports by)."""
        return fingerprint(self.run)

    @cached_property
    def run(self) -> Run:
        """The run with its measurements (built on first use: an import stores the rows as they are)."""
        h = self.header
        return Run(id=h.id, spec=h.spec, status=h.status, started_at=h.started_at, finished_at=h.finished_at,
                   error=h.error, machine=h.machine, measurements=[Measurement.from_dict(r) for r in self.rows])


def read_export(path: str | os.PathLike, progress: Progress | None = None) -> ExportedRun:
    """Read and check an exported run; raises `ImportRefused` with the reason."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_export(data, path, progress)


def parse_export(data: bytes | str, path: Path, progress: Progress | None = None) -> ExportedRun:
    """Check an export's content (the file's bytes, or its text)."""
    # JSON's whitespace skipped in place (strip() would copy the whole file).
    start = (_WHITESPACE if isinstance(data, str) else _BYTES_WHITESPACE).match(data).end()
    if start == len(data):
        raise ImportRefused(f"{path} is empty, not a parbench export")
    if data[start:start + 1] not in ("{", b"{"):
        if isinstance(data, bytes):
            _text_of(data, path)  # a binary file is called one
        raise ImportRefused(f"{path} is not a parbench export (an export is a JSON object)")
    with _no_cycle_collection():
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            # The standard library's decoder reads what orjson won't (NaN, numbers past 64 bits, so that the
            # check names the field that holds one), and says where JSON that is not breaks.
            document = _decode_slowly(_text_of(data, path) if isinstance(data, bytes) else data, path)
        return _read(document, path, progress)


def _text_of(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(f"{path} is not a parbench export (not UTF-8 text)") from None


def _decode_slowly(text: str, path: Path):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # JSON that breaks on its last line (an export has one value per line) was cut short there,
        # mid-value (a number, `tru`, a string) or between values.
        if "\n" not in text[exc.pos:].rstrip():
            raise ImportRefused(f"{path} is truncated: its JSON stops mid-document ({exc.msg})") from None
        raise ImportRefused(f"{path} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), "
                            "so not a parbench export") from None
    except RecursionError:
        raise ImportRefused(f"{path} is not a parbench export (its JSON nests too deep)") from None


@contextlib.contextmanager
def _no_cycle_collection():
    """The cycle collector paused while a file's values are decoded and checked: they form no cycles,
    and its passes over the hundreds of thousands of objects a large file makes cost a seventh of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_BYTES_WHITESPACE = re.compile(rb"[ \t\n\r]*")


def _read(document, path: Path, progress: Progress | None) -> ExportedRun:
    """The format first (a newer one is refused before anything in it is judged), then the run, then
    each measurement against the run's spec."""
    if not isinstance(document, dict) or not isinstance(document.get("run"), dict) \
            or not isinstance(document.get("measurements"), list):
        raise ImportRefused(f"{path} is not a parbench export (no run and measurements in it)")
    version = document.get("format", FIRST_FORMAT)
    exported_by = str(document.get("parbench", "unknown"))
    if not is_int(version) or version < FIRST_FORMAT:
        raise ImportRefused(f"{path} is not a parbench export (its format is {shown(version)})")
    if version > EXPORT_FORMAT:
        raise ImportRefused(f"{path} was written by parbench {exported_by} in export format {version}; this "
                            f"parbench reads formats up to {EXPORT_FORMAT}: upgrade it to import this file")
    header = check_run(document["run"], path)
    checker = RowChecker(header.spec, path)
    measurements = document["measurements"]
    for count, entry in enumerate(measurements, 1):
        checker.add(entry)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress("checking", count, len(measurements))
    rows, encoded = checker.done(header)
    if progress is not None:
        progress("checking", len(rows), len(rows))
    return ExportedRun(header, tuple(rows), tuple(encoded), path, version, exported_by,
                       _import_key(header, encoded, path))


# Storing ------------------------------------------------------------------------------------------


def _import_key(header: Run, rows: list[str], path: Path) -> str:
    """A hash of a run as the store keeps it (its record and its rows, keys sorted): the same however
    often, and from whichever file, the same run is imported. "2:" tells it from the `fingerprint`s
    that older parbench used as keys."""
    record = {"error": header.error, "finished_at": header.finished_at, "machine": header.machine.to_dict(),
              "spec": header.spec.to_dict(), "started_at": header.started_at, "status": header.status}
    try:
        digest = hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))
    except orjson.JSONEncodeError as exc:
        raise ImportRefused(f"{path}: the run holds a value that cannot be stored ({exc})") from None
    for row in rows:
        digest.update(b"\n")
        digest.update(row.encode("utf-8"))
    return "2:" + digest.hexdigest()


def import_into(store, exported: ExportedRun, progress: Progress | None = None) -> tuple[int, bool]:
    """Store an exported run unless it is already there: imported before (same import key), or the
    same run under another key (one of this store's own runs, or one an older parbench imported),
    found by its start time and compared whole. Returns its id in the store and whether it was added."""
    header = exported.header
    existing = store.imported_run_id(exported.import_key)
    if existing is not None:
        return existing, False
    counts = None
    for candidate in store.runs_started_at(header.started_at):
        counts = counts if counts is not None else store.measurement_counts()
        # Cheap signs first: only a run with as many rows and the same spec is loaded whole.
        if counts.get(candidate.id, 0) != len(exported.rows) or candidate.spec != header.spec:
            continue
        native = store.load_run(candidate.id)
        if fingerprint(native) == exported.fingerprint:
            return native.id, False
    return store.import_run(header, exported.import_key, rows=exported.encoded, progress=progress)
