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
from typing import Iterator

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
from ..model.spec import SweepSpec
from .cleanup import exit_when_parent_dies, kill_tree

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
    from ..model.spec import SweepOptions
    from .check import describe_error
    from .probe import probe_workload
    from .sweep import run_sweep

    def should_stop() -> bool:
        while conn.poll():
            if conn.recv() == CANCEL:
                return True
        return False

    while True:
        request = conn.recv()
        if request == QUIT:
            return
        if not isinstance(request, tuple) or request[0] not in (SWEEP, PROBE):
            continue  # a cancel that arrived after its sweep ended: nothing to stop
        kind, spec_dict, options_dict, start_index, then_exit = request
        spec = SweepSpec.from_dict(spec_dict)
        try:
            if kind == PROBE:
                if probe_workload(spec, conn.send, SweepOptions(**options_dict)) is not None:
                    conn.send(RunFinished(COMPLETED))
            else:
                run_sweep(spec, conn.send, should_stop, options=SweepOptions(**options_dict))
        except (BrokenPipeError, EOFError, ConnectionResetError):
            raise
        except BaseException as exc:  # report anything, so the caller can store the run as failed
            conn.send(RunFinished(FAILED, describe_error(exc)))
        if then_exit or not _is_builtin(spec):
            return


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

    The process is a fresh interpreter (`python -m workloads.measuring`), not a multiprocessing
    child: spawn would re-import the caller's `__main__`, whatever script or app that is. Events come
    back over a socket pair wrapped in a multiprocessing `Connection`. Started without a sweep, it
    boots (imports numpy and the engine) while the caller does something else, and waits.
    """

    def __init__(self, spec: SweepSpec | None = None, *, start_index: int = 0, quiet: bool = True,
                 options: dict | None = None) -> None:
        ours, theirs = socket.socketpair()
        # Pool workers inherit the measuring process's descriptors: nothing they print may land in
        # the caller's terminal (the app's screen) unless asked for.
        sink = subprocess.DEVNULL if quiet else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workloads.measuring.process", str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            # Its own session: a Ctrl+C typed at the terminal reaches only the caller, which cancels.
            start_new_session=True,
            env=_child_env(),
        )
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
        self._conn.send((PROBE if probe_only else SWEEP, spec.to_dict(), dict(options or {}), start_index, then_exit))

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
                    self._conn.send(CANCEL)
                except OSError:
                    pass
            if cancel_sent_at is not None and time.monotonic() - cancel_sent_at > CANCEL_GRACE_S:
                self.kill()
                self.finished = RunFinished(CANCELLED)
                yield self.finished
                break
            try:
                ready = self._conn.poll(poll_s)
                event = self._conn.recv() if ready else None
            except (EOFError, OSError):
                event = None
                ready = False
                self._wait(1.0)
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
                self._conn.send(QUIT)
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


def _child_env() -> dict[str, str]:
    """The caller's environment, with this copy of `workloads` first on the path, so the measuring
    process runs the same engine even when the caller imported it from a source tree."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def options_dict(options) -> dict:
    return asdict(options)


if __name__ == "__main__":
    fd, parent = (int(arg) for arg in sys.argv[1:3])
    _child_main(Connection(fd), parent)
    # Everything is sent and every pool is shut down; tearing the interpreter down (tens of MB of
    # modules and arenas, ~50 ms) would only keep the caller waiting to reap this process.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
