"""The strategies: the ways of running a kernel over every item of the input dict.

Each `call` is exactly what gets timed, and mirrors the seed's code: a for loop over `d.items()`,
or `dict(executor.map(kernel, d.items()))`. A cold pool is created and shut down inside the call, as
the seed does; a warm pool is created (and its workers started) before timing and reused.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .spec import POOL_STRATEGIES, PROCESS_STRATEGIES, SweepSpec

# How often a pool worker checks that the measuring process is still there: often enough that a
# killed sweep leaves no orphan for more than a moment, rare enough to cost nothing measurable.
ORPHAN_POLL_S = 0.5


def _exit_when_orphaned(parent_pid: int) -> None:
    while True:
        time.sleep(ORPHAN_POLL_S)
        if os.getppid() != parent_pid:
            os._exit(3)


def watch_parent(parent_pid: int | None = None) -> None:
    """Start a daemon thread that ends this process as soon as its parent is gone.

    Used as the pool workers' initializer: if the measuring process is killed, its workers would
    otherwise wait on their task queue forever.
    """
    pid = os.getppid() if parent_pid is None else parent_pid
    threading.Thread(target=_exit_when_orphaned, args=(pid,), daemon=True, name="orphan-watch").start()


def _noop(_: int) -> None:
    return None


def _kill_pool_processes(executor: Executor) -> None:
    # ProcessPoolExecutor keeps its workers in `_processes` (pid -> Process); a thread pool has none.
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass


def _dead_worker(workers: list) -> str:
    """How the worker that broke the pool ended: the one whose exit was not the pool's own
    SIGTERM to the survivors (Python 3.11's BrokenProcessPool does not say)."""
    for process in workers:
        code = process.exitcode
        if code is None or code == 0 or code == -signal.SIGTERM:
            continue
        if code < 0:
            try:
                return f"a worker was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"a worker was killed by signal {-code}"
        return f"a worker exited with code {code}"
    return "a worker process died"


def resolve_chunksize(chunksize: int | str, items: int, workers: int) -> int:
    """`auto` follows multiprocessing.Pool.map: about four chunks per worker."""
    if chunksize == "auto":
        return max(1, math.ceil(items / (workers * 4)))
    return int(chunksize)


@dataclass
class Strategy:
    name: str
    form: str  # which input and kernel it takes: "python" or "numpy"

    @property
    def uses_pool(self) -> bool:
        return False

    def prepare(self, items: int) -> None:
        """Called before each point, outside timing."""

    def call(self, kernel, data: dict) -> dict:
        result = {}
        for item in data.items():
            key, value = kernel(item)
            result[key] = value
        return result

    def kill_workers(self) -> None:
        """Stop the call in flight at once; nothing to do without a pool."""

    def reset(self) -> None:
        """Forget a pool that may be broken; the next point starts a fresh one."""

    def close(self) -> None:
        pass


class PoolStrategy(Strategy):
    def __init__(self, name: str, form: str, spec: SweepSpec, start_method: str) -> None:
        super().__init__(name, form)
        self.workers = spec.workers
        self.chunksize_option = spec.chunksize
        self.warm = spec.pool == "warm"
        self.processes = name in PROCESS_STRATEGIES
        self.start_method = start_method
        self.chunksize = 1
        self._executor: Executor | None = None
        self._live: Executor | None = None  # the executor of the call in flight

    @property
    def uses_pool(self) -> bool:
        return True

    def _new_executor(self) -> Executor:
        if self.processes:
            return ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(self.start_method),
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )
        return ThreadPoolExecutor(max_workers=self.workers)

    def prepare(self, items: int) -> None:
        self.chunksize = resolve_chunksize(self.chunksize_option, items, self.workers)
        if self.warm and self._executor is None:
            self._executor = self._new_executor()
            # Workers start on demand; submitting one task per worker at once starts all of them
            # (and lets them import the kernels' modules) before anything is timed.
            list(self._executor.map(_noop, range(self.workers * 2)))

    def call(self, kernel, data: dict) -> dict:
        warm = self.warm and self._executor is not None
        executor = self._executor if warm else self._new_executor()
        self._live = executor
        try:
            result = dict(executor.map(kernel, data.items(), chunksize=self.chunksize))
        except BaseException as exc:
            if isinstance(exc, BrokenProcessPool):
                # The pool's manager thread reaps the workers as it breaks; wait for it, then
                # every exit code is known.
                workers = list((getattr(executor, "_processes", None) or {}).values())
                executor.shutdown(wait=True)
                exc.worker_exit = _dead_worker(workers)
            # A timeout or a broken pool: don't wait for tasks still queued (a `with` block would).
            self._abandon(executor)
            if warm:
                self._executor = None
            raise
        finally:
            self._live = None
        if not warm:
            executor.shutdown(wait=True)  # inside the timed region, as the seed's `with` block
        return result

    def kill_workers(self) -> None:
        """Stop the call in flight at once (a point timeout): kill the pool's worker processes."""
        if self._live is not None:
            _kill_pool_processes(self._live)

    @staticmethod
    def _abandon(executor: Executor) -> None:
        if isinstance(executor, ProcessPoolExecutor):
            # Killed workers break the pool, which fails every pending future itself; cancelling
            # them too races with that in CPython 3.11 (InvalidStateError in the manager thread).
            _kill_pool_processes(executor)
            executor.shutdown(wait=False)
        else:
            executor.shutdown(wait=False, cancel_futures=True)  # threads can't be killed: drop the queue

    def reset(self) -> None:
        if self._executor is not None:
            self._abandon(self._executor)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class DaskStrategy(Strategy):
    """The same Python kernel on a Dask cluster: a LocalCluster of `workers` single-threaded worker
    processes by default, or the scheduler at `dask_scheduler`. Cold builds the cluster (or
    connects) inside the timed call, as the seed's pool does; warm does it once before timing.
    On a remote cluster the workers must have parbench installed to import the kernels."""

    def __init__(self, spec: SweepSpec) -> None:
        super().__init__("dask", "python")
        self.workers = spec.workers
        self.scheduler = spec.dask_scheduler
        self.warm = spec.pool == "warm"
        self._client = None
        self._cluster = None

    @property
    def uses_pool(self) -> bool:
        return True

    def _connect(self):
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("dask is not installed: pip install 'parbench[dask]'") from None
        if self.scheduler:
            return Client(self.scheduler, timeout="10s"), None
        cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster

    def prepare(self, items: int) -> None:
        if self.warm and self._client is None:
            self._client, self._cluster = self._connect()
            self._client.wait_for_workers(1, timeout=30)

    def call(self, kernel, data: dict) -> dict:
        if self.warm and self._client is not None:
            return dict(self._client.gather(self._client.map(kernel, list(data.items()), pure=False)))
        client, cluster = self._connect()
        try:
            return dict(client.gather(client.map(kernel, list(data.items()), pure=False)))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def build(spec: SweepSpec, start_method: str) -> list[Strategy]:
    """The spec's strategies, serial first: its output is the reference the others are checked
    against, and the baseline of every speedup."""
    ordered = sorted(spec.strategies, key=lambda name: name != "serial")
    built: list[Strategy] = []
    for name in ordered:
        form = "numpy" if name.startswith("numpy") else "python"
        if name == "dask":
            built.append(DaskStrategy(spec))
        elif name in POOL_STRATEGIES:
            built.append(PoolStrategy(name, form, spec, start_method))
        else:
            built.append(Strategy(name, form))
    return built
