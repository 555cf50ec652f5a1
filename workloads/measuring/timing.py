"""What a timed call is: the strategy's call and the release of its output, nothing else.

Calls shorter than the spec's min-time run back to back (`loops_for`), timed per call; building
inputs, checking outputs and sending events all happen outside the timed region. GC is off while
timing, as in `timeit`. A point's time limit (`Deadline`) interrupts the call in flight.
"""

from __future__ import annotations

import contextlib
import gc
import math
import signal
import threading
import time

from .runners import Runner

# A bound on a calibration gone wrong (a call timed at ~0 s): never loop forever.
MAX_LOOPS = 1_000_000


class PointTimeout(Exception):
    """Raised in the measuring process's main thread when a point's time runs out."""


class Deadline:
    """Interrupts the call in flight when the point's time runs out.

    SIGALRM's handler runs in the main thread between bytecodes and interrupts a sleep or a lock
    wait, so it stops a Python loop, a sleeping kernel, or a wait on a pool; for a pool it kills
    the workers first, since the pool would otherwise go on with the items already queued. Only
    armed in the main thread of the process (the measuring process); elsewhere there is no limit.
    A point's limit counts the time spent at it, over every visit.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self._since: float | None = None
        self.usable = seconds is not None and threading.current_thread() is threading.main_thread()

    def resume(self) -> None:
        """The point is being measured again: its clock runs."""
        self._since = time.perf_counter()

    def pause(self) -> None:
        if self._since is not None:
            self.spent += time.perf_counter() - self._since
            self._since = None

    def left(self) -> float | None:
        if self.seconds is None:
            return None
        running = time.perf_counter() - self._since if self._since is not None else 0.0
        return self.seconds - self.spent - running

    def expired(self) -> bool:
        left = self.left()
        return left is not None and left <= 0

    def arm(self, runner: Runner) -> None:
        left = self.left()
        if not self.usable or left is None:
            return

        def on_alarm(signum, frame):
            runner.kill_workers()
            raise PointTimeout

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))

    def disarm(self) -> None:
        if self.usable and self.seconds is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def gc_paused():
    """GC off while timing, as timeit does: a collection triggered by the harness's own garbage
    must not land in a strategy's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def time_calls(runner: Runner, data: dict, deadline: Deadline, loops: int = 1) -> float:
    """Seconds per call of `loops` calls back to back, each one's output released inside the timed
    region, as `timeit` and simple_benchmark count it (freeing a big output is part of its cost)."""
    with gc_paused():
        deadline.arm(runner)
        try:
            start = time.perf_counter()
            for _ in range(loops):
                runner.call(data)
            elapsed = time.perf_counter() - start
        finally:
            deadline.disarm()
    return elapsed / loops


def time_kept_call(runner: Runner, data: dict, deadline: Deadline) -> tuple[float, list]:
    """One call whose output is handed back, in a one-item list that is its only reference: the
    caller checks it, then times its release with `time_release` and adds it."""
    kept: list = []
    with gc_paused():
        deadline.arm(runner)
        try:
            start = time.perf_counter()
            kept.append(runner.call(data))
            elapsed = time.perf_counter() - start
        finally:
            deadline.disarm()
    return elapsed, kept


def time_release(kept: list) -> float:
    """Seconds it takes to drop the outputs in `kept` (their only references)."""
    with gc_paused():
        start = time.perf_counter()
        kept.clear()
        return time.perf_counter() - start


def loops_for(call_s: float, min_time: float) -> int:
    """Calls per timed repeat, so that a repeat lasts at least `min_time` (as pyperf calibrates its
    loops and `timeit` its number): a short call timed alone is at the mercy of whatever ran just
    before it (another strategy's call evicts its data from the caches: a 0.3 ms numpy call then
    takes 0.7 ms), and back to back it is timed in the steady state a user's loop runs in. Taken
    from a point's first call, then once more from the first untimed call, which runs warm; a first
    call over `min_time` is taken as a long call and never looped."""
    if min_time <= 0 or call_s >= min_time:
        return 1
    return min(MAX_LOOPS, math.ceil(min_time / max(call_s, 1e-7)))
