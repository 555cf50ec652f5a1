"""A user's own loop: a workload file (or module) written the way a user writes one, in a folder
outside the repository, measured through the CLI as a user would run it.

Bad input gets one clear line and exit 2 with nothing stored; a kernel that fails on some items
fails those points and the sweep goes on (exit 3); code that prints, reads stdin or ends its process
neither corrupts the event stream nor leaves a process behind.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from helpers import ROOT, cli_env, refused_in_one_line, run_cli, stored_runs, wait_for

from workloads.store.database import Store

TINY = ("--items", "2", "--length", "10", "--repeat", "1", "--warmup", "0")


def tagged_processes(tag: str) -> list[psutil.Process]:
    """Live processes whose environment carries `tag`: the CLI's measuring process and every pool
    worker it started inherit it, wherever they were reparented to."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PARBENCH_TEST_TAG") == tag and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            pass
    return found


def run_user(path: str, *args: str, db: Path, timeout: float = 90, tag: str | None = None, **kwargs):
    """`parbench run --workload PATH ARGS`, its table as the box table (a pipe gets Markdown otherwise)."""
    env = {"PARBENCH_TEST_TAG": tag} if tag else None
    return run_cli("run", "--workload", path, *args, "--format", "table", db=db, timeout=timeout, env=env, **kwargs)


# Bad input: refused before anything is stored --------------------------------------------------


def test_missing_file(tmp_path, db_path):
    line = refused_in_one_line(run_user(str(tmp_path / "nowhere.py"), *TINY, db=db_path), db_path)
    assert line == f"parbench run: --workload: {tmp_path / 'nowhere.py'}: no such file"


def test_not_a_python_file(tmp_path, db_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("def kernel(value):\n    return value\n")
    line = refused_in_one_line(run_user(str(notes), *TINY, db=db_path), db_path)
    assert "notes.txt is not a Python file (.py)" in line


def test_syntax_error_names_the_file_the_line_and_the_message(workload_file, db_path):
    path = workload_file("""
        def kernel(value):
            return [v * 2 for v in value
    """)
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert f"{path}, line 3:" in line and "never closed" in line


def test_no_kernel(workload_file, db_path):
    path = workload_file("""
        def kernal(value):
            return value
    """)
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert f"{path} defines no kernel(value) function" in line


def test_kernel_that_is_not_callable(workload_file, db_path):
    path = workload_file("kernel = 3\n")
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert "kernel is not a function (it is int)" in line


@pytest.mark.parametrize("signature, said", [
    ("value, scale", "kernel needs 2 arguments (value, scale)"),
    ("", "kernel takes no argument"),
])
def test_kernel_with_the_wrong_arity(workload_file, db_path, signature, said):
    path = workload_file(f"def kernel({signature}):\n    return 1\n")
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert said in line and "line 1" in line


def test_callable_object_with_the_wrong_arity_is_refused_when_loaded(workload_file, db_path):
    path = workload_file("""
        class Kernel:
            def __call__(self, value, other):
                return value

        kernel = Kernel()
    """)
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert "kernel cannot be called with one item's value" in line


def test_make_input_that_raises_says_its_message_and_where(workload_file, db_path):
    path = workload_file("""
        def make_input(items, length, seed):
            raise ValueError("the corpus is not downloaded")

        def kernel(value):
            return value
    """)
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert "make_input(" in line and "userloop.py, line 3" in line
    assert "ValueError: the corpus is not downloaded" in line


@pytest.mark.parametrize("body, said", [
    ("return [[1, 2]] * items", "make_input(2, 1, seed) returned a list; it must return a dict of 2 items"),
    ("return {0: [1, 2]}", "make_input(2, 1, seed) returned 1 item; it must return 2"),
])
def test_make_input_that_returns_no_dict_or_the_wrong_count(workload_file, db_path, body, said):
    path = workload_file(f"""
        def make_input(items, length, seed):
            {body}

        def kernel(value):
            return value
    """)
    line = refused_in_one_line(run_user(path, *TINY, db=db_path), db_path)
    assert said in line


UNPICKLABLE_RESULT = """
    import threading

    def kernel(value):
        return threading.Lock()
"""


def test_result_a_process_pool_cannot_ship_names_its_type_and_the_fix(workload_file, db_path):
    path = workload_file(UNPICKLABLE_RESULT)
    line = refused_in_one_line(run_user(path, *TINY, "--strategies", "serial,processes", db=db_path), db_path)
    assert "kernel's result is a lock that cannot be pickled for a process pool" in line
    assert "return plain data" in line


def test_unpicklable_result_is_fine_where_nothing_is_shipped(workload_file, db_path):
    path = workload_file(UNPICKLABLE_RESULT + """
    def same(a, b):  # locks are not equal to one another; both being locks is agreement here
        return type(a) is type(b)
""")
    result = run_user(path, *TINY, "--strategies", "serial,threads", db=db_path)
    assert result.returncode == 0, result.stderr


# Failures during the sweep: that point fails, the sweep goes on -----------------------------------


def test_kernel_that_raises_on_some_items_fails_those_points_and_exits_3(workload_file, db_path):
    path = workload_file("""
        def make_input(items, length, seed):
            return {i: [items] * length for i in range(items)}

        def kernel(value):
            if value[0] == 4:  # every item of the point with 4 items
                raise KeyError("no price for item")
            return sum(value)
    """)
    result = run_user(path, "--items", "2,4,8", "--length", "10", "--repeat", "1", "--warmup", "0",
                      "--strategies", "serial,processes,threads", "--start-method", "spawn", db=db_path)
    assert result.returncode == 3, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["serial"], ["processes"], ["threads"])]
    assert len(rows) == 9
    for row in rows:
        assert ("failed" in row) == (row[1] == "4"), row
    assert "KeyError: 'no price for item'" in result.stdout
    assert "run 1 partial: 3 of 9 measurements did not succeed (3 failed)" in result.stderr
    assert stored_runs(db_path) == [(1, "partial")]


