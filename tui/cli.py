"""The `parbench` command line: `run` a sweep headless, list `history`, `export` a stored run; with no
arguments, open the app.

Every sweep option is generated from the engine's field declarations (`workloads.spec.FIELDS`) and
the workload's own settings, so the command line and the app's form never disagree. Kept light to
import: numpy, Textual and the measuring parts load only for the command that needs them, so
`parbench --help` answers at once.

Exit codes: 0 a completed run (or command); 1 a failed run (nothing measured, or the run itself
failed); 2 bad usage or a sweep refused before it started (nothing stored); 3 a run completed with
some measurements failed or timed out; 130 cancelled with Ctrl+C; 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from workloads import workload as workloads
from workloads.parsing import SpecError
from workloads.spec import FIELDS, Field, field_named, setting_field, validate

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class UsageError(Exception):
    pass


class Terminated(BaseException):
    """SIGTERM (a service manager, `timeout`, a closed terminal multiplexer) while a sweep runs."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2, never a wall of usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def add_field_arguments(parser, fields: Sequence[Field]) -> None:
    """The sweep's fields as options: one per field, its flag, help and default from the declaration."""
    for f in fields:
        said = "default" in f.help or "blank:" in f.help
        help_text = f.help if said or not f.default else f"{f.help} (default: {f.default})"
        help_text = help_text.replace("%", "%%")  # argparse formats help with %
        parser.add_argument(f.flag, dest=f.name, default=None, metavar=f.metavar, help=help_text)


def _settings_fields(workload_text: str | None) -> list[Field]:
    """The built-ins' settings (--sleep-ms, --spin) and those of the workload file named on the
    command line, read from their source without running it."""
    infos = list(workloads.builtins())
    if workload_text and workload_text not in workloads.builtin_names():
        try:
            infos.append(workloads.info(workload_text))
        except SpecError:
            pass  # reported by the spec's own validation, with the field's name
    seen: dict[str, Field] = {}
    for info in infos:
        for setting in info.settings:
            if setting.name not in seen and setting.name not in {f.name for f in FIELDS}:
                f = setting_field(setting)
                seen[setting.name] = Field(f.name, f.label, f.default, f"{info.name}: {f.help}", f.parse,
                                           metavar=f.metavar, setting=setting)
    return list(seen.values())


def _workload_argument(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--workload" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--workload="):
            return arg.split("=", 1)[1]
    return None


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    from workloads.version import parbench_version

    parser = _Parser(
        prog="parbench",
        description="Should this loop run serially, in a process pool, or vectorised with numpy? "
        "Measure it. With no command, opens the app.",
    )
    parser.add_argument("--db", help="results store (default: the user data directory; env PARBENCH_DB)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and the measuring process's output")
    parser.add_argument("--version", action="version", version=f"parbench {parbench_version()}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a sweep headless and print its table",
                         description="Run a sweep in a separate measuring process; each measurement is stored as "
                                     "it completes. Exit: 0 completed, 3 completed with failed measurements, "
                                     "1 failed, 2 refused or bad usage, 130 Ctrl+C, 143 SIGTERM.")
    sweep = run.add_argument_group("the sweep")
    add_field_arguments(sweep, FIELDS)
    settings = run.add_argument_group("workload settings (each applies to its workload only)")
    add_field_arguments(settings, _settings_fields(_workload_argument(argv)))
    run.add_argument("--export", action="append", default=[], metavar="PATH",
                     help="write the table to PATH (.csv, .json, .md); repeatable")
    run.add_argument("--no-wait", action="store_true",
                     help="if another parbench sweep is measuring on this machine, fail at once (exit 2) "
                          "instead of waiting for it")
    run.add_argument("--ignore-lock", action="store_true",
                     help="measure even while another parbench sweep runs (every row is flagged as shared)")
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
    texts = {key: value for key, value in vars(args).items() if value is not None}
    result = validate(texts)
    if result.errors:
        name, reason = next(iter(result.errors.items()))
        f = field_named(name, result.workload)
        raise UsageError(f"parbench run: {f.flag if f else '--' + name}: {reason}")
    known = {f.name for f in FIELDS} | {s.name for s in (result.workload.settings if result.workload else ())}
    foreign = [f.name for f in _settings_fields(None) if getattr(args, f.name, None) is not None and f.name not in known]
    if foreign:
        flag = "--" + foreign[0].replace("_", "-")
        raise UsageError(f"parbench run: {flag}: is not a setting of {result.workload.name}")
    return result.spec


