"""The dask strategy: the same kernel on a real Dask cluster (a LocalCluster here)."""

from __future__ import annotations

import time

import pytest

from workloads.measuring.sweep import run_sweep
from workloads.model.events import MeasurementDone, RunFinished
from workloads.model.spec import SpecError, SweepSpec, build_spec

pytest.importorskip("distributed")


@pytest.mark.parametrize("pool", ["cold", "warm"])
def test_dask_runs_the_kernel_and_matches_serial(pool):
    spec = SweepSpec(workload="squares", items=(3,), length=(20,), strategies=("serial", "dask"),
                     repeat=2, warmup=0, workers=2, pool=pool)
    events = []
    assert run_sweep(spec, events.append) == "completed"
    measured = {e.measurement.strategy: e.measurement for e in events if isinstance(e, MeasurementDone)}
    dask = measured["dask"]
    assert dask.ok, dask.error
    assert len(dask.times_s) == 2
    assert dask.workers == 2 and dask.pool == pool


def test_unreachable_scheduler_fails_the_run_once_at_its_start_saying_where_and_why():
    spec = SweepSpec(workload="sleep", items=(2, 4, 8), length=(1,), strategies=("serial", "dask"), repeat=1,
                     warmup=0, settings={"sleep_ms": 1}, options={"dask_scheduler": "tcp://127.0.0.1:9"})
    events = []
    started = time.monotonic()
    assert run_sweep(spec, events.append) == "failed"
    # Once, within a few seconds: not a 10 s timeout at every point.
    assert time.monotonic() - started < 8
    assert not [e for e in events if isinstance(e, MeasurementDone)]
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "failed"
    assert "tcp://127.0.0.1:9" in finished.error and "cannot reach the scheduler" in finished.error


@pytest.mark.parametrize("address", ["foo", "tcp://host", "http://host:80", "tcp://:8786", "tcp://h:99999"])
def test_bad_scheduler_address_is_rejected_by_name(address):
    with pytest.raises(SpecError) as error:
        build_spec(dask_scheduler=address)
    assert error.value.field == "dask-scheduler"


def test_scheduler_address_without_scheme_means_tcp():
    assert build_spec(strategies="dask", dask_scheduler="10.0.0.5:8786").option("dask_scheduler") == "tcp://10.0.0.5:8786"
