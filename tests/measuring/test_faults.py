"""Faults a benchmark tool meets on purpose: crashing workers, killed processes, a dead caller, huge
inputs, slow points. In each case the tool keeps working, says what happened, and keeps what
completed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from helpers import (
    ROOT,
    cli_env,
    costs_off,
    new_live_descendants,
    stored_measurements,
    wait_for,
)

from workloads.measuring.sweep import run_sweep
from workloads.model.events import CallStarted, MeasurementDone, PointStarted
from workloads.model.measurement import Measurement
from workloads.model.spec import SweepSpec
from workloads.store.database import Store

EXIT_IN_WORKER_AT_LENGTH_7 = """
    import multiprocessing
    import os

    def make_input(items, length, seed):
        return {i: [i] * length for i in range(items)}

    def kernel(value):
        # Kills the pool worker that runs it, but only at the first point (length 7).
        if multiprocessing.parent_process() is not None and len(value) == 7:
            os._exit(1)
        return value
"""

RAISE_ELSEWHERE = """
    import multiprocessing
    import threading

    def kernel(value):
        # Fine in the measuring process's main thread (the probe), refused in a worker or a thread.
        if multiprocessing.parent_process() is not None or threading.current_thread() is not threading.main_thread():
            raise ValueError("kernel refused item")
        return value
