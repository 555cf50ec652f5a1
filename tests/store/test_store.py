"""The results store: what is written reads back the same, runs list newest first, a run whose owner
died reads as interrupted, and a file that is not a usable store is refused and left as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from helpers import ROOT

from workloads.model.machine import Machine
from workloads.model.measurement import Measurement
from workloads.model.spec import build_spec
from workloads.store.database import SCHEMA_VERSION, Store, StoreError

MACHINE = {"cpu_count": 2, "python": "3.11.7", "numpy": "2.0", "start_method": "fork", "cpu_model": "Test CPU"}


def sample_measurements() -> list[Measurement]:
    return [
        Measurement(workload="squares", strategy="serial", items=4, length=10, workers=None, chunksize=None,
                    pool=None, warmup=1, times_s=(0.001, 0.0025, 1 / 3), warmup_times_s=(0.004,), point_index=0),
        Measurement(workload="squares", strategy="processes", items=4, length=10, workers=2, chunksize=3,
                    pool="warm", warmup=1, times_s=(1e-7, 2.5e-3, 0.1 + 0.2), warmup_times_s=(0.5,), point_index=0),
        Measurement(workload="squares", strategy="numpy", items=4, length=10, workers=None, chunksize=None,
                    pool=None, warmup=1, status="failed", error="output for key 0 differs from serial",
                    point_index=0),
        Measurement(workload="squares", strategy="threads", items=8, length=10, workers=2, chunksize=None,
                    pool="warm", warmup=0, times_s=(0.02,), status="timeout",
                    error="point stopped after 1 s; 1 of 3 repeats done", point_index=1),
    ]


def test_a_run_reads_back_as_written(db_path):
    spec = build_spec(workload="squares", items="4,8", length="10", strategies="serial,processes,numpy,threads",
                      chunksize="auto", pool="warm", point_timeout="1")
    written = sample_measurements()
    with Store(db_path) as store:
        run_id = store.start_run(spec)
        running = store.load_run(run_id)
        store.set_machine(run_id, Machine.from_dict(MACHINE))
        for m in written:
            store.add_measurement(run_id, m)
        store.finish_run(run_id, "completed")

    assert running.status == "running" and running.finished_at is None and running.measurements == []
    with Store(db_path) as store:  # a fresh connection: what is on disk
        run = store.load_run(run_id)
        assert store.measurement_counts() == {run_id: len(written)}
    assert run.id == run_id
    assert run.spec == spec
    assert run.status == "completed" and run.error == ""
    assert run.machine.to_dict() == MACHINE
    assert run.started_at and run.finished_at and run.started_at <= run.finished_at
    assert run.measurements == written
    for got, want in zip(run.measurements, written):
        assert got.times_s == want.times_s  # exact floats, not rounded
        assert got.warmup_times_s == want.warmup_times_s
        assert (got.status, got.error, got.chunksize, got.pool) == (want.status, want.error, want.chunksize, want.pool)
        assert got.stats == want.stats


def test_a_failed_run_keeps_its_reason(db_path):
    with Store(db_path) as store:
        run_id = store.start_run(build_spec())
        store.finish_run(run_id, "failed", "the measuring process was killed by SIGKILL")
        run = store.load_run(run_id)
    assert (run.status, run.error) == ("failed", "the measuring process was killed by SIGKILL")


def test_runs_are_listed_newest_first(db_path):
    with Store(db_path) as store:
        assert store.runs() == [] and store.last_run_id() is None
        ids = [store.start_run(build_spec(items=str(n))) for n in (1, 2, 4)]
        store.add_measurement(ids[1], sample_measurements()[0])
        runs = store.runs()
        assert [r.id for r in runs] == ids[::-1]
        assert [r.spec.items for r in runs] == [(4,), (2,), (1,)]
        assert [r.id for r in store.runs(limit=2)] == ids[:0:-1]
        assert store.last_run_id() == ids[-1]
        assert all(r.measurements == [] for r in runs)  # the list does not load measurements
        assert store.measurement_counts() == {ids[1]: 1}
        assert store.load_run(ids[-1] + 1) is None


def test_a_running_run_whose_owner_died_reads_as_interrupted(db_path):
    with Store(db_path) as store:
        mine = store.start_run(build_spec())
    # Another process starts a run and dies without finishing it.
    script = ("import sys; from workloads.store.database import Store; from workloads.model.spec import SweepSpec; "
              "print(Store(sys.argv[1]).start_run(SweepSpec()))")
    dead = subprocess.run([sys.executable, "-c", script, str(db_path)], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    orphan = int(dead.stdout)
    with Store(db_path) as store:
        assert store.load_run(orphan).status == "interrupted"
        assert store.load_run(mine).status == "running"  # its owner (this process) is alive
        assert {r.id: r.status for r in store.runs()} == {orphan: "interrupted", mine: "running"}
        store.finish_run(mine, "completed")
        assert store.load_run(mine).status == "completed"


def _unusable_files(tmp_path):
    random_bytes = tmp_path / "random.sqlite3"
    random_bytes.write_bytes(os.urandom(8192))

    newer = tmp_path / "newer.sqlite3"  # a store written by a later parbench
    Store(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.close()

    unknown_version = tmp_path / "version99.sqlite3"  # a plain (rollback-journal) SQLite file
    with sqlite3.connect(unknown_version) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    conn.close()

    foreign = tmp_path / "someone-elses.sqlite3"  # another program's database
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE bookmarks (url TEXT)")
        conn.execute("INSERT INTO bookmarks VALUES ('https://example.org')")
    conn.close()
    return {
        "random bytes": (random_bytes, "not a database"),
        "newer parbench store": (newer, f"schema version {SCHEMA_VERSION + 1}"),
        "unknown schema version": (unknown_version, "schema version 99"),
        "another program's database": (foreign, "not parbench's"),
    }


@pytest.mark.parametrize("kind", ["random bytes", "newer parbench store", "unknown schema version",
                                  "another program's database"])
def test_unusable_file_is_refused_and_left_untouched(tmp_path, kind):
    path, words = _unusable_files(tmp_path)[kind]
    before = path.read_bytes()
    with pytest.raises(StoreError) as error:
        Store(path)
    message = str(error.value)
    assert str(path) in message
    assert "not a readable parbench store" in message
    assert words in message
    assert "--db" in message  # says how to go on
    assert path.read_bytes() == before, "the refused file was modified"
