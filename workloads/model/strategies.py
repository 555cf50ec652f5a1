"""The strategies: the ways of running a kernel over every item of the input dict, as traits.

Each strategy is one `StrategyKind` in `KINDS`, carrying its own traits (which input form it takes,
whether it has workers, whether it ships items to other processes, its chart marker and colour, the
runner that times it) and its own rough cost model for the estimate. Nothing else in parbench
compares strategy names. The runners themselves (what is timed) live in
`workloads.measuring.runners`, one module per runner, so that the app reads these traits without
importing a pool: a strategy that runs like an existing one is one entry here; one that runs
differently is an entry here and a runner module there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .options import Field
from .parsing import SpecError

START_METHODS = ("fork", "spawn", "forkserver")

# Rough costs measured on the 2-vCPU VM, for the estimate only (a guide: "seconds" or "an hour").
POOL_START_S = {"fork": 0.012, "forkserver": 0.06, "spawn": 0.25}
TASK_S = 150e-6  # per task sent through a process pool
THREAD_TASK_S = 30e-6
DASK_CLUSTER_START_S = 1.0  # a LocalCluster of two worker processes
DASK_TASK_S = 1e-3


def resolve_chunksize(chunksize: int | str, items: int, workers: int) -> int:
    """`auto` follows multiprocessing.Pool.map: about four chunks per worker."""
    if chunksize == "auto":
        return max(1, math.ceil(items / (workers * 4)))
    return int(chunksize)


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
    runner: str = "serial"  # its runner: a module of workloads.measuring.runners
    options: tuple[Field, ...] = ()  # its own options, which apply when it is chosen (Dask's scheduler)

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

def parse_scheduler(text: str | None, scope=None) -> str | None:
    """A Dask scheduler address (`tcp://host:8786`), or None for a LocalCluster."""
    if text is None or not text.strip() or text.strip() == "local":
        return None
    address = text.strip()
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, colon, port = rest.rpartition(":")
    # isdigit() alone accepts '²' and other digits int() refuses or reads differently.
    valid_port = port.isascii() and port.isdigit() and 0 < int(port) < 65536
    if scheme not in ("tcp", "tls", "ws", "wss", "inproc") or not colon or not host or not valid_port:
        raise SpecError("dask-scheduler", f"{address!r} is not a scheduler address like tcp://host:8786")
    return f"{scheme}://{rest}"


DASK_SCHEDULER = Field("dask_scheduler", "Scheduler", "", "dask: a scheduler such as tcp://host:8786 (blank: a "
                       "LocalCluster of --workers)", parse_scheduler, metavar="ADDRESS", strategy="dask")

BASELINE = "serial"
KINDS: dict[str, StrategyKind] = {kind.name: kind for kind in (
    StrategyKind("serial", "python", "the seed's for loop over d.items()", "o", "blue"),
    StrategyKind("processes", "python", "ProcessPoolExecutor.map over d.items()", "x", "red",
                 pooled=True, processes=True, runner="pool"),
    StrategyKind("threads", "python", "ThreadPoolExecutor.map: overlaps waits, not Python work (the GIL)", "+",
                 "magenta", pooled=True, runner="pool"),
    StrategyKind("numpy", "numpy", "the loop over numpy arrays: the workload's kernel_numpy", "*", "green"),
    StrategyKind("numpy-processes", "numpy", "kernel_numpy in a ProcessPoolExecutor", "#", "orange",
                 pooled=True, processes=True, runner="pool"),
    StrategyKind("dask", "python", "the kernel on a Dask cluster (LocalCluster or a scheduler)", "@", "cyan",
                 pooled=True, cluster=True, runner="dask", options=(DASK_SCHEDULER,)),
)}
NAMES = tuple(KINDS)
DEFAULT = ("serial", "processes", "numpy")


def kind(name: str) -> StrategyKind:
    return KINDS[name]


def default_start_method() -> str:
    import multiprocessing

    return multiprocessing.get_start_method()
