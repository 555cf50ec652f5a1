"""The C allocator's state behind numpy figures: pinned in the measuring process and in every pool
worker, so a figure stands for a stated state (freed arrays kept for the next call) rather than the
process's history; left alone where the user chose one, or on request."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from helpers import run_cli

from workloads.measuring import allocator

glibc = pytest.mark.skipif(allocator._glibc() is None, reason="mallopt is glibc's: not this C library")

# Page faults per call of squares over 16 arrays of 1e6 int64 in a fresh process: the arrays the
# previous call freed are either reused (no fault) or handed back to the OS (a fault per page).
FAULTS = """
import resource, sys
import numpy as np
from workloads.measuring.allocator import pin_allocator
if sys.argv[1] == "pinned":
    pin_allocator()
d = {i: np.random.default_rng(i).integers(0, 1000, 1_000_000) for i in range(16)}
faults = []
for _ in range(6):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = {k: v ** 2 - 13 for k, v in d.items()}
    del result
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(max(faults[1:]))
"""


def faults_per_call(state: str) -> int:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", FAULTS, state], capture_output=True, text=True, check=True, env=env,
                          timeout=120)
    return int(done.stdout.strip())


@glibc
def test_pinned_the_next_call_reuses_the_arrays_the_last_one_freed():
    # Default: a fresh process hands the 8 MB outputs back each call and faults them in again.
    assert faults_per_call("default") > 1000
    assert faults_per_call("pinned") < 100


@glibc
def test_a_state_the_user_chose_is_left_alone():
    assert allocator.pin_allocator({"MALLOC_TRIM_THRESHOLD_": "0"}) == \
        "as the environment sets it (MALLOC_TRIM_THRESHOLD_=0)"
    assert allocator.pin_allocator({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=1"}).startswith(
        "as the environment sets it (GLIBC_TUNABLES=")
    assert allocator.pin_allocator({"PARBENCH_MALLOC": "default"}).startswith("glibc default, history-dependent")
    assert allocator.pin_allocator({}).startswith("pinned: mmap threshold 32 MiB, trim threshold 2 GiB")


@glibc
def test_the_measuring_process_and_every_pool_worker_are_pinned(workload_file, db_path):
    # The kernel returns its process's allocator state: a spawn worker that were not pinned would
    # answer differently from serial (run in the measuring process), and its row would fail.
    path = workload_file('''
        from workloads.measuring import allocator


        def kernel(value):
            return allocator.state()
        ''')
    result = run_cli("run", "--workload", path, "--strategies", "serial,processes", "--start-method", "spawn",
                     "--items", "4", "--length", "1", "--repeat", "1", "--warmup", "0", "--format", "json",
                     db=db_path, env={"PARBENCH_MALLOC": ""})
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["measurements"]
    assert {(m["strategy"], m["status"]) for m in rows} == {("serial", "ok"), ("processes", "ok")}
    with sqlite3.connect(db_path) as conn:
        (machine,) = conn.execute("SELECT machine FROM runs").fetchone()
    assert json.loads(machine)["allocator"] == "pinned: mmap threshold 32 MiB, trim threshold 2 GiB"


def test_the_documented_timeit_command_is_the_state_parbench_pins():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "your-project.md").read_text(encoding="utf-8")
    assert " ".join(f"{key}={value}" for key, value in allocator.TIMEIT_ENV.items()) + " python -m timeit" in docs