def test_kernel_that_hangs_in_workers_is_stopped_by_the_point_timeout(workload_file, db_path):
    path = workload_file("""
        import multiprocessing
        import time

        def make_input(items, length, seed):
            return {i: [items] * length for i in range(items)}

        def kernel(value):
            if multiprocessing.parent_process() is not None and value[0] == 4:  # never returns
                while True:
                    time.sleep(1)
            return value
    """)
    started = time.monotonic()
    result = run_user(path, "--items", "2,4", "--length", "10", "--repeat", "1", "--warmup", "0",
                      "--strategies", "serial,processes", "--point-timeout", "2", db=db_path)
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started < 30
    # The whole point stops: serial's rounds there are cut short too (0 or 1 done).
    assert "point stopped after 2 s, in a processes call" in result.stdout
    assert "run 1 partial: 2 of 4 measurements did not succeed (2 timed out)" in result.stderr
    assert stored_runs(db_path) == [(1, "partial")]


def test_kernel_that_hangs_on_every_item_is_refused_by_the_check_before_the_sweep(workload_file, db_path):
    path = workload_file("""
        import threading

        def kernel(value):
            threading.Event().wait()  # waits forever
    """)
    started = time.monotonic()
    result = run_user(path, *TINY, "--point-timeout", "2", db=db_path)
    line = refused_in_one_line(result, db_path)
    # The item measured before the sweep is given the point's time, not a fixed two minutes.
    assert time.monotonic() - started < 30
    assert "kernel did not return within 2 s on one item of length 10 (--point-timeout)" in line
    assert "raise --point-timeout" in line and "a wait that never ends" in line


# Code that does what a workload should not ------------------------------------------------------


