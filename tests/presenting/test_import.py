"""Importing an exported run: it comes back exactly (times, machine, statuses), once however often the
file is imported, and a file that is not a complete export of a format this parbench reads is refused
with one line, leaving the store untouched."""

from __future__ import annotations

import json
import math
import sqlite3
import statistics
from pathlib import Path

import pytest
from helpers import run_cli

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


# ---------------------------------------------------------------------------------------------
# Nothing read from disk is trusted: one test per field, each an edit of a real export (made by the
# release at ee8eb05: squares, serial/processes/threads/numpy, items 4,8, length 1000, 3 rounds, 2
# warm workers; its measurement 2 is processes at items 4, with the pool's costs).

REAL_EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "release-ee8eb05" / "export-run1.json"


def _set(*path_and_value):
    *path, value = path_and_value

    def edit(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _delete(*path):
    def edit(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


def _times(index, times):
    """Times that are wrong in themselves, with the row's figures made to agree, so the times are refused."""
    def edit(document):
        row = document["measurements"][index]
        row["times_s"] = times
        for key in ("min_s", "median_s", "mean_s", "stdev_s", "repeats"):
            row.pop(key, None)
    return edit


def _failed(index):
    """A row that failed, as a sweep records one: status, ok and no figures."""
    def edit(document):
        row = document["measurements"][index]
        row.update(status="failed", ok=False, error="it broke")
    return edit


REFUSED = {
    # The spec: what `parbench run` would refuse, through its own parsers.
    "items that are text": (_set("run", "spec", "items", "DROP TABLE runs"), "the run's spec would be refused by "
                            "parbench run: --items: 'DROP TABLE runs' is not a whole number"),
    "items out of range": (_set("run", "spec", "items", [4, 8, 2**30]), "--items: must be at most 1,048,576"),
    "items given twice": (_set("run", "spec", "items", [4, 4, 8]), "--items: [4, 4, 8] is not what parbench run "
                          "records for it ([4, 8])"),
    "items as a string of numbers": (_set("run", "spec", "items", "4,8"), "--items: \"4,8\" is not what parbench "
                                     "run records"),
    "an unknown strategy": (_set("run", "spec", "strategies", ["serial", "gpu"]), "--strategies: unknown strategy 'gpu'"),
    "no rounds": (_set("run", "spec", "repeat", 0), "--repeat: must be at least 1"),
    "rounds as a float": (_set("run", "spec", "repeat", 3.0), "--repeat: '3.0' is not a whole number or auto"),
    "rounds as true": (_set("run", "spec", "repeat", True), "--repeat: 'yes' is not a whole number or auto"),
    "a precision of 90%": (_set("run", "spec", "precision", 0.9), "--precision: must be between 0.1% and 50%"),
    "a NaN precision": (_set("run", "spec", "precision", math.nan), "--precision: must be between"),
    "too many workers": (_set("run", "spec", "workers", [2, 100000]), "--workers: must be at most 512"),
    "an unknown pool": (_set("run", "spec", "pool", "hot"), "--pool: 'hot' is not one of cold, warm"),
    "a chunk size that is a list": (_set("run", "spec", "chunksize", [1]), "--chunksize: [1] is not what parbench "
                                    "run records"),
    "a negative seed": (_set("run", "spec", "seed", -1), "--seed: must be at least 0"),
    "a bad scheduler": (_set("run", "spec", "dask_scheduler", "not an address"), "--dask-scheduler: 'not an address' "
                        "is not a scheduler address"),
    "a setting squares does not have": (_set("run", "spec", "settings", {"sleep_ms": 5.0}), "--sleep-ms: is not a "
                                        "setting of squares"),
    "a workload that is not one": (_set("run", "spec", "workload", "rm -rf /"), "'workload' is \"rm -rf /\", which is "
                                   "not a built-in, a .py file or a module name"),
    "too many points": (_set("run", "spec", "length", list(range(1, 200))), "--length: items × length gives 398 "
                        "points, at most 256"),
    # The run's record.
    "a run status no run has": (_set("run", "status", "excellent"), "the run: 'status' is \"excellent\", not one of "
                                "completed, partial, failed, cancelled, running, interrupted"),
    "a completed run with a failed row": (_failed(3), "the run: 'status' is "
                                          "\"completed\", but measurements of it are failed"),
    "a start that is not a time": (_set("run", "started_at", "yesterday"), "'started_at' is \"yesterday\", which is "
                                   "not a time"),
    "an error that is not text": (_set("run", "error", ["x"]), "the run: 'error' is [\"x\"], which is not text"),
    # The machine, of the types `Machine` records.
    "a CPU count that is text": (_set("run", "machine", "cpu_count", "2"), "the run's machine: 'cpu_count' is \"2\", "
                                 "which is not a whole number or null"),
    "a negative memory": (_set("run", "machine", "memory_bytes", -5), "the run's machine: 'memory_bytes' is -5, "
                          "which is negative"),
    "a ceiling that is text": (_set("run", "machine", "parallel_ceiling", "high"), "'parallel_ceiling' is \"high\", "
                               "which is not a finite number or null"),
    "ceiling ratios that are not numbers": (_set("run", "machine", "ceiling_ratios", ["x"]), "'ceiling_ratios' is "
                                            "[\"x\"], which is not a list of numbers"),
    # Each measurement: its times, its figures, its words, its place in the sweep.
    "a NaN median": (_set("measurements", 0, "median_s", math.nan), "measurement 1: 'median_s' is NaN, but its "
                     "times give"),
    "a median that is not its times'": (_set("measurements", 0, "median_s", 1.0), "measurement 1: 'median_s' is 1.0, "
                                        "but its times give"),
    "a minimum that is not its times'": (_set("measurements", 4, "min_s", 1e-9), "measurement 5: 'min_s' is 1e-09, "
                                         "but its times give"),
    "a mean that is not its times'": (_set("measurements", 0, "mean_s", 0.5), "measurement 1: 'mean_s' is 0.5"),
    "a spread that is not its times'": (_set("measurements", 0, "stdev_s", 0.5), "measurement 1: 'stdev_s' is 0.5"),
    "repeats that are not its times'": (_set("measurements", 0, "repeats", 7), "measurement 1: 'repeats' is 7, but 3 "
                                        "times are given"),
    "ok when it failed": (_set("measurements", 0, "ok", False), "measurement 1: 'ok' is false, but its status is ok"),
    "a negative time": (_times(0, [0.001, -0.001, 0.001]), "measurement 1: 'times_s' is -0.001, which is not a "
                        "duration in seconds"),
    "a time of zero": (_times(0, [0.001, 0.0, 0.001]), "measurement 1: 'times_s' is 0.0, which is not a duration"),
    "an infinite time": (_times(1, [0.001, math.inf, 0.001]), "measurement 2: 'times_s' is Infinity, which is not "
                         "a duration"),
    "a NaN time": (_times(1, [0.001, math.nan, 0.001]), "measurement 2: 'times_s' is NaN, which is not a duration"),
    "a time that is true": (_times(1, [0.001, True, 0.001]), "measurement 2: 'times_s' is true, which is not a duration"),
    "a warm-up time that is text": (_set("measurements", 0, "warmup_times_s", ["1"]), "measurement 1: "
                                    "'warmup_times_s' is \"1\", which is not a duration"),
    "more rounds than the run allows": (_times(2, [0.001] * 4), "measurement 3: 'times_s' holds 4 rounds, more than "
                                        "the run allows (3)"),
    "an ok row without times": (_times(0, []), "measurement 1: 'times_s' is [], but a measurement that is ok has times"),
    "a status outside the known set": (_set("measurements", 1, "status", "great"), "measurement 2: 'status' is "
                                       "\"great\", not one of ok, failed, n/a, timeout"),
    "a stop reason outside the known set": (_set("measurements", 1, "stop", "bored"), "measurement 2: 'stop' is "
                                            "\"bored\", not one of fixed, precision, max rounds, budget, decided"),
    "a strategy the run did not measure": (_set("measurements", 1, "strategy", "dask"), "measurement 2: 'strategy' is "
                                           "\"dask\", not one of the run's strategies"),
    "items the run did not measure": (_set("measurements", 0, "items", 16), "measurement 1: 'items' is 16, not one "
                                      "of the run's items (4, 8)"),
    "items that are true": (_set("measurements", 0, "items", True), "measurement 1: 'items' is true"),
    "workers the run did not have": (_set("measurements", 1, "workers", 64), "measurement 2: 'workers' is 64, not "
                                     "one of the run's workers (2)"),
    "workers for serial": (_set("measurements", 0, "workers", 2), "measurement 1: 'workers' is 2, but serial has no "
                           "workers"),
    "a pool the run did not use": (_set("measurements", 1, "pool", "cold"), "measurement 2: 'pool' is \"cold\", but "
                                   "the run's pool was warm"),
    "a chunk size for threads": (_set("measurements", 2, "chunksize", 4), "measurement 3: 'chunksize' is 4, but "
                                 "threads takes no chunk size"),
    "more warm-ups than the run made": (_set("measurements", 0, "warmup", 5), "measurement 1: 'warmup' is 5, but the "
                                        "run's warm-up was 1"),
    "a point the run did not have": (_set("measurements", 4, "point_index", 0), "measurement 5: 'point_index' is 0, "
                                     "but the run measured items 8 × length 1000 at point 1"),
    "another workload": (_set("measurements", 0, "workload", "sleep"), "measurement 1: 'workload' is \"sleep\", but "
                         "the run measured squares"),
    "a precision that is text": (_set("measurements", 0, "precision", "tight"), "measurement 1: 'precision' is "
                                 "\"tight\", which is not a share"),
    "shared that is not a yes or no": (_set("measurements", 0, "shared", "no"), "'shared' is \"no\", which is not "
                                       "true or false"),
    "loops of zero": (_set("measurements", 0, "loops", 0), "measurement 1: 'loops' is 0, which is not a count"),
    # Fields this round added to a measurement (absent from the release's export, so added here).
    "a pace that is not a duration": (_set("measurements", 1, "pace_s", [0.0004, -1.0]), "measurement 2: 'pace_s' "
                                      "is -1.0, which is not a duration"),
    "a CPU share that is text": (_set("measurements", 1, "cpu_share", "all"), "measurement 2: 'cpu_share' is "
                                 "\"all\", which is not a finite number or null"),
    # A pool's costs, of the types `PoolCosts` records.
    "a cost that is text": (_set("measurements", 1, "costs", "ship_out_s", "fast"), "measurement 2: costs: "
                            "'ship_out_s' is \"fast\", which is not a finite number or null"),
    "an infinite cost": (_set("measurements", 1, "costs", "dispatch_s", math.inf), "measurement 2: costs: "
                         "'dispatch_s' is Infinity, which is not a finite number or null"),
    "a cost's workers as a fraction": (_set("measurements", 1, "costs", "workers", 1.5), "measurement 2: costs: "
                                       "'workers' is 1.5, which is not a whole number or null"),
    "costs that are a list": (_set("measurements", 1, "costs", [1, 2]), "measurement 2: 'costs' is [1, 2], which is "
                              "not an object"),
    # (orjson reads a whole number past 64 bits as a float, the standard library as an int: refused either way)
    "a number past 64 bits": (_set("measurements", 1, "costs", "ship_items", 10**30), "measurement 2: costs: "
                              "'ship_items' is 1e+30, which is not a whole number or null"),
    "a whole number past 64 bits in the spec": (_set("run", "spec", "seed", 10**30), "--seed: "),
}


def _edited(tmp_path, edit) -> Path:
    document = json.loads(REAL_EXPORT.read_text())
    edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def test_the_real_export_is_read_as_it_is(db_path):
    """The unedited file passes every check below: each refusal is the edit's."""
    exported = read_export(REAL_EXPORT)
    with Store(db_path) as store:
        assert import_into(store, exported)[1]
    assert _counts(db_path) == (1, 8)


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_field_run_could_not_have_written_is_refused_naming_it(tmp_path, db_path, case):
    edit, words = REFUSED[case]
    path = _edited(tmp_path, edit)
    with Store(db_path):
        pass
    with pytest.raises(ImportRefused) as refused:
        read_export(path)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(str(path))
    assert words in message
    assert _counts(db_path) == (0, 0)


def test_the_cli_refuses_a_bad_file_among_several_with_exit_2_and_stores_none(tmp_path, db_path):
    good = tmp_path / "good.json"
    good.write_text(REAL_EXPORT.read_text())
    bad = _edited(tmp_path, _set("measurements", 0, "median_s", math.nan))
    result = run_cli("import", str(good), str(bad), db=db_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"parbench import: {bad}: measurement 1: 'median_s' is NaN, but its times give "
                                     "0.00017211")
    assert not db_path.exists() or _counts(db_path) == (0, 0)
    result = run_cli("import", str(good), db=db_path)
    assert result.returncode == 0 and f"imported {good} as run 1 (8 rows, squares, measured on vm)" in result.stderr


def test_the_files_analysis_and_derived_figures_are_recomputed_not_read(tmp_path, db_path):
    document = json.loads(REAL_EXPORT.read_text())
    document["analysis"]["verdict"] = "Use dask: 1000× faster."
    document["analysis"]["strategies"] = {"dask@64": {"break_even_items": -1}}
    document["measurements"][1]["speedup_vs_serial"] = 99.0
    document["measurements"][1]["quality"] = "perfect"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    with Store(db_path) as store:
        honest = store.load_run(import_into(store, read_export(REAL_EXPORT))[0])
    with Store(tmp_path / "other.sqlite3") as store:
        run_id, added = import_into(store, read_export(edited))
        stored = store.load_run(run_id)
    assert added  # what the file derives is not part of the run: the same run, however it is dressed
    again = json.loads(exporter.to_json(stored))
    assert again["analysis"] == json.loads(exporter.to_json(honest))["analysis"]
    assert "dask" not in again["analysis"]["verdict"] and "dask@64" not in again["analysis"]["strategies"]
    assert again["measurements"][1]["speedup_vs_serial"] != 99.0 and again["measurements"][1]["quality"] != "perfect"


def test_extra_keys_a_newer_exporter_adds_are_read_tolerantly(tmp_path, db_path):
    document = json.loads(REAL_EXPORT.read_text())
    document["generated_by"] = {"tool": "parbench", "note": "a key this parbench does not know"}
    document["run"]["labels"] = ["nightly"]
    document["run"]["machine"]["gpu"] = "none"  # kept with the machine, as it came
    for row in document["measurements"]:
        row["speedup_note"] = "within noise"
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(document))
    with Store(db_path) as store:
        stored = store.load_run(import_into(store, read_export(path))[0])
    assert stored.machine.other == {"gpu": "none"} and len(stored.measurements) == 8


def test_a_large_import_reports_its_progress_as_it_checks_and_stores(tmp_path, db_path):
    from benchmarks.import_rows import write_export

    path = write_export(tmp_path / "large.json", 2600)
    heard = []
    exported = read_export(path, lambda phase, done, total: heard.append((phase, done, total)))
    with Store(db_path) as store:
        run_id, added = import_into(store, exported, lambda phase, done, total: heard.append((phase, done, total)))
    assert added and _counts(db_path) == (1, 2600)
    checking = [(done, total) for phase, done, total in heard if phase == "checking"]
    storing = [(done, total) for phase, done, total in heard if phase == "storing"]
    assert [done for done, _ in checking] == [1000, 2000, 2600] and {total for _, total in checking} == {2600}
    assert storing[-1] == (2600, 2600) and heard.index(("checking", 2600, 2600)) < heard.index(("storing", 2600, 2600))


def _on_a_terminal(args: list[str], db, cwd) -> str:
    """What `parbench ARGS`, run in `cwd`, writes to a terminal (an 80-column pseudo-terminal on stdout
    and stderr)."""
    import os
    import subprocess
    import sys

    from helpers import ROOT, cli_env

    env_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

    master, slave = os.openpty()
    env = {**cli_env(db), "NO_COLOR": "1", "COLUMNS": "80", "LINES": "24", "TERM": "xterm", "PYTHONPATH": env_path}
    proc = subprocess.Popen([sys.executable, "-m", "tui", *args], cwd=cwd, env=env, stdout=slave, stderr=slave)
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return output.decode("utf-8", errors="replace")


def test_a_large_import_shows_its_progress_on_a_terminal_and_only_there(tmp_path, db_path):
    from benchmarks.import_rows import write_export

    path = write_export(tmp_path / "large.json", 2600)
    shown = _on_a_terminal(["import", path.name], db_path, cwd=tmp_path)
    assert "checking the rows of large.json" in shown and "storing the rows of large.json" in shown
    assert "imported large.json as run 1 (2600 rows" in shown
    result = run_cli("import", str(path), db=tmp_path / "other.sqlite3")  # stderr into a pipe: the result alone
    assert result.returncode == 0 and result.stderr.strip().splitlines() == [
        f"imported {path} as run 1 (2600 rows, squares, measured on elsewhere)"]


def test_every_field_a_measurement_records_is_checked_on_import():
    """A field added to `Measurement` is checked by a rule of the importer's own, or by its annotation
    (a number, text, yes/no): one the importer would store unchecked fails here, naming it."""
    from dataclasses import fields as dataclass_fields

    from workloads.presenting.import_checks import CHECKED_FIELDS, recorded_types

    plain = set(recorded_types(Measurement))
    unchecked = [f.name for f in dataclass_fields(Measurement)
                 if f.name != "stats" and f.name not in CHECKED_FIELDS and f.name not in plain]
    assert not unchecked, f"give the importer a rule for {unchecked}"
