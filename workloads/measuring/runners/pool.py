"""`dict(executor.map(kernel, d.items(), chunksize=...))` on a process or a thread pool: the seed's
`ProcessPoolExecutor` (processes, numpy-processes) and `ThreadPoolExecutor` (threads)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ...model.errors import PoolBroken
from ...model.strategies import StrategyKind, resolve_chunksize
from ..cleanup import OwnedWorkers, watch_parent
from .base import Runner, RunnerConfig


def _noop(_: int) -> None:
    return None


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

    def _new_executor(self) -> Executor:
        if self.kind.processes:
            return ProcessPoolExecutor(
                max_workers=self.config.workers,
                mp_context=multiprocessing.get_context(self.config.start_method),
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )
        return ThreadPoolExecutor(max_workers=self.config.workers)

    def prepare(self, items: int) -> None:
        if self.kind.processes:
            self.chunksize = resolve_chunksize(self.config.chunksize, items, self.config.workers)
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


RUNNER = PoolRunner
