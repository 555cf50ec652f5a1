"""Nothing lost, nothing interfering: a store that cannot be written never costs a run's numbers,
two sweeps never measure each other, one repeat never reads as a quiet point, and a stop by
SIGTERM reads as one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import (
    ROOT,
    cli_env,
    costs_off,
    descendants,
    run_cli,
    stored_measurements,
    wait_for,
)

from workloads.measuring.lock import MachineLock
from workloads.model.spec import build_spec
from workloads.session import execute
from workloads.store.database import Store

TINY_SLEEP = ("run", "--workload", "sleep", "--sleep-ms", "0", "--items", "2,4", "--length", "10",
              "--strategies", "serial,threads", "--repeat", "2", "--warmup", "0")


def _spec(**overrides):
    fields = dict(workload="sleep", sleep_ms="0", items="2,4,8", length="10", strategies="serial,threads",
                  repeat="2", warmup="0")
    fields.update(overrides)
    return build_spec(**fields)


# ---------------------------------------------------------------------------------------------
# A store that cannot be written


class _FailingConnection:
    """A store connection whose writes start failing after `healthy` of them, as a filling disk,
    a file made read-only or a lock held elsewhere make SQLite fail."""

    def __init__(self, real, healthy: int, message: str) -> None:
        self._real = real
        self._left = healthy
        self._message = message

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            if self._left <= 0:
                raise sqlite3.OperationalError(self._message)
            self._left -= 1
        return self._real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __enter__(self):
        return self._real.__enter__()

    def __exit__(self, *exc):
        return self._real.__exit__(*exc)


@pytest.mark.parametrize("message, words", [
    ("database or disk is full", "no space left on device"),
    ("attempt to write a readonly database", "read-only"),
    ("database is locked", "locked by another process"),
])
def test_a_store_that_stops_taking_writes_costs_no_measurement(tmp_path, message, words):
    spec = _spec()
    with Store(tmp_path / "store.sqlite3") as store:
        # The run's row and its first two measurements go in; then every write fails.
        store._db = _FailingConnection(store._db, healthy=3, message=message)
        outcome = execute(spec, store)
    assert outcome.status == "completed"
    assert len(outcome.run.measurements) == 6 and all(m.ok for m in outcome.run.measurements)
    assert words in outcome.store_problem and str(tmp_path / "store.sqlite3") in outcome.store_problem
    assert "2 earlier rows of it are stored" in outcome.store_problem
    with Store(tmp_path / "store.sqlite3") as store:
        assert len(store.load_run(outcome.run.id).measurements) == 2


def test_a_store_locked_beyond_its_busy_timeout_costs_no_measurement(tmp_path):
    path = tmp_path / "store.sqlite3"
    Store(path).close()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock for the whole run
    try:
        with Store(path, busy_timeout=0.2) as store:
            outcome = execute(_spec(items="2"), store)
    finally:
        holder.rollback()
        holder.close()
    assert outcome.status == "completed" and len(outcome.run.measurements) == 2
    assert outcome.run.id is None  # not even the run's row could be written
    assert "locked" in outcome.store_problem and "0 earlier rows" in outcome.store_problem


def test_a_store_deleted_under_the_run_is_reported_and_the_numbers_kept(tmp_path):
    path = tmp_path / "store.sqlite3"

    def delete_after_first(event):
        if type(event).__name__ == "MeasurementDone" and path.exists():
            path.unlink()
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    with Store(path) as store:
        outcome = execute(_spec(), store, delete_after_first)
    assert len(outcome.run.measurements) == 6
    assert "deleted" in outcome.store_problem


def _mount_tiny_filesystem(folder: Path, size: str) -> bool:
    folder.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                            capture_output=True, text=True)
    return result.returncode == 0


def test_a_full_disk_keeps_the_table_the_exports_and_says_what_happened(tmp_path):
    tiny = tmp_path / "tiny"
    if os.geteuid() != 0 or not _mount_tiny_filesystem(tiny, "300k"):
        pytest.skip("needs to mount a small tmpfs (root)")
    try:
        db = tiny / "store.sqlite3"
        export = tmp_path / "table.md"
        result = run_cli("run", "--workload", "sleep", "--sleep-ms", "0", "--items", "4..512", "--length",
                         "10,100,1000", "--strategies", "serial,threads", "--repeat", "1", "--warmup", "0",
                         "--export", str(export), db=db, timeout=180)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        assert result.returncode == 1, result.stderr
        # The whole table, on stdout and in the export.
        assert result.stdout.count("threads ") >= 24, result.stdout
        rows = [line for line in export.read_text().splitlines() if line.startswith("| serial") or
                line.startswith("| threads")]
        assert len(rows) == 8 * 3 * 2
        [line] = [line for line in result.stderr.splitlines() if "could not write the results store" in line]
        assert str(db) in line and "no space left on device" in line and "exports hold this run" in line
        stored = stored_measurements(db)
        assert f"{stored} earlier rows of it are stored" in line
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        subprocess.run(["umount", "-l", str(tiny)], capture_output=True)


# ---------------------------------------------------------------------------------------------
# Two sweeps at once


def _cli(*args: str, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tui", *costs_off(args)], cwd=ROOT, env=cli_env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


SLOW_SLEEP = ("run", "--workload", "sleep", "--sleep-ms", "150", "--items", "2,4", "--length", "10",
              "--strategies", "serial", "--repeat", "2", "--warmup", "0")


def _windows(db: Path) -> list[tuple[int, int, int]]:
    """Each run's first and last stored row (by insertion id): runs that measured one after the
    other do not interleave their rows."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT run_id, MIN(id), MAX(id) FROM measurements GROUP BY run_id").fetchall()


