"""The `parbench` command line: `run` a sweep headless (under several interpreters at once with
`--python A,B`: each run, then their comparison), list `history`, `export` a stored run, `compare`
runs, print the `code` that won, `import` a run exported elsewhere, `serve` the app to browser tabs;
with no arguments, open the app.

Every sweep option is generated from the engine's field declarations (`api.spec.FIELDS`) and
the workload's own settings, so the command line and the app's form never disagree. Kept light to
import: numpy, Textual and the measuring parts load only for the command that needs them, so
`parbench --help` answers at once.

Tables go to stdout in the format asked with `--format table|md|csv|json`; without it, the box table
on a terminal and Markdown into a pipe (`tui.report`, `api.formats`). Progress and messages go
to stderr.

Exit codes: 0 a completed run (or command); 1 a failed run (nothing measured, or the run itself
failed), or a run the results store could not keep (the table and exports still hold it), or
`compare --fail-if-slower` found a slower row; 2 bad usage or a sweep refused before it started
(nothing stored); 3 a run completed with some measurements failed or timed out; 130 cancelled with
Ctrl+C; 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from workloads import api
from workloads.api import (
    FIELDS,
    Field,
    SpecError,
    field_named,
    parse_percent,
    setting_field,
    validate,
)

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
    infos = list(api.builtin_workloads())
    if workload_text and workload_text not in api.builtin_names():
        try:
            infos.append(api.workload_info(workload_text))
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


def _output_format(text: str) -> str:
    from workloads.api import parse_output_format

    try:
        return parse_output_format(text)
    except SpecError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from None


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 1 to 65535")
    return int(text)


def _percentage(name: str, high: float):
    def parse(text: str) -> float:
        try:
            return parse_percent(text, name, low=0.0, high=high)
        except SpecError as exc:
            raise argparse.ArgumentTypeError(exc.reason) from None

    parse.__name__ = "percentage"  # argparse names the type in its message
    return parse


def _shared_options() -> dict[str, argparse.ArgumentParser]:
    """The options several commands share, each declared once as a parent parser: the results store
    (every command that reads or writes it) and what to print on stdout (every table command)."""
    store = _Parser(add_help=False)
    # SUPPRESS: a --db given before the command (parbench --db X run) is not reset by the command's own.
    store.add_argument("--db", default=argparse.SUPPRESS,
                       help="results store (default: the user data directory; env PARBENCH_DB)")
    table = _Parser(add_help=False)
    table.add_argument("--format", type=_output_format, default=None, metavar="table|md|csv|json",
                       help="what to print on stdout (default: the box table on a terminal, Markdown into a pipe)")
    return {"store": store, "table": table}


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked (importlib.metadata costs
    `parbench --help` 14 ms)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from workloads.api import parbench_version

        print(f"parbench {parbench_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="parbench",
        description="Should this loop run serially, in a process pool, or vectorised with numpy? "
        "Measure it. With no command, opens the app.",
    )
    shared = _shared_options()
    parser.add_argument("--db", help="results store (default: the user data directory; env PARBENCH_DB)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and the measuring process's output")
    parser.add_argument("--version", action=_Version, nargs=0, help="show parbench's version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", parents=[shared["store"], shared["table"]], help="run a sweep headless and print its table",
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

    history = sub.add_parser("history", parents=[shared["store"], shared["table"]],
                             help="list stored runs, newest first")
    history.add_argument("--limit", type=int, default=20)

    export = sub.add_parser("export", parents=[shared["store"]], help="export a stored run: parbench export RUN PATH (- for stdout)")
    export.add_argument("run", help="a run id from 'parbench history', last, or last~N (N runs before the last)")
    export.add_argument("path", help="output file: .csv, .json or .md; - prints to stdout in --format")
    export.add_argument("--format", type=_output_format, default=None, metavar="table|md|csv|json",
                        help="the format (default: from the file's suffix; for -, the box table on a terminal, "
                             "Markdown into a pipe)")

    compare = sub.add_parser(
        "compare", parents=[shared["store"], shared["table"]], help="compare runs: B (C, ...) against A, point by point, with significance",
        description="For every strategy at every point measured in both runs: each run's time, the ratio B/A of "
                    "those times with a 95% interval that counts how much this machine's speed varies between "
                    "runs, and a mark: faster, slower, the same (the interval within --min-change) or within noise "
                    "(the two runs cannot tell: measure both in one sweep with run --vs). "
                    "Exit: 0 compared, 1 --fail-if-slower found a slower row, 2 bad usage.")
    compare.add_argument("runs", nargs="+", metavar="RUN",
                         help="a run id, last, last~N (N runs before the last), or a .json file from "
                              "'parbench export' (another machine's run, read without storing it)")
    compare.add_argument("--min-change", type=_percentage("min-change", 100.0), default=0.05, metavar="PCT",
                         help="a ratio whose whole interval is within this of 1 is 'the same' (default: 5%%)")
    compare.add_argument("--fail-if-slower", type=_percentage("fail-if-slower", 1000.0), default=None,
                         metavar="PCT", help="exit 1 if any row got significantly slower by more than PCT "
                                             "(10 or 10%%), naming it on stderr")

    code = sub.add_parser("code", parents=[shared["store"]],
                          help="print a stored run's loop rewritten for its fastest strategy, ready to run",
                          description="The run's loop with the strategy that was fastest at its largest point, "
                                      "with the settings parbench measured (workers, chunksize, start method, a warm "
                                      "pool when it was warm), importing your function and reading the same items. "
                                      "The script goes to stdout; which strategy and why, to stderr.")
    code.add_argument("run", help="a run id from 'parbench history', last, or last~N")
    code.add_argument("--strategy", default=None, metavar="NAME",
                      help="write the code for this measured strategy instead of the fastest")

    serving = sub.add_parser(
        "serve", parents=[shared["store"]], help="serve the app to browser tabs (one app process per tab)",
        description="Serve the app on http://HOST:PORT: each browser tab gets its own app, all measuring on "
                    "this machine (one sweep at a time). No authentication: reach a remote server through an "
                    "SSH tunnel (ssh -L 8000:localhost:8000 server). Ctrl+C stops it and every app.")
    serving.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default: 127.0.0.1; any other lets anyone who can reach "
                              "the port run sweeps)")
    serving.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")

    importing = sub.add_parser("import", parents=[shared["store"]], help="store runs exported with 'parbench export RUN x.json' "
                                              "(from another machine); a file imported before is not added again")
    importing.add_argument("files", nargs="+", metavar="FILE.json",
                           help="a run exported as JSON, checked as 'parbench run' checks its options: a field run "
                                "could not have written is refused (exit 2); several files are all checked before "
                                "any is stored")
    return parser


def _open_store(path: str | None):
    from workloads.api import Store

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
    from workloads import api

    for path in paths:
        try:
            api.format_for(path)
        except api.ExportError as exc:
            raise UsageError(f"parbench run: --export {exc}") from None
        folder = Path(path).expanduser().parent
        if not folder.is_dir():
            raise UsageError(f"parbench run: --export {path}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise UsageError(f"parbench run: --export {path}: the folder {folder} cannot be written")


def _boot_measuring_process(*, quiet: bool, python: str = ""):
    """Start the measuring process now, without its sweep: its start-up (a fresh interpreter
    importing numpy and the engine, about 0.1 s) overlaps opening the store and drawing the
    progress bar."""
    from workloads.api import ParbenchError, SweepProcess

    try:
        return SweepProcess(quiet=quiet, python=python)
    except (OSError, ParbenchError):
        return None  # execute() starts one itself and reports why it cannot


def _on_sigterm(signum, frame) -> None:
    raise Terminated("stopped by SIGTERM")


def _chosen_format(args: argparse.Namespace) -> str:
    from workloads.api import default_format

    return args.format or default_format(sys.stdout.isatty())


def _interpreters(args: argparse.Namespace) -> list[str | None]:
    """The interpreters named by --python: several, comma-separated, run one sweep each."""
    text = getattr(args, "python", None)
    if text is None or "," not in text:
        return [text]
    names = [part.strip() for part in text.split(",") if part.strip()]
    if len(names) < 2:
        args.python = names[0] if names else None
        return [args.python]
    return names


def _prepare_interpreter(spec) -> None:
    """Probe the spec's interpreter and prepare the engine for it, saying each step on stderr (the
    first time, pip downloads what the engine lacks there); a refusal is one line, exit 2."""
    from workloads.api import InterpreterRefused, prepare_interpreter

    if not spec.python:
        return
    try:
        prepare_interpreter(spec.python, progress=lambda line: print(f"parbench: {line}", file=sys.stderr,
                                                                      flush=True))
    except InterpreterRefused as exc:
        raise UsageError(f"parbench run: --python: {exc}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    pythons = _interpreters(args)
    if len(pythons) > 1:
        return _run_under_each(args, pythons)
    spec = _spec_from_args(args)
    _check_export_paths(args.export)
    _prepare_interpreter(spec)
    # First, before the imports below: they take about as long as the measuring process's own.
    sweep = _boot_measuring_process(quiet=not args.debug, python=spec.python)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _measure_and_report(args, spec, sweep)[0]
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_under_each(args: argparse.Namespace, pythons: list[str]) -> int:
    """One sweep per interpreter, one after another, each stored and printed; then each run after
    the first compared against it, point by point (`parbench compare`). Every spec and interpreter is
    checked before anything is measured."""
    from workloads.api import compare

    from .report import emit, render_comparisons

    if args.export:
        raise UsageError("parbench run: --export writes one run; with several --python values, export each run "
                         "afterwards (parbench export RUN PATH)")
    specs = []
    for python in pythons:
        args.python = python
        specs.append(_spec_from_args(args))
    for spec in specs:
        _prepare_interpreter(spec)
    runs, code = [], EXIT_OK
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        for index, spec in enumerate(specs):
            if index:
                print(flush=True)  # each run's output apart from the one before
            sweep = _boot_measuring_process(quiet=not args.debug, python=spec.python)
            result, run = _measure_and_report(args, spec, sweep)
            code = max(code, result) if result != EXIT_INTERRUPTED else result
            if result in (EXIT_INTERRUPTED, EXIT_TERMINATED):
                return result
            if run is not None:
                runs.append(run)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if len(runs) >= 2:
        base = runs[0]
        comparisons = [compare(base, run, label_a=_run_label(base), label_b=_run_label(run)) for run in runs[1:]]
        print(flush=True)
        emit(render_comparisons([c for c in comparisons if c.common], _chosen_format(args)))
    return code


def _run_label(run) -> str:
    return f"{api.run_name(run)}, Python {run.machine.python_text}"


def _measure_and_report(args: argparse.Namespace, spec, sweep) -> tuple[int, object]:
    try:
        from rich.console import Console

        from workloads import api
        from workloads.api import (
            LOCK_IGNORE,
            LOCK_NO_WAIT,
            LOCK_WAIT,
            StoreError,
            SweepInterrupted,
            SweepOptions,
            SweepRefused,
            execute,
        )

        from .progress import CliProgress
        from .report import emit, render_run

        store_note = ""
        try:
            store = _open_store(args.db)
        except StoreError as exc:
            if not exc.unwritable:
                raise
            store, store_note = None, f"{exc}; the table above and the exports hold this run; nothing of it is stored"
    except BaseException:
        if sweep is not None:
            sweep.kill()
        raise
    err = Console(stderr=True, soft_wrap=True)  # a message is one line, however long: scripts grep it
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
        return (EXIT_TERMINATED if "SIGTERM" in exc.how else EXIT_INTERRUPTED), run
    finally:
        progress.stop()
    run = outcome.run
    emit(render_run(run, _chosen_format(args)))
    code = _exit_code(outcome.status)
    for path in args.export:
        try:
            written = api.export(run, path)
        except api.ExportError as exc:
            err.print(f"parbench: {exc}", markup=False, highlight=False)
            code = code or EXIT_FAILED
            continue
        err.print(f"exported {api.run_name(run)} to {written}",
                  markup=False, highlight=False)
    problem = outcome.store_problem or store_note
    if problem:
        held = "the table above and the exports hold this run" if args.export else "the table above holds this run"
        err.print(f"parbench: {problem}; {held}" if outcome.store_problem else f"parbench: {problem}",
                  markup=False, highlight=False)
        code = code or EXIT_FAILED
    if outcome.status != "completed":
        err.print(f"parbench: {api.run_name(run)} {outcome.status}: "
                  f"{outcome.error}", markup=False, highlight=False)
    return code, run


def _exit_code(status: str) -> int:
    return {"completed": EXIT_OK, "partial": EXIT_PARTIAL, "cancelled": EXIT_INTERRUPTED}.get(status, EXIT_FAILED)


def _cmd_history(args: argparse.Namespace) -> int:
    from .report import emit, render_history

    store = _open_store(args.db)
    runs = store.runs(limit=args.limit)
    if not runs:
        print(f"no runs stored in {store.path}", file=sys.stderr)
        return EXIT_OK
    emit(render_history(runs, store.measurement_counts(), _chosen_format(args)))
    return EXIT_OK


def _is_run_ref(text: str) -> bool:
    """`last`, `last~N` or a run id: a run in the store (anything else names a file)."""
    return text == "last" or text.startswith("last~") or text.isascii() and text.isdigit()


def _stored_run(store, text: str, command: str):
    """The stored run that `text` names (`3`, `last`, `last~1`), or a one-line usage error."""
    if text == "last" or text.startswith("last~"):
        back_text = text[len("last~"):] if text != "last" else "0"
        if not (back_text.isascii() and back_text.isdigit()):
            raise UsageError(f"parbench {command}: {text!r}: write last~N with N a whole number, e.g. last~1")
        back = int(back_text)
        runs = store.runs(limit=back + 1)
        if not runs:
            raise UsageError(f"parbench {command}: no runs stored in {store.path}")
        if len(runs) <= back:
            raise UsageError(f"parbench {command}: {text}: only {len(runs)} run(s) stored in {store.path}")
        run_id = runs[back].id
    else:
        if not (text.isascii() and text.isdigit()):
            raise UsageError(f"parbench {command}: run must be a run id, last or last~N, got {text!r}")
        run_id = int(text)
    run = store.load_run(run_id)
    if run is None:
        raise UsageError(f"parbench {command}: no run {run_id} in {store.path} (see 'parbench history')")
    return run


def _cmd_export(args: argparse.Namespace) -> int:
    from workloads import api

    to_stdout = args.path == "-"
    if not to_stdout:
        if args.format == api.TABLE:
            raise UsageError("parbench export: --format table prints to the terminal only; give - as the path")
        try:
            fmt = api.export_name(args.format) if args.format else api.format_for(args.path)
        except api.ExportError as exc:
            raise UsageError(f"parbench export: {exc}") from None
    store = _open_store(args.db)
    run = _stored_run(store, args.run, "export")
    if to_stdout:
        from .report import emit, render_run

        emit(render_run(run, _chosen_format(args)))
        return EXIT_OK
    try:
        written = api.export(run, args.path, fmt)
    except api.ExportError as exc:
        print(f"parbench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"exported run {run.id} ({len(run.measurements)} rows) to {written}", file=sys.stderr)
    return EXIT_OK


class _Runs:
    """Runs named on the command line: from the store (opened at the first that needs it) or from
    exported files, read without storing them."""

    def __init__(self, db: str | None, command: str) -> None:
        self.db = db
        self.command = command
        self._store = None

    def load(self, text: str):
        """The run and how the tables name it: `run 3`, or the file's name."""
        from workloads.api import ImportRefused, read_export

        if _is_run_ref(text):
            if self._store is None:
                self._store = _open_store(self.db)
            run = _stored_run(self._store, text, self.command)
            return run, f"run {run.id}"
        path = Path(text).expanduser()
        if not path.exists():
            raise UsageError(f"parbench {self.command}: {text!r} is neither a run id, last, last~N "
                             "nor an existing file")
        try:
            exported = read_export(path)
        except ImportRefused as exc:
            raise UsageError(f"parbench {self.command}: {exc}") from None
        return exported.run, path.name


