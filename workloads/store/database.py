"""The results store: every run and every measurement, in SQLite, committed as they complete.

A run is written when it starts (status `running`, with its owner's pid) and each measurement is
committed the moment it arrives, so a crash loses at most the point being measured. A run still
marked `running` whose owner is gone reads as `interrupted`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path
from typing import Callable, Sequence

from ..model.errors import ParbenchError
from ..model.machine import Machine
from ..model.measurement import Measurement
from ..model.run import INTERRUPTED, RUNNING, Run
from ..model.spec import SweepSpec

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    owner_pid INTEGER,
    spec TEXT NOT NULL,
    machine TEXT NOT NULL DEFAULT '{}',
    import_key TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS measurements_run ON measurements(run_id);
CREATE TABLE IF NOT EXISTS preferences (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS machines (
    identity TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    ceiling REAL,
    measured_at TEXT
);
"""
# What each older schema needs to become this one; applied in order, in one transaction.
_MIGRATIONS = {
    1: """
ALTER TABLE runs ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS runs_import_key ON runs(import_key);
CREATE TABLE IF NOT EXISTS preferences (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS machines (identity TEXT PRIMARY KEY, data TEXT NOT NULL, ceiling REAL, measured_at TEXT);
""",
}


class StoreError(ParbenchError):
    """The store file cannot be used; the message says why and how to go on. `unwritable` is set
    when the file is a parbench store (or none yet) that this process cannot write: a sweep can
    still run and keep its numbers in memory and in its exports."""

    def __init__(self, message: str, *, unwritable: bool = False) -> None:
        super().__init__(message)
        self.unwritable = unwritable


def default_path() -> Path:
    override = os.environ.get("PARBENCH_DB")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("parbench", appauthor=False)) / "results.sqlite3"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Rows an import writes between two reports of its progress (all in one transaction).
_IMPORT_BATCH = 5000
# How long a write waits for another process holding the store's lock (two sweeps' callers, an
# app and a CLI) before it counts as failed.
BUSY_TIMEOUT_S = 10.0


