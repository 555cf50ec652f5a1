"""Your project, your Python: a sweep measured under another interpreter (another version, a
project's venv with its own dependencies, a free-threaded build), what it records, and every way an
interpreter is refused (one line, exit 2, nothing stored).

The interpreters come from this machine: pyenv's 3.12 and 3.13 (this machine kind has them), and a
free-threaded build found on PATH (`python3.13t`) or named by PARBENCH_FT_PYTHON. A test whose
interpreter is missing is skipped, saying which and why.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import refused_in_one_line, run_cli, stored_runs

from workloads.measuring import interpreters, wire
from workloads.model import events
from workloads.model.interpreter import discover, is_current, parse_python
from workloads.model.measurement import Measurement
from workloads.model.parsing import SpecError

TINY = ("--items", "2", "--length", "10", "--repeat", "1", "--warmup", "0")


def pyenv_python(minor: str) -> str:
    """pyenv's newest `minor` (e.g. 3.13), or skip saying it is not on this machine."""
    found = [c for c in discover() if c.source == "pyenv" and c.minor() == minor]
    if not found:
        pytest.skip(f"no Python {minor} from pyenv on this machine (~/.pyenv/versions/{minor}.*)")
    return found[-1].path


def free_threaded_python() -> str:
    """A free-threaded CPython (PARBENCH_FT_PYTHON, or python3.13t/3.14t on PATH), or skip."""
    named = os.environ.get("PARBENCH_FT_PYTHON")
    if named:
        return named
    found = [c for c in discover() if c.free_threaded and c.source != "parbench"]
    if not found:
        pytest.skip("no free-threaded CPython here (none on PATH as python3.13t/python3.14t, and PARBENCH_FT_PYTHON "
                    "is not set; Debian 13 has one in python3.13-nogil)")
    return found[-1].path


