"""Runners: what is timed for each strategy, one module per way of running (`serial`, `pool`,
`dask`). A `StrategyKind` names its runner module (`workloads.model.strategies`); `make_runner`
imports it only when a sweep needs it, so a sweep without Dask never imports dask.

A runner's `call` is exactly what gets timed, and mirrors the seed's code: a for loop over
`d.items()`, or `dict(executor.map(kernel, d.items()))`. A cold pool is created and shut down inside
the call, as the seed does; a warm pool is created (and its workers started) before timing and
reused.
"""

from __future__ import annotations

import importlib

from ...model.strategies import StrategyKind
from .base import Runner, RunnerConfig

__all__ = ["Runner", "RunnerConfig", "make_runner"]


def make_runner(kind: StrategyKind, config: RunnerConfig) -> Runner:
    """The runner of `kind`, from the module its `runner` trait names."""
    module = importlib.import_module(f"{__name__}.{kind.runner}")
    return module.RUNNER(kind, config)
