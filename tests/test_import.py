"""Importing an exported run: it comes back exactly (times, machine, statuses), once however often the
file is imported, and a file that is not a complete export of a format this parbench reads is refused
with one line, leaving the store untouched."""

from __future__ import annotations

import json
import sqlite3
import statistics

import pytest

from workloads.model.machine import Machine
from workloads.model.measurement import Measurement
from workloads.model.run import fingerprint
from workloads.model.spec import SweepSpec
from workloads.presenting import exports as exporter
from workloads.presenting.exports import EXPORT_FORMAT
from workloads.presenting.importer import (
    ImportRefused,
    import_into,
    parse_export,
    read_export,
)
from workloads.store.database import Store

MACHINE = {"cpu_count": 64, "cpu_model": "Server CPU", "python": "3.13.0", "numpy": "2.1", "start_method": "spawn",
           "hostname": "server", "memory_bytes": 2**38, "parbench": "0.1.0"}


@pytest.fixture
def exported(tmp_path):
    """A run measured and exported 'on another machine' (its own store), as a JSON file."""
    with Store(tmp_path / "server.sqlite3") as server:
        run_id = server.start_run(SweepSpec(workload="sleep", items=(4, 8), length=(10,), repeat=3, workers=(64,),
                                            pool="warm", settings={"sleep_ms": 5}), Machine.from_dict(MACHINE))
        server.add_measurement(run_id, Measurement("sleep", "serial", 4, 10, None, None, None, 1, (0.02, 0.021, 0.02),
                                                   warmup_times_s=(0.03,), point_index=0, stop="fixed"))
        server.add_measurement(run_id, Measurement("sleep", "processes", 4, 10, 64, 1, "warm", 0,
                                                   (0.01, 0.011, 0.012), point_index=0, costs={"ship_s": 0.001}))
        server.add_measurement(run_id, Measurement("sleep", "processes", 8, 10, 64, 1, "warm", 0, (),
                                                   status="failed", error="worker died", point_index=1))
        server.finish_run(run_id, "partial", "1 measurement failed")
        run = server.load_run(run_id)
    path = tmp_path / "server.json"
    exporter.export(run, path)
    return run, path


def _counts(db) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return (conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM measurements").fetchone()[0])


def test_an_exported_run_comes_back_exactly(exported, db_path):
    original, path = exported
    document = read_export(path)
    assert document.format == EXPORT_FORMAT and document.exported_by
    with Store(db_path) as store:
        run_id, added = import_into(store, document)
        assert added
        stored = store.load_run(run_id)
        assert [r.id for r in store.runs()] == [run_id]  # it shows in history
    assert stored.imported and not original.imported
    assert stored.machine.to_dict() == MACHINE and stored.spec == original.spec
    assert stored.status == "partial" and stored.error == "1 measurement failed"
    assert stored.started_at == original.started_at
    assert stored.measurements == original.measurements  # times, warm-ups, statuses, costs, point order
    assert fingerprint(stored) == fingerprint(original) == document.fingerprint


def test_importing_twice_adds_nothing(exported, db_path):
    _, path = exported
    with Store(db_path) as store:
        first = import_into(store, read_export(path))
        again = import_into(store, read_export(path))
        assert first[1] and again == (first[0], False)
        # The export of an imported run, imported again, is still the same run.
        reexport = path.with_name("again.json")
        exporter.export(store.load_run(first[0]), reexport)
        assert import_into(store, read_export(reexport)) == (first[0], False)
    assert _counts(db_path) == (1, 3)


def test_the_export_of_a_run_already_here_is_not_duplicated(exported, tmp_path):
    original, path = exported
    with Store(tmp_path / "server.sqlite3") as server:  # the store it was exported from
        assert import_into(server, read_export(path)) == (original.id, False)
    assert _counts(tmp_path / "server.sqlite3") == (1, 3)


def test_a_changed_file_is_another_run(exported, db_path):
    _, path = exported
    document = json.loads(path.read_text())
    row = document["measurements"][0]
    row["times_s"][1] = 0.022  # with the figures it carries beside them, as another run would
    row["mean_s"], row["stdev_s"] = statistics.fmean(row["times_s"]), statistics.stdev(row["times_s"])
    changed = path.with_name("changed.json")
    changed.write_text(json.dumps(document))
    with Store(db_path) as store:
        assert import_into(store, read_export(path))[1]
        assert import_into(store, read_export(changed))[1]
    assert _counts(db_path) == (2, 6)


def test_a_first_format_export_is_still_read(exported, tmp_path):
    _, path = exported
    document = json.loads(path.read_text())
    del document["format"], document["parbench"]
    for entry in document["measurements"]:
        for key in ("warmup_times_s", "warmup", "point_index", "costs"):
            entry.pop(key)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    read = read_export(old)
    assert read.format == 1 and read.exported_by == "unknown"
    assert [m.times_s for m in read.run.measurements][0] == (0.02, 0.021, 0.02)


def _variants(text: str) -> dict[str, str]:
    document = json.loads(text)
    newer = dict(document, format=EXPORT_FORMAT + 1)
    no_run = {k: v for k, v in document.items() if k != "run"}
    bad_times = json.loads(text)
    bad_times["measurements"][0]["times_s"] = ["fast"]
    no_strategy = json.loads(text)
    del no_strategy["measurements"][1]["strategy"]
    return {
        "truncated": (text[: len(text) // 2], "truncated"),
        "empty": ("", "empty"),
        "csv": ("strategy,items\nserial,4\n", "not a parbench export"),
        "one line of text": ("hello", "not a parbench export"),
        "broken json": ('{"run": {"id": 1,, "spec": {}},\n "measurements": []}\n', "is not JSON"),
        "a json list": ("[1, 2, 3]", "not a parbench export"),
        "another program's json": (json.dumps({"name": "x", "version": 1}), "not a parbench export"),
        "no run": (json.dumps(no_run), "not a parbench export"),
        "newer format": (json.dumps(newer), f"export format {EXPORT_FORMAT + 1}"),
        "times that are not numbers": (json.dumps(bad_times), "measurement 1: 'times_s' is \"fast\", which is not a duration"),
        "a measurement without strategy": (json.dumps(no_strategy), "measurement 2 has no 'strategy'"),
    }


@pytest.mark.parametrize("kind", ["truncated", "empty", "csv", "one line of text", "broken json", "a json list", "another program's json", "no run",
                                  "newer format", "times that are not numbers", "a measurement without strategy"])
def test_a_bad_file_is_refused_in_one_line_and_nothing_is_stored(exported, db_path, kind):
    _, path = exported
    text, words = _variants(path.read_text())[kind]
    bad = path.with_name("bad.json")
    bad.write_text(text)
    with Store(db_path):
        pass
    with pytest.raises(ImportRefused) as refused:
        read_export(bad)
    message = str(refused.value)
    assert words in message and "\n" not in message and str(bad) in message
    assert _counts(db_path) == (0, 0)


def test_a_file_cut_anywhere_is_called_truncated(exported):
    _, path = exported
    text = path.read_text()
    for cut in range(1, len(text) - 2, max(1, len(text) // 97)):  # cuts in numbers, strings, between keys
        with pytest.raises(ImportRefused, match="truncated"):
            parse_export(text[:cut], path)


def test_binary_and_missing_files_are_refused(tmp_path):
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ImportRefused, match="not UTF-8"):
        read_export(binary)
    with pytest.raises(ImportRefused, match="cannot read"):
        read_export(tmp_path / "missing.json")
