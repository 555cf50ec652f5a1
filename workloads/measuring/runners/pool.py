"""`dict(executor.map(kernel, d.items(), chunksize=...))` on a process or a thread pool: the seed's
`ProcessPoolExecutor` (processes, numpy-processes) and `ThreadPoolExecutor` (threads).

How long the workers waited for a CPU (`workloads.measuring.waits`), as the mean worker waited:
a warm process pool's workers and a warm thread pool's threads are read before and after a timed
block; a cold process pool's workers live only inside the call, so each reports its own wait as it
exits, down a pipe read after the block (one 8-byte write, a few microseconds of the worker's exit,
inside the timed call as the pool's shutdown is). A cold thread pool's threads also end inside the
call and leave nothing to read: its waits are not measured.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import util

from ...model.errors import PoolBroken
from ...model.strategies import StrategyKind, resolve_chunksize
from ..cleanup import OwnedWorkers, watch_parent
from ..waits import process_wait_s, thread_of_this_process_wait_s, thread_wait_s
from .base import Runner, RunnerConfig

_RECORD = struct.Struct("<d")  # one worker's wait, seconds: written in one write, so never torn


def _noop(_: int) -> None:
    return None


def _start_worker(parent_pid: int, report) -> None:
    """A process worker's initializer: watch the measuring process (`watch_parent`), and, in a cold
    pool, send this worker's wait for a CPU down `report` as it exits (multiprocessing runs its
    finalizers as a worker's process ends)."""
    watch_parent(parent_pid)
    if report is not None:
        util.Finalize(None, _report_wait, args=(report,), exitpriority=100)


def _report_wait(report) -> None:
    """Write this worker's wait without blocking and without a lock: a write this small is atomic,
    and a full pipe (nobody reading) drops it rather than holding the worker's exit."""
    waited = thread_wait_s()
    if waited is None:
        return
    try:
        fd = report.fileno()
        os.set_blocking(fd, False)
        os.write(fd, _RECORD.pack(waited))
    except OSError:
        pass


