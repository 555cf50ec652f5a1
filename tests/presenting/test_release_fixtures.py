"""What users already have on disk keeps working: a store and exports made by the release at ee8eb05
(store schema 2, export format 2; `tests/fixtures/release-ee8eb05/README.md` says how they were made).

The store opens and lists its runs (the CLI's history, the app's F2), every run opens, compares and
exports; every run exported by this code imports again; the release's own exports import, and compare
with a run of the same sweep measured now. Every status and stop reason the release wrote is one of
today's words, and reads as what it was.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from app_fixtures import screen_text, until
from helpers import run_cli

from tui.app import ParbenchApp
from tui.screens.history import HistoryScreen
from tui.screens.stored_run import StoredRunScreen
from workloads.model.measurement import STATUSES, STOPS, quality
from workloads.model.run import STATUSES as RUN_STATUSES
from workloads.presenting.importer import import_into, read_export
from workloads.store.database import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "release-ee8eb05"
# What the release's store holds, run by run (see the README beside it).
RELEASE_RUNS = {1: ("squares", "completed", 8), 2: ("sleep", "completed", 10), 3: ("sleep", "failed", 4),
                4: ("sleep", "partial", 4), 5: ("failing", "partial", 2), 6: ("sleep", "completed", 8),
                7: ("sleep", "cancelled", 2), 8: ("sleep", "interrupted", 1), 9: ("squares", "completed", 4)}
# The words the table's quality column may show (`workloads.model.measurement.quality`).
QUALITY_LABELS = {"ok", "noisy", "1 repeat", "budget", "rounds", "shared", "failed", "timeout", "n/a"}


@pytest.fixture
def release_store(tmp_path) -> Path:
    """A copy of the release's store (opening a store may switch its journal: the fixture stays as made)."""
    path = tmp_path / "release.sqlite3"
    shutil.copyfile(FIXTURES / "store.sqlite3", path)
    return path


def test_the_fixture_is_what_the_release_wrote():
    # immutable: read as a file on a read-only medium, so not even the WAL index is made beside it
    with sqlite3.connect(f"file:{FIXTURES / 'store.sqlite3'}?immutable=1", uri=True) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
    document = json.loads((FIXTURES / "export-run1.json").read_text())
    assert document["format"] == 2 and document["parbench"] == "0.1.0" and "analysis" in document


def test_its_runs_load_with_every_status_and_stop_in_todays_words(release_store):
    with Store(release_store) as store:
        runs = {run.id: store.load_run(run.id) for run in store.runs()}
    assert {i: (r.spec.workload_name(), r.status, len(r.measurements)) for i, r in runs.items()} == RELEASE_RUNS
    stops, statuses = set(), set()
    for run in runs.values():
        assert run.status in RUN_STATUSES
        for m in run.measurements:
            assert m.status in STATUSES and m.stop in STOPS
            assert quality(m).label in QUALITY_LABELS
            stops.add(m.stop)
            statuses.add(m.status)
    # What the release wrote covers the words a reader meets: rounds stopped each way, rows failed and timed out.
    assert stops == {"fixed", "budget", "precision"} and statuses == {"ok", "failed", "timeout"}
    timed_out = next(m for m in runs[4].measurements if m.status == "timeout")
    assert quality(timed_out).label == "timeout" and "time" in quality(timed_out).detail
    failed = next(m for m in runs[5].measurements if m.status == "failed")
    assert quality(failed).label == "failed" and "refuses to run in a worker process" in quality(failed).detail
    budget = runs[2].measurements[0]
    assert budget.stop == "budget" and quality(budget).label in {"budget", "noisy"}
    assert runs[1].machine.ceiling_value == pytest.approx(1.97, abs=0.01)
    assert all(m.costs is not None and m.costs.complete for m in runs[1].measurements if m.workers)


def test_history_lists_them_as_the_release_did(release_store):
    result = run_cli("history", "--format", "csv", db=release_store)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 + len(RELEASE_RUNS)
    for run_id, (workload, status, rows) in RELEASE_RUNS.items():
        assert any(line.startswith(f"{run_id},") and f",{workload}," in line and f",{status}," in line
                   for line in lines), (run_id, lines)


def test_every_run_exports_and_imports_again(release_store, tmp_path):
    fresh = tmp_path / "fresh.sqlite3"
    for run_id, (_, status, rows) in RELEASE_RUNS.items():
        for suffix in ("json", "csv", "md"):
            target = tmp_path / f"run{run_id}.{suffix}"
            result = run_cli("export", str(run_id), str(target), db=release_store)
            assert result.returncode == 0, result.stderr
            assert target.stat().st_size > 0
        exported = read_export(tmp_path / f"run{run_id}.json")
        with Store(fresh) as store:
            imported_id, added = import_into(store, exported)
            stored = store.load_run(imported_id)
        assert added and len(stored.measurements) == rows
        # A run its owner never finished (killed) is imported as interrupted, never as running.
        assert stored.status == status
    with Store(release_store) as store:  # the exports of its own runs are already there
        for run_id in RELEASE_RUNS:
            assert import_into(store, read_export(tmp_path / f"run{run_id}.json")) == (run_id, False)