def stored_machine(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        (machine,) = conn.execute("SELECT machine FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(machine)


def make_venv(base: str, folder: Path) -> Path:
    """A project's own virtualenv over `base` (no pip: nothing is installed from the network)."""
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True, capture_output=True, timeout=120)
    return folder / "bin" / "python"


def site_packages(venv_python: Path) -> Path:
    [found] = (venv_python.parent.parent / "lib").glob("python3*/site-packages")
    return found


# What the user types -------------------------------------------------------------------------------------


def test_a_version_names_the_interpreter_found_for_it():
    path = pyenv_python("3.13")
    assert parse_python("3.13") == path
    assert parse_python("") == "" and parse_python("default") == ""
    assert is_current(sys.executable) and is_current("")


def test_what_is_not_an_interpreter_is_refused_before_anything_runs(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("not a program")
    cases = {str(tmp_path / "nope" / "python"): "no such file", str(tmp_path): "is a folder",
             str(plain): "not executable", "3.99": "no Python 3.99 found", "3.9": "needs Python 3.10 or newer",
             "no-such-python-command": "no such command on PATH"}
    for text, said in cases.items():
        with pytest.raises(SpecError, match=said):
            parse_python(text)


@pytest.mark.parametrize("kind", ["a shell script", "a program", "an old Python", "a folder", "missing"])
def test_a_path_that_cannot_run_the_engine_is_refused_in_one_line(kind, tmp_path, db_path):
    if kind == "a shell script":
        path = tmp_path / "python"
        path.write_text("#!/bin/sh\necho hello\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
        said = "is not a Python interpreter"
    elif kind == "a program":
        path, said = Path("/bin/ls"), "is not a Python interpreter"
    elif kind == "an old Python":
        old = [c for c in Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions").glob("3.9*/bin/python")]
        if not old:
            pytest.skip("no Python 3.9 from pyenv here to be refused")
        path, said = old[0], "parbench's engine needs Python 3.10 or newer"
    elif kind == "a folder":
        path, said = tmp_path, "is a folder, not a Python interpreter"
    else:
        path, said = tmp_path / "nowhere" / "python", "no such file"
    result = run_cli("run", "--python", str(path), *TINY, db=db_path)
    message = refused_in_one_line(result, db_path)
    assert message.startswith("parbench run: --python:") and said in message


def test_an_environment_that_cannot_be_prepared_offline_is_refused_saying_what_to_install(tmp_path, db_path):
    python = pyenv_python("3.12")
    offline = {"PARBENCH_CACHE": str(tmp_path / "empty-cache"), "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "",
               "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": ""}
    result = run_cli("run", "--python", python, *TINY, db=db_path, env=offline)
    message = refused_in_one_line(result, db_path)
    assert "could not install them" in message and "numpy" in message
    assert f"{python} -m pip install" in message  # into that Python, or (the other way) into the overlay
    assert "--target" in message and str(tmp_path / "empty-cache" / "overlay") in message


# Measuring under another interpreter ------------------------------------------------------------------------


@pytest.mark.parametrize("minor", ["3.10", "3.13"])  # the oldest the engine runs on, and a newer one
def test_a_sweep_under_another_python_records_that_python(minor, db_path):
    python = pyenv_python(minor)
    result = run_cli("run", "--python", python, "--strategies", "serial,processes,numpy", *TINY,
                     "--format", "json", db=db_path, timeout=180)
    assert result.returncode == 0, result.stderr
    machine = stored_machine(db_path)
    assert machine["python"].startswith(minor + ".") and machine["executable"] == python
    assert machine["free_threaded"] is False and machine["gil_enabled"] is True
    assert machine["parbench"] not in (None, "unknown")  # said by the caller: not installed over there
    document = json.loads(result.stdout)
    assert {m["strategy"] for m in document["measurements"]} == {"serial", "processes", "numpy"}
    assert all(m["status"] == "ok" for m in document["measurements"])
    if os.path.exists("/proc/thread-self/schedstat"):  # each round's wait for a CPU, measured over there
        assert all(len(m["wait_s"]) == len(m["times_s"]) for m in document["measurements"]
                   if m["strategy"] in ("serial", "numpy"))


def test_a_kernel_that_imports_a_package_only_its_project_has(tmp_path, db_path):
    venv_python = make_venv(pyenv_python("3.12"), tmp_path / "project" / ".venv")
    (site_packages(venv_python) / "fastcsvparse.py").write_text("def parse(row):\n    return [float(f) for f in row]\n")
    project = tmp_path / "project"
    (project / "sales").mkdir()
    (project / "sales" / "__init__.py").write_text("")
    (project / "sales" / "records.py").write_text(textwrap.dedent('''\
        import fastcsvparse


        def total(row):
            return sum(fastcsvparse.parse(row))
        '''))
    (project / "rows.jsonl").write_text("\n".join(json.dumps([str(i), "2.5", "1"]) for i in range(8)) + "\n")
    args = ("run", "--workload", "sales.records:total", "--input", "rows.jsonl", "--strategies", "serial,processes",
            "--repeat", "1", "--warmup", "0")
    # parbench's own Python does not have it: refused, saying which Python ran it and what to do.
    refused = run_cli(*args, db=db_path, cwd=project)
    message = refused_in_one_line(refused, db_path)
    assert "No module named 'fastcsvparse'" in message
    assert f"({sys.executable})" in message or "under Python 3.11" in message
    assert "-m pip install fastcsvparse" in message and "--python" in message
    # The project's own venv has it.
    result = run_cli(*args, "--python", str(venv_python), "--format", "json", db=db_path, cwd=project, timeout=180)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["measurements"]
    assert {(m["strategy"], m["items"], m["length"], m["status"]) for m in rows} == {
        ("serial", 8, 3, "ok"), ("processes", 8, 3, "ok")}
    assert stored_machine(db_path)["executable"] == str(venv_python)


def test_the_users_modules_named_like_parbenchs_folders_are_not_shadowed(workload_file, tmp_path, db_path):
    # parbench's source tree has tests/, examples/, benchmarks/, tui/: only its engine goes on the path.
    (tmp_path / "examples.py").write_text("FACTOR = 3\n")
    (tmp_path / "tests.py").write_text("OFFSET = 1\n")
    path = workload_file('''
        import examples
        import tests


        def kernel(value):
            return [v * examples.FACTOR + tests.OFFSET for v in value]
        ''')
    result = run_cli("run", "--workload", path, *TINY, db=db_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_several_interpreters_in_one_command_print_their_comparison(db_path):
    a, b = pyenv_python("3.12"), pyenv_python("3.13")
    result = run_cli("run", "--python", f"{a},{b}", "--strategies", "serial,numpy", "--items", "2",
                     "--length", "1000", "--repeat", "3", "--warmup", "0", "--format", "md", db=db_path, timeout=240)
    assert result.returncode == 0, result.stderr
    assert [status for _, status in stored_runs(db_path)] == ["completed", "completed"]
    out = result.stdout
    assert out.count("**parbench run") == 2
    header = next(line for line in out.splitlines() if "→" in line and "Python" in line)
    assert "Python 3.12." in header and "→ 3.13." in header
    assert "| serial |" in out.split("→", 1)[1]  # the comparison's rows follow


def test_several_interpreters_are_all_checked_before_anything_is_measured(tmp_path, db_path):
    result = run_cli("run", "--python", f"{pyenv_python('3.12')},{tmp_path / 'missing'}", *TINY, db=db_path)
    assert "no such file" in refused_in_one_line(result, db_path)


# A free-threaded build ------------------------------------------------------------------------------------------


def test_a_free_threaded_build_is_recorded_and_its_threads_weighed_against_the_pool(db_path):
    from workloads.insight.explain import explain
    from workloads.store.database import Store

    python = free_threaded_python()
    result = run_cli("run", "--python", python, "--workload", "spin", "--spin", "300000", "--items", "4",
                     "--strategies", "serial,threads,processes", "--workers", "2", "--pool", "warm", "--repeat", "3",
                     "--warmup", "1", "--format", "json", db=db_path, timeout=300)
    assert result.returncode == 0, result.stderr
    machine = stored_machine(db_path)
    assert machine["free_threaded"] is True and machine["gil_enabled"] is False
    rows = json.loads(result.stdout)["measurements"]
    assert {(m["strategy"], m["status"]) for m in rows} == {("serial", "ok"), ("threads", "ok"), ("processes", "ok")}
    # Whether its threads beat the loop is a figure (benchmarks' free_threaded, ≥ 1.3× the target); what
    # the run must say is that they could run in parallel, and how they fared against the pool.
    with Store(db_path) as store:
        run = store.load_run(store.runs()[0].id)
    why = "\n".join(explain(run.measurements, machine=run.machine))
    assert f"Python {machine['python']} free-threaded, GIL off: a free-threaded build with the GIL off" in why
    assert "Against the process pool at items=4, length=1: threads with 2 workers" in why
    assert "has a GIL" not in why


# The wire between caller and measuring process --------------------------------------------------------------


def test_events_cross_as_json_and_come_back_equal():
    measured = Measurement("squares", "processes", 4, 1000, 2, 1, "cold", 1, (0.1, 0.2), (0.3,), wait_s=(0.01, 0.0))
    sent = [events.RunStarted(2, 10, {"python": "3.13.0", "gil_enabled": False}),
            events.MeasurementDone(measured, 3, 10), events.Refused("workload", "no kernel"),
            events.RunFinished("completed")]
    for event in sent:
        assert wire.decode_event(wire.encode_event(event)) == event
    # Each round's wait for a CPU crosses too: compare takes it out of a crowded run's times.
    assert wire.decode_event(wire.encode_event(sent[1])).measurement.wait_s == (0.01, 0.0)
    import numpy as np

    profile = events.Probed({"forms": {"x": np.float64(1.5), "n": np.int64(3)}}, 1, 2, 0.5)
    assert wire.decode_event(wire.encode_event(profile)).profile == {"forms": {"x": 1.5, "n": 3}}


def test_an_object_the_caller_could_not_read_fails_in_the_measuring_process():
    class Record:  # a user's class: the caller's interpreter may not be able to import it
        pass

    with pytest.raises(TypeError, match="cannot cross"):
        wire.encode_event(events.Probed({"value": Record()}, 1, 2, 0.5))


def test_the_probe_is_cached_until_the_interpreters_packages_change(tmp_path, monkeypatch):
    monkeypatch.setenv("PARBENCH_CACHE", str(tmp_path / "cache"))
    venv_python = make_venv(pyenv_python("3.12"), tmp_path / "venv")
    first = interpreters.probe(str(venv_python))
    assert first.in_venv and first.version[:2] == (3, 12) and first.packages["numpy"] is None
    package = site_packages(venv_python) / "numpy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    dist = site_packages(venv_python) / "numpy-1.21.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy\nVersion: 1.21.0\n")
    # Its own numpy would come before parbench's overlay, and is too old for the engine.
    with pytest.raises(interpreters.InterpreterRefused, match="has numpy 1.21.0, older than the 1.24"):
        interpreters.probe(str(venv_python))


# In the app -----------------------------------------------------------------------------------------------------


# Beside other tests on two processes its sweep failed 3 times in 5 full runs, before the run started:
# "the measuring process exited unexpectedly (exit code 0)"; never alone or in smaller groups. The
# cause is not found yet (the form's probe and the sweep each start a 3.13 process at once).
@pytest.mark.alone
async def test_the_app_runs_a_sweep_under_the_python_in_its_form(tmp_path):
    from app_fixtures import until

    from tui.app import ParbenchApp
    from tui.widgets.setup_form import SetupForm
    from workloads.store.database import Store

    python = pyenv_python("3.13")
    with Store(tmp_path / "store.sqlite3") as store:
        app = ParbenchApp(store)
        async with app.run_test(size=(80, 24)) as pilot:
            form = app.main_screen.query_one(SetupForm)
            form.set_texts({"python": "3.13", "items": "2", "length": "100", "repeat": "1", "strategies": "serial"})
            assert form.state.spec is not None and form.state.spec.python == python
            await pilot.press("ctrl+r")
            status = app.main_screen.query_one("#status")
            assert await until(pilot, lambda: any(word in str(status.render()) for word in ("completed", "failed")),
                               timeout=120), status.render()
            assert "completed" in str(status.render()), status.render()
            [run] = store.runs()
            machine = store.load_run(run.id).machine
            assert machine.python.startswith("3.13.") and machine.executable == python


def test_an_engine_that_cannot_start_there_is_refused_saying_why(tmp_path, db_path):
    venv_python = make_venv(pyenv_python("3.12"), tmp_path / "venv")
    site = site_packages(venv_python)
    (site / "numpy").mkdir()
    (site / "numpy" / "__init__.py").write_text("raise ImportError('numpy is broken in this venv')\n")
    (site / "numpy-2.0.0.dist-info").mkdir()
    (site / "numpy-2.0.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy\nVersion: 2.0.0\n")
    result = run_cli("run", "--python", str(venv_python), *TINY, db=db_path, timeout=120)
    message = refused_in_one_line(result, db_path)
    assert message == (f"parbench run: refused: the engine could not start under Python 3.12.1 ({venv_python}): "
                       "ImportError: numpy is broken in this venv")