class Store:
    def __init__(self, path: str | os.PathLike | None = None, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, check_same_thread=False)
            # Schema first: switching to WAL rewrites the header of a file that may not be ours.
            self._check_schema()
            self._db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            self._close_quietly()
            text = str(exc).lower()
            if any(word in text for word in ("readonly", "read-only", "unable to open", "disk", "locked")):
                raise StoreError(f"cannot write the store at {self.path}: {exc}", unwritable=True) from None
            raise StoreError(
                f"{self.path} is not a readable parbench store ({exc}); it was left untouched. "
                "Move it aside, or pass --db (or set PARBENCH_DB) to use another file."
            ) from None
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise StoreError(
                f"{self.path} is not a readable parbench store ({exc}); it was left untouched. "
                "Move it aside, or pass --db (or set PARBENCH_DB) to use another file."
            ) from None
        except OSError as exc:
            self._close_quietly()
            raise StoreError(f"cannot open the store at {self.path}: {exc.strerror or exc}", unwritable=True) from None

    def _close_quietly(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _check_schema(self) -> None:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" in tables:
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else None
            if version == SCHEMA_VERSION:
                return
            if version in _MIGRATIONS:
                with self._db:
                    for step in range(version, SCHEMA_VERSION):
                        self._db.executescript(_MIGRATIONS[step])
                    self._db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
                return
            raise sqlite3.DatabaseError(f"schema version {version}, this parbench reads {SCHEMA_VERSION}")
        if tables:
            raise sqlite3.DatabaseError("it holds tables that are not parbench's")
        with self._db:
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def identity(self) -> tuple[int, int] | None:
        """The store file's device and inode: a run notices when its store was deleted or replaced."""
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start_run(self, spec: SweepSpec, machine: Machine | None = None) -> int:
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, status, owner_pid, spec, machine) VALUES (?, ?, ?, ?, ?)",
                (_now(), RUNNING, os.getpid(), spec.to_json(), json.dumps((machine or Machine()).to_dict())),
            )
        return int(cursor.lastrowid)

    def set_machine(self, run_id: int, machine: Machine) -> None:
        with self._db:
            self._db.execute("UPDATE runs SET machine=? WHERE id=?", (json.dumps(machine.to_dict()), run_id))

    def add_measurement(self, run_id: int, measurement: Measurement) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO measurements (run_id, data) VALUES (?, ?)",
                (run_id, json.dumps(measurement.to_dict())),
            )

    def put_measurement(self, run_id: int, measurement: Measurement) -> None:
        """Store a row, or replace the run's row of the same strategy, workers and point (a point's
        rows are sent again with each further round, and once more, final). It keeps its place."""
        data = json.dumps(measurement.to_dict())
        found = self._db.execute(
            "SELECT id FROM measurements WHERE run_id=? AND json_extract(data, '$.strategy')=? "
            "AND json_extract(data, '$.workers') IS ? AND json_extract(data, '$.items')=? "
            "AND json_extract(data, '$.length')=? AND coalesce(json_extract(data, '$.arm'), '')=? LIMIT 1",
            (run_id, measurement.strategy, measurement.workers, measurement.items, measurement.length,
             measurement.arm)).fetchone()
        with self._db:
            if found is not None:
                self._db.execute("UPDATE measurements SET data=? WHERE id=?", (data, found[0]))
            else:
                self._db.execute("INSERT INTO measurements (run_id, data) VALUES (?, ?)", (run_id, data))

    def finish_run(self, run_id: int, status: str, error: str = "") -> None:
        with self._db:
            self._db.execute(
                "UPDATE runs SET status=?, error=?, finished_at=? WHERE id=?",
                (status, error, _now(), run_id),
            )

    def _run_from_row(self, row) -> Run:
        run_id, started_at, finished_at, status, error, owner_pid, spec_json, machine_json, import_key = row
        if status == RUNNING and not _pid_alive(owner_pid):
            status = INTERRUPTED
        return Run(
            id=run_id,
            spec=SweepSpec.from_dict(json.loads(spec_json)),
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            error=error,
            machine=Machine.from_dict(json.loads(machine_json)),
            imported=import_key is not None,
        )

    _RUN_COLUMNS = "id, started_at, finished_at, status, error, owner_pid, spec, machine, import_key"

    def runs(self, limit: int | None = None) -> list[Run]:
        """Stored runs, newest first, without their measurements."""
        query = f"SELECT {self._RUN_COLUMNS} FROM runs ORDER BY id DESC"
        params: tuple = ()
        if limit is not None:
            query += " LIMIT ?"
            params = (limit,)
        return [self._run_from_row(row) for row in self._db.execute(query, params)]

    def measurement_counts(self) -> dict[int, int]:
        return dict(self._db.execute("SELECT run_id, COUNT(*) FROM measurements GROUP BY run_id"))

    # Preferences: the app's last settings, the workload files used before ----------------------

    def preference(self, key: str, default=None):
        row = self._db.execute("SELECT value FROM preferences WHERE key=?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    def set_preference(self, key: str, value) -> None:
        with self._db:
            self._db.execute("INSERT INTO preferences (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, json.dumps(value)))

    # Machines: what was measured once per machine (its parallel ceiling) ------------------------

    def machine_ceiling(self, identity: str) -> float | None:
        row = self._db.execute("SELECT ceiling FROM machines WHERE identity=?", (identity,)).fetchone()
        return row[0] if row else None

    def set_machine_ceiling(self, identity: str, machine: Machine, ceiling: float) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO machines (identity, data, ceiling, measured_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(identity) DO UPDATE SET data=excluded.data, ceiling=excluded.ceiling, "
                "measured_at=excluded.measured_at", (identity, json.dumps(machine.to_dict()), ceiling, _now()))

    # Imported runs ---------------------------------------------------------------------------------

    def imported_run_id(self, import_key: str) -> int | None:
        row = self._db.execute("SELECT id FROM runs WHERE import_key=?", (import_key,)).fetchone()
        return row[0] if row else None

    def import_run(self, run: Run, import_key: str, rows: Sequence[str] | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> tuple[int, bool]:
        """Store a run measured elsewhere with its measurements, all or nothing. Returns its id here
        and whether it was added: a run already imported under `import_key` is not added again.
        `rows` are its measurements already written as JSON (an import checks and writes each once;
        `run.measurements` is then not read); `progress("storing", done, total)` hears how far it got."""
        status = INTERRUPTED if run.status == RUNNING else run.status  # its owner ran on another machine
        if rows is None:
            rows = [json.dumps(m.to_dict()) for m in run.measurements]
        try:
            with self._db:
                cursor = self._db.execute(
                    "INSERT INTO runs (started_at, finished_at, status, error, owner_pid, spec, machine, import_key) "
                    "VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                    (run.started_at, run.finished_at, status, run.error, run.spec.to_json(), json.dumps(run.machine.to_dict()),
                     import_key),
                )
                run_id = int(cursor.lastrowid)
                for start in range(0, len(rows), _IMPORT_BATCH):
                    self._db.executemany("INSERT INTO measurements (run_id, data) VALUES (?, ?)",
                                         [(run_id, row) for row in rows[start:start + _IMPORT_BATCH]])
                    if progress is not None:
                        progress("storing", min(start + _IMPORT_BATCH, len(rows)), len(rows))
        except sqlite3.IntegrityError:
            existing = self.imported_run_id(import_key)
            if existing is None:
                raise
            return existing, False
        return run_id, True

    def runs_started_at(self, started_at: str) -> list[Run]:
        """The runs that started at this moment (an import's candidates for being the same run),
        without their measurements."""
        return [self._run_from_row(row) for row in self._db.execute(
            f"SELECT {self._RUN_COLUMNS} FROM runs WHERE started_at=? ORDER BY id", (started_at,))]

    def last_run_id(self) -> int | None:
        row = self._db.execute("SELECT MAX(id) FROM runs").fetchone()
        return row[0] if row else None

    def load_run(self, run_id: int) -> Run | None:
        row = self._db.execute(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            return None
        run = self._run_from_row(row)
        run.measurements = [
            Measurement.from_dict(json.loads(data))
            for (data,) in self._db.execute("SELECT data FROM measurements WHERE run_id=? ORDER BY id", (run_id,))
        ]
        return run
