"""The machine's parallel ceiling: how much more pure-Python work N processes get done together than
one alone, N being the CPU count.

A 2-vCPU VM whose vCPUs share a physical core reads 1.55× to 2.04×, rarely above 2: no pool of this
machine can beat its ceiling, so the model (`workloads.analysis`) caps a pool's parallelism for CPU
work there.
Measured once per machine (the store keeps it in its `machines` table, keyed by `machine_identity`)
in the measuring process, under the machine lock, before the first point: N helper processes, each
timing a busy loop, alone (one of them) and together (all of them), in several interleaved pairs so
that a change of the machine's speed hits both halves of a pair alike; the ceiling is the median of
N × alone / together over the pairs.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import statistics
import time
from dataclasses import dataclass

from ..model.machine import MEASURED, STORED, Ceiling

# Each busy loop lasts about this long alone: short, so that both halves of a pair run at one of the
# VM's two speeds (it flips every few seconds), long against a pipe's wake-up (~0.1 ms).
SPIN_S = 0.03
PAIRS = 7
# A ceiling measurement that has not finished after this long is given up: the run goes on without it.
LIMIT_S = 10.0
# Fewer pairs than this make no ceiling: one pair's ratio can be a speed flip.
MIN_PAIRS = 3
# Helpers that waited this share of their time for a CPU (the median over every run, alone and
# together: N helpers on N CPUs need not wait) had the machine shared with something else: the
# ceiling then is the moment's, not the machine's, and is not kept.
BUSY_SHARE = 0.1



@dataclass(frozen=True)
class Reading:
    """One measurement of the ceiling, with how it went."""

    value: float | None  # None when it could not be measured (`note` says why)
    processes: int
    ratios: tuple[float, ...] = ()  # N × alone / together, one per pair
    note: str = ""
    cancelled: bool = False  # the sweep was cancelled while measuring
    busy_share: float | None = None  # the share of their time helpers waited for a CPU (Linux)

    @property
    def busy(self) -> bool:
        """Something else was running: the figure is this moment's, not the machine's."""
        return self.busy_share is not None and self.busy_share > BUSY_SHARE


def machine_identity() -> str:
    """What makes two runs' machines the same for the ceiling: CPU model, CPU count, hostname."""
    from .machine import cpu_model

    return f"{cpu_model()}|{os.cpu_count()}|{platform.node()}"


def busy(iterations: int) -> int:
    """Pure-Python work that cannot be skipped: each step depends on the one before."""
    acc = 1
    for _ in range(iterations):
        acc = (acc * 1103515245 + 12345) & 0x7FFFFFFF
    return acc


def runqueue_seconds() -> float | None:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat), or None."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _helper(conn, iterations: int) -> None:
    """A helper process: run the busy loop each time it is told to, report the share of that time
    it waited for a CPU; exit on None or when the measuring process is gone (the pipe closes)."""
    try:
        while conn.recv() is not None:
            start, waited = time.perf_counter(), runqueue_seconds()
            busy(iterations)
            elapsed = time.perf_counter() - start
            after = runqueue_seconds()
            conn.send((after - waited) / elapsed if waited is not None and after is not None and elapsed > 0 else None)
    except (EOFError, OSError, KeyboardInterrupt):
        pass


def _calibrate(seconds: float) -> int:
    probe = 20_000
    start = time.perf_counter()
    busy(probe)
    elapsed = max(time.perf_counter() - start, 1e-6)
    return max(1_000, int(probe * seconds / elapsed))


def _run(conns) -> tuple[float, list]:
    """Wall time from telling these helpers to go until the last one is done, and the share of its
    time each waited for a CPU."""
    start = time.perf_counter()
    for conn in conns:
        conn.send(True)
    waits = [conn.recv() for conn in conns]
    return time.perf_counter() - start, waits