def test_two_sweeps_started_together_run_one_after_the_other(tmp_path):
    db = tmp_path / "store.sqlite3"
    longer = (*SLOW_SLEEP, "--items", "2,4,8")  # about 4 s: the second starts well before it ends
    first = _cli(*longer, db=db)
    assert wait_for(lambda: Path(os.environ["PARBENCH_LOCK"]).exists() and
                    Path(os.environ["PARBENCH_LOCK"]).read_text().strip(), timeout=30)
    second = _cli(*SLOW_SLEEP, db=db)
    out1, err1 = first.communicate(timeout=60)
    out2, err2 = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    # The second said who it waited for: the first `parbench run`, by its pid.
    assert f"waiting for the machine: another parbench sweep, parbench run, pid {first.pid}" in err2, err2
    (run_a, lo_a, hi_a), (run_b, lo_b, hi_b) = sorted(_windows(db))
    assert hi_a < lo_b or hi_b < lo_a, "the two sweeps measured at the same time"


def test_no_wait_fails_at_once_and_ignore_lock_flags_every_row(tmp_path):
    db = tmp_path / "store.sqlite3"
    lock = MachineLock()
    assert lock.try_acquire(30.0)  # another sweep, as far as the CLI can tell
    try:
        started = time.monotonic()
        refused = run_cli(*TINY_SLEEP, "--no-wait", db=db)
        assert time.monotonic() - started < 10
        assert refused.returncode == 2
        assert "another parbench sweep" in refused.stderr and "--no-wait" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert stored_measurements(db) == 0

        shared = run_cli(*TINY_SLEEP, "--ignore-lock", db=db)
        assert shared.returncode == 0, shared.stderr
        assert "shared" in shared.stdout
        with Store(db) as store:
            run = store.load_run(store.last_run_id())
        assert run.measurements and all(m.shared for m in run.measurements)
    finally:
        lock.release()


def test_a_holder_killed_with_sigkill_frees_the_lock(tmp_path):
    db = tmp_path / "store.sqlite3"
    holder = _cli(*SLOW_SLEEP, db=db)
    try:
        assert wait_for(lambda: stored_measurements(db) >= 1, timeout=30)
        measuring = [p for p in descendants(holder.pid) if "workloads.measuring.process" in " ".join(p.cmdline())]
        assert measuring
        assert not MachineLock().try_acquire(), "the running sweep should hold the lock"
        measuring[0].send_signal(signal.SIGKILL)
        holder.communicate(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    # The OS released it with the process: a new sweep gets it at once.
    after = run_cli(*TINY_SLEEP, "--no-wait", db=db)
    assert after.returncode == 0, after.stderr


# ---------------------------------------------------------------------------------------------
# One repeat, SIGTERM


def test_one_repeat_reads_as_one_repeat_never_as_a_quiet_point(db_path):
    result = run_cli("run", "--workload", "sleep", "--sleep-ms", "1", "--items", "2", "--length", "10",
                     "--strategies", "serial,threads", "--repeat", "1", "--warmup", "0", db=db_path)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith(("| serial", "| threads"))]
    assert len(rows) == 2
    header_line = next(line for line in result.stdout.splitlines() if line.startswith("| strategy"))
    header = [cell.strip() for cell in header_line.strip("|").split("|")]
    for row in rows:
        cells = dict(zip(header, (cell.strip() for cell in row.strip("|").split("|"))))
        assert cells["notes"] == "1 round [1]"
        assert cells["stdev"] == "—"  # no stdev shown as a measured zero
        assert cells["95% interval"] == "—"
    # Nothing is decided on one round: threads reads undecided, never faster or slower.
    assert [dict(zip(header, (c.strip() for c in r.strip("|").split("|"))))["status"] for r in rows] == [
        "baseline", "undecided"]
    # The reason, once, under the table.
    assert result.stdout.count("one timed round") == 1 and "\n- [1] 1 round: one timed round" in result.stdout


def test_sigterm_stops_the_sweep_keeps_its_rows_and_says_so(db_path):
    cli = _cli("run", "--workload", "sleep", "--sleep-ms", "200", "--items", "2..16", "--length", "5",
               "--strategies", "serial,processes", "--repeat", "1", "--warmup", "0", db=db_path)
    try:
        assert wait_for(lambda: stored_measurements(db_path) >= 1, timeout=30)
        tree = descendants(cli.pid)
        cli.send_signal(signal.SIGTERM)
        _, err = cli.communicate(timeout=15)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 143, err
    assert "stopped by SIGTERM" in err and "stored as cancelled" in err
    assert "Traceback" not in err
    with Store(db_path) as store:
        run = store.load_run(store.last_run_id())
    assert run.status == "cancelled" and run.error == "stopped by SIGTERM"
    assert run.measurements and all(m.ok for m in run.measurements)
    gone, alive = psutil.wait_procs(tree, timeout=5)
    assert not alive, [p.cmdline() for p in alive]


def test_an_outcome_without_a_store_still_holds_every_row():
    outcome = execute(_spec(items="2"), None)
    assert outcome.status == "completed" and outcome.run.id is None
    assert len(outcome.run.measurements) == 2
