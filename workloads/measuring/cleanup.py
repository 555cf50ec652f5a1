"""Processes parbench starts, and how they end: nothing it starts may outlive the one that asked.

One place for every way a process of a sweep is stopped: a pool worker that notices its measuring
process is gone, the measuring process that notices its caller is gone, the pool workers of a call
stopped at a point timeout (never another pool's), and a whole process tree killed and waited for.
Pools report the worker pids they own here, so stopping one pool's call never kills another's or
multiprocessing's own helpers (its resource tracker and fork server serve every pool).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterable

# How often a pool worker checks that the measuring process is still there: often enough that a
# killed sweep leaves no orphan for more than a moment, rare enough to cost nothing measurable.
ORPHAN_POLL_S = 0.5

# Processes that are not a pool's workers, and are never killed with one: multiprocessing's
# resource tracker and fork server serve every pool of the measuring process.
_INFRASTRUCTURE = ("resource_tracker", "forkserver")
# Worker pids of the live pools, by owner, so that stopping one pool's call never kills another's.
_OWNED: dict[int, set[int]] = {}


def _parent_gone(parent_pid: int, direct: bool) -> bool:
    if direct:
        return os.getppid() != parent_pid  # reparented: the parent died
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def exit_when_parent_dies(parent_pid: int, *, poll_s: float = ORPHAN_POLL_S,
                          before_exit: Callable[[], None] = lambda: None, code: int = 3) -> None:
    """Start a daemon thread that ends this process as soon as `parent_pid` is gone (after
    `before_exit`, e.g. killing this process's own children)."""
    direct = os.getppid() == parent_pid

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if _parent_gone(parent_pid, direct):
                before_exit()
                os._exit(code)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def watch_parent(parent_pid: int | None = None) -> None:
    """A pool worker's initializer: exit as soon as the measuring process is gone.

    Without it, a worker of a killed measuring process would wait on its task queue forever. A fork
    or spawn worker is its child, and notices by being reparented. A forkserver worker is the fork
    server's child, and the fork server lives as long as any of its children holds its "alive"
    pipe, as the workers do: so they watch the measuring process by its pid instead.

    It also pins the worker's C allocator as the measuring process pinned its own: mallopt acts on
    one process, and a spawn or forkserver worker is a fresh one (`workloads.measuring.allocator`).
    """
    from .allocator import pin_allocator

    pin_allocator()
    exit_when_parent_dies(os.getppid() if parent_pid is None else parent_pid)


def descendants(pid: int | None = None) -> list:
    """Every process below `pid` (this process by default), as psutil processes."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _is_infrastructure(process) -> bool:
    import psutil

    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return True
    return any(word in command for word in _INFRASTRUCTURE)


def kill(processes: Iterable) -> list:
    """Kill each process (gone ones are skipped); returns those it was sent to."""
    import psutil

    sent = []
    for process in processes:
        try:
            process.kill()
            sent.append(process)
        except psutil.Error:
            pass
    return sent


def wait_dead(processes: Iterable, timeout: float) -> None:
    """Wait until every process has exited. A zombie has: orphaned pool workers are reaped by
    init, which on some machines only does so every couple of seconds."""
    import psutil

    deadline = time.monotonic() + timeout
    pending = list(processes)
    while pending and time.monotonic() < deadline:
        still = []
        for process in pending:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:
                    still.append(process)
            except psutil.Error:
                pass
        pending = still
        if pending:
            time.sleep(0.02)


def kill_tree(pid: int | None = None, *, include_root: bool = False, timeout: float = 0.0) -> None:
    """Kill every process below `pid` (and `pid` itself with `include_root`), then wait up to
    `timeout` for them to be gone."""
    import psutil

    processes = descendants(pid)
    if include_root and pid is not None:
        try:
            processes.append(psutil.Process(pid))
        except psutil.Error:
            pass
    sent = kill(processes)
    if timeout > 0:
        wait_dead(sent, timeout)


# Pools' own workers ---------------------------------------------------------------------------------


class OwnedWorkers:
    """The worker processes one pool started, so that its call can be stopped alone."""

    def __init__(self, owner: object) -> None:
        self._key = id(owner)
        self._before: set[int] = set()

    def starting(self) -> None:
        """Call just before the pool starts its workers."""
        self._before = {p.pid for p in descendants()}

    def started(self) -> None:
        """Call once its workers are up: they are the processes that appeared since `starting`."""
        _OWNED[self._key] = {p.pid for p in descendants()} - self._before

    @property
    def registered(self) -> bool:
        return bool(_OWNED.get(self._key))

    def forget(self) -> None:
        _OWNED.pop(self._key, None)

    def kill(self) -> None:
        """Kill the workers this pool registered."""
        owned = _OWNED.get(self._key)
        if owned:
            kill(p for p in descendants() if p.pid in owned)

    def kill_unowned_others(self) -> None:
        """Kill this process's children that belong to no other live pool and are not
        multiprocessing's helpers: the workers of a cold pool in flight, which never registered."""
        others = set().union(*(pids for key, pids in _OWNED.items() if key != self._key)) if _OWNED else set()
        kill(p for p in descendants() if p.pid not in others and not _is_infrastructure(p))