def measure(processes: int | None = None, *, pairs: int = PAIRS, spin_s: float = SPIN_S, limit_s: float = LIMIT_S,
            should_stop=lambda: False) -> Reading:
    """N copies of the busy loop together against one alone, `pairs` times interleaved.

    Never raises for the machine's sake: a helper that cannot start or dies, or a measurement over
    `limit_s`, gives a `Ceiling` without a value and a note saying why (with the pairs done so far
    if there are at least `MIN_PAIRS`). `should_stop` returning True ends it as cancelled."""
    n = processes or os.cpu_count() or 1
    if n < 2:
        return Reading(1.0, n, (), "one CPU: nothing runs in parallel")
    # Not fork: this process already runs a thread (the parent watch), and forking a threaded
    # process can deadlock (Python 3.12+ warns; 3.14 stopped making fork the default). The helpers
    # are started and warmed before anything is timed, so how they start costs no accuracy.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    began = time.perf_counter()
    helpers = []
    conns = []
    ratios: list[float] = []
    waits: list[float] = []
    note = ""
    cancelled = False
    try:
        iterations = _calibrate(spin_s)
        for _ in range(n):
            ours, theirs = context.Pipe()
            helper = context.Process(target=_helper, args=(theirs, iterations), daemon=True, name="parbench-ceiling")
            helper.start()
            theirs.close()
            helpers.append(helper)
            conns.append(ours)
        _run(conns)  # every helper started and warm before anything counts
        for index in range(pairs):
            if should_stop():
                cancelled = True
                note = "cancelled while measuring"
                break
            if time.perf_counter() - began > limit_s:
                note = f"stopped after {limit_s:g} s with {len(ratios)} of {pairs} pairs (the machine is busy)"
                break
            # Alternate which half goes first, so a drift in speed does not favour one of them.
            if index % 2 == 0:
                alone, alone_waits = _run(conns[:1])
                together, together_waits = _run(conns)
            else:
                together, together_waits = _run(conns)
                alone, alone_waits = _run(conns[:1])
            ratios.append(n * alone / together)
            waits.extend(w for w in alone_waits + together_waits if w is not None)
    except (OSError, EOFError, ValueError) as exc:
        note = f"interrupted: {type(exc).__name__}: {exc}" if str(exc) else f"interrupted: {type(exc).__name__}"
    finally:
        for conn in conns:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            conn.close()
        for helper in helpers:
            helper.join(timeout=1.0)
            if helper.is_alive():
                helper.kill()
                helper.join(timeout=1.0)
    busy_share = statistics.median(waits) if waits else None
    if cancelled or len(ratios) < MIN_PAIRS:
        return Reading(None, n, tuple(ratios), note or "too few pairs", cancelled, busy_share)
    return Reading(statistics.median(ratios), n, tuple(ratios), note, False, busy_share)


# Measured once per measuring process, by machine: the app's resident process serves many sweeps.
_MEASURED: dict[str, float] = {}


def measure_for_run(known: float | None, should_stop, *, shared: bool) -> tuple[Ceiling | None, bool]:
    """The machine's parallel ceiling for a run, and whether a cancel arrived while measuring it.

    `known` is the ceiling the store holds for this machine; else one this process measured before
    serves (not alongside another sweep); else it is measured now. A measurement that fails or is
    cut short leaves the run without a ceiling and says why; one taken alongside another sweep, or
    while something else took the CPUs, serves this run's model but is never kept for the machine."""
    if known is not None:
        return Ceiling(known, STORED), False
    identity = machine_identity()
    if identity in _MEASURED and not shared:
        return Ceiling(_MEASURED[identity], STORED), False
    reading = measure(should_stop=should_stop)
    if reading.cancelled:
        return None, True
    if reading.value is None:
        return Ceiling(None, note=f"the parallel ceiling was not measured: {reading.note}"), False
    if shared or reading.busy:
        why = ("alongside another parbench sweep" if shared else
               f"while the machine was busy (its helpers waited {reading.busy_share:.0%} of their time for a CPU)")
        return Ceiling(reading.value, f"measured {why}; not kept for this machine", ratios=reading.ratios), False
    _MEASURED[identity] = reading.value
    return Ceiling(reading.value, MEASURED, ratios=reading.ratios, identity=identity), False
