"""How long a call's work waited for a CPU: the time its threads or processes were runnable but not
running, because other programs held the CPUs (Linux's schedstat `run_delay`, in nanoseconds).

A pace gauge between calls does not see this: a millisecond loop fits in one scheduler time slice,
while a 45 ms call is time-sliced with every other runnable program and takes twice as long beside
two busy ones. Read around each timed value, outside its clock reads (`workloads.measuring.point`),
so the timing is unchanged; each read is one small file, about 4 µs. None where the kernel keeps no
schedstat (not Linux, or a kernel built without it).

For a single-threaded call (serial, numpy), time minus wait is the call's time without the other
programs: measured on this VM, a 45 ms Python loop took 55–350 ms beside 0 to 4 busy loops, and
time minus wait stayed at 44–48 ms (`workloads.insight.between_runs` relies on this).
"""

from __future__ import annotations

import os


def _run_delay(path: str) -> float | None:
    try:
        with open(path, "rb") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def thread_wait_s() -> float | None:
    """Seconds this thread has waited for a CPU since it started, or None where that is not kept."""
    return _run_delay("/proc/thread-self/schedstat")


def process_wait_s(pid: int) -> float | None:
    """The same for another process (its main thread, which runs a pool worker's calls)."""
    return _run_delay(f"/proc/{pid}/schedstat")


def thread_of_this_process_wait_s(tid: int) -> float | None:
    """The same for another thread of this process, by its native id."""
    return _run_delay(f"/proc/{os.getpid()}/task/{tid}/schedstat")
