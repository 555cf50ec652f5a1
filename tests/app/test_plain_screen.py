"""The app as a monochrome 80x24 terminal shows it (NO_COLOR, keys only, issue 19): where the focus
is on every kind of widget, fields whose text typing replaces, errors that point at their field and
go when it is fixed, and every view legible without colour. Read as plain text (`screen_text`)."""

from __future__ import annotations

import math
import re

import pytest
from app_fixtures import default_sweep, feed, screen_text, until

from tui.app import ParbenchApp
from tui.keys import KEYS, described
from tui.screens.compare import CompareScreen
from tui.screens.export_dialog import ExportDialog
from tui.screens.help import HELP
from tui.screens.history import HistoryScreen
from tui.screens.main import READY
from tui.widgets.breakdown import legend
from tui.widgets.results_view import TITLES, ResultsTable
from tui.widgets.setup_form import SetupForm
from workloads.model.machine import Machine
from workloads.model.run import Run
from workloads.model.spec import SweepSpec
from workloads.store.database import Store

SIZE = (80, 24)
MARK = "►"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


@pytest.fixture
def app(store, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    return ParbenchApp(store, resident=False, probes=False)


def marked_lines(app) -> list[str]:
    return [line.strip() for line in screen_text(app).splitlines() if MARK in line]


async def focus_on(pilot, selector: str) -> None:
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()


# Focus ------------------------------------------------------------------------------------------------


async def test_the_focus_is_marked_on_each_kind_of_field_in_the_form(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # At start the keys are in the form's first field, and the screen says so.
        assert [line.split("▕")[0].strip() for line in marked_lines(app)] == ["►Workload  squares         ▼"]
        await pilot.press("tab")  # the strategy list: the line the keys are on
        await pilot.pause()
        assert [line.split("▕")[0].strip() for line in marked_lines(app)] == ["►[x] serial"]
        await pilot.press("down")
        await pilot.pause()
        assert [line.split("▕")[0].strip() for line in marked_lines(app)] == ["►[x] processes"]
        await pilot.press("tab")  # a text field: its label
        await pilot.pause()
        assert [line.split("▕")[0].strip() for line in marked_lines(app)] == ["►Items     4..64"]
        await focus_on(pilot, "#more CollapsibleTitle")
        assert any("►More settings" in line for line in marked_lines(app))
        await focus_on(pilot, "#run")
        assert any("►Run ^r" in line for line in marked_lines(app))
        assert len(marked_lines(app)) == 1, "one mark: where the keys are"


async def test_an_open_dropdown_has_a_border_over_the_form_and_marks_its_choice(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "┌" in text and "└" in text, "a border sets the list apart from the labels under it"
        assert "Strategiessleep" not in text and "serialspin" not in text
        assert any(line.split("│")[1].strip() == "►squares" for line in text.splitlines() if line.count("│") >= 2)
        await pilot.press("down")
        await pilot.pause()
        assert "►a .py file…" in screen_text(app) and "►squares" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(SetupForm).query_one("#workload").has_focus


async def test_the_focus_is_marked_on_a_table_row_a_tab_and_the_why_text(app):
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *default_sweep())
        table = app.main_screen.query_one(ResultsTable)
        await pilot.press("f3")
        await pilot.pause()
        assert table.has_focus
        [row] = marked_lines(app)
        assert row.startswith("► serial") and " 4 " in row  # the cursor's row: the first, once the sweep ended
        await pilot.press("down")
        await pilot.pause()
        assert marked_lines(app)[0].startswith("► processes")
        await pilot.press("ctrl+t", "f3")  # a chart: the keys go to the tab row
        await pilot.pause()
        assert any(line.startswith("►Time") or " ►Time " in f" {line} " for line in marked_lines(app))
        assert not any(line.startswith("► ") for line in marked_lines(app)), "the table's mark went with its focus"
        for _ in range(4):
            await pilot.press("ctrl+t")
        await pilot.press("f3")  # the why text: a bar along its left edge
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert sum(line.startswith("▌") for line in lines) >= 10
        assert not marked_lines(app)


async def test_the_focus_is_marked_in_history_and_the_export_dialog(app, store):
    run_id = store.start_run(SweepSpec(workload="squares", items=(4,), length=(10,), strategies=("serial",)))
    store.finish_run(run_id, "completed")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        [row] = marked_lines(app)
        assert row.startswith(f"► {run_id}") or row.startswith(f"►  {run_id}") or row.split()[:2] == [MARK, str(run_id)]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert any(line.startswith("►Path") for line in (line.strip("│ ") for line in marked_lines(app)))
        await pilot.press("tab")
        await pilot.pause()
        assert any("►Export" in line for line in marked_lines(app))


# Fields -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["items", "length", "repeat", "precision", "workers", "chunksize",
                                   "workload_path"])