"""


def _measure(spec: SweepSpec) -> tuple[list[Measurement], str]:
    events = []
    status = run_sweep(spec, events.append)
    return [e.measurement for e in events if isinstance(e, MeasurementDone)], status


@pytest.mark.parametrize("pool", ["cold", "warm"])
def test_worker_that_exits_fails_its_point_and_the_next_point_gets_a_fresh_pool(workload_file, pool):
    spec = SweepSpec(workload=workload_file(EXIT_IN_WORKER_AT_LENGTH_7), items=(4,), length=(7, 8),
                     strategies=("serial", "processes"), repeat=2, warmup=1, workers=2, pool=pool, start_method="fork")
    measured, status = _measure(spec)
    assert status == "completed"
    by_point = {(m.strategy, m.length): m for m in measured}
    broken = by_point[("processes", 7)]
    assert broken.status == "failed"
    assert "BrokenProcessPool" in broken.error and "exited with code 1" in broken.error
    assert by_point[("serial", 7)].ok
    assert by_point[("processes", 8)].ok, by_point[("processes", 8)].error
    assert len(by_point[("processes", 8)].times_s) == 2


def test_kernel_that_raises_is_recorded_with_its_message(workload_file):
    spec = SweepSpec(workload=workload_file(RAISE_ELSEWHERE), items=(2,), length=(3,),
                     strategies=("processes", "threads"), repeat=1, warmup=0, workers=2, start_method="fork")
    measured, status = _measure(spec)
    assert status == "completed"
    assert {m.strategy for m in measured} == {"processes", "threads"}
    for m in measured:
        assert m.status == "failed"
        assert "ValueError: kernel refused item" in m.error


def test_worker_killed_from_outside_is_recorded_as_broken_pool():
    spec = SweepSpec(workload="sleep", items=(4,), length=(3,), strategies=("processes",),
                     repeat=1, warmup=0, workers=2, settings={"sleep_ms": 400}, start_method="fork")
    me = psutil.Process()
    killed = []
    # Children before the first call are the machine-ceiling's busy helpers, not the pool's workers.
    calling = threading.Event()

    def kill_a_worker():
        calling.wait(30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not killed:
            try:
                # Not multiprocessing's helpers: the resource tracker, and the fork server the
                # machine-ceiling's helpers were started from.
                pool = [p for p in me.children() if not any(word in " ".join(p.cmdline())
                                                            for word in ("resource_tracker", "forkserver"))]
                if pool:
                    time.sleep(0.1)
                    pool[0].send_signal(signal.SIGKILL)
                    killed.append(pool[0].pid)
                    return
            except psutil.Error:
                pass  # a process of an earlier test still going away
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    events = []

    def emit(event) -> None:
        if isinstance(event, CallStarted):
            calling.set()
        events.append(event)

    status = run_sweep(spec, emit)
    calling.set()
    killer.join()
    assert killed, "no pool worker appeared"
    m = [e.measurement for e in events if isinstance(e, MeasurementDone)][-1]  # the row as it ended
    assert status == "completed"
    assert m.status == "failed"
    assert "BrokenProcessPool" in m.error and "SIGKILL" in m.error


# CPython 3.11's pool manager thread may try to fail futures that map() already cancelled when the
# timeout killed the workers (InvalidStateError, fixed in 3.12); the pool is abandoned either way.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_point_timeout_stops_a_slow_point_and_goes_on(children_before):
    spec = SweepSpec(workload="sleep", items=(1, 8), length=(3,), strategies=("serial", "processes"),
                     repeat=1, warmup=1, workers=2, settings={"sleep_ms": 100}, point_timeout=1.0, start_method="fork")
    events = []
    began: dict[int, float] = {}

    ended: dict[int, float] = {}

    def emit(event) -> None:
        if isinstance(event, PointStarted):
            began[event.index] = time.monotonic()
        if isinstance(event, MeasurementDone):
            ended.setdefault(event.measurement.point_index, time.monotonic())
        events.append(event)

    status = run_sweep(spec, emit)
    # The slow point alone: from its start to its rows (before it: the machine's ceiling and the
    # first point; after it, the pools' costs).
    elapsed = ended[1] - began[1]
    measured = {(m.strategy, m.items): m for e in events if isinstance(e, MeasurementDone)
                for m in [e.measurement]}
    assert status == "completed"
    assert measured[("serial", 1)].ok and measured[("processes", 1)].ok
    slow = measured[("serial", 8)]
    assert slow.status == "timeout"
    assert "point stopped after 1 s" in slow.error
    assert measured[("processes", 8)].status == "timeout"
    # The slow point's serial calls alone would take 2 × 0.8 s; the timeout cut them at 1 s.
    assert elapsed < 0.8 * 2
    # The killed pool's workers are gone.
    assert wait_for(lambda: not new_live_descendants(children_before), timeout=3)
    # ... and so is its manager thread, so that its InvalidStateError (above) is raised under this
    # test's filter, not in whichever test runs next.
    from concurrent.futures.process import _ExecutorManagerThread

    for thread in threading.enumerate():
        if isinstance(thread, _ExecutorManagerThread):
            thread.join(timeout=5)


def _cli(*args: str, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tui", *costs_off(args)], cwd=ROOT, env=cli_env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_caller_leaves_no_orphans_and_loses_no_committed_measurement(tmp_path):
    db = tmp_path / "store.sqlite3"
    cli = _cli("run", "--workload", "sleep", "--sleep-ms", "150", "--items", "2..64", "--length", "10",
               "--strategies", "serial,processes", "--repeat", "1", "--warmup", "0", db=db)
    try:
        assert wait_for(lambda: stored_measurements(db) >= 2, timeout=30)
        tree = psutil.Process(cli.pid).children(recursive=True)
        assert tree, "the measuring process should be running"
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=5)
        gone, alive = psutil.wait_procs(tree, timeout=5)
        assert not alive, f"orphans left: {[p.cmdline() for p in alive]}"
    finally:
        if cli.poll() is None:
            cli.kill()
    with Store(db) as store:
        [run] = store.runs()
        assert run.status == "interrupted"
        kept = store.load_run(run.id).measurements
        assert len(kept) >= 2
        assert all(m.ok for m in kept)


def test_billion_number_sweep_is_refused_before_allocating(tmp_path):
    db = tmp_path / "store.sqlite3"
    cli = _cli("run", "--workload", "squares", "--items", "16", "--length", "1000000000", db=db)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 2
    assert "refused" in err and "limit" in err and "GB" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    # Nothing was allocated: not even a run was started, and the CLI stayed small.
    assert stored_measurements(db) == 0
    if db.exists():
        with Store(db) as store:
            assert store.runs() == []


def _write_measurements(db: str, run_id: int, count: int) -> None:
    with Store(db) as store:
        for i in range(count):
            store.add_measurement(run_id, Measurement(
                workload="squares", strategy="serial", items=i + 1, length=1, workers=None, chunksize=None,
                pool=None, warmup=0, times_s=(0.001,),
            ))


def test_store_survives_two_processes_writing_at_once(tmp_path):
    db = tmp_path / "store.sqlite3"
    with Store(db) as store:
        run_id = store.start_run(SweepSpec())
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_write_measurements, args=(str(db), run_id, 60)) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
        assert writer.exitcode == 0
    with Store(db) as store:
        assert len(store.load_run(run_id).measurements) == 120
        journal = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_killed_app_leaves_no_orphans(tmp_path):
    """kill -9 of the app mid-sweep: the measuring process and its pool exit by themselves."""
    import pty

    db = tmp_path / "store.sqlite3"
    controller, terminal = pty.openpty()
    env = {**os.environ, "PARBENCH_DB": str(db), "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    app = subprocess.Popen([sys.executable, "-m", "tui"], cwd=ROOT, env=env, stdin=terminal, stdout=terminal,
                           stderr=terminal, start_new_session=True)
    os.close(terminal)
    drained = threading.Event()

    def drain():  # the app blocks if nobody reads its screen
        while not drained.is_set():
            try:
                if not os.read(controller, 65536):
                    return
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        def measuring_tree():
            found = []
            try:
                children = psutil.Process(app.pid).children(recursive=True)
            except psutil.Error:
                return found
            for child in children:
                try:  # pool workers come and go: skip the ones already gone
                    if "workloads.measuring.process" in " ".join(child.cmdline()):
                        found.append(child)
                except psutil.Error:
                    pass
            return found

        def runs_stored() -> int:
            if not db.exists():
                return 0
            try:
                with sqlite3.connect(db, timeout=1.0) as conn:
                    return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.Error:
                return 0

        deadline = time.monotonic() + 30
        while not runs_stored() and time.monotonic() < deadline:
            os.write(controller, b"\x12")  # ctrl+r, until the app is up and has started the sweep
            time.sleep(0.5)
        measuring = measuring_tree()
        assert measuring and runs_stored(), "the app did not start a sweep"

        def descendants():
            found = []
            for process in measuring:
                try:  # cold pools start and reap workers all the time: take what is there now
                    found += process.children(recursive=True)
                except psutil.NoSuchProcess:
                    pass
            return found

        def pool_started():  # a worker, not only multiprocessing's resource tracker or fork server
            try:
                return any(not any(word in " ".join(p.cmdline()) for word in ("resource_tracker", "forkserver"))
                           for p in descendants())
            except psutil.Error:
                return False

        deadline = time.monotonic() + 10
        while not pool_started() and time.monotonic() < deadline:
            time.sleep(0.05)
        tree = list(measuring) + descendants()
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=5)
        gone, alive = psutil.wait_procs(tree, timeout=5)
        assert not alive, f"orphans left: {[p.cmdline() for p in alive]}"
    finally:
        drained.set()
        if app.poll() is None:
            app.kill()
        os.close(controller)
    with Store(db) as store:
        [run] = store.runs()
        assert run.status == "interrupted"