def _points(run) -> str:
    items = sorted({m.items for m in run.measurements})
    lengths = sorted({m.length for m in run.measurements})
    if not items:
        return "no measurements"
    return f"items {','.join(map(str, items))} × length {','.join(map(str, lengths))}"


def _cmd_compare(args: argparse.Namespace) -> int:
    from workloads import api
    from workloads.api import compare

    from .report import emit, render_comparisons

    if len(args.runs) < 2:
        raise UsageError("parbench compare: give two runs or more: A B [C ...] (run ids, last, last~N "
                         "or exported .json files)")
    runs = _Runs(args.db, "compare")
    loaded = [runs.load(text) for text in args.runs]
    (base, base_label), others = loaded[0], loaded[1:]
    comparisons = []
    for run, label in others:
        comparison = compare(base, run, label_a=base_label, label_b=label, min_change=args.min_change)
        if comparison.same_run:
            raise UsageError(f"parbench compare: {base_label} and {label} are the same run; "
                             "compare it with another run (e.g. last~1 last)")
        if not comparison.common:
            raise UsageError(f"parbench compare: {base_label} and {label} have no point in common "
                             f"(A: {_points(base)}; B: {_points(run)})")
        comparisons.append(comparison)
    fmt = _chosen_format(args)
    emit(render_comparisons(comparisons, fmt))
    for comparison in comparisons:
        if fmt == api.CSV:  # the other formats carry the warnings in their header
            for warning in comparison.warnings:
                print(f"parbench compare: warning: {warning}", file=sys.stderr)
        for row in comparison.failed_in_b():
            print(f"parbench compare: {row.name}: measured in {comparison.label_a} but {row.b.status} in "
                  f"{comparison.label_b}", file=sys.stderr)
    if args.fail_if_slower is None:
        return EXIT_OK
    slower = [(comparison, row) for comparison in comparisons for row in comparison.slower_than(args.fail_if_slower)]
    for comparison, row in slower:
        print(f"parbench compare: slower by more than {args.fail_if_slower:.0%}: {row.name}: {comparison.label_b} "
              f"takes {api.format_ratio(row.ratio.estimate)} the time of {comparison.label_a} "
              f"(95% interval {api.interval_text(row)})", file=sys.stderr)
    return EXIT_FAILED if slower else EXIT_OK


