"""The C allocator's state in the measuring process and its pool workers: pinned, so that a numpy
figure stands for one stated, reproducible state instead of the process's history.

What glibc malloc does with the large arrays a call frees decides how fast the next call runs:
either they go back to the OS (they were mmap'd, or the heap's free top was trimmed) and the next
call's output is fresh pages, one page fault per 4-64 KiB (squares 64 × 1e6: ~33,000 faults and
+80 ms a call); or they stay in malloc's free lists and the next call reuses them without a fault.
A process falls into the second state once anything long-lived is allocated above the arrays, which
depends on what it did before (a plain `timeit` loop flips after 12 or 20 calls, parbench's own
measuring process at its second), not on the kernel.

`pin_allocator` fixes the state from the process's start: the mmap threshold at 32 MiB (glibc's
own ceiling for its dynamic threshold on 64-bit, so arrays above it get fresh pages every call as
in any glibc process) and the trim threshold at 2 GiB - 1 (the most mallopt takes). The reported
figure is then the steady state of a loop in a long-running program, and the same state is one
environment setting away for anyone checking it with `timeit` (`TIMEIT_ENV`, documented in
docs/your-project.md). mallopt acts on the calling process only: the measuring process pins itself
at its start, each pool worker in its initializer (spawn and forkserver workers are fresh processes).
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt(3) parameter numbers (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int; the environment variable takes the same value
# The same state for a separate process (`python -m timeit`): glibc reads these at start.
TIMEIT_ENV = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}
# A user who set any of these asked for an allocator state of their own: it is left as they set it.
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
# PARBENCH_MALLOC=default measures in glibc's default (history-dependent) state instead.
OPT_OUT = "PARBENCH_MALLOC"

PINNED = "pinned"  # what the machine record says, before the details

_state = ""  # what pin_allocator did in this process, for the machine record


def _glibc():
    """The C library when it is glibc (mallopt and malloc_trim are glibc's), else None: musl and
    macOS have neither, and Windows has no `CDLL(None)`."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return None
        libc = ctypes.CDLL(None)
    except (ValueError, OSError, AttributeError):
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
        return None
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    libc.mallopt.restype = ctypes.c_int
    libc.malloc_trim.argtypes = (ctypes.c_size_t,)
    libc.malloc_trim.restype = ctypes.c_int
    return libc


def _user_setting(environ) -> str | None:
    for name in USER_SETTINGS:
        if name in environ:
            return f"{name}={environ[name]}"
    if "glibc.malloc." in environ.get("GLIBC_TUNABLES", ""):
        return f"GLIBC_TUNABLES={environ['GLIBC_TUNABLES']}"
    return None


def pin_allocator(environ=None) -> str:
    """Fix malloc's thresholds so that freed arrays up to 32 MiB are kept for the next call; returns
    what was done, in words (also what `state()` says afterwards). Idempotent; never raises."""
    global _state
    environ = os.environ if environ is None else environ
    if environ.get(OPT_OUT) == "default":
        _state = f"glibc default, history-dependent ({OPT_OUT}=default)"
    elif (user := _user_setting(environ)) is not None:
        _state = f"as the environment sets it ({user})"
    else:
        libc = _glibc()
        if libc is None:
            _state = "not glibc: left as is"
        elif libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and \
                libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1:
            # Either threshold alone turns glibc's dynamic threshold off and helps nothing: both.
            _state = f"{PINNED}: mmap threshold 32 MiB, trim threshold 2 GiB"
        else:
            _state = "left as is (mallopt refused the thresholds)"
    return _state


def state() -> str:
    """What `pin_allocator` did in this process ("" when it was not called)."""
    return _state


def release_memory() -> bool:
    """Hand freed memory back to the OS (malloc_trim). For a resident measuring process between
    sweeps only, never between timed calls: every page it returns is a fault on the next call."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))


def timeit_command(setup: str, statement: str, python: str = "python") -> str:
    """The documented way to check a numpy figure with `timeit` in a fresh process, in the state
    parbench measures in."""
    env = " ".join(f"{key}={value}" for key, value in TIMEIT_ENV.items())
    return f'{env} {python} -m timeit -s "{setup}" "{statement}"'
