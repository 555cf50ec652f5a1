"""What every figure shares: the result rows and their table, the interleaving helper, and the ways
of running parbench (in this process through `workloads.session.execute`, or as the `parbench`
command) and the independent reference measurements (each a process of its own)."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TypeVar

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
T = TypeVar("T")


# Running ---------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a figure gets: whether to run fewer rounds, and a scratch folder for stores and exports
    (parbench never writes to the user's own store from here)."""

    quick: bool
    workdir: Path
    _dbs: int = 0

    def rounds(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def db(self, name: str) -> Path:
        """A fresh store file for one parbench run."""
        self._dbs += 1
        return self.workdir / f"{name}-{self._dbs}.sqlite3"

    def path(self, name: str) -> Path:
        self._dbs += 1
        stem, _, suffix = name.rpartition(".")
        return self.workdir / f"{stem}-{self._dbs}.{suffix}"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child_env(workdir: Path | None = None) -> dict[str, str]:
    """The environment of every process the suite starts: this source tree first on the path, and a
    scratch store so that nothing lands in the user's results."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if workdir is not None:
        env["PARBENCH_DB"] = str(workdir / "default.sqlite3")
    return env


def parbench_command() -> list[str]:
    """The installed `parbench` script beside this interpreter, or `python -m tui` without one."""
    script = Path(PYTHON).with_name("parbench")
    return [str(script)] if script.exists() else [PYTHON, "-m", "tui"]


def interleave(steps: Sequence[tuple[str, Callable[[], T]]], rounds: int, label: str = "") -> dict[str, list[T]]:
    """Run each step once per round, in order (A B A B ...), and collect every step's results.

    Steps of one round run back to back, so a change in the machine's speed between rounds hits
    them alike; compare them with `median_ratio`, never as medians taken apart."""
    results: dict[str, list[T]] = {name: [] for name, _ in steps}
    for index in range(rounds):
        for name, step in steps:
            log(f"{label}: round {index + 1}/{rounds}, {name}")
            results[name].append(step())
    return results


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of the per-round ratios a_i / b_i."""
    if len(numerators) != len(denominators) or not numerators:
        raise ValueError("median_ratio needs two equally long, non-empty series")
    return statistics.median(a / b for a, b in zip(numerators, denominators))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank: a value that was really observed."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def parbench_run(spec, db: Path):
    """Run `spec` the way the app and the CLI do (`workloads.session.execute`: a measuring process of
    its own) into the store at `db`; returns the stored `Run`."""
    from workloads.session import execute
    from workloads.store.database import Store

    with Store(db) as store:
        outcome = execute(spec, store)
        if outcome.status != "completed":
            raise RuntimeError(f"parbench run {outcome.run_id} {outcome.status}: {outcome.error}")
        run = store.load_run(outcome.run_id)
    for m in run.measurements:
        if not m.ok:
            raise RuntimeError(f"parbench {m.strategy} at {m.items}×{m.length}: {m.status}: {m.error}")
    return run


def measurement(run, strategy: str, items: int | None = None):
    for m in run.measurements:
        if m.strategy == strategy and (items is None or m.items == items):
            return m
    raise LookupError(f"run {run.id} has no {strategy} measurement" + (f" at {items} items" if items else ""))


def parbench_cli(args: Sequence[str], db: Path, *, timeout: float = 900) -> tuple[float, subprocess.CompletedProcess]:
    """Run the `parbench` command with `args` against the store `db`; returns its wall time (from
    starting the process to its exit) and the finished process."""
    command = [*parbench_command(), "--db", str(db), *args]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=child_env(db.parent), capture_output=True, text=True,
                          timeout=timeout)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return wall, proc


def run_independent(name: str, timeout: float = 900, **params) -> dict:
    """Run one reference measurement of `benchmarks.independent` in a fresh interpreter; returns the
    JSON it prints (its last line of output)."""
    command = [PYTHON, "-m", "benchmarks.independent", name, json.dumps(params)]
    proc = subprocess.run(command, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmarks.independent {name} exited {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_module_child(module: str, *args: str, timeout: float = 600) -> dict:
    """Run `python -m module args` (a figure's own measuring child) and read the JSON it prints last."""
    command = [PYTHON, "-m", module, *args]
    proc = subprocess.run(command, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Formatting ------------------------------------------------------------------------------------


def fmt_s(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


# Rows and the table ----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table. `ratio` is the value over its target (for "within", the deviation over
    the tolerance): at most 1 passes an upper bound, at least 1 a lower bound. `passed` is None for
    a row given as context only."""

    figure: str
    value: str
    target: str
    ratio: float | None
    passed: bool | None
    context: str = ""
    error: bool = False


def at_most(figure: str, value: float, limit: float, fmt: str = "{:.3f}", context: str = "",
            target: str | None = None) -> Row:
    ratio = value / limit
    return Row(figure, fmt.format(value), target or f"≤ {fmt.format(limit)}", ratio, ratio <= 1.0, context)


def at_least(figure: str, value: float, limit: float, fmt: str = "{:.3f}", context: str = "",
             target: str | None = None) -> Row:
    ratio = value / limit
    return Row(figure, fmt.format(value), target or f"≥ {fmt.format(limit)}", ratio, ratio >= 1.0, context)


def within(figure: str, measured: float, tolerance: float, context: str = "") -> Row:
    """`measured` is a ratio that should be 1 give or take `tolerance` (0.03 for ±3%)."""
    deviation = measured - 1.0
    ratio = abs(deviation) / tolerance
    return Row(figure, f"{measured:.3f} ({deviation:+.1%})", f"1 ± {tolerance:.0%}", ratio, ratio <= 1.0, context)


def info(figure: str, value: str, context: str = "") -> Row:
    return Row(figure, value, "—", None, None, context)


def error_row(figure: str, exc: BaseException) -> Row:
    text = str(exc).strip().splitlines()
    return Row(figure, "error", "—", None, False, f"{type(exc).__name__}: {text[-1] if text else ''}"[:300],
               error=True)


def table(rows: list[Row], title: str):
    from rich import box
    from rich.table import Table

    grid = Table(title=title, box=box.SIMPLE_HEAVY, show_lines=False, expand=False,
                 caption="ratio = value ÷ target (for ±: |deviation| ÷ tolerance); ≤ 1 passes an upper bound "
                         "or a ±, ≥ 1 a lower bound. Ratios are medians of per-round ratios of interleaved runs.")
    grid.add_column("figure", overflow="fold", max_width=34)
    grid.add_column("value", justify="right", overflow="fold", max_width=20)
    grid.add_column("target", justify="right", no_wrap=True)
    grid.add_column("ratio", justify="right", no_wrap=True)
    grid.add_column("result", no_wrap=True)
    grid.add_column("context (absolute times, as measured)", overflow="fold", ratio=1, min_width=24)
    for row in rows:
        if row.error:
            verdict = "[bold red]ERROR[/]"
        elif row.passed is None:
            verdict = "[dim]info[/]"
        elif row.passed:
            verdict = "[green]pass[/]"
        else:
            verdict = "[bold red]FAIL[/]"
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        grid.add_row(row.figure, row.value, row.target, ratio, verdict, row.context)
    return grid
