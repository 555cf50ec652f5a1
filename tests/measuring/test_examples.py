"""The workloads in examples/ are what the README shows: each reads as a workload (a summary, its
settings), runs with every strategy it has a form for, and its forms agree under parbench's check."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT, run_cli

from workloads.measuring.sweep import run_sweep
from workloads.model import workload as workloads
from workloads.model.events import MeasurementDone
from workloads.model.spec import SweepSpec

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_are_the_examples_the_readme_documents():
    assert {path.stem for path in EXAMPLES} >= {"seed_sleep", "seed_lists", "seed_arrays", "log_records",
                                                "haversine", "slow_service"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_each_example_reads_as_a_workload_with_a_summary(path: Path):
    info = workloads.info(str(path))
    assert info.summary and info.summary.endswith(".")
    assert "kernel" in info.functions
    # Its docstring says how to run it, with a command that names it.
    assert f"--workload examples/{path.name}" in path.read_text()


IN_PROCESS = [path for path in EXAMPLES if path.stem != "slow_service"]  # that one starts a service process


@pytest.mark.parametrize("path", IN_PROCESS, ids=lambda path: path.stem)
def test_each_example_runs_and_its_strategies_agree(path: Path):
    info = workloads.info(str(path))
    strategies = ("serial", "processes", "threads") + (("numpy", "numpy-processes") if info.has_numpy else ())
    spec = SweepSpec(workload=str(path), items=(3,), length=(50,), strategies=strategies, repeat=1, warmup=0,
                     workers=2, start_method="fork")
    events = []
    assert run_sweep(spec, events.append) == "completed"
    measured = {e.measurement.strategy: e.measurement for e in events if isinstance(e, MeasurementDone)}
    assert {name: m.status for name, m in measured.items()} == dict.fromkeys(strategies, "ok"), \
        {name: m.error for name, m in measured.items()}
    if path.stem == "haversine":  # floats: the numpy form agrees within allclose, not exactly
        assert measured["numpy"].check == "numpy.allclose, rtol=1e-09, against serial"


def test_the_waiting_example_runs_through_the_cli_with_its_service(db_path):
    result = run_cli("run", "--workload", "examples/slow_service.py", "--items", "4", "--length", "20",
                     "--strategies", "serial,threads,processes", "--repeat", "1", "--warmup", "0",
                     "--delay-ms", "5", db=db_path)
    assert result.returncode == 0, result.stderr
    assert "`slow_service`, completed" in result.stdout  # the Markdown a pipe gets
