"""Synthetic runs with known pool costs, for the tests of the analysis, the Why text and the views
that show them: serial at n·c and a pool exactly at the model's time."""

from __future__ import annotations

from workloads.insight.analysis import Params, predict
from workloads.model.costs import PoolCosts
from workloads.model.measurement import Measurement

S, OUT, BACK, C = 0.05, 0.001, 0.001, 0.01  # start, shipping each way, work per item


def costs(start=S, out=OUT, back=BACK, work=C, *, share=1.0, ceiling=2.0, pool="cold", chunksize=1, workers=2,
          dispatch=1e-4, **extra) -> PoolCosts:
    """What `workloads.measuring.costs.measure_pool` records, with chosen figures."""
    return PoolCosts(**{"workers": workers, "pool": pool, "start_method": "fork", "chunksize": chunksize,
            "work_per_item_s": work, "work_source": "serial's time at this point", "cpu_share": share,
            "ceiling": ceiling, "ceiling_note": "measured", "cpus": 2, "error": "", "input_bytes": 8000.0,
            "result_bytes": 8000.0, "pickle_in_s": out / 4, "pickle_out_s": back / 4, "cold_start_s": start,
            "pool_create_s": start, "dispatch_s": dispatch, "ship_out_s": out, "ship_back_s": back,
            "pool_shutdown_s": 0.0, "pool_start_s": start if pool == "cold" else dispatch, **extra})


def m(strategy: str, items: int, times, length: int = 1000, workers: int | None = None, **kwargs) -> Measurement:
    pooled = strategy in ("processes", "threads", "numpy-processes", "dask")
    return Measurement(workload="synthetic", strategy=strategy, items=items, length=length,
                       workers=(workers or 2) if pooled else None, chunksize=1 if pooled else None,
                       pool="cold" if pooled else None, warmup=1, times_s=tuple(times), **kwargs)


def pool_params(**overrides) -> Params:
    values = dict(start_s=S, ship_s=OUT + BACK, work_s=C, cpu_share=1.0, workers=2, ceiling=2.0, gil=False, chunksize=1)
    values.update(overrides)
    return Params(**values)


def synthetic_run(items=(2, 4, 8, 16, 32, 64), *, later_costs=None, length=1000, failed_at=None):
    """Serial at n·c and a pool exactly at the model's time, each pool row with its measured costs.
    `later_costs` replaces the costs recorded on the larger half of the points."""
    rows = []
    half = len(items) // 2
    for index, n in enumerate(items):
        rows.append(m("serial", n, [n * C] * 3, length))
        if n == failed_at:
            rows.append(m("processes", n, (), length, status="failed", error="BrokenProcessPool: a worker died"))
            continue
        recorded = costs() if later_costs is None or index < half else later_costs
        rows.append(m("processes", n, [predict(pool_params(), n)] * 3, length, costs=recorded))
    return rows
