"""The strategies: the ways of running a kernel over every item of the input dict.

Each strategy is one `StrategyKind` in `KINDS`, carrying its own traits (which input form it takes,
whether it has workers, whether it ships items to other processes, its chart marker and colour) and
its own rough cost model for the estimate. Nothing else in parbench compares strategy names: adding
a strategy means adding a kind (and, if it runs differently, a runner) here.

A runner's `call` is exactly what gets timed, and mirrors the seed's code: a for loop over
`d.items()`, or `dict(executor.map(kernel, d.items()))`. A cold pool is created and shut down inside
the call, as the seed does; a warm pool is created (and its workers started) before timing and
reused. Heavy imports (dask, psutil) happen only when a runner needs them: the app imports this
module for the traits alone.
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
from dataclasses import dataclass, field
from typing import Callable

from .errors import PoolBroken, RunAborted
from .workload import WorkloadError

# How often a pool worker checks that the measuring process is still there: often enough that a
# killed sweep leaves no orphan for more than a moment, rare enough to cost nothing measurable.
ORPHAN_POLL_S = 0.5
START_METHODS = ("fork", "spawn", "forkserver")
# How long a Dask scheduler may take to answer before the run fails, saying so.
DASK_CONNECT_S = 3.0

# Rough costs measured on the 2-vCPU VM, for the estimate only (a guide: "seconds" or "an hour").
POOL_START_S = {"fork": 0.012, "forkserver": 0.06, "spawn": 0.25}
TASK_S = 150e-6  # per task sent through a process pool
THREAD_TASK_S = 30e-6
DASK_CLUSTER_START_S = 1.0  # a LocalCluster of two worker processes
DASK_TASK_S = 1e-3


# Worker processes ------------------------------------------------------------------------------


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


def _exit_when_orphaned(parent_pid: int, direct: bool) -> None:
    while True:
        time.sleep(ORPHAN_POLL_S)
        if _parent_gone(parent_pid, direct):
            os._exit(3)


def watch_parent(parent_pid: int | None = None) -> None:
    """Start a daemon thread that ends this process as soon as the measuring process is gone.

    Used as the pool workers' initializer: if the measuring process is killed, its workers would
    otherwise wait on their task queue forever. A fork or spawn worker is its child, and notices
    by being reparented. A forkserver worker is the fork server's child, and the fork server lives
    as long as any of its children holds its "alive" pipe, as the workers do: so they watch the
    measuring process by its pid instead.
    """
    pid = os.getppid() if parent_pid is None else parent_pid
    threading.Thread(target=_exit_when_orphaned, args=(pid, os.getppid() == pid), daemon=True,
                     name="orphan-watch").start()


def _noop(_: int) -> None:
    return None


# Processes that are not a pool's workers, and are never killed with one: multiprocessing's
# resource tracker and fork server serve every pool of the measuring process.
_INFRASTRUCTURE = ("resource_tracker", "forkserver")
# Worker pids of the live runners' pools, so that stopping one pool's call never kills another's.
_OWNED: dict[int, set[int]] = {}


def _descendants():
    import psutil

    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _is_infrastructure(process) -> bool:
    import psutil

    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return True
    return any(word in command for word in _INFRASTRUCTURE)


def _kill(processes) -> None:
    import psutil

    for process in processes:
        try:
            process.kill()
        except psutil.Error:
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def resolve_chunksize(chunksize: int | str, items: int, workers: int) -> int:
    """`auto` follows multiprocessing.Pool.map: about four chunks per worker."""
    if chunksize == "auto":
        return max(1, math.ceil(items / (workers * 4)))
    return int(chunksize)


# Runners: what is timed ---------------------------------------------------------------------------


@dataclass
class RunnerConfig:
    """What a runner needs besides its kind: the kernel (bound, for this process) or the picklable
    item call (for other processes), the pool settings of the sweep, and the workload's file for a
    Dask cluster elsewhere."""

    kernel: Callable  # value -> result, called in this process
    item_call: Callable  # (key, value) -> (key, result), picklable
    workers: int
    chunksize: int | str
    warm: bool
    start_method: str
    dask_scheduler: str | None = None
    upload: str | None = None  # a workload file to send to a remote Dask cluster's workers


class Runner:
    """Runs one strategy's calls at every point of a sweep (serial: a plain loop)."""

    def __init__(self, kind: "StrategyKind", config: RunnerConfig) -> None:
        self.kind = kind
        self.config = config
        self.workers: int | None = config.workers if kind.pooled else None
        self.chunksize: int | None = None

    def check(self) -> None:
        """Once, before the first point: raise `RunAborted` if this strategy cannot run at all."""

    def prepare(self, items: int) -> None:
        """Called before each point, outside timing."""

    def call(self, data: dict) -> dict:
        kernel = self.config.kernel
        result = {}
        for key, value in data.items():
            result[key] = kernel(value)
        return result

    def kill_workers(self) -> None:
        """Stop the call in flight at once; nothing to do without workers."""

    def reset(self) -> None:
        """Forget a pool that may be broken; the next point starts a fresh one."""

    def close(self) -> None:
        pass


