"""Figure 6, start-up: `parbench --help`, and the app's first frame.

Both are absolute times (a user waits for them, there is nothing to divide by), so each run is paired
with a run of `python -c pass` started right before it, shown as context: if the machine was in its
slow phase, the bare interpreter says so.

- `--help`: the median of several runs of the `parbench` script beside this interpreter, from
  starting the process to its exit.
- first frame: the real app (`parbench --db scratch`) under a pseudo-terminal of 80×24, from
  starting the process until its output holds the main screen's form ("Workload" and "Strategies"
  once the escape sequences are stripped); then ctrl+q, and a kill if it has not gone within 5 s.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import termios
import time

from .common import (
    PYTHON,
    ROOT,
    Context,
    Row,
    at_most,
    child_env,
    error_row,
    fmt_s,
    log,
    parbench_command,
)

HELP_LIMIT_S = 0.1  # issue 18: within 0.1 s
FRAME_LIMIT_S = 1.0
MARKERS = ("Workload", "Strategies")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\|\x1b[@-Z\\-_=>]")


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def first_frame(command: list[str], env: dict[str, str], timeout: float = 20.0) -> float:
    """Seconds from starting `command` under an 80×24 pseudo-terminal until the main screen is drawn."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    output = b""
    elapsed = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master], [], [], 0.01)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                text = _ANSI.sub("", output.decode("utf-8", errors="ignore"))
                if all(marker in text for marker in MARKERS):
                    elapsed = time.perf_counter() - start
                    break
            elif proc.poll() is not None:
                break
        if elapsed is None:
            raise RuntimeError(f"no main screen within {timeout:g} s (exit code {proc.poll()}); "
                               f"output: {_ANSI.sub('', output.decode('utf-8', errors='ignore'))[-300:]!r}")
    finally:
        try:
            os.write(master, b"\x11")  # ctrl+q
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.05)[0]:  # keep draining, or the app blocks writing
                try:
                    os.read(master, 1 << 16)
                except OSError:
                    pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return elapsed


def _row(figure: str, samples: list[float], bare: list[float], limit: float, what: str = "") -> Row:
    median = statistics.median(samples)
    return at_most(figure, median, limit, "{:.3f} s",
                   context=f"median of {len(samples)}: {fmt_s(median)} (min {fmt_s(min(samples))}, max "
                           f"{fmt_s(max(samples))}){what}; python -c pass {fmt_s(statistics.median(bare))}")


def run(ctx: Context) -> list[Row]:
    env = child_env(ctx.workdir)
    rows: list[Row] = []
    baseline = [PYTHON, "-c", "pass"]
    try:
        runs = ctx.rounds(9, 5)
        log(f"startup: parbench --help × {runs}, each beside python -c pass")
        bare, help_ = [], []
        for _ in range(runs):
            bare.append(_timed(baseline, env))
            help_.append(_timed([*parbench_command(), "--help"], env))
        rows.append(_row("6 start-up: parbench --help", help_, bare, HELP_LIMIT_S))
    except Exception as exc:
        rows.append(error_row("6 start-up: parbench --help", exc))
    try:
        runs = ctx.rounds(5, 3)
        log(f"startup: the app's first frame under a pseudo-terminal × {runs}")
        bare, frames = [], []
        for _ in range(runs):
            bare.append(_timed(baseline, env))
            frames.append(first_frame([*parbench_command(), "--db", str(ctx.db("startup"))], env))
        rows.append(_row("6 start-up: app's first frame (80×24 pty)", frames, bare, FRAME_LIMIT_S,
                         "; process start to the form on screen"))
    except Exception as exc:
        rows.append(error_row("6 start-up: first frame", exc))
    return rows
