"""The code that won: `parbench code RUN` prints the run's loop rewritten for its fastest strategy
with the settings it was measured with, and the script runs as it stands; the app copies it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from helpers import run_cli

from tui.app import ParbenchApp
from tui.screens.stored_run import StoredRunScreen
from workloads.insight.analysis import analyse
from workloads.model.measurement import Measurement
from workloads.model.spec import SweepSpec
from workloads.store.database import Store

QUICK = ("--repeat", "2", "--warmup", "0")


def sweep(db, *args, cwd=None) -> int:
    result = run_cli("run", *args, *QUICK, "--format", "json", db=db, cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["run"]["id"]


def code_of(db, run_id, *args, cwd=None) -> tuple[str, str]:
    result = run_cli("code", str(run_id), *args, db=db, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


def runs(script: str, tmp_path, *, cwd=None) -> str:
    """Run the script as a user would (saved to a file, from another folder): its one line of output."""
    path = tmp_path / "winner.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], cwd=cwd or tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("strategy", ["serial", "processes", "threads", "numpy", "numpy-processes"])
def test_each_strategys_code_runs_as_it_stands(strategy, db_path, tmp_path):
    run_id = sweep(db_path, "--items", "4", "--length", "1000", "--strategies", f"serial,{strategy}")
    script, said = code_of(db_path, run_id, "--strategy", strategy)
    assert 'if __name__ == "__main__":' in script
    workers = " with 2 workers" if strategy in ("processes", "threads", "numpy-processes") else ""
    assert runs(script, tmp_path).startswith(f"4 items with {strategy}{workers} in ")
    assert said.startswith(f"parbench code: run {run_id}, {strategy}")


def test_the_fastest_strategy_is_chosen_with_its_measured_settings(db_path, tmp_path):
    # spin: CPU work with nothing to ship, a warm pool of 2 with chunksize 2, the spawn start method.
    run_id = sweep(db_path, "--workload", "spin", "--spin", "2000000", "--items", "4", "--strategies",
                   "serial,processes", "--pool", "warm", "--chunksize", "2", "--start-method", "spawn")
    script, said = code_of(db_path, run_id)
    with Store(db_path) as store:
        run = store.load_run(run_id)
    analysis = analyse(run.measurements)
    fastest = analysis.cells[analysis.largest].winner.partition("@")[0]  # the verdict's and the winner map's
    assert said.startswith(f"parbench code: run {run_id}, {fastest}: the fastest at items=4")
    pooled, _ = code_of(db_path, run_id, "--strategy", "processes")
    assert "multiprocessing.get_context('spawn')" in pooled and "chunksize=2" in pooled
    assert "A warm pool, as measured" in pooled
    assert runs(pooled, tmp_path).startswith("4 items with processes with 2 workers in ")
    assert "functools.partial(kernel, spin=2000000)" in script  # the run's setting, bound
    assert "make_input(4, 1, 12345)" in script  # spin's own input builder, as the run used it
    assert runs(script, tmp_path).startswith("4 items with ")


def test_a_users_function_and_input_file_in_the_code(tmp_path, db_path):
    project = tmp_path / "project"
    (project / "shop").mkdir(parents=True)
    (project / "shop" / "__init__.py").write_text("")
    (project / "shop" / "orders.py").write_text(textwrap.dedent('''\
        def weight(order):
            return sum(order) * 2
        '''))
    data = project / "orders.jsonl"
    data.write_text("\n".join(json.dumps([i, i + 1]) for i in range(12)) + "\n")
    run_id = sweep(db_path, "--workload", "shop.orders:weight", "--input", str(data), "--strategies",
                   "serial,processes", cwd=project)
    script, _ = code_of(db_path, run_id, "--strategy", "processes", cwd=project)
    assert "from shop.orders import weight" in script and str(data) in script
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert runs(script, tmp_path, cwd=elsewhere).startswith("12 items with processes with 2 workers")


def test_code_for_what_the_run_did_not_measure_is_refused(db_path):
    run_id = sweep(db_path, "--items", "2", "--length", "100", "--strategies", "serial")
    result = run_cli("code", str(run_id), "--strategy", "threads", db=db_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"parbench code: run {run_id} has no successful threads measurement "
                                     "(it has: serial)")
    missing = run_cli("code", "999", db=db_path)
    assert missing.returncode == 2 and "no run 999" in missing.stderr


async def test_the_app_copies_the_code_of_the_run_on_screen(tmp_path):
    with Store(tmp_path / "store.sqlite3") as store:
        run_id = store.start_run(SweepSpec(workload="squares", items=(4,), length=(1000,),
                                           strategies=("serial", "processes")))
        store.add_measurement(run_id, Measurement("squares", "serial", 4, 1000, None, None, None, 1, (0.04,) * 3))
        store.add_measurement(run_id, Measurement("squares", "processes", 4, 1000, 2, 1, "cold", 1, (0.02,) * 3))
        store.finish_run(run_id, "completed")
        app = ParbenchApp(store, resident=False, probes=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert app.clipboard == ""  # nothing on screen yet: nothing copied
            app.push_screen(StoredRunScreen(store.load_run(run_id)))
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert app.clipboard.startswith(f'"""squares: processes with 2 workers, as parbench measured it in run '
                                            f"{run_id}.")
            assert "ProcessPoolExecutor(max_workers=2" in app.clipboard
