"""The app's resident measuring process: booted before the first sweep, reused by the next ones,
replaced when it dies, after a hard cancel, or after it ran a user's workload."""

from __future__ import annotations

import os
import signal
import threading

import psutil
from helpers import wait_for

from workloads.model.events import CallStarted
from workloads.model.spec import build_spec
from workloads.session import ResidentProcess, execute

QUICK = dict(workload="sleep", sleep_ms="1", items="2", length="5", strategies="serial", repeat="1", warmup="0")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_a_resident_process_serves_sweep_after_sweep():
    resident = ResidentProcess()
    resident.boot()
    try:
        pids = []
        for _ in range(3):
            process = resident.take()
            pids.append(process.pid)
            outcome = execute(build_spec(**QUICK), None, sweep=process)
            resident.give_back(process)
            assert outcome.status == "completed"
        assert len(set(pids)) == 1, "one process for every sweep of the session"
    finally:
        resident.close()
    assert wait_for(lambda: not _alive(pids[0]), 5)


def test_a_killed_resident_process_is_replaced_and_the_next_sweep_works():
    resident = ResidentProcess()
    resident.boot()
    try:
        first = resident.take()
        resident.give_back(first)
        os.kill(first.pid, signal.SIGKILL)
        assert wait_for(lambda: not first.alive, 5)
        process = resident.take()
        assert process.pid != first.pid
        outcome = execute(build_spec(**QUICK), None, sweep=process)
        resident.give_back(process)
        assert outcome.status == "completed"
    finally:
        resident.close()


def test_a_hard_cancel_replaces_the_process_and_the_next_sweep_works():
    resident = ResidentProcess()
    resident.boot()
    stop = threading.Event()
    try:
        process = resident.take()
        slow = build_spec(**{**QUICK, "sleep_ms": "400", "items": "4,8"})  # calls outlast the cancel grace

        def on_event(event):
            # In the middle of a 3.2 s call: it cannot stop cooperatively within the grace.
            if isinstance(event, CallStarted) and event.items == 8:
                stop.set()

        outcome = execute(slow, None, on_event, stop, sweep=process)
        resident.give_back(process)
        assert outcome.status == "cancelled"
        assert not process.alive
        replacement = resident.take()
        assert replacement.pid != process.pid
        assert execute(build_spec(**QUICK), None, sweep=replacement).status == "completed"
        resident.give_back(replacement)
    finally:
        resident.close()


def test_a_process_that_ran_a_user_workload_is_not_reused(workload_file):
    path = workload_file("""
        import threading

        LEFT_BEHIND = threading.Event()  # user code may leave anything behind in the process

        def kernel(value):
            return value
    """)
    resident = ResidentProcess()
    resident.boot()
    try:
        process = resident.take()
        outcome = execute(build_spec(workload=path, items="2", length="3", strategies="serial", repeat="1",
                                     warmup="0"), None, sweep=process)
        assert outcome.status == "completed"
        assert wait_for(lambda: not process.alive, 5), "it exits after a user's workload"
        resident.give_back(process)
        fresh = resident.take()
        assert fresh.pid != process.pid
        fresh.close()
    finally:
        resident.close()
