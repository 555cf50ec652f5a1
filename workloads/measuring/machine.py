"""What machine a run was measured on: recorded with every run, since the numbers only mean
something next to the core count, the interpreter and the versions that produced them. Read in the
measuring process, so it is the interpreter the sweep really ran under (the user's `--python`)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import sysconfig


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def total_memory() -> int | None:
    """The machine's physical memory in bytes (None where the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        try:
            import psutil

            return int(psutil.virtual_memory().total)
        except Exception:  # pragma: no cover - a platform psutil does not know either
            return None


def gil_enabled() -> bool:
    """Whether the GIL is on now: always on a GIL build; on a free-threaded one, until an extension
    module without free-threading support (or PYTHON_GIL=1) turned it back on."""
    check = getattr(sys, "_is_gil_enabled", None)
    return bool(check()) if check is not None else True


def free_threaded_build() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def describe(start_method: str) -> dict:
    """The machine and the interpreter, now: call it once the workload (and numpy) are imported,
    since importing them may have turned a free-threaded build's GIL back on."""
    from ..model.version import parbench_version
    from . import allocator
    from .interpreters import VERSION_ENV

    try:
        import numpy

        numpy_version = numpy.__version__
    except ImportError:  # pragma: no cover - numpy is a dependency
        numpy_version = None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "cpu_model": cpu_model(),
        "memory_bytes": total_memory(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "free_threaded": free_threaded_build(),
        "gil_enabled": gil_enabled(),
        "allocator": allocator.state() or None,
        "numpy": numpy_version,
        "start_method": start_method,
        # Under the user's interpreter parbench is not installed: the caller says its version.
        "parbench": os.environ.get(VERSION_ENV) or parbench_version(),
        "hostname": platform.node(),
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