async def test_typing_into_a_focused_field_replaces_its_text(app, field):
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        if field == "workload_path":
            form.set_texts({"workload": "/some/where/loop.py"})
            await pilot.pause()
        widget = app.main_screen.query_one(f"#{field}")
        widget.value = widget.value or "16"  # blank by default (length, workers): given a text first
        widget.focus()
        await pilot.pause()
        await pilot.press("8")
        await pilot.pause()
        assert widget.value == "8"
        await pilot.press("left", "1")  # an arrow keeps the text, to edit it
        await pilot.pause()
        assert widget.value == "18"
        await pilot.press("end", "ctrl+u")  # and ctrl+u from its end clears it
        await pilot.pause()
        assert widget.value == ""


async def test_ctrl_b_takes_the_keys_to_the_form_and_again_hides_it(app):
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *default_sweep())
        form = app.main_screen.query_one(SetupForm)
        assert not form.display and app.main_screen.query_one(ResultsTable).has_focus
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert form.display and app.main_screen.query_one("#workload").has_focus
        await pilot.press("tab", "space")  # the keys are in the form: space ticks the strategy there
        await pilot.pause()
        assert "serial" not in form.texts()["strategies"]
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not form.display and app.main_screen.query_one(ResultsTable).has_focus


# Errors ------------------------------------------------------------------------------------------------------


def status(app) -> str:
    return " ".join(str(app.main_screen.query_one("#status").render()).split())


async def test_an_error_points_at_its_field_and_goes_when_it_is_fixed(app):
    async with app.run_test(size=SIZE) as pilot:
        items = app.main_screen.query_one("#items")
        items.value = "64..4"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert status(app) == "Not started: fix Items first."
        assert items.has_focus, "the keys go to the field to fix"
        await pilot.press(*"4..8")  # its text was selected: typing replaces it
        await pilot.pause()
        assert items.value == "4..8"
        assert status(app) == READY, "the refusal went with its reason"


async def test_a_bad_file_is_named_as_the_file_and_its_refusal_clears_when_fixed(app, workload_file):
    broken = workload_file("def kernel(value)\n    return value\n", "broken")
    good = workload_file("def kernel(value):\n    return value\n", "good")
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        form.set_texts({"workload": broken})
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert status(app) == "Not started: fix File first.", "the field as the form labels it"
        path = app.main_screen.query_one("#workload_path")
        assert path.has_focus, "the keys go to the path, not to the Workload dropdown"
        await pilot.press(*good)
        await pilot.pause()
        assert path.value == good and form.state.runnable
        assert status(app) == READY


async def test_the_status_line_after_a_refusal_says_what_the_shown_run_is_again(app):
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *default_sweep())
        assert status(app) == "Run 7 completed: 12 rows."
        await pilot.press("ctrl+b")
        items = app.main_screen.query_one("#items")
        items.value = "abc"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert status(app) == "Not started: fix Items first."
        items.value = "4..16"
        await pilot.pause()
        assert status(app) == "Run 7 completed: 12 rows.", "not a stale refusal above the run's table"


# Views ---------------------------------------------------------------------------------------------------


async def test_the_default_sweep_ends_with_its_largest_point_on_screen(app):
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, *default_sweep(points=5))  # items 4..64: 15 rows
        text = screen_text(app)
        rows = [line.lstrip(" ►") for line in text.splitlines()]
        at_64 = [line for line in rows if line.split()[:2] in (["serial", "64"], ["processes", "64"], ["numpy", "64"])]
        assert len(at_64) == 3, "the rows the verdict quotes (the largest point) are on screen"
        assert "Run 7 completed: 15 rows." in " ".join(text.split())


async def test_history_drops_whole_columns_rather_than_cutting_one(app, store):
    for host in ("build-machine-with-a-long-name.ci.example.com", "laptop"):
        run_id = store.start_run(SweepSpec(workload="squares", items=(4, 8, 16, 32, 64, 128, 256),
                                           length=(10, 100, 1000, 10000), strategies=("serial", "processes")),
                                 Machine(hostname=host, cpu_count=2))
        store.finish_run(run_id, "completed")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "started" in line).split()
        assert header[:6] == ["id", "started", "(UTC)", "workload", "items", "length"]
        shown = " ".join(lines)
        if "host" in header:
            assert "build-machine-with-a-long-name" in shown and "laptop" in shown
        else:
            assert "build-machine" not in shown and "laptop" not in shown, "a dropped column is gone whole"
        assert "4..256" in shown and "10..10000" in shown  # long lists folded to their ends
        assert all(len(line.rstrip()) <= 80 for line in lines)


