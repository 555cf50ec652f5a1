"""The `parbench` command line: `run` a sweep headless, list `history`, `export` a stored run; with no
arguments, open the app.

Kept light to import: numpy, Textual and the engine's measuring parts load only for the command
that needs them, so `parbench --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Sequence

from workloads.spec import START_METHODS, STRATEGIES, WORKLOADS, SpecError, build_spec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2, never a wall of usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="parbench",
        description="Should this loop run serially, in a process pool, or vectorised with numpy? "
        "Measure it. With no command, opens the app.",
    )
    parser.add_argument("--db", help="results store (default: the user data directory; env PARBENCH_DB)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and the measuring process's output")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a sweep headless and print its table",
                         description="Run a sweep in a separate measuring process; each measurement is stored as it completes.")
    run.add_argument("--workload", default="squares", help=f"one of {', '.join(WORKLOADS)} (default: squares)")
    run.add_argument("--items", default="4..64", help="items per dict: 8, 4,8,16 or 4..512 (powers of two)")
    run.add_argument("--length", default=None,
                     help="list length per item, same grammar as --items (default: sleep 10000, squares 100000, spin 1)")
    run.add_argument("--strategies", default="serial,processes,numpy",
                     help=f"comma-separated, from {', '.join(STRATEGIES)} (default: serial,processes,numpy)")
    run.add_argument("--repeat", default="3", help="timed repeats per point (default 3)")
    run.add_argument("--warmup", default="1", help="untimed warm-up calls per point (default 1)")
    run.add_argument("--workers", default=None, help="pool size (default: CPU count)")
    run.add_argument("--chunksize", default="1", help="map chunksize: N or auto (default 1, as the seed)")
    run.add_argument("--pool", default="cold", help="cold: pool made inside the timing, as the seed; warm: made once before")
    run.add_argument("--start-method", default=None, help=f"{', '.join(START_METHODS)} (default: the platform's)")
    run.add_argument("--sleep-ms", default="50", help="sleep workload: ms per item (default 50)")
    run.add_argument("--spin", default="600000", help="spin workload: loop iterations per item (600000 is about 50 ms here)")
    run.add_argument("--seed", default="12345", help="random seed of the input data")
    run.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                     help="dask strategy: a scheduler such as tcp://host:8786 (default: a LocalCluster of --workers)")
    run.add_argument("--skip-warmup-over", default=None, metavar="SECONDS|off",
                     help="no warm-up for a strategy whose calls take longer than this (default 5; off: always warm up)")
    run.add_argument("--min-time", default=None, metavar="SECONDS",
                     help="a timed repeat lasts at least this long: shorter calls run back to back and are "
                          "reported per call (default 0.02; 0: one call per repeat)")
    run.add_argument("--point-timeout", default=None, metavar="SECONDS",
                     help="stop a point that runs longer, record it as timed out, and go on")
    run.add_argument("--export", action="append", default=[], metavar="PATH",
                     help="write the table to PATH (.csv, .json, .md); repeatable")
    run.add_argument("--db", default=argparse.SUPPRESS, help="results store")

    history = sub.add_parser("history", help="list stored runs, newest first")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--db", default=argparse.SUPPRESS, help="results store")

    export = sub.add_parser("export", help="export a stored run: parbench export RUN_ID|last PATH")
    export.add_argument("run", help="a run id from 'parbench history', or 'last'")
    export.add_argument("path", help="output file: .csv, .json or .md")
    export.add_argument("--db", default=argparse.SUPPRESS, help="results store")
    return parser


def _open_store(path: str | None):
    from workloads.store import Store

    return Store(path)


def _spec_from_args(args: argparse.Namespace):
    try:
        return build_spec(
            workload=args.workload, items=args.items, length=args.length, strategies=args.strategies,
            repeat=args.repeat, warmup=args.warmup, workers=args.workers, chunksize=args.chunksize,
            pool=args.pool, start_method=args.start_method, sleep_ms=args.sleep_ms, spin=args.spin,
            seed=args.seed, point_timeout=args.point_timeout, skip_warmup_over=args.skip_warmup_over,
            dask_scheduler=args.dask_scheduler, min_time=args.min_time,
        )
    except SpecError as exc:
        raise UsageError(f"parbench run: --{exc.field}: {exc.reason}") from None


def _boot_measuring_process(spec, *, quiet: bool):
    """Start the measuring process now, without its sweep: its start-up (a fresh interpreter
    importing numpy and the engine, about 0.1 s) overlaps opening the store and drawing the
    progress bar. Not for a sweep that will be refused: nothing starts for that one."""
    from workloads import estimate
    from workloads.measuring import SweepProcess

    if not estimate.memory(spec).fits:
        return None
    try:
        return SweepProcess(quiet=quiet)
    except OSError:
        return None  # execute() starts one itself and reports why it cannot


def _cmd_run(args: argparse.Namespace) -> int:
    from workloads import export as exporter

    spec = _spec_from_args(args)
    for path in args.export:
        try:
            exporter.format_for(path)
        except exporter.ExportError as exc:
            raise UsageError(f"parbench run: --export {exc}") from None
    # First, before the imports below: they take about as long as the measuring process's own.
    sweep = _boot_measuring_process(spec, quiet=not args.debug)
    try:
        from rich.console import Console

        from workloads.events import CANCELLED, COMPLETED, CallStarted, MeasurementDone, RunStarted
        from workloads.session import SweepRefused, execute

        from .report import results_table

        store = _open_store(args.db)
    except BaseException:
        if sweep is not None:
            sweep.kill()
        raise
    out = Console()
    err = Console(stderr=True)
    progress = None
    if err.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=True)
        task = progress.add_task("starting the measuring process", total=None)
        progress.start()

    def on_event(event) -> None:
        if progress is None:
            return
        if isinstance(event, RunStarted):
            progress.update(task, total=event.total_calls)
        elif isinstance(event, CallStarted):
            label = "warm-up" if event.warmup else "repeat"
            progress.update(task, completed=event.calls_done,
                            description=f"{event.strategy} items={event.items} length={event.length} "
                                        f"{label} {event.repeat}/{event.repeats}")
        elif isinstance(event, MeasurementDone):
            progress.update(task, completed=event.calls_done)

    try:
        outcome = execute(spec, store, on_event, quiet=not args.debug, sweep=sweep)
    except SweepRefused as exc:
        raise UsageError(f"parbench run: refused: {exc}") from None
    except KeyboardInterrupt:
        if progress is not None:
            progress.stop()
        run_id = store.last_run_id()
        kept = len(store.load_run(run_id).measurements)
        err.print(f"parbench: interrupted; run {run_id} stored as cancelled with {kept} measurement(s)")
        return EXIT_INTERRUPTED
    finally:
        if progress is not None:
            progress.stop()
    run = store.load_run(outcome.run_id)
    out.print(results_table(run))
    for path in args.export:
        try:
            written = exporter.export(run, path)
        except exporter.ExportError as exc:
            err.print(f"parbench: {exc}", markup=False, highlight=False)
            return EXIT_FAILED
        err.print(f"exported run {run.id} to {written}", markup=False, highlight=False)
    if outcome.status == COMPLETED:
        return EXIT_OK
    if outcome.status == CANCELLED:
        return EXIT_INTERRUPTED
    err.print(f"parbench: run {outcome.run_id} failed: {outcome.error}", markup=False, highlight=False)
    return EXIT_FAILED


def _cmd_history(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .report import history_table

    store = _open_store(args.db)
    runs = store.runs(limit=args.limit)
    if not runs:
        Console(stderr=True).print(f"no runs stored in {store.path}", markup=False, highlight=False)
        return EXIT_OK
    Console().print(history_table(runs, store.measurement_counts()))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from workloads import export as exporter

    try:
        exporter.format_for(args.path)
    except exporter.ExportError as exc:
        raise UsageError(f"parbench export: {exc}") from None
    store = _open_store(args.db)
    if args.run == "last":
        run_id = store.last_run_id()
        if run_id is None:
            raise UsageError(f"parbench export: no runs stored in {store.path}")
    else:
        try:
            run_id = int(args.run)
        except ValueError:
            raise UsageError(f"parbench export: run must be a run id or 'last', got {args.run!r}") from None
    run = store.load_run(run_id)
    if run is None:
        raise UsageError(f"parbench export: no run {run_id} in {store.path} (see 'parbench history')")
    try:
        written = exporter.export(run, args.path)
    except exporter.ExportError as exc:
        print(f"parbench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"exported run {run.id} ({len(run.measurements)} rows) to {written}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = _parser().parse_args(argv)
        if args.command is None:
            from .app import run_app

            return run_app(db=args.db)
        handler = {"run": _cmd_run, "history": _cmd_history, "export": _cmd_export}[args.command]
        return handler(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("parbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        from workloads.export import ExportError
        from workloads.store import StoreError

        if args is not None and args.debug:
            raise
        if isinstance(exc, (StoreError, ExportError)):
            print(f"parbench: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"parbench: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
