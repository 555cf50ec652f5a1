"""Helpers shared by the test modules (imported as `helpers`; the fixtures live in conftest.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def cli_env(db: Path) -> dict[str, str]:
    # A wide console, so the tables the CLI prints are not cut.
    return {**os.environ, "PARBENCH_DB": str(db), "COLUMNS": "200"}


def costs_off(args) -> list[str]:
    """`parbench ARGS` with `--costs off` after `run` unless ARGS name `--costs`: pool costs (and the
    machine's ceiling) are half a pooled test sweep's time, and only the tests of the Why's costs
    read them."""
    args = list(args)
    if "run" in args and "--costs" not in args:
        at = args.index("run") + 1
        args[at:at] = ["--costs", "off"]
    return args


def run_cli(*args: str, db: Path, timeout: float = 60, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m tui ARGS` to the end, as a user at a shell would (in `cwd`, the repository by
    default; `env` adds to the environment); a sweep without pool costs unless ARGS ask (`costs_off`)."""
    return subprocess.run([sys.executable, "-m", "tui", *costs_off(args)], cwd=cwd or ROOT, env={**cli_env(db), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def stored_measurements(db: Path) -> int:
    """How many measurements the store file holds, read with plain sqlite (0 while it is not there)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1.0) as conn:
            return conn.execute("SELECT COUNT(*) FROM measurements").fetchone()[0]
    except sqlite3.Error:
        return 0


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of `processes` still alive (a zombie has exited; only its entry is left)."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def wait_gone(processes: list[psutil.Process], timeout: float = 5.0) -> list[psutil.Process]:
    """Wait up to `timeout` for every process to exit; returns the ones that did not."""
    wait_for(lambda: not still_running(processes), timeout)
    return still_running(processes)


def descendants(pid: int | None = None) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def new_live_descendants(before: set[int]) -> list[psutil.Process]:
    """This process's live descendants that were not there when `before` was taken."""
    return [p for p in still_running(descendants()) if p.pid not in before]


def stored_runs(db: Path) -> list[tuple]:
    """(id, status) of every run the store holds; [] when the store was never created."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, status FROM runs").fetchall()


def refused_in_one_line(result: subprocess.CompletedProcess, db: Path) -> str:
    """The CLI refused: exit 2, one line on stderr, no traceback, nothing stored. The first use of
    another Python prepares parbench's overlay there and says each step first (`parbench: preparing
    ...`, then indented steps): those lines come before the refusal, whichever test used it first."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    if lines and lines[0].startswith("parbench: preparing Python "):
        lines = [line for line in lines[1:] if not line.startswith("parbench:   ")]
    assert len(lines) == 1, result.stderr
    assert stored_runs(db) == []
    return lines[0]
