"""Shared fixtures: every test gets its own results store, so nothing touches the user's real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import descendants


@pytest.fixture(autouse=True)
def _private_default_store(tmp_path_factory, monkeypatch):
    """Even a test that forgets `db_path` cannot write the user's store."""
    monkeypatch.setenv("PARBENCH_DB", str(tmp_path_factory.mktemp("default-store") / "results.sqlite3"))


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    """A store file of this test's own (not created yet); PARBENCH_DB points at it."""
    path = tmp_path / "results.sqlite3"
    monkeypatch.setenv("PARBENCH_DB", str(path))
    return path


@pytest.fixture
def children_before() -> set[int]:
    """Pids of this process's descendants before the test (a fork server, a resource tracker)."""
    return {p.pid for p in descendants()}


@pytest.fixture(autouse=True, scope="session")
def _private_machine_lock(tmp_path_factory):
    """A machine lock of the test session's own, set before any fixture runs (module-scoped ones
    start `parbench run` too): tests never wait for a sweep the developer, or another test session,
    runs on this machine."""
    previous = os.environ.get("PARBENCH_LOCK")
    os.environ["PARBENCH_LOCK"] = str(tmp_path_factory.getbasetemp() / "measuring.lock")
    yield
    if previous is None:
        os.environ.pop("PARBENCH_LOCK", None)
    else:
        os.environ["PARBENCH_LOCK"] = previous


@pytest.fixture
def workload_file(tmp_path):
    """Write a workload file as a user would (in a folder outside the repository); returns its path."""
    import textwrap

    def write(source: str, name: str = "userloop") -> str:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return str(path)

    return write
