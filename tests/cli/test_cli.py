"""The command line, run as a user runs it: `python -m tui ...` in a subprocess, with its own store."""

from __future__ import annotations

import csv
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys

import psutil
import pytest
from helpers import (
    ROOT,
    cli_env,
    descendants,
    run_cli,
    stored_measurements,
    wait_for,
    wait_gone,
)

from workloads.store.database import Store

TINY_RUN = ("run", "--workload", "squares", "--items", "2..4", "--length", "10",
            "--strategies", "serial,threads,numpy", "--repeat", "2", "--warmup", "1", "--workers", "2")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One tiny sweep run through the CLI with three exports; shared by the tests that read it."""
    directory = tmp_path_factory.mktemp("cli-run")
    db = directory / "store.sqlite3"
    exports = {fmt: directory / f"x.{fmt}" for fmt in ("md", "json", "csv")}
    result = run_cli(*TINY_RUN, "--export", str(exports["md"]), "--export", str(exports["json"]),
                     "--export", str(exports["csv"]), db=db)
    return db, exports, result


def test_run_prints_its_table_and_exits_0(finished_run):
    db, _, result = finished_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "**parbench run 1**: `squares`, completed" in result.stdout  # a pipe gets Markdown
    for strategy in ("serial", "threads", "numpy"):
        assert strategy in result.stdout
    # The verdict, right under what the run was: what to use, with the run's own figure.
    verdict = result.stdout[result.stdout.index("**Verdict**: "):]
    assert result.stdout.index("**parbench run 1**") < result.stdout.index("**Verdict**: ")
    said = ("as fast as the plain loop", "Leave it serial", "the same at the largest point", "not told apart")
    assert any(words in verdict for words in said), verdict
    with Store(db) as store:
        run = store.load_run(1)
    assert run.status == "completed"
    assert len(run.measurements) == 2 * 3 and all(m.ok for m in run.measurements)


def test_run_writes_every_export_that_reads_back(finished_run):
    db, exports, result = finished_run
    for path in exports.values():
        assert f"exported run 1 to {path}" in result.stderr
    with Store(db) as store:
        run = store.load_run(1)

    with open(exports["csv"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["strategy"], int(r["items"])) for r in rows] == [(m.strategy, m.items) for m in run.measurements]
    assert all(r["ok"] == "True" and r["run_id"] == "1" for r in rows)

    document = json.loads(exports["json"].read_text(encoding="utf-8"))
    assert document["run"]["id"] == 1 and document["run"]["status"] == "completed"
    assert [m["times_s"] for m in document["measurements"]] == [list(m.times_s) for m in run.measurements]

    markdown = exports["md"].read_text(encoding="utf-8").splitlines()
    table = [line for line in markdown if line.startswith("| ") and not line.startswith("| strategy")]
    assert len(table) == len(run.measurements)


def test_history_lists_the_run(finished_run):
    db, _, _ = finished_run
    result = run_cli("history", "--format", "table", db=db)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if " 1 " in line and "squares" in line]
    assert "completed" in line and "2,4" in line
    assert line.split()[-5] == "3"  # strategies, counted: one line per run fits 80 columns
    assert line.split()[-2] == platform.python_version()  # the interpreter it was measured under
    assert line.split()[-1] == platform.node()[:10]  # the host it was measured on


def test_history_of_an_empty_store_says_so(db_path):
    result = run_cli("history", db=db_path)
    assert result.returncode == 0
    assert "no runs stored" in result.stderr


@pytest.mark.parametrize("which, name", [("last", "out.csv"), ("1", "out.json"), ("1", "out.md")])
def test_export_a_stored_run(finished_run, tmp_path, which, name):
    db, _, _ = finished_run
    target = tmp_path / name
    result = run_cli("export", which, str(target), db=db)
    assert result.returncode == 0, result.stderr
    assert "exported run 1 (6 rows)" in result.stderr
    text = target.read_text(encoding="utf-8")
    if name.endswith(".csv"):
        assert len(list(csv.DictReader(text.splitlines()))) == 6
    elif name.endswith(".json"):
        assert len(json.loads(text)["measurements"]) == 6
    else:
        assert text.count("\n| serial |") == 2


@pytest.mark.parametrize("args, words", [
    (("export", "999", "x.csv"), "no run 999"),
    (("export", "first", "x.csv"), "run id"),
    (("export", "last", "x.txt"), "unknown export format"),
])
def test_bad_export_exits_2_with_one_line(finished_run, tmp_path, args, words):
    db, _, _ = finished_run
    result = subprocess.run([sys.executable, "-m", "tui", *args], cwd=tmp_path, env=cli_env(db),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_from_an_empty_store_exits_2(db_path, tmp_path):
    result = run_cli("export", "last", str(tmp_path / "x.csv"), db=db_path)
    assert result.returncode == 2
    assert "no runs stored" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, field", [
    (("--items", "512..4"), "--items"),
    (("--items", "3..16"), "--items"),
    (("--length", "0"), "--length"),
    (("--workload", "sleepy"), "--workload"),
    (("--strategies", "serial,gpu"), "--strategies"),
    (("--repeat", "0"), "--repeat"),
    (("--chunksize", "fast"), "--chunksize"),
    (("--sleep-ms", "-1"), "--sleep-ms"),
    (("--export", "x.txt"), "--export"),
    (("--strategies", "serial,dask", "--dask-scheduler", "tcp://host:²"), "--dask-scheduler"),
    (("--bogus",), "--bogus"),
])
def test_bad_usage_exits_2_with_one_line_naming_the_field(db_path, args, field):
    result = run_cli("run", "--workload", "squares", "--items", "2", "--length", "5", *args, db=db_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert field in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert stored_measurements(db_path) == 0
    if db_path.exists():
        with Store(db_path) as store:
            assert store.runs() == []


@pytest.mark.parametrize("kind", ["random bytes", "another program's database"])
@pytest.mark.parametrize("command", [("history",), ("run", "--items", "2", "--length", "5", "--strategies", "serial"),
                                     ("export", "last", "out.csv")])
def test_unusable_store_exits_1_with_a_message_and_is_left_untouched(tmp_path, kind, command):
    db = tmp_path / "store.sqlite3"
    if kind == "random bytes":
        db.write_bytes(os.urandom(4096))
    else:
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE notes (text TEXT)")
            conn.execute("INSERT INTO notes VALUES ('mine')")
        conn.close()
    before = db.read_bytes()
    result = subprocess.run([sys.executable, "-m", "tui", "--db", str(db), *command], cwd=tmp_path,
                            env=cli_env(tmp_path / "not-this-one.sqlite3"), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "not a readable parbench store" in result.stderr and str(db) in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before, "the refused store file was modified"
    assert not (tmp_path / "not-this-one.sqlite3").exists()  # --db wins over PARBENCH_DB


def test_help_exits_0():
    for args in (("--help",), ("run", "--help"), ("history", "--help"), ("export", "--help")):
        result = subprocess.run([sys.executable, "-m", "tui", *args], cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        assert "usage: parbench" in result.stdout
        assert result.stderr == ""


def _run_status(db) -> tuple[str, int]:
    with Store(db) as store:
        run = store.runs()[0]
        return run.status, len(store.load_run(run.id).measurements)


def test_ctrl_c_cancels_the_run_keeps_its_measurements_and_leaves_no_process(db_path):
    cli = subprocess.Popen(
        [sys.executable, "-m", "tui", "run", "--costs", "off", "--workload", "sleep", "--sleep-ms", "200", "--items",
         "2..16", "--length", "5", "--strategies", "serial,processes", "--repeat", "1", "--warmup", "0",
         "--workers", "2", "--pool", "warm"],
        cwd=ROOT, env=cli_env(db_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as a shell gives a foreground job
    )
    try:
        assert wait_for(lambda: stored_measurements(db_path) >= 1, timeout=30), "no measurement was stored"
        tree = descendants(cli.pid)
        assert any("workloads.measuring.process" in " ".join(p.cmdline()) for p in tree)
        os.killpg(cli.pid, signal.SIGINT)  # Ctrl+C at the terminal: the whole foreground group
        out, err = cli.communicate(timeout=10)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 130, err
    assert "Traceback" not in err
    assert "cancelled with Ctrl+C" in err and "run 1 stored as cancelled" in err
    status, kept = _run_status(db_path)
    assert status == "cancelled"
    assert kept >= 1
    with Store(db_path) as store:
        assert all(m.ok for m in store.load_run(store.last_run_id()).measurements)
    alive = wait_gone(tree, timeout=5)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    assert not psutil.pid_exists(cli.pid) or psutil.Process(cli.pid).status() == psutil.STATUS_ZOMBIE


def test_run_with_an_unusable_store_leaves_no_measuring_process(tmp_path):
    # `parbench run` starts its measuring process before opening the store (to overlap their
    # start-up); when the store is refused, that process must go too.
    db = tmp_path / "store.sqlite3"
    db.write_bytes(os.urandom(4096))
    proc = subprocess.Popen([sys.executable, "-m", "tui", "--db", str(db), "run", "--items", "2", "--length", "5",
                             "--strategies", "serial"], cwd=tmp_path, env=cli_env(db), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "not a readable parbench store" in stderr

    def measuring_processes_of_that_run():
        found = []
        for p in psutil.process_iter(["cmdline"]):
            cmdline = p.info["cmdline"] or []
            if "workloads.measuring.process" in cmdline and str(proc.pid) in cmdline:
                try:
                    if p.status() != psutil.STATUS_ZOMBIE:
                        found.append(p)
                except psutil.Error:
                    pass
        return found

    assert wait_for(lambda: not measuring_processes_of_that_run(), timeout=5), measuring_processes_of_that_run()


def test_a_sweep_over_items_and_length_prints_its_winner_map(db_path):
    result = run_cli("run", "--workload", "squares", "--items", "2,4", "--length", "10,1000", "--strategies",
                     "serial,numpy", "--repeat", "2", "--warmup", "0", "--format", "table", db=db_path)
    assert result.returncode == 0, result.stderr
    after = result.stdout[result.stdout.index("winner map"):]
    lines = after.splitlines()
    assert any(line.split()[:3] == ["items", "\\", "length"] for line in lines)
    assert sum(1 for line in lines if line.split()[:1] in (["2"], ["4"])) == 2
