"""A run's table in an 80-column terminal, printed (`--format table`) and in the app: a figure or a
status word is never cut; the notes fold between words, squeeze to the notes that fit (the app),
or, with no room even then, are said under the table, before any figure gives up a character."""

from __future__ import annotations

import io
import re

from app_fixtures import default_sweep, feed, screen_text
from helpers import run_cli
from rich.console import Console

from tui.app import ParbenchApp
from tui.report import render_run
from tui.widgets.results_view import ResultsTable
from workloads.measuring.lock import MachineLock
from workloads.model.measurement import STOP_OPEN, STOP_TOO_CLOSE
from workloads.model.numbers import format_ratio, format_seconds
from workloads.model.run import Run
from workloads.presenting.run_table import run_rows
from workloads.store.database import Store

WIDTH = 80


def _noted(rows, *, stop=STOP_TOO_CLOSE):
    """The default sweep's rows two rounds each, spread apart (noisy), measured alongside another
    sweep (shared), processes still open: notes as long as `shared,too close,noisy`."""
    jitter = {"serial": (1.0, 1.3), "processes": (1.25, 1.0), "numpy": (1.0, 1.2)}
    return [r.__class__(**{**r.to_dict(), "times_s": tuple(r.times_s[0] * j for j in jitter[r.strategy]),
                           "stop": stop if r.strategy == "processes" else r.stop, "shared": True}) for r in rows]


def _figures(measurements) -> list[str]:
    """Every figure the rows show: each median, speedup and interval as the table writes it."""
    out = []
    for row in run_rows(None, measurements):
        values = row.values
        if values["median"] is not None:
            out.append(format_seconds(values["median"]))
        if values["speedup"] is not None:
            out.append(format_ratio(values["speedup"]))
        if values["interval"]:
            out.append("–".join(f"{v:.2f}" for v in values["interval"]))
    return out


def test_the_printed_table_folds_its_notes_and_cuts_no_figure():
    """It printed `34.5 …`, `0.59–0.…`, `undecid…` when the notes were wide."""
    spec, rows = default_sweep(5)
    rows = _noted(rows)
    run = Run(1, spec, "completed", "2026-01-02T03:04:05+00:00", measurements=rows)
    console = Console(file=io.StringIO(), width=WIDTH, color_system=None)
    console.print(render_run(run, "table"))
    text = console.file.getvalue()
    table = text.split("verdict:")[0]
    assert "…" not in table
    assert all(len(line.rstrip()) <= WIDTH for line in text.splitlines())
    for figure in _figures(rows):
        assert re.search(rf"(?<![\d.]){re.escape(figure)}", table), figure
    assert "undecided" in table
    # The notes fold between whole notes: `too close` is never broken, nor a word.
    assert re.search(r"shared,\s*\n.*too close,", table), table
    assert "too\n" not in table


def test_the_cli_table_at_80_columns_cuts_no_figure(tmp_path):
    """A worker sweep measured alongside another sweep, one round each: `shared,1 round [1,2]` beside
    eight columns of figures. The figures stay whole; the notes, with no room left, are said under it."""
    db = tmp_path / "store.sqlite3"
    lock = MachineLock()
    assert lock.try_acquire(30.0)  # another sweep: every row is `shared`
    try:
        result = run_cli("run", "--workload", "sleep", "--sleep-ms", "0", "--items", "2,4", "--length", "10",
                         "--strategies", "serial,threads,processes", "--workers", "1,2", "--repeat", "1",
                         "--warmup", "0", "--costs", "off", "--ignore-lock", "--format", "table", db=db,
                         env={"COLUMNS": str(WIDTH)})
    finally:
        lock.release()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert all(len(line.rstrip()) <= WIDTH for line in out.splitlines()), out
    with Store(db) as store:
        measurements = store.load_run(store.last_run_id()).measurements
    table = out.split("verdict:")[0]
    assert "…" not in table
    for figure in _figures(measurements):
        assert re.search(rf"(?<![\d.]){re.escape(figure)}", table), (figure, out)
    assert table.count("undecided") == sum(1 for m in measurements if m.strategy != "serial")
    assert "shared" in table and "1 round" in table  # in the notes, folded or said under the table


async def test_the_apps_table_at_80_columns_cuts_no_note_mid_word(tmp_path):
    """The app cut a note mid-word (`deciding,nois`): a column kept the width of an interval long
    gone, and nothing fitted the notes."""
    spec, rows = default_sweep(5)
    rows = _noted(rows, stop=STOP_OPEN)
    with Store(tmp_path / "store.sqlite3") as store:
        app = ParbenchApp(store, resident=False, probes=False)
        async with app.run_test(size=(WIDTH, 24)) as pilot:
            await feed(pilot, spec, rows)
            table = app.main_screen.query_one(ResultsTable)
            assert table.virtual_size.width <= table.scrollable_content_region.width  # nothing off the edge
            screen = screen_text(app)
            shown = [table.texts(i) for i in range(table.row_count)]
    for figure in _figures(rows):
        assert any(figure in row.values() for row in shown), figure
    notes = [row["notes"] for row in shown if row["notes"]]
    assert notes
    for note in notes:  # whole notes, then how many more: `deciding +2`
        words = re.sub(r" \+\d+$", "", note).split(",")
        assert set(words) <= {"deciding", "shared", "noisy", "too close"}, note
    assert "deciding +2" in notes  # `deciding,shared,noisy` has no room: the line under the table says all three
    assert "deciding,nois" not in screen
