"""Figure 12, a large import: `parbench import` of a 30,000-row export, from starting the process to
its exit, into a fresh store each time.

The export is the real exporter's (`parbench export`'s own code) of a run that `parbench run` could
have made: squares over 16 × 16 points, every strategy, a worker sweep of 1..29, five rounds, a
pool's costs on every pooled row (a run has 30,000 rows only with a worker sweep, so nearly all of
them are pooled); 90 MB of JSON, a million floats. Writing it takes the exporter about 40 s (its
analysis), once. Each import is paired with a `python -c pass` started right before it, shown as
context with the CPU time the import took: on this shared VM the wall time follows the other tenants.
"""

from __future__ import annotations

import random
import resource
import statistics
import subprocess
import time
from pathlib import Path

from .common import (
    PYTHON,
    ROOT,
    Context,
    Row,
    at_most,
    child_env,
    error_row,
    fmt_s,
    log,
    parbench_command,
)

ROWS = 30_000
LIMIT_S = 2.0


def synthetic_run(rows: int, seed: int = 1):
    """A run of `rows` measurements that `parbench run` could have produced (its spec through
    `build_spec`, each row at a point and variant of that spec, costs on the pooled ones): the
    first `rows` of squares over 16 × 16 points, every strategy, workers 1..29, cancelled there."""
    from workloads.model.costs import PoolCosts
    from workloads.model.machine import Machine
    from workloads.model.measurement import Measurement
    from workloads.model.run import Run
    from workloads.model.spec import build_spec
    from workloads.model.strategies import KINDS, resolve_chunksize

    spec = build_spec(workload="squares", strategies="serial,processes,threads,numpy,numpy-processes,dask",
                      items=",".join(map(str, range(1, 17))), length=",".join(str(100 * i) for i in range(1, 17)),
                      workers=",".join(map(str, range(1, 30))), repeat="5", warmup="1")
    rng = random.Random(seed)
    figures = [name for name, kind in PoolCosts.__annotations__.items() if "float" in str(kind)]
    measurements = []
    for index, (items, length) in enumerate(spec.points()):
        for name, workers in spec.variants():
            if len(measurements) == rows:
                break
            kind = KINDS[name]
            base = items * length * 1e-7
            times = tuple(base * rng.uniform(0.9, 1.2) for _ in range(5))
            costs = None
            if kind.pooled:
                costs = {figure: rng.uniform(1e-6, 1e-2) for figure in figures}
                costs.update(workers=workers, pool=spec.pool, start_method="fork", chunksize=1, cpus=2, ship_items=4,
                             work_source="serial's time at this point", ceiling_note="measured", error="")
            measurements.append(Measurement(
                "squares", name, items, length, workers if kind.pooled else None,
                resolve_chunksize(spec.chunksize, items, workers) if kind.processes else None,
                spec.pool if kind.pooled else None, 1, times, (times[0] * 1.1,), point_index=index,
                stop="fixed", check="exactly equal to serial", costs=costs))
    machine = Machine.from_dict({"cpu_count": 2, "usable_cpus": 2, "cpu_model": "benchmark", "python": "3.11",
                                 "hostname": "elsewhere", "parallel_ceiling": 1.9, "ceiling_source": "measured"})
    status = "completed" if len(measurements) == len(spec.points()) * len(spec.variants()) else "cancelled"
    return Run(None, spec, status, "2026-01-01T10:00:00+00:00", "2026-01-01T12:00:00+00:00",
               "" if status == "completed" else "cancelled", machine, measurements)


def write_export(path: Path, rows: int) -> Path:
    from workloads.presenting.exports import export

    return export(synthetic_run(rows), path)


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one command run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(ctx: Context) -> list[Row]:
    figure = f"12 import: {ROWS:,} rows"
    try:
        path = ctx.path("large.json")
        log(f"import_rows: writing a {ROWS:,}-row export with the exporter (about 40 s)")
        write_export(path, ROWS)
        size = path.stat().st_size
        env = child_env(ctx.workdir)
        rounds = ctx.rounds(5, 3)
        walls, cpus, bare = [], [], []
        for index in range(rounds):
            log(f"import_rows: round {index + 1}/{rounds}")
            bare.append(_timed([PYTHON, "-c", "pass"], env)[0])
            wall, cpu = _timed([*parbench_command(), "--db", str(ctx.db("import")), "import", str(path)], env)
            walls.append(wall)
            cpus.append(cpu)
        median = statistics.median(walls)
        context = (f"median of {rounds}: {fmt_s(median)} (min {fmt_s(min(walls))}, max {fmt_s(max(walls))}); CPU "
                   f"{fmt_s(statistics.median(cpus))}; export {size / 1e6:.0f} MB; python -c pass "
                   f"{fmt_s(statistics.median(bare))}; process start to exit, a fresh store each")
        return [at_most(figure, median, LIMIT_S, "{:.2f} s", context)]
    except Exception as exc:
        return [error_row(figure, exc)]