def test_a_file_that_prints_and_reads_stdin_does_not_corrupt_the_run(workload_file, db_path):
    path = workload_file("""
        import os
        import sys

        print("loading the model...")
        answer = sys.stdin.read()

        def kernel(value):
            print("item", value[:3], flush=True)
            os.write(1, b"straight to fd 1\\n")
            print("to stderr", file=sys.stderr)
            return sum(value)
    """)
    result = run_user(path, *TINY, "--strategies", "serial,processes,threads", db=db_path)
    assert result.returncode == 0, result.stderr
    assert "loading the model" not in result.stdout + result.stderr
    assert "straight to fd 1" not in result.stdout and "to stderr" not in result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()
            if line.split()[:1] in (["serial"], ["processes"], ["threads"])] == ["serial", "processes", "threads"]
    assert stored_runs(db_path) == [(1, "completed")]


EXITS = {
    "sys.exit on import": ("import sys\nsys.exit(3)\n\ndef kernel(value):\n    return value\n",
                           "userloop.py called sys.exit(3) while being imported"),
    "os._exit on import": ("import os\nos._exit(3)\n\ndef kernel(value):\n    return value\n",
                           "userloop.py ended the measuring process (exit code 3) while parbench imported it"),
    "sys.exit in the kernel": ("import sys\n\ndef kernel(value):\n    sys.exit(4)\n",
                               "kernel called sys.exit(4) on one item of length 10; a kernel must return its result"),
    "os._exit in the kernel": ("import os\n\ndef kernel(value):\n    os._exit(4)\n",
                               "userloop.py ended the measuring process (exit code 4) while parbench imported it "
                               "and ran it on one item, before the sweep: a workload must not call os._exit"),
}


@pytest.mark.parametrize("case", list(EXITS))
def test_a_file_that_ends_its_process_is_refused_and_leaves_no_process(workload_file, db_path, case):
    source, said = EXITS[case]
    tag = uuid.uuid4().hex
    result = run_user(workload_file(source), *TINY, "--strategies", "serial,processes", db=db_path, tag=tag)
    line = refused_in_one_line(result, db_path)
    assert said in line
    assert wait_for(lambda: not tagged_processes(tag), timeout=5), [p.cmdline() for p in tagged_processes(tag)]


@pytest.mark.parametrize("how, said", [
    ("sys.exit(5)", "the kernel called sys.exit(5)"),
    ("os._exit(5)", "BrokenProcessPool: a worker exited with code 5"),
])
def test_a_kernel_that_ends_a_pool_worker_fails_that_strategy_only(workload_file, db_path, how, said):
    path = workload_file(f"""
        import multiprocessing
        import os
        import sys

        def kernel(value):
            if multiprocessing.parent_process() is not None:
                {how}
            return value
    """)
    tag = uuid.uuid4().hex
    result = run_user(path, *TINY, "--strategies", "serial,processes,threads", db=db_path, tag=tag)
    assert result.returncode == 3, result.stderr
    assert said in result.stdout
    assert stored_runs(db_path) == [(1, "partial")]
    assert wait_for(lambda: not tagged_processes(tag), timeout=5)


def test_os_exit_in_the_measuring_process_mid_sweep_fails_the_run_keeping_what_was_measured(workload_file, db_path):
    # The check before the sweep measures the smallest and the largest length: the middle one ends it.
    path = workload_file("""
        import os

        def kernel(value):
            if len(value) == 20:
                os._exit(6)
            return value
    """)
    tag = uuid.uuid4().hex
    result = run_user(path, "--items", "2", "--length", "10,20,30", "--repeat", "1", "--warmup", "0",
                      "--strategies", "serial", db=db_path, tag=tag)
    assert result.returncode == 1, result.stderr
    assert "the measuring process exited unexpectedly (exit code 6)" in result.stderr
    assert "Traceback" not in result.stderr
    assert stored_runs(db_path) == [(1, "failed")]
    with Store(db_path) as store:
        assert [(m.length, m.status) for m in store.load_run(1).measurements] == [(10, "ok")]
    assert wait_for(lambda: not tagged_processes(tag), timeout=5)


# A module name, like a file -----------------------------------------------------------------------


