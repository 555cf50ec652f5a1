"""`python -m benchmarks [--only NAME[,NAME]] [--quick]`: run the figures, print one table.

Exit status 0 when every target is met, 1 when one is missed or a figure could not run, 2 for a
bad option.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

from .common import Context, Row, error_row, log, table

# Run order: the short, sensitive figures first, the long sweeps last.
FIGURES = ("accuracy", "numpy_timeit", "free_threaded", "overhead", "user_kernel", "pool_quality", "sweep_efficiency",
           "ui_live", "startup", "import_rows", "resident", "rounds", "deciding", "vs_simple_benchmark", "prediction")


def _names(text: str | None) -> list[str]:
    if not text:
        return list(FIGURES)
    names = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise SystemExit(f"benchmarks: unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these figures: " + ", ".join(FIGURES))
    parser.add_argument("--quick", action="store_true", help="fewer rounds (and a shorter sleep experiment)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name in FIGURES:
            module = importlib.import_module(f"benchmarks.{name}")
            print(f"{name:20} {module.__doc__.strip().splitlines()[0]}")
        return 0
    try:
        names = _names(args.only)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2

    rows: list[Row] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="parbench-bench-") as workdir:
        # Anything that would fall back to the default store lands in the scratch folder instead.
        os.environ["PARBENCH_DB"] = str(Path(workdir) / "default.sqlite3")
        ctx = Context(quick=args.quick, workdir=Path(workdir))
        for name in names:
            log(f"{name}: starting")
            started = time.perf_counter()
            try:
                module = importlib.import_module(f"benchmarks.{name}")
                rows.extend(module.run(ctx))
            except KeyboardInterrupt:
                rows.append(error_row(name, RuntimeError("interrupted")))
                break
            except Exception as exc:
                rows.append(error_row(name, exc))
            log(f"{name}: done in {time.perf_counter() - started:.0f} s")
    elapsed = time.perf_counter() - began

    import platform

    from rich.console import Console

    cpus = os.cpu_count()
    title = (f"parbench benchmarks{' (quick)' if args.quick else ''}: {cpus} CPUs, Python "
             f"{platform.python_version()}, {elapsed:.0f} s")
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a log file or a pipe: room for the context column
    console.print(table(rows, title))
    missed = [row for row in rows if row.passed is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
