"""The measuring process: where a sweep runs, apart from whoever asked for it.

The caller (the CLI, or the app with its threads and event loop) is never forked: the measuring
process is a fresh interpreter, owns the pools it measures, and sends back only small events over a
pipe. It leaves the caller's process group, so a Ctrl+C typed at the terminal reaches only the
caller, which then cancels it; and it watches its parent, so that if the caller is killed it takes
its pool workers down and exits by itself.

It serves sweeps one after another (the app keeps one resident, booted before the first ctrl+r),
but never one after running a user's workload: a user's code may leave threads, patched modules or
a changed file behind, so a process that imported it exits after that sweep and the caller starts
a fresh one.

It runs under the interpreter the sweep names (`SweepSpec.python`: the user's venv, another
version, a free-threaded build; parbench's own by default), prepared by
`workloads.measuring.interpreters`. Everything on the pipe is JSON (`workloads.measuring.wire`),
so the two sides need not share a Python version, a pickle protocol or importable classes. The C
allocator is pinned first thing (`workloads.measuring.allocator`), before anything big is allocated.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Callable, Iterator

from ..model.events import (
    CANCELLED,
    COMPLETED,
    FAILED,
    REFUSED_WORKLOAD,
    Event,
    Probed,
    Refused,
    RunFinished,
    RunStarted,
)
from ..model.interpreter import is_current
from ..model.spec import SweepSpec
from . import wire
from .cleanup import exit_when_parent_dies, kill_tree

REFUSED_INTERPRETER = "interpreter"  # the engine cannot start under the sweep's interpreter
CANCEL = "cancel"
QUIT = "quit"
SWEEP = "sweep"
PROBE = "probe"
# How long a cooperative cancel may take before the process tree is killed: the measuring process
# only notices a cancel between calls, and one call can last much longer than a user will wait.
CANCEL_GRACE_S = 0.5
PARENT_POLL_S = 0.25


def _serve(conn: Connection) -> None:
    """Run the sweeps the caller sends, one at a time, until it says quit or goes away."""
    try:
        from ..model.spec import SweepOptions
        from .allocator import release_memory
        from .check import describe_error
        from .probe import probe_workload
        from .sweep import run_sweep
    except Exception as exc:
        # The engine cannot run under this interpreter (a numpy of the user's that fails to
        # import): a refusal the caller can show, rather than a process that died.
        said = (str(exc).strip().splitlines() or [""])[0]
        conn.send_bytes(wire.encode_event(Refused(
            REFUSED_INTERPRETER, f"the engine could not start under Python {sys.version.split()[0]} ({sys.executable}): "
            f"{type(exc).__name__}{': ' + said if said else ''}")))
        return

    def should_stop() -> bool:
        while conn.poll():
            if wire.loads(conn.recv_bytes()) == CANCEL:
                return True
        return False

    def emit(event: Event) -> None:
        conn.send_bytes(wire.encode_event(event))

    while True:
        request = wire.loads(conn.recv_bytes())
        if request == QUIT:
            return
        if not isinstance(request, list) or len(request) != 5 or request[0] not in (SWEEP, PROBE):
            continue  # a cancel that arrived after its sweep ended: nothing to stop
        kind, spec_dict, options_dict, start_index, then_exit = request
        spec = SweepSpec.from_dict(spec_dict)
        try:
            if kind == PROBE:
                if probe_workload(spec, emit, SweepOptions(**options_dict)) is not None:
                    emit(RunFinished(COMPLETED))
            else:
                run_sweep(spec, emit, should_stop, options=SweepOptions(**options_dict))
        except (BrokenPipeError, EOFError, ConnectionResetError):
            raise
        except BaseException as exc:  # report anything, so the caller can store the run as failed
            emit(RunFinished(FAILED, describe_error(exc)))
        if then_exit or not _is_builtin(spec):
            return
        # Resident between sweeps: hand the sweep's peak back to the OS, outside any timing (the
        # next sweep's first call, a warm-up, pays for fresh pages).
        release_memory()


def _is_builtin(spec: SweepSpec) -> bool:
    from ..model.workload import builtin_names

    return spec.workload in builtin_names()


def _child_main(conn: Connection, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # If the caller is killed, take the pool workers down too, then exit.
    exit_when_parent_dies(parent_pid, poll_s=PARENT_POLL_S, before_exit=kill_tree, code=4)
    try:
        _serve(conn)
    except (BrokenPipeError, EOFError, ConnectionResetError):
        pass  # the caller is gone; nobody to tell
    finally:
        kill_tree()
        conn.close()


class SweepProcess:
    """A measuring process, seen from the caller: start it, send it a sweep, read its events.

    The process is a fresh interpreter (`python -m workloads.measuring.process`), not a
    multiprocessing child: spawn would re-import the caller's `__main__`, whatever script or app
    that is. `python` names the interpreter ("" for parbench's own): it is probed and prepared first,
    `InterpreterRefused` saying in one line why it cannot serve (`progress` hears the preparation's
    steps). Events come back as JSON over a socket pair wrapped in a multiprocessing `Connection`.
    Started without a sweep, it boots (imports numpy and the engine) while the caller does something
    else, and waits.
    """

    def __init__(self, spec: SweepSpec | None = None, *, start_index: int = 0, quiet: bool = True,
                 options: dict | None = None, python: str | None = None,
                 progress: Callable[[str], None] = lambda line: None) -> None:
        from .interpreters import prepare

        if python is None:
            python = spec.python if spec is not None else ""
        launch = prepare(python, progress)
        self.python = launch.python
        self.interpreter = launch.interpreter  # None for parbench's own
        ours, theirs = socket.socketpair()
        command, env = launch.command("workloads.measuring.process", [str(theirs.fileno()), str(os.getpid())])
        # Pool workers inherit the measuring process's descriptors: nothing they print may land in
        # the caller's terminal (the app's screen) unless asked for.
        sink = subprocess.DEVNULL if quiet else None
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                # Its own session: a Ctrl+C typed at the terminal reaches only the caller, which cancels.
                start_new_session=True,
                env=env,
            )
        except BaseException:
            ours.close()
            theirs.close()
            raise
        theirs.close()
        self._conn = Connection(ours.detach())
        self.finished: RunFinished | None = None
        self._begun = False
        self.exits_after = False
        self._workload = ""  # the user workload's name while it runs here ("" for a built-in)
        self.started_at = time.monotonic()
        if spec is not None:
            self.begin(spec, start_index=start_index, options=options, then_exit=True)

    def begin(self, spec: SweepSpec, *, start_index: int = 0, options: dict | None = None,
              then_exit: bool = False, probe_only: bool = False) -> None:
        """Send a sweep (or, with `probe_only`, only the measurement of one item of its workload:
        `Probed` or `Refused`, then a completed `RunFinished`). With `then_exit`, the process exits
        after it (a one-shot CLI run); it does anyway after a user's workload."""
        self.finished = None
        self._begun = True
        self.exits_after = then_exit or not _is_builtin(spec)
        self._workload = "" if _is_builtin(spec) else os.path.basename(spec.workload)
        try:
            self._send([PROBE if probe_only else SWEEP, spec.to_dict(), dict(options or {}), start_index, then_exit])
        except OSError:
            # A process that could not start the engine says why before it exits: `events` reads that.
            if not self._said_something():
                raise

    def _said_something(self) -> bool:
        try:
            return self._conn.poll(1.0)
        except OSError:
            return False

    def serves(self, spec: SweepSpec) -> bool:
        """Whether this process runs under the interpreter `spec` asks for."""
        return same_interpreter(self.python, spec.python)

    def _send(self, message) -> None:
        self._conn.send_bytes(wire.dumps(message))

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def busy(self) -> bool:
        """A request was sent and its last event has not arrived (a caller that stopped reading
        early, on a refusal, leaves it not busy: the process is idle again)."""
        return self._begun and self.finished is None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def reusable(self) -> bool:
        """Idle, alive, and it will take another sweep."""
        return not self.busy and not self.exits_after and self.alive

    def events(self, poll_s: float = 0.05, stop: threading.Event | None = None) -> Iterator[Event]:
        """Yield events until the sweep finishes (or is refused). If `stop` is set, the sweep is
        cancelled; if the measuring process dies, a failed `RunFinished` saying how ends the stream."""
        cancel_sent_at: float | None = None
        started = False
        while self.finished is None:
            if stop is not None and stop.is_set() and cancel_sent_at is None:
                cancel_sent_at = time.monotonic()
                try:
                    self._send(CANCEL)
                except OSError:
                    pass
            if cancel_sent_at is not None and time.monotonic() - cancel_sent_at > CANCEL_GRACE_S:
                self.kill()
                self.finished = RunFinished(CANCELLED)
                yield self.finished
                break
            try:
                ready = self._conn.poll(poll_s)
                event = wire.decode_event(self._conn.recv_bytes()) if ready else None
            except (EOFError, OSError):
                event = None
                ready = False
                self._wait(1.0)
            except wire.WireError as exc:  # never from this engine: say so rather than hang or guess
                self.kill()
                self.finished = RunFinished(FAILED, f"the measuring process sent something unreadable ({exc})")
                yield self.finished
                break
            if event is not None:
                if isinstance(event, (RunStarted, Probed)):
                    started = True
                if isinstance(event, RunFinished):
                    self.finished = event
                elif isinstance(event, Refused):
                    self.finished = RunFinished("refused", event.reason)
                yield event
                continue
            if not ready and self.process.poll() is not None:
                if cancel_sent_at is not None:
                    self.finished = RunFinished(CANCELLED)
                    yield self.finished
                elif not started and self._workload:
                    # The user's code ended it while being imported or run on one item: the sweep
                    # never started, and nothing of it is stored.
                    refused = Refused(REFUSED_WORKLOAD, self._death_before_start())
                    self.finished = RunFinished("refused", refused.reason)
                    yield refused
                else:
                    self.finished = RunFinished(FAILED, self._death_reason())
                    yield self.finished
        if self.exits_after and not self._wait(5.0):
            self.kill()

    def close(self) -> None:
        """Ask an idle process to exit, and wait for it (killing it if it does not)."""
        if self.alive:
            try:
                self._send(QUIT)
            except OSError:
                pass
            if not self._wait(2.0):
                self.kill()
        self._conn.close()

    def _wait(self, timeout: float) -> bool:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _death_reason(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            return f"the measuring process was killed by {_signal_name(-code)}"
        return (f"the measuring process exited unexpectedly (exit code {code}); if the workload's code calls "
                "os._exit or sys.exit, it ended the process")

    def _death_before_start(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            return (f"the measuring process was killed by {_signal_name(-code)} while parbench imported "
                    f"{self._workload} and ran it on one item, before the sweep")
        return (f"{self._workload} ended the measuring process (exit code {code}) while parbench imported it and "
                "ran it on one item, before the sweep: a workload must not call os._exit or end the process "
                "another way")

    def kill(self) -> None:
        """Kill the measuring process and every process it started (its pools)."""
        kill_tree(self.process.pid, include_root=True, timeout=2.0)
        self._wait(2.0)
        self._conn.close()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def same_interpreter(a: str, b: str) -> bool:
    """Two `python` values naming one interpreter ("" and parbench's own path are one)."""
    return ("" if is_current(a) else os.path.abspath(a)) == ("" if is_current(b) else os.path.abspath(b))


def options_dict(options) -> dict:
    return asdict(options)


if __name__ == "__main__":
    from .allocator import pin_allocator

    # Before anything big is allocated: freed arrays up to 32 MiB are kept for the next call.
    pin_allocator()
    fd, parent = (int(arg) for arg in sys.argv[1:3])
    _child_main(Connection(fd), parent)
    # Everything is sent and every pool is shut down; tearing the interpreter down (tens of MB of
    # modules and arenas, ~50 ms) would only keep the caller waiting to reap this process.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
