"""`parbench compare`, `import`, `--format` and `--version`, run as a user runs them (a subprocess
with its own store). The runs compared are written straight into the store, so these tests measure
nothing and depend on no machine's speed."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from importlib.metadata import version

import pytest
from helpers import run_cli

from workloads.model.machine import Machine
from workloads.model.measurement import Measurement
from workloads.model.spec import SweepSpec
from workloads.presenting import exports as exporter
from workloads.store.database import Store

MACHINE = {"cpu_count": 2, "cpu_model": "Test CPU", "python": "3.11.7", "numpy": "2.0", "start_method": "fork",
           "hostname": "laptop", "parbench": "0.1.0"}
SERIAL = (0.100, 0.102, 0.098, 0.101, 0.099)


def _times(factor):
    return tuple(t * factor for t in SERIAL)


PACE = (0.001,) * 5


def _store_run(store, *, pool="cold", processes=1.0, items=(4, 8), workload="squares", machine=MACHINE) -> int:
    spec = SweepSpec(workload=workload, items=items, length=(1000,), strategies=("serial", "processes"),
                     repeat=5, workers=(2,), pool=pool)
    run_id = store.start_run(spec, Machine.from_dict(machine))
    for index, size in enumerate(items):
        scale = size / 4
        # Each round followed by the machine's pace gauge, at one steady speed.
        store.add_measurement(run_id, Measurement(workload, "serial", size, 1000, None, None, None, 1,
                                                  _times(scale), point_index=index, pace_s=PACE))
        store.add_measurement(run_id, Measurement(workload, "processes", size, 1000, 2, 1, pool, 1,
                                                  _times(scale * processes), point_index=index, pace_s=PACE))
    store.finish_run(run_id, "completed")
    return run_id


@pytest.fixture
def db(db_path):
    """Run 1: the baseline; run 2: processes 1.5x slower (warm pool); run 3: sleep at other sizes;
    run 4: the same sizes as run 1, another workload."""
    with Store(db_path) as store:
        _store_run(store)
        _store_run(store, pool="warm", processes=1.5)
        _store_run(store, items=(64,), workload="sleep")
        _store_run(store, workload="sleep")
    return db_path


def _counts(db) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return (conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM measurements").fetchone()[0])


def _markdown_rows(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[2:]]


def test_version_is_the_installed_one(db_path):
    result = run_cli("--version", db=db_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"parbench {version('parbench')}"


# compare: formats and exit codes ---------------------------------------------------------------------


def test_compare_prints_markdown_into_a_pipe(db):
    result = run_cli("compare", "1", "2", db=db)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b" not in result.stdout
    rows = _markdown_rows(result.stdout)
    assert [(r["strategy"], r["items"], r["B vs A"]) for r in rows] == [
        ("serial", "4", "within noise"), ("processes", "4", "slower"),
        ("serial", "8", "within noise"), ("processes", "8", "slower")]
    assert rows[1]["B/A"] == "1.50×"
    assert "What differs: pool cold → warm." in result.stdout


def test_compare_counts_back_from_the_last_run(db):
    result = run_cli("compare", "last~3", "last~2", "--format", "csv", db=db)  # 4 runs: 1 and 2
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(r["a"], r["b"]) for r in rows} == {("run 1", "run 2")}


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_compare_formats_parse_back(db, fmt):
    result = run_cli("compare", "1", "2", "--format", fmt, db=db)
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        marks = [r["mark"] for r in rows]
        ratios = [float(r["ratio"]) for r in rows]
    elif fmt == "json":
        [comparison] = json.loads(result.stdout)["comparisons"]
        marks = [r["mark"] for r in comparison["rows"]]
        ratios = [r["ratio"] for r in comparison["rows"]]
    else:
        rows = _markdown_rows(result.stdout)
        marks = [r["B vs A"] for r in rows]
        ratios = [float(r["B/A"].rstrip("×")) for r in rows]
    assert marks == ["within noise", "slower", "within noise", "slower"]
    assert ratios == pytest.approx([1.0, 1.5, 1.0, 1.5], abs=0.005)


def test_compare_table_into_a_pipe_has_no_escapes_even_when_colour_is_forced(db, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = run_cli("compare", "1", "2", "--format", "table", db=db)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "A: run 1" in result.stdout and "B vs A" in result.stdout


def test_compare_several_runs_against_the_first(db):
    result = run_cli("compare", "1", "2", "4", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    comparisons = json.loads(result.stdout)["comparisons"]
    assert [(c["a"]["label"], c["b"]["label"]) for c in comparisons] == [("run 1", "run 2"), ("run 1", "run 4")]


@pytest.mark.parametrize("threshold", ["10", "10%"])
def test_fail_if_slower_exits_1_naming_the_rows(db, threshold):
    result = run_cli("compare", "1", "2", "--fail-if-slower", threshold, db=db)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all("slower by more than 10%" in line and "processes@2" in line for line in lines)
    assert "items 4, length 1000" in lines[0] and "items 8, length 1000" in lines[1]
    assert "1.50×" in lines[0]
    assert _markdown_rows(result.stdout)  # the table is printed all the same


def test_fail_if_slower_passes_under_its_threshold(db):
    result = run_cli("compare", "1", "2", "--fail-if-slower", "60%", db=db)
    assert result.returncode == 0, result.stderr
    assert run_cli("compare", "2", "1", "--fail-if-slower", "1", db=db).returncode == 0  # faster is fine


def test_different_workloads_compare_with_a_warning(db):
    result = run_cli("compare", "1", "4", db=db)
    assert result.returncode == 0, result.stderr
    assert "**Warning**: different workloads (squares in A, sleep in B)" in result.stdout
    csv_result = run_cli("compare", "1", "4", "--format", "csv", db=db)
    assert "warning: different workloads" in csv_result.stderr  # CSV has no header to carry it


@pytest.mark.parametrize("args, words", [
    (("1", "1"), "run 1 and run 1 are the same run"),
    (("last", "4"), "run 4 and run 4 are the same run"),
    (("1", "3"), "have no point in common (A: items 4,8 × length 1000; B: items 64 × length 1000)"),
    (("1", "99"), "no run 99"),
    (("1",), "give two runs or more"),
    (("1", "last~7"), "only 4 run(s) stored"),
    (("1", "nowhere.json"), "'nowhere.json' is neither a run id"),
    (("1", "2", "--min-change", "five"), "--min-change: 'five' is not a percentage like 5%"),
    (("1", "2", "--min-change=-3%"), "--min-change: must be between 0% and 100%"),
    (("1", "2", "--fail-if-slower", "x"), "--fail-if-slower: 'x' is not a percentage"),
    (("1", "2", "--format", "xml"), "'xml' is not one of table, md, csv, json"),
])
def test_bad_compare_exits_2_with_one_line(db, args, words):
    result = run_cli("compare", *args, db=db)
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert words in result.stderr
    assert result.stdout == ""


def test_the_export_of_a_run_compared_with_it_is_the_same_run(db, tmp_path):
    target = tmp_path / "one.json"
    assert run_cli("export", "1", str(target), db=db).returncode == 0
    result = run_cli("compare", "1", str(target), db=db)
    assert result.returncode == 2 and "run 1 and one.json are the same run" in result.stderr


# import -----------------------------------------------------------------------------------------------


@pytest.fixture
def server_export(tmp_path):
    """A run measured 'on the server', exported as JSON."""
    with Store(tmp_path / "server.sqlite3") as server:
        run_id = _store_run(server, processes=0.5, machine={**MACHINE, "cpu_count": 64, "hostname": "server"})
        run = server.load_run(run_id)
    path = tmp_path / "server.json"
    exporter.export(run, path)
    return path


def test_import_then_history_and_compare(db, server_export):
    result = run_cli("import", str(server_export), db=db)
    assert result.returncode == 0, result.stderr
    assert "as run 5" in result.stderr and "measured on server" in result.stderr
    history = run_cli("history", "--format", "csv", db=db)
    rows = list(csv.DictReader(io.StringIO(history.stdout)))
    assert (rows[0]["id"], rows[0]["host"], rows[0]["imported"]) == ("5", "server", "True")
    compared = run_cli("compare", "1", "5", "--format", "json", db=db)
    [comparison] = json.loads(compared.stdout)["comparisons"]
    assert {"group": "machine", "name": "CPUs", "a": "2", "b": "64"} in comparison["differences"]
    assert {"group": "machine", "name": "host", "a": "laptop", "b": "server"} in comparison["differences"]
    assert [r["mark"] for r in comparison["rows"]] == ["within noise", "faster", "within noise", "faster"]


def test_compare_reads_a_file_without_storing_it(db, server_export):
    result = run_cli("compare", "1", str(server_export), db=db)
    assert result.returncode == 0, result.stderr
    assert "B = server.json" in result.stdout
    assert _counts(db) == (4, 14)


def test_import_twice_adds_it_once(db, server_export):
    assert run_cli("import", str(server_export), db=db).returncode == 0
    again = run_cli("import", str(server_export), db=db)
    assert again.returncode == 0
    assert "already in the store as run 5; nothing added" in again.stderr
    assert _counts(db) == (5, 18)


@pytest.mark.parametrize("damage, words", [
    (lambda text: text[: len(text) * 2 // 3], "truncated"),
    (lambda text: json.dumps({**json.loads(text), "format": 99}), "export format 99"),
    (lambda text: "id,strategy\n1,serial\n", "not a parbench export"),
])
def test_import_refuses_a_bad_file_in_one_line_storing_nothing(db, server_export, tmp_path, damage, words):
    bad = tmp_path / "bad.json"
    bad.write_text(damage(server_export.read_text()))
    # A good file beside it is not imported either: every file is checked first.
    result = run_cli("import", str(server_export), str(bad), db=db)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
    assert _counts(db) == (4, 14)


# --format for run, history and export - ------------------------------------------------------------------


def test_history_formats(db):
    markdown = run_cli("history", db=db)
    assert [r["id"] for r in _markdown_rows(markdown.stdout)] == ["4", "3", "2", "1"]
    document = json.loads(run_cli("history", "--format", "json", "--limit", "2", db=db).stdout)
    assert [r["id"] for r in document["runs"]] == [4, 3]
    table = run_cli("history", "--format", "table", db=db)
    assert "stored runs" in table.stdout and "\x1b" not in table.stdout


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_export_to_stdout(db, fmt):
    result = run_cli("export", "last~2", "-", "--format", fmt, db=db)
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert {r["run_id"] for r in rows} == {"2"} and len(rows) == 4
    elif fmt == "json":
        document = json.loads(result.stdout)
        assert document["run"]["id"] == 2 and len(document["measurements"]) == 4
    else:
        assert len(_markdown_rows(result.stdout)) == 4 and "parbench run 2" in result.stdout


def test_export_to_stdout_defaults_to_markdown_in_a_pipe(db):
    result = run_cli("export", "1", "-", db=db)
    assert result.returncode == 0 and result.stdout.startswith("**parbench run 1**")


def test_export_format_overrides_the_suffix(db, tmp_path):
    target = tmp_path / "run.txt"
    result = run_cli("export", "1", str(target), "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text())["run"]["id"] == 1


def test_run_prints_json_to_stdout_and_progress_to_stderr(db_path):
    result = run_cli("run", "--workload", "squares", "--items", "2", "--length", "10", "--strategies",
                     "serial,numpy", "--repeat", "2", "--format", "json", db=db_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing else on stdout
    assert [m["strategy"] for m in document["measurements"]] == ["serial", "numpy"]
    assert document["format"] == exporter.EXPORT_FORMAT and document["run"]["machine"]["parbench"]


def test_run_refuses_an_unknown_format_before_measuring(db_path):
    result = run_cli("run", "--items", "2", "--length", "10", "--format", "yaml", db=db_path)
    assert result.returncode == 2 and "--format" in result.stderr
    assert not db_path.exists()