def _cmd_code(args: argparse.Namespace) -> int:
    from workloads.api import CodeError, code_for, describe_code_choice

    store = _open_store(args.db)
    run = _stored_run(store, args.run, "code")
    try:
        text = code_for(run, args.strategy)
        said = describe_code_choice(run, args.strategy)
    except CodeError as exc:
        raise UsageError(f"parbench code: {exc}") from None
    sys.stdout.write(text)
    print(f"parbench code: run {run.id}, {said}", file=sys.stderr)
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from workloads.api import ImportRefused, import_into, read_export

    from .progress import ImportProgress

    progress = ImportProgress()
    try:
        exported = []
        for text in args.files:
            try:
                exported.append(read_export(text, progress.reporter(text)))
            except ImportRefused as exc:
                raise UsageError(f"parbench import: {exc}") from None  # every file checked before one is stored
        store = _open_store(args.db)
        for document in exported:
            run_id, added = import_into(store, document, progress.reporter(str(document.path)))
            run = document.header  # its measurements are stored as read, never built here
            origin = run.machine.hostname or "an unrecorded machine"
            rows = len(document.rows)
            if added:
                progress.say(f"imported {document.path} as run {run_id} ({rows} row{'s' if rows != 1 else ''}, "
                             f"{run.spec.workload_name()}, measured on {origin})")
            else:
                progress.say(f"{document.path} is already in the store as run {run_id}; nothing added")
    finally:
        progress.stop()
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    try:
        serve(args.host, args.port, db=args.db)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"parbench serve: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser(argv).parse_args(argv)
        if args.command is None:
            from .app import run_app

            return run_app(db=args.db)
        handler = {"run": _cmd_run, "history": _cmd_history, "export": _cmd_export, "compare": _cmd_compare,
                   "code": _cmd_code, "import": _cmd_import, "serve": _cmd_serve}[args.command]
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
        from workloads.api import ParbenchError

        if args is not None and getattr(args, "debug", False):
            raise
        if isinstance(exc, ParbenchError):
            print(f"parbench: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"parbench: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