def test_the_releases_exports_import_and_come_back_as_they_were(release_store, db_path):
    with Store(release_store) as release:
        originals = {1: release.load_run(1), 5: release.load_run(5)}
    with Store(db_path) as store:
        for run_id, original in originals.items():
            imported_id, added = import_into(store, read_export(FIXTURES / f"export-run{run_id}.json"))
            stored = store.load_run(imported_id)
            assert added and stored.imported
            assert stored.measurements == original.measurements and stored.spec == original.spec
            assert stored.machine.to_dict() == original.machine.to_dict()
        # The file again adds nothing.
        assert not import_into(store, read_export(FIXTURES / "export-run1.json"))[1]
    with Store(release_store) as release:  # nor does it in the store it came from
        assert import_into(release, read_export(FIXTURES / "export-run5.json")) == (5, False)


def test_a_file_the_release_imported_is_not_imported_twice(tmp_path):
    """The release keyed an imported run by its fingerprint; this parbench keys imports otherwise, and
    still finds that run the same."""
    path = tmp_path / "imported.sqlite3"
    shutil.copyfile(FIXTURES / "imported-by-release.sqlite3", path)
    result = run_cli("import", str(FIXTURES / "export-run5.json"), db=path)
    assert result.returncode == 0, result.stderr
    assert "already in the store as run 1; nothing added" in result.stderr
    with Store(path) as store:
        assert [run.id for run in store.runs()] == [1]


def test_compare_reads_the_releases_runs_and_files(release_store):
    result = run_cli("compare", "9", "1", "--format", "csv", db=release_store)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    compared = {(row["strategy"], row["items"]) for row in rows if not row["mark"].startswith("only in")}
    assert compared == {("serial", "4"), ("serial", "8"), ("numpy", "4"), ("numpy", "8")}  # what both measured
    assert all(row["ratio"] for row in rows if (row["strategy"], row["items"]) in compared)
    result = run_cli("compare", str(FIXTURES / "export-run1.json"), "1", db=release_store)
    assert result.returncode == 2 and "are the same run" in result.stderr  # the file is run 1's export


def test_an_imported_release_run_compares_with_the_same_sweep_measured_now(tmp_path):
    """The release's export of run 1, imported, against the same sweep run now by this parbench."""
    db = tmp_path / "store.sqlite3"
    result = run_cli("import", str(FIXTURES / "export-run1.json"), db=db)
    assert result.returncode == 0, result.stderr
    sweep = ("run", "--workload", "squares", "--strategies", "serial,processes,threads,numpy", "--items", "4,8",
             "--length", "1000", "--repeat", "3", "--workers", "2", "--pool", "warm", "--format", "csv")
    result = run_cli(*sweep, db=db, timeout=180)
    assert result.returncode in (0, 3), result.stderr
    result = run_cli("compare", "1", "2", "--format", "csv", db=db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Every row of the release's run has its counterpart measured now, with a ratio and a mark.
    assert len(rows) == 8 and all(row["ratio"] and not row["mark"].startswith("only in") for row in rows)
    with Store(db) as store:
        assert store.load_run(1).imported and not store.load_run(2).imported


async def test_the_apps_history_opens_every_release_run(release_store):
    with Store(release_store) as store:
        app = ParbenchApp(store, resident=False, probes=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f2")
            assert await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            history = app.screen
            table = history.query_one("#history-table")
            assert table.row_count == len(RELEASE_RUNS)
            at = [column.key.value for column in table.ordered_columns]
            cells = [table.get_row_at(i) for i in range(table.row_count)]
            shown = {int(str(row[at.index("id")])): str(row[at.index("status")]).strip() for row in cells}
            assert shown == {run_id: status for run_id, (_, status, _) in RELEASE_RUNS.items()}
            for index in range(table.row_count):  # newest first: run 9 at the top
                table.move_cursor(row=index)
                await pilot.press("enter")
                assert await until(pilot, lambda: isinstance(app.screen, StoredRunScreen))
                run_id = app.screen.current_run().id
                text = screen_text(app)
                assert f"run {run_id}" in text and "Traceback" not in text
                await pilot.press("escape")
                assert await until(pilot, lambda: app.screen is history)
