"""Shared fixtures: every test gets its own results store, so nothing touches the user's real one."""

from __future__ import annotations

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
    """A machine lock of the test session's own: tests never wait for a sweep the developer runs.
    Session-wide, so that module fixtures (test_cli's shared run) have it too: they are set up
    before any function-scoped fixture, and waited minutes for someone's `parbench run`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARBENCH_LOCK", str(tmp_path_factory.getbasetemp() / "measuring.lock"))
        yield


@pytest.fixture
def workload_file(tmp_path):
    """Write a workload file as a user would (in a folder outside the repository); returns its path."""
    import textwrap

    def write(source: str, name: str = "userloop") -> str:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return str(path)

    return write