def _check_export_paths(paths: list[str]) -> None:
    """Every --export is checked before anything is measured: a known suffix, a folder that exists
    and can be written."""
    from workloads import export as exporter

    for path in paths:
        try:
            exporter.format_for(path)
        except exporter.ExportError as exc:
            raise UsageError(f"parbench run: --export {exc}") from None
        folder = Path(path).expanduser().parent
        if not folder.is_dir():
            raise UsageError(f"parbench run: --export {path}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise UsageError(f"parbench run: --export {path}: the folder {folder} cannot be written")


def _boot_measuring_process(*, quiet: bool):
    """Start the measuring process now, without its sweep: its start-up (a fresh interpreter
    importing numpy and the engine, about 0.1 s) overlaps opening the store and drawing the
    progress bar."""
    from workloads.measuring import SweepProcess

    try:
        return SweepProcess(quiet=quiet)
    except OSError:
        return None  # execute() starts one itself and reports why it cannot


def _on_sigterm(signum, frame) -> None:
    raise Terminated("stopped by SIGTERM")


def _cmd_run(args: argparse.Namespace) -> int:
    spec = _spec_from_args(args)
    _check_export_paths(args.export)
    # First, before the imports below: they take about as long as the measuring process's own.
    sweep = _boot_measuring_process(quiet=not args.debug)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _measure_and_report(args, spec, sweep)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _measure_and_report(args: argparse.Namespace, spec, sweep) -> int:
    try:
        from rich.console import Console

        from workloads import export as exporter
        from workloads.session import SweepInterrupted, SweepRefused, execute
        from workloads.store import StoreError
        from workloads.sweep import LOCK_IGNORE, LOCK_NO_WAIT, LOCK_WAIT, SweepOptions

        from .progress import CliProgress
        from .report import results_table, verdict_and_map

        store_note = ""
        try:
            store = _open_store(args.db)
        except StoreError as exc:
            if not exc.unwritable:
                raise
            store, store_note = None, f"{exc}; the table and the exports hold this run; nothing of it is stored"
    except BaseException:
        if sweep is not None:
            sweep.kill()
        raise
    out = Console()
    err = Console(stderr=True)
    progress = CliProgress(err)
    lock = LOCK_IGNORE if args.ignore_lock else LOCK_NO_WAIT if args.no_wait else LOCK_WAIT
    try:
        outcome = execute(spec, store, progress.on_event, quiet=not args.debug, sweep=sweep,
                          options=SweepOptions(lock=lock))
    except SweepRefused as exc:
        progress.stop()
        raise UsageError(f"parbench run: refused: {exc.reason}") from None
    except SweepInterrupted as exc:
        progress.stop()
        run = exc.run
        how = "stopped by SIGTERM" if "SIGTERM" in exc.how else "cancelled with Ctrl+C"
        where = f"run {run.id} stored as cancelled" if run is not None and run.id is not None else \
            "the run could not be stored"
        kept = len(run.measurements) if run is not None else 0
        err.print(f"parbench: {how}; {where} with {kept} measurement(s)", markup=False, highlight=False)
        return EXIT_TERMINATED if "SIGTERM" in exc.how else EXIT_INTERRUPTED
    finally:
        progress.stop()
    run = outcome.run
    out.print(results_table(run))
    out.print(verdict_and_map(run))
    code = _exit_code(outcome.status)
    for path in args.export:
        try:
            written = exporter.export(run, path)
        except exporter.ExportError as exc:
            err.print(f"parbench: {exc}", markup=False, highlight=False)
            code = code or EXIT_FAILED
            continue
        err.print(f"exported run {run.id if run.id is not None else '(not stored)'} to {written}",
                  markup=False, highlight=False)
    problem = outcome.store_problem or store_note
    if problem:
        err.print(f"parbench: {problem}", markup=False, highlight=False)
    if outcome.status != "completed":
        err.print(f"parbench: run {run.id if run.id is not None else '(not stored)'} {outcome.status}: "
                  f"{outcome.error}", markup=False, highlight=False)
    return code


def _exit_code(status: str) -> int:
    return {"completed": EXIT_OK, "partial": EXIT_PARTIAL, "cancelled": EXIT_INTERRUPTED}.get(status, EXIT_FAILED)


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
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser(argv).parse_args(argv)
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
    except Terminated:
        print("parbench: stopped by SIGTERM", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as exc:
        from workloads.errors import ParbenchError

        if args is not None and getattr(args, "debug", False):
            raise
        if isinstance(exc, ParbenchError):
            print(f"parbench: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"parbench: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
