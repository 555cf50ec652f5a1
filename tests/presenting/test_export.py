"""Exports of a stored run: each format reads back with the run's numbers, speedups are computed
against serial, and a failed export neither damages an existing file nor leaves litter."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re

import pytest

from workloads.model.machine import Machine
from workloads.model.measurement import Measurement
from workloads.model.spec import build_spec
from workloads.presenting import exports as exporter
from workloads.presenting.exports import ExportError, export
from workloads.store.database import Store

REQUIRED_COLUMNS = ("run_id", "workload", "strategy", "items", "length", "workers", "chunksize", "pool", "repeats",
                    "min_s", "median_s", "mean_s", "stdev_s", "speedup_vs_serial", "ok", "error")
MACHINE = {"cpu_count": 2, "python": "3.11.7", "numpy": "2.0", "start_method": "fork", "cpu_model": "Test CPU"}
SERIAL_TIMES = (0.2, 0.4, 0.3)


def _m(strategy, items=4, **kwargs) -> Measurement:
    pooled = strategy in ("processes", "threads", "numpy-processes")
    defaults = dict(workload="squares", strategy=strategy, items=items, length=10, workers=2 if pooled else None,
                    chunksize=1 if strategy in ("processes", "numpy-processes") else None,
                    pool="cold" if pooled else None, warmup=1)
    return Measurement(**{**defaults, **kwargs})


def sample_measurements() -> list[Measurement]:
    return [
        _m("serial", times_s=SERIAL_TIMES),
        _m("processes", times_s=tuple(t / 2 for t in SERIAL_TIMES)),  # exactly twice as fast
        _m("threads", times_s=(0.25, 0.5, 0.35)),
        _m("numpy", status="failed", error="output for key 0 differs from serial | see log"),
        _m("numpy-processes", workload="sleep", status="n/a", error="sleep has no numpy form"),
        _m("serial", items=8, times_s=(0.8,), point_index=1),
        _m("processes", items=8, times_s=(0.1, 0.2), point_index=1),  # unpaired: ratio of geometric means
    ]


@pytest.fixture
def run(db_path):
    spec = build_spec(workload="squares", items="4,8", length="10",
                      strategies="serial,processes,threads,numpy,numpy-processes", repeat="3")
    with Store(db_path) as store:
        run_id = store.start_run(spec)
        store.set_machine(run_id, Machine.from_dict(MACHINE))
        for m in sample_measurements():
            store.add_measurement(run_id, m)
        store.finish_run(run_id, "completed")
        return store.load_run(run_id)


def test_csv_reads_back_with_the_measurements(run, tmp_path):
    path = export(run, tmp_path / "out.csv")
    assert path == tmp_path / "out.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert set(REQUIRED_COLUMNS) <= set(reader.fieldnames)
        rows = list(reader)
    assert len(rows) == len(run.measurements)

    def cell(value):
        return "" if value is None else str(value)

    for row, m in zip(rows, run.measurements):
        assert row["run_id"] == str(run.id)
        assert (row["workload"], row["strategy"]) == (m.workload, m.strategy)
        assert (int(row["items"]), int(row["length"])) == (m.items, m.length)
        assert (row["workers"], row["chunksize"], row["pool"]) == (cell(m.workers), cell(m.chunksize), cell(m.pool))
        assert int(row["repeats"]) == len(m.times_s)
        assert row["ok"] == str(m.ok)
        assert row["error"] == m.error
        if m.times_s:
            assert float(row["min_s"]) == min(m.times_s)
            assert float(row["median_s"]) == m.stats.median
            assert float(row["mean_s"]) == pytest.approx(sum(m.times_s) / len(m.times_s))
            # One repeat has no spread: no stdev rather than a measured-looking 0.
            assert row["stdev_s"] == ("" if m.stats.stdev is None else str(m.stats.stdev))
        else:
            assert row["min_s"] == row["median_s"] == row["mean_s"] == row["stdev_s"] == ""
            assert row["speedup_vs_serial"] == ""


def test_csv_lines_split_on_commas_alone_and_json_keeps_the_text_verbatim(db_path, tmp_path):
    """`parbench export last - --format csv | column -s, -t`: no value holds a comma, a quote or a line
    break, so every line has the header's number of fields without a CSV parser."""
    spec = build_spec(workload="squares", items="4", length="10", strategies="serial,processes", repeat="3")
    error = 'ValueError: bad "value", at key 3\nsee, the log'
    with Store(db_path) as store:
        run_id = store.start_run(spec)
        store.add_measurement(run_id, _m("serial", times_s=SERIAL_TIMES, check="equal (==), against serial"))
        store.add_measurement(run_id, _m("processes", status="failed", error=error))
        store.finish_run(run_id, "partial")
        run = store.load_run(run_id)
    text = export(run, tmp_path / "out.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) == 3 and '"' not in text
    width = len(lines[0].split(","))
    assert all(len(line.split(",")) == width for line in lines)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["check"] == "equal (==); against serial"
    assert rows[1]["error"] == "ValueError: bad 'value'; at key 3 see; the log"
    assert "quality_detail" not in rows[0], "the long reasons are in the JSON and under the Markdown table"
    document = json.loads(export(run, tmp_path / "out.json").read_text(encoding="utf-8"))
    assert document["measurements"][1]["error"] == error
    assert document["measurements"][1]["quality_detail"] == error


def test_speedup_against_serial(run, tmp_path):
    with open(export(run, tmp_path / "out.csv"), newline="", encoding="utf-8") as handle:
        speedups = {(r["strategy"], int(r["items"])): r["speedup_vs_serial"] for r in csv.DictReader(handle)}
    assert float(speedups[("serial", 4)]) == 1.0
    assert float(speedups[("processes", 4)]) == 2.0  # times exactly half serial's
    assert float(speedups[("threads", 4)]) < 1.0
    assert speedups[("numpy", 4)] == "" and speedups[("numpy-processes", 4)] == ""  # failed, n/a: none
    assert float(speedups[("serial", 8)]) == 1.0
    # Rounds pair up: serial's one round against processes' first.
    assert float(speedups[("processes", 8)]) == pytest.approx(0.8 / 0.1)


def test_json_reads_back_with_the_run_and_its_times(run, tmp_path):
    document = json.loads(export(run, tmp_path / "out.json").read_text(encoding="utf-8"))
    header = document["run"]
    assert header["id"] == run.id
    assert header["spec"] == run.spec.to_dict()
    assert header["machine"] == MACHINE
    assert header["status"] == "completed"
    assert header["started_at"] == run.started_at
    measurements = document["measurements"]
    assert len(measurements) == len(run.measurements)
    for row, m in zip(measurements, run.measurements):
        assert row["times_s"] == list(m.times_s)
        assert (row["strategy"], row["items"], row["length"], row["ok"], row["error"]) == \
            (m.strategy, m.items, m.length, m.ok, m.error)
        assert row["workers"] == m.workers and row["chunksize"] == m.chunksize
    assert measurements[0]["speedup_vs_serial"] == 1.0
    assert measurements[1]["speedup_vs_serial"] == 2.0
    assert measurements[3]["speedup_vs_serial"] is None


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells, honouring escaped pipes."""
    assert line.startswith("|") and line.endswith("|")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


@pytest.mark.parametrize("suffix", [".md", ".markdown", ".MD"])
def test_markdown_is_a_table_with_one_row_per_measurement(run, tmp_path, suffix):
    text = export(run, tmp_path / f"out{suffix}").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| strategy"))
    header = _cells(lines[start])
    assert header[:3] == ["strategy", "items", "length"] and "speedup" in header
    assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[start + 1])
    end = next((i for i in range(start + 2, len(lines)) if not lines[i].strip()), len(lines))
    body = lines[start + 2:end]  # the table ends at the first blank line (the winner map may follow)
    assert len(body) == len(run.measurements)
    for line, m in zip(body, run.measurements):
        cells = _cells(line)
        assert len(cells) == len(header)  # a '|' inside an error does not add a column
        assert (cells[0], cells[1], cells[2]) == (m.strategy, str(m.items), str(m.length))
    by_strategy = {tuple(_cells(line)[:2]): _cells(line) for line in body}
    speedup = header.index("speedup")
    assert by_strategy[("serial", "4")][speedup] == "1.00×"
    assert by_strategy[("processes", "4")][speedup] == "2.00×"
    # A status word per row (its decision against serial, or why it has no figure), a note word
    # beside it; each distinct reason once, under the table, by the number in the cell.
    status, note = header.index("status"), header.index("notes")
    assert by_strategy[("serial", "4")][status] == "baseline"
    assert by_strategy[("processes", "4")][status] == "faster"  # exactly half serial's time, every round
    assert by_strategy[("threads", "4")][status] == "undecided"
    assert by_strategy[("numpy", "4")][status] == "failed [2]"
    assert by_strategy[("serial", "8")][note] == "1 round [4]"
    assert {by_strategy[key][note] for key in (("serial", "4"), ("processes", "4"), ("threads", "4"))} == \
        {"noisy [1]"}
    notes = lines[end + 1:]
    assert "- [2] output for key 0 differs from serial | see log" in notes
    assert sum(line.startswith("- [1] noisy: its rounds spread") for line in notes) == 1
    assert text.count("its rounds spread") == 1, "a long reason is said once, not on every row"


@pytest.mark.parametrize("name", ["out.txt", "out", "out.xlsx", "out.csv.bak"])
def test_unknown_suffix_is_an_export_error(run, tmp_path, name):
    with pytest.raises(ExportError) as error:
        export(run, tmp_path / name)
    assert "unknown export format" in str(error.value)
    assert not (tmp_path / name).exists()


def _litter(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_unwritable_path_is_an_export_error(run, tmp_path):
    missing = tmp_path / "no-such-dir" / "out.csv"
    with pytest.raises(ExportError) as error:
        export(run, missing)
    assert str(missing) in str(error.value)
    assert not missing.exists()

    directory = tmp_path / "taken.csv"  # a directory where the file should go
    directory.mkdir()
    with pytest.raises(ExportError):
        export(run, directory)
    assert directory.is_dir() and list(directory.iterdir()) == []
    assert _litter(tmp_path) == []


@pytest.fixture
def existing(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("an earlier export the user keeps\n", encoding="utf-8")
    os.chmod(path, 0o640)
    return path


def test_failed_write_leaves_an_existing_file_intact(run, existing, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exporter.os, "fsync", disk_full)  # after part of the file is written
    with pytest.raises(ExportError) as error:
        export(run, existing)
    assert "No space left on device" in str(error.value)
    assert existing.read_text(encoding="utf-8") == "an earlier export the user keeps\n"
    assert _litter(existing.parent) == []


def test_failed_rename_leaves_an_existing_file_intact(run, existing, monkeypatch):
    def refuse(src, dst):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(exporter.os, "replace", refuse)
    with pytest.raises(ExportError):
        export(run, existing)
    assert existing.read_text(encoding="utf-8") == "an earlier export the user keeps\n"
    assert _litter(existing.parent) == []


def test_failing_renderer_leaves_an_existing_file_intact(run, existing, monkeypatch):
    def broken(run):
        raise RuntimeError("renderer broke half-way")

    monkeypatch.setitem(exporter.RENDERERS, "csv", broken)
    with pytest.raises(RuntimeError):
        export(run, existing)
    assert existing.read_text(encoding="utf-8") == "an earlier export the user keeps\n"
    assert _litter(existing.parent) == []


def test_export_replaces_a_file_keeping_its_mode_and_a_new_file_gets_the_usual_mode(run, existing, tmp_path):
    export(run, existing)
    assert existing.read_text(encoding="utf-8").startswith("run_id,")
    assert existing.stat().st_mode & 0o777 == 0o640
    umask = os.umask(0)
    os.umask(umask)
    fresh = export(run, tmp_path / "fresh.json")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    assert _litter(tmp_path) == []


def test_markdown_names_a_noisy_row_once(db_path, tmp_path):
    spec = build_spec(workload="squares", items="4", length="10", strategies="serial", repeat="3")
    with Store(db_path) as store:
        run_id = store.start_run(spec)
        store.add_measurement(run_id, _m("serial", times_s=(0.1, 0.2, 0.4)))
        store.finish_run(run_id, "completed")
        text = exporter.to_markdown(store.load_run(run_id))
    [row] = [line for line in text.splitlines() if line.startswith("| serial")]
    assert "| noisy [1] |" in row
    assert "\n- [1] noisy: its rounds spread" in text and "noisy: noisy" not in text


# The analysis: verdict, costs, break-even, winner map ------------------------------------------------


def _costs(**figures) -> dict:
    base = {"workers": 2, "pool": "cold", "start_method": "fork", "chunksize": 1, "work_per_item_s": 0.05,
            "work_source": "serial's time at this point", "cpu_share": 1.0, "ceiling": 1.8, "cpus": 2, "error": "",
            "input_bytes": 900.0, "result_bytes": 1800.0, "pickle_in_s": 1e-5, "pickle_out_s": 2e-5,
            "cold_start_s": 0.02, "pool_create_s": 0.02, "dispatch_s": 3e-4, "ship_out_s": 1e-4,
            "ship_back_s": 2e-4, "pool_shutdown_s": 0.005, "pool_start_s": 0.02}
    return {**base, **figures}


@pytest.fixture
def analysed_run(db_path):
    spec = build_spec(workload="squares", items="4,8", length="10,100", strategies="serial,processes,numpy",
                      repeat="3")
    with Store(db_path) as store:
        run_id = store.start_run(spec)
        store.set_machine(run_id, Machine.from_dict({**MACHINE, "parallel_ceiling": 1.8, "ceiling_source": "stored"}))
        for items in (4, 8):
            for length in (10, 100):
                serial = tuple(items * 0.05 * f for f in (1.0, 1.1, 0.9))
                store.add_measurement(run_id, _m("serial", items, length=length, times_s=serial))
                store.add_measurement(run_id, _m("processes", items, length=length,
                                                 times_s=tuple(t / 1.6 for t in serial), costs=_costs()))
                store.add_measurement(run_id, _m("numpy", items, length=length,
                                                 times_s=(0.001, 0.0011, 0.0009) if length == 10 else serial))
        store.finish_run(run_id, "completed")
        return store.load_run(run_id)


def test_json_carries_the_analysis_with_each_pool_s_costs_and_break_even(analysed_run, tmp_path):
    document = json.loads(export(analysed_run, tmp_path / "out.json").read_text(encoding="utf-8"))
    analysis = document["analysis"]
    # processes wins the largest points; numpy the smaller ones, as the map shows.
    assert analysis["verdict"].startswith("Use processes with 2 workers: 1.60× as fast as the plain loop")
    assert "Measured, at the smaller points, up to items=8, length=10, numpy wins (the winner map shows each)" \
        in analysis["verdict"]
    assert analysis["ceiling"] == 1.8
    pool = analysis["strategies"]["processes@2"]
    assert pool["pool_start_s"] == pytest.approx(0.02)
    assert pool["ship_per_item_s"] == pytest.approx(3e-4)  # both ways, summed
    assert pool["ship_out_per_item_s"] == pytest.approx(1e-4) and pool["ship_back_per_item_s"] == pytest.approx(2e-4)
    assert pool["work_per_item_s"] == pytest.approx(0.05)
    # c·(1 − 1/1.8) − a = 0.05 × 0.444 − 0.0003: 0.02 s of start pays back within one round of items.
    assert pool["break_even_items"] == 2
    assert pool["break_even_work_per_item_s"] > 0
    assert pool["model_check"]["points"] and pool["points"][0]["split_s"]["start"] == pytest.approx(0.02)
    cells = {(c["items"], c["length"]): c for c in analysis["winner_map"]}
    assert cells[(4, 10)]["winner"] == "numpy" and cells[(4, 10)]["verdict"] == "faster"
    assert cells[(4, 100)]["winner"] == "processes@2"
    # The existing fields are all still there, the interval among them.
    assert {"speedup_low", "speedup_high", "costs"} <= set(document["measurements"][1])


def test_markdown_says_which_run_then_the_verdict_and_ends_with_the_winner_map(analysed_run, tmp_path):
    text = export(analysed_run, tmp_path / "out.md").read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("**parbench run ")
    assert paragraphs[1].startswith("**Verdict**: Use processes with 2 workers: ")
    assert "**Winner map**" in text
    grid = text[text.index("**Winner map**"):].splitlines()
    header = next(line for line in grid if line.startswith("| items"))
    assert _cells(header) == ["items \\ length", "10", "100"]
    row4 = next(line for line in grid if line.startswith("| 4 |"))
    assert _cells(row4)[1].startswith("numpy ") and _cells(row4)[2].startswith("processes@2 1.60×")


def test_a_run_with_one_axis_gets_no_map_and_a_run_of_nothing_no_verdict(run, tmp_path, db_path):
    text = export(run, tmp_path / "out.md").read_text(encoding="utf-8")
    assert "**Winner map**" not in text and text.split("\n\n")[1].startswith("**Verdict**")
    spec = build_spec(workload="squares", items="4", length="10", strategies="serial", repeat="3")
    with Store(db_path) as store:
        run_id = store.start_run(spec)
        store.add_measurement(run_id, _m("serial", status="failed", error="boom"))
        store.finish_run(run_id, "failed")
        empty = store.load_run(run_id)
    text = export(empty, tmp_path / "empty.md").read_text(encoding="utf-8")
    assert text.startswith("**parbench run") and "**Verdict**" not in text
    assert json.loads(export(empty, tmp_path / "empty.json").read_text(encoding="utf-8"))["analysis"]["verdict"] == ""


def test_every_csv_and_json_column_is_documented_with_its_unit():
    """docs/exports.md names every column a CSV holds and every key of a JSON measurement, each in a
    table row with its unit: a column added without a word there fails here."""
    from pathlib import Path

    from workloads.presenting.comparison_table import comparison_columns
    from workloads.presenting.history_table import HISTORY_COLUMNS
    from workloads.presenting.run_table import run_columns
    from workloads.presenting.tables import CSV, JSON

    text = (Path(__file__).resolve().parents[2] / "docs" / "exports.md").read_text(encoding="utf-8")
    documented = set()
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3 and cells[1]:
            documented |= set(re.findall(r"`([a-z_]+)`", cells[0]))
    for columns in (run_columns(True), HISTORY_COLUMNS, comparison_columns()):
        for column in columns:
            if CSV in column.shown or JSON in column.shown:
                assert column.key in documented, column.key
    for key in ("times_s", "warmup_times_s", "warmup", "point_index", "costs", "pace_s", "cpu_share", "wait_s"):
        assert key in documented