class PoolRunner(Runner):
    """`dict(executor.map(kernel, d.items(), chunksize=...))` on a process or a thread pool."""

    def __init__(self, kind: "StrategyKind", config: RunnerConfig) -> None:
        super().__init__(kind, config)
        self._executor: Executor | None = None
        self._live: Executor | None = None  # the executor of the call in flight

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
            before = {p.pid for p in _descendants()} if self.kind.processes else set()
            self._executor = self._new_executor()
            # Workers start on demand; submitting one task per worker at once starts all of them
            # (and lets them import the kernels' modules) before anything is timed.
            list(self._executor.map(_noop, range(self.config.workers * 2)))
            if self.kind.processes:
                _OWNED[id(self)] = {p.pid for p in _descendants()} - before

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
        """Stop the call in flight at once (a point timeout): kill that pool's worker processes,
        found with psutil among the measuring process's descendants (not another pool's)."""
        if self._live is None or not self.kind.processes:
            return
        others = set().union(*(pids for owner, pids in _OWNED.items() if owner != id(self))) if _OWNED else set()
        _kill(p for p in _descendants() if p.pid not in others and not _is_infrastructure(p))

    def _forget_warm(self) -> None:
        self._executor = None
        _OWNED.pop(id(self), None)

    def _abandon(self, executor: Executor) -> None:
        if isinstance(executor, ProcessPoolExecutor):
            # Killed workers break the pool, which fails every pending future itself; cancelling
            # them too races with that in CPython 3.11 (InvalidStateError in the manager thread).
            owned = _OWNED.get(id(self)) if executor is self._executor else None
            if owned:
                _kill(p for p in _descendants() if p.pid in owned)
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


