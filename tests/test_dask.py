"""The dask strategy: the same kernel on a real Dask cluster (a LocalCluster here)."""

from __future__ import annotations

import pytest

from workloads.events import MeasurementDone
from workloads.spec import SpecError, SweepSpec, build_spec
from workloads.sweep import run_sweep

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


def test_unreachable_scheduler_is_a_failed_measurement_not_a_crash():
    spec = SweepSpec(workload="sleep", items=(2,), length=(1,), strategies=("serial", "dask"), repeat=1,
                     warmup=0, sleep_ms=1, dask_scheduler="tcp://127.0.0.1:9")
    events = []
    assert run_sweep(spec, events.append) == "completed"
    measured = {e.measurement.strategy: e.measurement for e in events if isinstance(e, MeasurementDone)}
    assert measured["serial"].ok
    assert measured["dask"].status == "failed"
    assert measured["dask"].error


@pytest.mark.parametrize("address", ["foo", "tcp://host", "http://host:80", "tcp://:8786", "tcp://h:99999"])
def test_bad_scheduler_address_is_rejected_by_name(address):
    with pytest.raises(SpecError) as error:
        build_spec(dask_scheduler=address)
    assert error.value.field == "dask-scheduler"


def test_scheduler_address_without_scheme_means_tcp():
    assert build_spec(dask_scheduler="10.0.0.5:8786").dask_scheduler == "tcp://10.0.0.5:8786"