def _pool_workers(executor: Executor) -> list:
    """The executor's worker processes. Neither Python 3.11's BrokenProcessPool nor any public API
    says how the worker that broke a pool died, so this reads the executor's worker table
    (`_processes`), for that message only; without it the message says a worker died."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _exit_description(workers: list) -> str:
    """How the worker that broke the pool ended: the one whose exit was not the pool's own SIGTERM
    to the survivors."""
    for process in workers:
        code = getattr(process, "exitcode", None)
        if code is None or code == 0 or code == -signal.SIGTERM:
            continue
        if code < 0:
            try:
                return f"a worker was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"a worker was killed by signal {-code}"
        return f"a worker exited with code {code}"
    return "a worker process died"


class PoolRunner(Runner):
    def __init__(self, kind: StrategyKind, config: RunnerConfig) -> None:
        super().__init__(kind, config)
        self._executor: Executor | None = None  # the warm pool, once made
        self._live: Executor | None = None  # the executor of the call in flight
        self._owned = OwnedWorkers(self)
        self._reports = None  # a cold process pool's workers' waits: (read end, write end)
        self._calls = 0  # calls since the last `wait_mark`
        self._thread_prefix = f"parbench-threads-{id(self):x}"

    def _new_executor(self) -> Executor:
        if self.kind.processes:
            return ProcessPoolExecutor(
                max_workers=self.config.workers,
                mp_context=multiprocessing.get_context(self.config.start_method),
                initializer=_start_worker,
                initargs=(os.getpid(), self._reports[1] if self._reports is not None and not self.config.warm
                          else None),
            )
        return ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix=self._thread_prefix)

    def prepare(self, items: int) -> None:
        if self.kind.processes:
            self.chunksize = resolve_chunksize(self.config.chunksize, items, self.config.workers)
            if not self.config.warm and self._reports is None:
                reader, writer = multiprocessing.get_context(self.config.start_method).Pipe(duplex=False)
                os.set_blocking(reader.fileno(), False)
                self._reports = (reader, writer)
        if self.config.warm and self._executor is None:
            if self.kind.processes:
                self._owned.starting()
            self._executor = self._new_executor()
            # Workers start on demand; submitting one task per worker at once starts all of them
            # (and lets them import the kernels' modules) before anything is timed.
            list(self._executor.map(_noop, range(self.config.workers * 2)))
            if self.kind.processes:
                self._owned.started()

    def call(self, data: dict) -> dict:
        self._calls += 1
        warm = self.config.warm and self._executor is not None
        executor = self._executor if warm else self._new_executor()
        self._live = executor
        try:
            if self.kind.processes:
                result = dict(executor.map(self.config.item_call, data.items(), chunksize=self.chunksize))
            else:
                result = dict(executor.map(self.config.item_call, data.items()))
        except BrokenProcessPool:
            # The pool's manager thread reaps the workers as it breaks; wait for it, then every
            # exit code is known (shutdown forgets the workers: take them first).
            workers = _pool_workers(executor)
            executor.shutdown(wait=True)
            broken = PoolBroken(f"BrokenProcessPool: {_exit_description(workers)}, breaking the pool")
            self._abandon(executor)
            if warm:
                self._forget_warm()
            raise broken from None
        except BaseException:
            # A timeout or a kernel that raised: don't wait for tasks still queued (a `with` block
            # would).
            self._abandon(executor)
            if warm:
                self._forget_warm()
            raise
        finally:
            self._live = None
        if not warm:
            executor.shutdown(wait=True)  # inside the timed region, as the seed's `with` block
        return result

    # Waiting for a CPU ---------------------------------------------------------------------------------

    def _read_reports(self) -> list[float]:
        """The waits the cold pools' workers reported since the last read."""
        if self._reports is None:
            return []
        data = b""
        while True:
            try:
                chunk = os.read(self._reports[0].fileno(), 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            data += chunk
        whole = len(data) - len(data) % _RECORD.size
        return [value for (value,) in _RECORD.iter_unpack(data[:whole])]

    def _threads(self) -> dict[int, float | None]:
        return {thread.native_id: thread_of_this_process_wait_s(thread.native_id)
                for thread in threading.enumerate()
                if thread.name.startswith(self._thread_prefix) and thread.native_id is not None}

    def wait_mark(self) -> object:
        self._calls = 0
        if self.config.warm and self._executor is not None:
            if self.kind.processes:
                return {p.pid: process_wait_s(p.pid) for p in _pool_workers(self._executor)}
            return self._threads()
        if self.kind.processes:
            self._read_reports()  # whatever an earlier call or the costs' pools left
            return "reports"
        return None  # a cold thread pool's threads end inside the call: nothing to read after it

    def waited(self, mark: object) -> float | None:
        if mark == "reports":
            reports = self._read_reports()
            return sum(reports) / len(reports) * self._calls if reports else None
        if not isinstance(mark, dict) or not mark:
            return None
        now = self._threads() if not self.kind.processes else {pid: process_wait_s(pid) for pid in mark}
        deltas = [now[key] - before for key, before in mark.items()
                  if before is not None and now.get(key) is not None]
        return max(0.0, sum(deltas) / len(deltas)) if len(deltas) == len(mark) else None

    def kill_workers(self) -> None:
        """Stop the call in flight at once (a point timeout): kill that pool's worker processes
        (a cold pool's never registered: every child that is no other pool's and no helper)."""
        if self._live is None or not self.kind.processes:
            return
        self._owned.kill_unowned_others()

    def _forget_warm(self) -> None:
        self._executor = None
        self._owned.forget()

    def _abandon(self, executor: Executor) -> None:
        if isinstance(executor, ProcessPoolExecutor):
            # Killed workers break the pool, which fails every pending future itself; cancelling
            # them too races with that in CPython 3.11 (InvalidStateError in the manager thread).
            if executor is self._executor and self._owned.registered:
                self._owned.kill()
            elif executor is self._live:
                self.kill_workers()
            executor.shutdown(wait=False)
        else:
            executor.shutdown(wait=False, cancel_futures=True)  # threads can't be killed: drop the queue

    def reset(self) -> None:
        if self._executor is not None:
            self._abandon(self._executor)
            self._forget_warm()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._forget_warm()
        if self._reports is not None:
            for end in self._reports:
                end.close()
            self._reports = None


RUNNER = PoolRunner