class DaskRunner(Runner):
    """The same kernel on a Dask cluster: a LocalCluster of `workers` single-threaded worker
    processes by default, or the scheduler at `dask_scheduler`. Cold builds the cluster (or
    connects) inside the timed call, as the seed's pool does; warm does it once before timing.

    Every worker imports the workload before any item is sent (`_ship`): a LocalCluster's workers
    read the file from its path, a remote cluster's get it with `Client.upload_file` (they need
    parbench installed to run it). A worker that cannot import it says so in one line, instead of
    failing to unpickle the items sent to it, which Dask only logs while the call waits forever."""

    def __init__(self, kind: "StrategyKind", config: RunnerConfig) -> None:
        super().__init__(kind, config)
        self._client = None
        self._cluster = None

    @staticmethod
    def _distributed():
        try:
            import distributed
        except ImportError:
            raise RunAborted("dask is not installed: pip install 'parbench[dask]'") from None
        return distributed

    def check(self) -> None:
        distributed = self._distributed()
        address = self.config.dask_scheduler
        if not address:
            return
        try:
            client = distributed.Client(address, timeout=f"{DASK_CONNECT_S}s")
        except Exception as exc:
            raise RunAborted(f"dask: cannot reach the scheduler at {address} within {DASK_CONNECT_S:g} s "
                             f"({_first_line(exc)})") from None
        try:
            self._ship(client)  # once for the whole run: every point would fail the same way
        except WorkloadError as exc:
            raise RunAborted(str(exc)) from None
        finally:
            client.close()

    def _ship(self, client) -> None:
        """Upload the workload's file to a remote cluster, then have every worker import it."""
        where = f"the Dask workers at {self.config.dask_scheduler}" if self.config.dask_scheduler else \
            "the LocalCluster's Dask workers"
        try:
            if self.config.dask_scheduler and self.config.upload:
                client.upload_file(self.config.upload)
            load = getattr(self.config.item_call, "load", None)
            if load is not None:
                client.run(load)
        except WorkloadError as exc:
            raise WorkloadError(f"dask: {where} cannot import the workload: {exc}") from None
        except Exception as exc:
            raise WorkloadError(f"dask: sending the workload to {where} failed: {_first_line(exc)}") from None

    def _connect(self):
        import logging

        distributed = self._distributed()
        address = self.config.dask_scheduler
        if address:
            client, cluster = distributed.Client(address, timeout=f"{DASK_CONNECT_S}s"), None
        else:
            # ":0": any free port (None still takes 8787, and warns when another cluster holds it).
            cluster = distributed.LocalCluster(n_workers=self.config.workers, threads_per_worker=1,
                                               processes=True, dashboard_address=":0",
                                               silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        try:
            self._ship(client)
        except BaseException:
            client.close()
            if cluster is not None:
                cluster.close()
            raise
        return client, cluster

    def prepare(self, items: int) -> None:
        if self.config.warm and self._client is None:
            before = {p.pid for p in _descendants()}
            self._client, self._cluster = self._connect()
            self._client.wait_for_workers(1, timeout=30)
            _OWNED[id(self)] = {p.pid for p in _descendants()} - before

    def _map(self, client, data: dict) -> dict:
        return dict(client.gather(client.map(self.config.item_call, list(data.items()), pure=False)))

    def call(self, data: dict) -> dict:
        if self.config.warm and self._client is not None:
            return self._map(self._client, data)
        client, cluster = self._connect()
        try:
            return self._map(client, data)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        _OWNED.pop(id(self), None)
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


# Kinds: what a strategy is ------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemCosts:
    """What one item costs a strategy, for the estimate: the kernel's time on it, the share of that
    time that needs a CPU (a sleep needs none), and what shipping it to a worker and back costs."""

    work_s: float
    cpu_share: float = 1.0
    ship_s: float = 0.0


@dataclass(frozen=True)
class StrategyKind:
    name: str
    form: str  # which input and kernel it takes: "python" or "numpy"
    summary: str
    marker: str  # one character on the charts, so lines stay apart without colour
    color: str
    pooled: bool = False  # has workers: the workers field applies, speedups have an ideal
    processes: bool = False  # a process pool: start method and chunksize apply
    cluster: bool = False  # runs on a Dask cluster
    runner: type[Runner] = field(default=Runner, compare=False)

    @property
    def ships(self) -> bool:
        """Pickles each item to another process and its result back."""
        return self.processes or self.cluster

    @property
    def baseline(self) -> bool:
        """The plain loop every speedup is taken against."""
        return self.name == BASELINE

    def parallel(self, items: int, workers: int, cpus: int, cpu_share: float) -> float:
        """How many items run at once: CPU work is held to the CPUs, waiting is not."""
        if not self.pooled:
            return 1.0
        usable = workers if cpu_share < 0.5 else min(workers, cpus)
        return float(max(1, min(items, usable)))

    def estimate_call(self, costs: ItemCosts, items: int, *, workers: int, cpus: int, pool: str,
                      start_method: str, chunksize: int | str) -> float:
        """Seconds one call takes, roughly."""
        work = items * costs.work_s
        if not self.pooled:
            return work
        parallel = self.parallel(items, workers, cpus, costs.cpu_share)
        if not self.processes and not self.cluster:
            # Threads: the waiting overlaps, the CPU part takes turns on the GIL.
            return work * costs.cpu_share + work * (1 - costs.cpu_share) / parallel + items * THREAD_TASK_S
        if self.cluster:
            start = DASK_CLUSTER_START_S if pool == "cold" else 0.0
            return start + work / parallel + items * (costs.ship_s + DASK_TASK_S)
        start = POOL_START_S.get(start_method, 0.05) if pool == "cold" else 0.0
        chunks = math.ceil(items / resolve_chunksize(chunksize, items, workers))
        return start + work / parallel + items * costs.ship_s + chunks * TASK_S

    def make_runner(self, config: RunnerConfig) -> Runner:
        return self.runner(self, config)


BASELINE = "serial"
KINDS: dict[str, StrategyKind] = {kind.name: kind for kind in (
    StrategyKind("serial", "python", "the seed's for loop over d.items()", "o", "blue"),
    StrategyKind("processes", "python", "ProcessPoolExecutor.map over d.items()", "x", "red",
                 pooled=True, processes=True, runner=PoolRunner),
    StrategyKind("threads", "python", "ThreadPoolExecutor.map: overlaps waits, not Python work (the GIL)", "+",
                 "magenta", pooled=True, runner=PoolRunner),
    StrategyKind("numpy", "numpy", "the loop over numpy arrays: the workload's kernel_numpy", "*", "green"),
    StrategyKind("numpy-processes", "numpy", "kernel_numpy in a ProcessPoolExecutor", "#", "orange",
                 pooled=True, processes=True, runner=PoolRunner),
    StrategyKind("dask", "python", "the kernel on a Dask cluster (LocalCluster or a scheduler)", "@", "cyan",
                 pooled=True, cluster=True, runner=DaskRunner),
)}
NAMES = tuple(KINDS)
DEFAULT = ("serial", "processes", "numpy")


def kind(name: str) -> StrategyKind:
    return KINDS[name]


def default_start_method() -> str:
    return multiprocessing.get_start_method()