def test_a_module_name_works_like_a_file_from_the_current_folder(tmp_path, db_path):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "kernels.py").write_text('"""Doubles each value."""\n\ndef kernel(value):\n    return [v * 2 for v in value]\n')
    result = run_user("mypkg.kernels", *TINY, "--strategies", "serial,processes", "--start-method", "spawn",
                      db=db_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "run 1: mypkg.kernels, completed" in result.stdout


def test_a_builtin_name_wins_a_clash_with_a_module_and_a_path_reaches_the_file(tmp_path, db_path):
    (tmp_path / "squares.py").write_text('def kernel(value):\n    raise RuntimeError("the local squares.py ran")\n')
    builtin = run_user("squares", *TINY, "--strategies", "serial", db=db_path, cwd=tmp_path)
    assert builtin.returncode == 0, builtin.stderr
    local = run_user("./squares.py", *TINY, "--strategies", "serial", db=db_path, cwd=tmp_path)
    assert local.returncode == 2 and "the local squares.py ran" in local.stderr


# ---------------------------------------------------------------------------------------------
# Every strategy with a user kernel, under every start method (run in this process: faster).


LUCKY = """
    import dataclasses


    @dataclasses.dataclass
    class Record:
        name: str
        values: list


    def _scaled(factor):
        def scaled(value):  # a closure: pickles under no start method
            return value * factor
        return scaled


    class Doubled:  # a callable instance of a class of this file
        def __call__(self, record):
            return [v * 2 for v in record.values]


    def make_input(items, length, seed):
        return {i: Record(f"r{i}", list(range(i, i + length))) for i in range(items)}


    def make_input_numpy(items, length, seed):
        import numpy as np
        return {i: np.arange(i, i + length) for i in range(items)}


    kernel = Doubled()
    kernel_numpy = _scaled(2)
"""


def _measure(spec):
    from workloads.measuring.sweep import run_sweep
    from workloads.model.events import MeasurementDone

    events = []
    status = run_sweep(spec, events.append)
    return status, {m.strategy: m for e in events if isinstance(e, MeasurementDone) for m in [e.measurement]}


@pytest.mark.parametrize("start_method", ["fork", "spawn", "forkserver"])
def test_a_kernel_that_pickles_only_by_luck_runs_in_process_pools_under_every_start_method(workload_file,
                                                                                        start_method):
    from workloads.model.spec import SweepSpec

    lambdas = workload_file("kernel = lambda value: [v * 3 for v in value]\n"
                            "kernel_numpy = lambda value: value * 3\n", name="lambdas")
    spec = SweepSpec(workload=lambdas, items=(3,), length=(5,), repeat=1, warmup=0, workers=2,
                     strategies=("serial", "processes", "threads", "numpy", "numpy-processes"),
                     start_method=start_method)
    status, measured = _measure(spec)
    assert status == "completed"
    assert {name: m.status for name, m in measured.items()} == dict.fromkeys(spec.strategies, "ok")
    # A callable instance over dataclass records of the file's own: the values themselves only
    # unpickle in a worker that imported the file under the measuring process's name for it.
    spec = SweepSpec(workload=workload_file(LUCKY, name="records"), items=(3,), length=(4,), repeat=1, warmup=0,
                     workers=2, strategies=("serial", "processes", "numpy-processes"), start_method=start_method)
    status, measured = _measure(spec)
    assert status == "completed"
    assert all(m.ok for m in measured.values()), {name: m.error for name, m in measured.items()}


def test_a_forkserver_pool_outlives_its_workers_orphan_check(workload_file):
    """A forkserver worker's parent is the fork server: a call longer than the workers' check for
    a dead parent (0.5 s) must not read as orphaned."""
    from workloads.model.spec import SweepSpec

    path = workload_file("import time\n\ndef kernel(value):\n    time.sleep(0.4)\n    return value\n")
    spec = SweepSpec(workload=path, items=(4,), length=(2,), repeat=1, warmup=0, workers=2, pool="warm",
                     strategies=("processes",), start_method="forkserver")
    status, measured = _measure(spec)
    assert status == "completed"
    assert measured["processes"].ok, measured["processes"].error


def test_forkserver_workers_exit_when_the_measuring_process_is_killed(workload_file, db_path):
    path = workload_file("""
        import multiprocessing
        import time

        def kernel(value):
            if multiprocessing.parent_process() is not None:  # in a pool worker, not in the check before
                time.sleep(30)
            return value
    """)
    tag = uuid.uuid4().hex
    cli = subprocess.Popen([sys.executable, "-m", "tui", "run", "--workload", path, *TINY, "--strategies",
                            "processes", "--start-method", "forkserver", "--point-timeout", "60"],
                           cwd=ROOT, env={**cli_env(db_path), "PARBENCH_TEST_TAG": tag},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def workers():
            return [p for p in tagged_processes(tag) if "spawn_main" in " ".join(p.cmdline())
                    or "forkserver" in " ".join(p.cmdline())]
        # The fork server and the two workers it forked.
        assert wait_for(lambda: len(workers()) >= 3, timeout=60), [p.cmdline() for p in tagged_processes(tag)]
        [measuring] = [p for p in tagged_processes(tag) if "workloads.measuring.process" in " ".join(p.cmdline())]
        measuring.kill()
        # Workers look for their parent every 0.5 s; a loaded CI machine may take a few rounds of that.
        assert wait_for(lambda: not workers(), timeout=15), [p.cmdline() for p in workers()]
        cli.wait(timeout=10)
        assert cli.returncode == 1
    finally:
        if cli.poll() is None:
            cli.kill()
        cli.communicate()


# Dask ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask cluster of its own processes: stands for a remote scheduler at an address."""
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    yield cluster
    cluster.close()


@pytest.mark.parametrize("where", ["local", "scheduler"])
def test_dask_runs_a_user_file_on_a_local_cluster_and_at_a_scheduler(workload_file, dask_cluster, where):
    from workloads.model.spec import SweepSpec

    spec = SweepSpec(workload=workload_file(LUCKY, name=f"records_{where}"), items=(3,), length=(4,), repeat=1,
                     warmup=0, workers=1, strategies=("serial", "dask"),
                     options={"dask_scheduler": dask_cluster.scheduler_address} if where == "scheduler" else {})
    status, measured = _measure(spec)
    assert status == "completed"
    assert measured["dask"].ok, measured["dask"].error


def _dask_runner(token: str, upload: str | None, address: str):
    from workloads.measuring.loader import ItemCall
    from workloads.measuring.runners import RunnerConfig, make_runner
    from workloads.model.strategies import KINDS

    config = RunnerConfig(kernel=None, item_call=ItemCall(token, "python", ()), workers=1, chunksize=1, warm=False,
                          start_method="fork", upload=upload, options={"dask_scheduler": address})
    return make_runner(KINDS["dask"], config)


def test_dask_workers_get_the_file_by_upload_or_say_plainly_they_cannot_import_it(tmp_path, dask_cluster):
    from workloads.model.errors import RunAborted

    name = f"uploaded_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("def kernel(value):\n    return value * 7\n")
    # A token whose path the workers do not have, as on another machine.
    token = f"file:/nonexistent/elsewhere/{name}.py"
    runner = _dask_runner(token, None, dask_cluster.scheduler_address)
    with pytest.raises(RunAborted) as refused:
        runner.check()
    message = str(refused.value)
    assert message.startswith(f"dask: the Dask workers at {dask_cluster.scheduler_address} cannot import the workload")
    assert f"/nonexistent/elsewhere/{name}.py: the file is not here and was not uploaded" in message
    # Uploaded, the same token works: the workers import the file they were sent.
    runner = _dask_runner(token, str(tmp_path / f"{name}.py"), dask_cluster.scheduler_address)
    runner.check()
    assert runner.call({1: 2, 2: 3}) == {1: 14, 2: 21}