def _run(run_id: int, factor: float, started: str) -> Run:
    from app_fixtures import MACHINE

    spec, rows = default_sweep()
    rows = [r.__class__(**{**r.to_dict(), "times_s": [t * factor for t in r.times_s]}) for r in rows]
    return Run(run_id, spec, "completed", started, started, machine=MACHINE, measurements=rows)


async def test_the_compare_chart_draws_each_strategy_with_its_marker_a_dotted_and_b_solid(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = CompareScreen(_run(1, 1.0, "2026-05-09T10:00:00+00:00"), _run(2, 0.3, "2026-05-09T10:05:00+00:00"))
        await app.push_screen(screen)
        assert await until(pilot, lambda: screen.comparison is not None)
        await pilot.press("ctrl+t")
        await pilot.pause()
        text = screen_text(app)
        plot = "\n".join(line for line in text.splitlines() if "│" in line)
        for marker in ("o", "x", "*"):  # serial, processes, numpy: each its own
            assert marker * 5 in plot, f"B's {marker} line is solid"
            assert re.search(re.escape(marker) + "·", plot) or re.search("·" + re.escape(marker), plot), \
                f"A's {marker} line is dotted between its marks"
        key = " ".join(text.split())
        assert "A = run 1: dotted" in key and "B = run 2: solid" in key
        assert "o serial" in key and "x processes" in key and "* numpy" in key


async def test_split_has_round_ticks_even_bars_and_a_legend_on_one_line(app, store):
    from analysis_fixtures import synthetic_run

    from tui.widgets.results_view import ResultsView

    run_id = store.start_run(SweepSpec(workload="squares", items=(2, 4, 8, 16, 32, 64), length=(1000,),
                                       strategies=("serial", "processes")), Machine(cpu_count=2, usable_cpus=2))
    for row in synthetic_run():
        store.add_measurement(run_id, row)
    store.finish_run(run_id, "completed")
    from tui.screens.stored_run import StoredRunScreen

    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StoredRunScreen(store.load_run(run_id)))
        await pilot.pause()
        app.screen.query_one(ResultsView).next_tab()
        for _ in range(2):
            app.screen.query_one(ResultsView).next_tab()
        await pilot.pause()
        await pilot.pause()
        lines = screen_text(app).splitlines()
    ruler = next(i for i, line in enumerate(lines) if "├" in line)
    ticks = [float(t) for t in lines[ruler - 1].split()]
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and round(step / 10 ** math.floor(math.log10(step)), 9) in (1, 2, 5), ticks
    assert all(abs(t - k * step) < 1e-9 * step for k, t in enumerate(ticks)), "evenly spaced round ticks"
    bars = [line for line in lines[ruler + 1:] if "processes×2" in line]
    assert len(bars) == 6, "one line per point: every bar the same height"
    [key] = [line for line in lines if "start" in line and "waiting" in line]
    assert key.strip() == legend() and "! parts exceed the call" in key


# F1 ------------------------------------------------------------------------------------------------------


def test_f1_is_made_from_the_bindings_and_says_how_to_close_it_and_edit_a_field():
    for key in KEYS:
        assert key.help in " ".join(HELP.split()), key.id
    assert HELP.splitlines()[2].startswith("Escape, F1 or q closes this help")
    assert "ctrl+u" in HELP and "typing replaces it" in " ".join(HELP.split())
    view = next(k for k in KEYS if k.id == "view")
    for title in TITLES.values():  # every view ctrl+t goes through, none missing
        assert {"Table": "table", "Time": "time chart", "Speedup": "speedup chart", "Split": "split",
                "Map": "winner map", "Why": "why"}[title] in view.help
    assert described("view").startswith("Next results view: table, time chart, speedup chart, split, winner map")


async def test_a_refusal_from_the_measuring_process_stays_until_the_form_changes(store, workload_file, monkeypatch):
    """A file that fails only when imported (a missing module) is refused by the measuring process:
    the line says so until the form changes, then says again what is on screen."""
    monkeypatch.setenv("NO_COLOR", "1")
    bad = workload_file("import no_such_module_anywhere\n\ndef kernel(value):\n    return value\n", "bad_import")
    good = workload_file("def kernel(value):\n    return value\n", "good")
    app = ParbenchApp(store, resident=False, probes=False)
    async with app.run_test(size=SIZE) as pilot:
        form = app.main_screen.query_one(SetupForm)
        form.set_texts({"workload": bad, "items": "2", "strategies": "serial"})
        await pilot.pause()
        await pilot.press("ctrl+r")
        assert await until(pilot, lambda: status(app).startswith("Not started:") and not app.main_screen.running, 60)
        assert "bad_import" in status(app) and "no_such_module_anywhere" in status(app)
        form.revalidate()  # the form read again, unchanged: the reason stays
        await pilot.pause()
        assert status(app).startswith("Not started:")
        form.set_texts({"workload": good})
        await pilot.pause()
        assert status(app) == READY
    assert store.runs() == []
