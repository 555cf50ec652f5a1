"""What every runner is: its configuration and the calls a sweep makes on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ...model.strategies import StrategyKind


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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
    upload: str | None = None  # a workload file to send to a remote Dask cluster's workers
    options: dict = field(default_factory=dict)  # the strategy's own options (Dask's scheduler)


class Runner:
    """Runs one strategy's calls at every point of a sweep."""

    def __init__(self, kind: StrategyKind, config: RunnerConfig) -> None:
        self.kind = kind
        self.config = config
        self.workers: int | None = config.workers if kind.pooled else None
        self.chunksize: int | None = None

    def check(self) -> None:
        """Once, before the first point: raise `RunAborted` if this strategy cannot run at all."""

    def prepare(self, items: int) -> None:
        """Called before each point, outside timing."""

    def call(self, data: dict) -> dict:
        raise NotImplementedError

    def wait_mark(self) -> object:
        """Read before a timed block, outside its clock: where `waited` counts from."""
        return None

    def waited(self, mark: object) -> float | None:
        """Seconds the work of the calls since `wait_mark` spent runnable but waiting for a CPU, as
        one of the threads or processes doing it waited (their mean); None where it cannot be read
        (`workloads.measuring.waits`)."""
        return None

    def kill_workers(self) -> None:
        """Stop the call in flight at once; nothing to do without workers."""

    def reset(self) -> None:
        """Forget a pool that may be broken; the next point starts a fresh one."""

    def close(self) -> None:
        pass
