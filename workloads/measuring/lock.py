"""The machine lock: one parbench sweep measures at a time on a machine.

Two sweeps at once (the app and a CLI, two apps, two scripts) would measure each other on a 2-core
machine and both report the distorted numbers as if alone. Whichever process measures holds an
advisory lock on a file in the user's runtime (or cache) folder; the OS releases it when that
process dies, however it dies. It is a POSIX record lock (`fcntl.lockf`), which a forked pool
worker does not inherit, so a killed measuring process never leaves its lock held by its workers.
The file also says who holds it, so a second sweep can tell the user what it waits for.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from pathlib import Path

from ..model.events import REFUSED_LOCK, LockWait, Refused
from ..model.spec import LOCK_IGNORE, LOCK_NO_WAIT, SweepOptions

LOCK_ENV = "PARBENCH_LOCK"
POLL_S = 0.25


def lock_path() -> Path:
    override = os.environ.get(LOCK_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    # The runtime folder when the session has one (platformdirs warns, and invents a /tmp folder,
    # when XDG_RUNTIME_DIR is unset, as over a bare SSH login); else the cache folder.
    folders = []
    if os.environ.get("XDG_RUNTIME_DIR"):
        folders.append(os.path.join(os.environ["XDG_RUNTIME_DIR"], "parbench"))
    folders.append(user_cache_dir("parbench", appauthor=False))
    for folder in folders:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return Path(folder) / "measuring.lock"
        except OSError:
            continue
    return Path("/tmp") / f"parbench-{os.getuid()}-measuring.lock"


def _command(pid: int) -> str:
    """What the holder's caller is, in a word: `parbench run`, or the app."""
    try:
        import psutil

        words = psutil.Process(pid).cmdline()
    except Exception:
        return ""
    if "run" in words:
        return "parbench run"
    return "the parbench app" if any("tui" in w or w.endswith("parbench") for w in words) else ""


class MachineLock:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self._fd: int | None = None
        self._started = time.time()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, expected_s: float | None = None) -> bool:
        """Take the lock if it is free; never waits."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        self._started = time.time()
        self.update(expected_s)
        return True

    def update(self, remaining_s: float | None) -> None:
        """Say how long this sweep expects to go on, for whoever waits."""
        if self._fd is None:
            return
        # The caller's pid (the `parbench run` or the app a user sees), not the measuring process's.
        info = {"pid": os.getppid(), "measuring_pid": os.getpid(), "command": _command(os.getppid()),
                "started": self._started,
                "expected_end": time.time() + remaining_s if remaining_s is not None else None}
        data = json.dumps(info).encode()
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        except OSError:
            pass  # who holds it is a courtesy; the lock itself is what matters

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)  # closing the descriptor releases the lock
        self._fd = None

    def holder(self) -> str:
        """Who holds the lock, in words: "another parbench sweep, pid 4242, started 13:08, about 40 s left"."""
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            info = {}
        parts = ["another parbench sweep"]
        if info.get("pid"):
            parts.append(f"{info['command']}, pid {info['pid']}" if info.get("command") else f"pid {info['pid']}")
        if info.get("started"):
            parts.append("started " + dt.datetime.fromtimestamp(info["started"]).strftime("%H:%M"))
        end = info.get("expected_end")
        if end:
            left = end - time.time()
            parts.append(f"about {max(1, round(left))} s left" if left > 0 else "running past its estimate")
        return ", ".join(parts)

    def __enter__(self) -> "MachineLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class WaitCancelled(Exception):
    """The sweep was cancelled while it waited for the machine."""


# How often a waiting sweep says it still waits.
REPORT_S = 1.0


def wait_for_lock(lock: MachineLock, options: SweepOptions, emit, should_stop, expected_s: float) -> bool | None:
    """Take the machine lock: True when held, False when measuring without it (--ignore-lock and
    another sweep holds it), None when refused (--no-wait: `Refused` is emitted). While another
    sweep holds it, says who every `REPORT_S`; raises `WaitCancelled` if stopped while waiting."""
    if lock.try_acquire(expected_s):
        return True
    if options.lock == LOCK_IGNORE:
        return False
    if options.lock == LOCK_NO_WAIT:
        emit(Refused(REFUSED_LOCK, f"{lock.holder()} is measuring on this machine (--no-wait)"))
        return None
    began = time.monotonic()
    reported = -REPORT_S
    while not lock.try_acquire(expected_s):
        waited = time.monotonic() - began
        if waited - reported >= REPORT_S:
            emit(LockWait(lock.holder(), waited))
            reported = waited
        if should_stop():
            raise WaitCancelled
        time.sleep(POLL_S)
    return True
