"""Any function, real data: `--workload pkg.module:function` or `path/file.py:function` times that
function on each item, and `--input FILE` reads the items from the user's own data in each format;
bad input (no such function, one that needs two arguments, a file truncated, of the wrong shape or
too small) is one line, exit 2, nothing stored."""

from __future__ import annotations

import csv
import json
import pickle
import textwrap

import numpy as np
import pytest
from helpers import refused_in_one_line, run_cli

from workloads.model.spec import build_spec, validate

QUICK = ("--repeat", "1", "--warmup", "0")


@pytest.fixture
def project(tmp_path):
    """A user's project: a package with a records module, and nothing written for parbench."""
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "records.py").write_text(textwrap.dedent('''\
        """How the project handles its records."""


        def parse_batch(batch):
            """Sum each row of a batch."""
            return [sum(row) if isinstance(row, list) else row for row in batch]


        def total(value):
            return float(sum(value))


        def scaled(value, factor=2):
            return [v * factor for v in value]


        def combine(left, right):
            return left + right


        LIMIT = 10
        '''))
    return tmp_path


def measured(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["measurements"]


def test_a_function_of_a_module_is_the_kernel(project, db_path):
    rows = measured(run_cli("run", "--workload", "mypkg.records:total", "--items", "4", "--length", "50",
                            "--strategies", "serial,processes,threads", *QUICK, "--format", "json",
                            db=db_path, cwd=project))
    assert {(m["workload"], m["strategy"], m["status"]) for m in rows} == {
        ("mypkg.records:total", "serial", "ok"), ("mypkg.records:total", "processes", "ok"),
        ("mypkg.records:total", "threads", "ok")}


def test_a_function_of_a_file_is_the_kernel_and_its_defaults_hold(project, db_path):
    path = project / "mypkg" / "records.py"
    rows = measured(run_cli("run", "--workload", f"{path}:scaled", "--items", "2", "--length", "10",
                            "--strategies", "serial,processes", *QUICK, "--format", "json", db=db_path))
    assert {m["workload"] for m in rows} == {"records:scaled"} and all(m["status"] == "ok" for m in rows)


def test_the_function_alone_is_the_workload(project):
    # The module's other names (a kernel_numpy, a make_input) are not the function's: no numpy form.
    (project / "mypkg" / "vector.py").write_text("def f(v):\n    return v\n\ndef kernel_numpy(v):\n    return v\n")
    result = validate({"workload": f"{project / 'mypkg' / 'vector.py'}:f", "strategies": "numpy"})
    assert "no numpy form" in result.errors["strategies"]


@pytest.mark.parametrize("workload,said", [
    ("mypkg.records:nothing", "has no function named nothing"),
    ("mypkg.records:combine", "combine needs 2 arguments (left, right); parbench calls it with one item's value"),
    ("mypkg.missing:total", "is not a built-in"),
    ("mypkg.records:", "name the function after the colon"),
])
def test_a_function_that_cannot_be_timed_is_refused(workload, said, project, db_path):
    result = run_cli("run", "--workload", workload, "--items", "2", *QUICK, db=db_path, cwd=project)
    assert said in refused_in_one_line(result, db_path)


def test_a_name_that_is_not_callable_is_refused_once_loaded(project, db_path):
    result = run_cli("run", "--workload", "mypkg.records:LIMIT", "--items", "2", *QUICK, db=db_path, cwd=project)
    assert "LIMIT is not a function (it is int)" in refused_in_one_line(result, db_path)


# --input: every format -------------------------------------------------------------------------------------------


def write_inputs(folder):
    """The same 6 items of 3 numbers, in every format parbench reads."""
    values = {f"k{i}": [i, i + 1, i + 2] for i in range(6)}
    files = {}
    files["pickle dict"] = folder / "items.pkl"
    files["pickle dict"].write_bytes(pickle.dumps(values))
    files["pickle list"] = folder / "items_list.pickle"
    files["pickle list"].write_bytes(pickle.dumps(list(values.values())))
    files["json"] = folder / "items.json"
    files["json"].write_text(json.dumps(values))
    files["jsonl"] = folder / "items.jsonl"
    files["jsonl"].write_text("\n".join(json.dumps(v) for v in values.values()) + "\n")
    files["npy"] = folder / "items.npy"
    np.save(files["npy"], np.array(list(values.values())))
    files["npz"] = folder / "items.npz"
    np.savez(files["npz"], **{k: np.array(v) for k, v in values.items()})
    files["pickle of arrays"] = folder / "arrays.pkl"
    files["pickle of arrays"].write_bytes(pickle.dumps({k: np.array(v) for k, v in values.items()}))
    return files


@pytest.mark.parametrize("fmt", ["pickle dict", "pickle list", "json", "jsonl", "npy", "npz", "pickle of arrays"])
def test_items_come_from_the_file_in_each_format(fmt, project, tmp_path, db_path):
    path = write_inputs(tmp_path)[fmt]
    rows = measured(run_cli("run", "--workload", "mypkg.records:total", "--input", str(path), "--strategies",
                            "serial,processes", *QUICK, "--format", "json", db=db_path, cwd=project))
    # All the file's items (6), each as long as the file has it (3): neither was typed.
    assert {(m["strategy"], m["items"], m["length"], m["status"]) for m in rows} == {
        ("serial", 6, 3, "ok"), ("processes", 6, 3, "ok")}


def test_a_builtin_with_a_numpy_form_takes_the_file_as_arrays(tmp_path, db_path):
    path = tmp_path / "rows.npy"
    np.save(path, np.arange(40, dtype=np.int64).reshape(4, 10))
    rows = measured(run_cli("run", "--workload", "squares", "--input", str(path), "--items", "2,4",
                            "--strategies", "serial,numpy", *QUICK, "--format", "json", db=db_path))
    assert {(m["strategy"], m["items"], m["length"]) for m in rows} == {
        ("serial", 2, 10), ("serial", 4, 10), ("numpy", 2, 10), ("numpy", 4, 10)}
    assert all(m["status"] == "ok" for m in rows)  # numpy's output agreed with the loop's


def test_csv_rows_are_grouped_into_items_of_length_rows(project, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b"])
        writer.writerows([[i, i * 2] for i in range(40)])
    rows = measured(run_cli("run", "--workload", "mypkg.records:parse_batch", "--input", str(path), "--length", "8",
                            "--strategies", "serial,threads", *QUICK, "--format", "json", db=db_path, cwd=project))
    # 40 data rows (the header skipped) in items of 8 rows: 5 items.
    assert {(m["strategy"], m["items"], m["length"]) for m in rows} == {("serial", 5, 8), ("threads", 5, 8)}


@pytest.mark.parametrize("case,said", [
    ("truncated json", "is truncated"),
    ("truncated jsonl", "line 3 is truncated"),
    ("truncated pickle", "is truncated or not a pickle"),
    ("truncated npy", "is truncated: its header says"),
    ("a number", "holds an int; parbench needs a list or a dict of items"),
    ("a 0-d array", "holds a single value (shape ())"),
    ("ragged csv", "its last row has 1 field where the first has 2 (truncated?)"),
    ("too small", "holds 6 items; the sweep asks for up to 64"),
    ("too few rows", "holds 3 rows, 0 items of 1000 rows"),
    ("a length the file does not have", "items hold 3 values each"),
    ("unknown suffix", "parbench reads items from"),
])
def test_an_input_file_that_cannot_give_the_items_is_refused(case, said, project, tmp_path, db_path):
    files = write_inputs(tmp_path)
    extra = ()
    if case == "truncated json":
        path = tmp_path / "t.json"
        path.write_text(files["json"].read_text()[:-20])
    elif case == "truncated jsonl":
        path = tmp_path / "t.jsonl"
        path.write_text("\n".join(files["jsonl"].read_text().splitlines()[:2] + ['[1, 2']) + "\n")
    elif case == "truncated pickle":
        path = tmp_path / "t.pkl"
        path.write_bytes(files["pickle dict"].read_bytes()[:-7])
    elif case == "truncated npy":
        path = tmp_path / "t.npy"
        path.write_bytes(files["npy"].read_bytes()[:-8])
    elif case == "a number":
        path = tmp_path / "n.json"
        path.write_text("42")
    elif case == "a 0-d array":
        path = tmp_path / "zero.npy"
        np.save(path, np.array(5))
    elif case == "ragged csv":
        path = tmp_path / "r.csv"
        path.write_text("1,2\n3,4\n5\n")
    elif case == "too small":
        path, extra = files["json"], ("--items", "8..64")
    elif case == "too few rows":
        path = tmp_path / "few.csv"
        path.write_text("1\n2\n3\n")
    elif case == "a length the file does not have":
        path, extra = files["jsonl"], ("--length", "10")
    else:
        path = tmp_path / "items.txt"
        path.write_text("1 2 3")
    result = run_cli("run", "--workload", "mypkg.records:total", "--input", str(path), *extra, *QUICK, db=db_path,
                     cwd=project)
    assert said in refused_in_one_line(result, db_path)


def test_a_pickle_of_the_users_own_objects_is_read_where_they_can_be_imported(project, tmp_path, db_path):
    (project / "mypkg" / "model.py").write_text(textwrap.dedent('''\
        from dataclasses import dataclass


        @dataclass
        class Sale:
            amount: float


        def revenue(sales):
            return sum(s.amount for s in sales)
        '''))
    script = ("import pickle, sys; sys.path.insert(0, sys.argv[1]); from mypkg.model import Sale; "
              "pickle.dump({i: [Sale(1.5)] * 4 for i in range(5)}, open(sys.argv[2], 'wb'))")
    import subprocess
    import sys

    path = tmp_path / "sales.pkl"
    subprocess.run([sys.executable, "-c", script, str(project), str(path)], check=True)
    # The caller reads its shape without importing mypkg (nothing of the user's runs in the app).
    spec = build_spec(workload=str(project / "mypkg" / "model.py") + ":revenue", input=str(path))
    assert spec.items == (5,) and spec.length == (4,)
    rows = measured(run_cli("run", "--workload", "mypkg.model:revenue", "--input", str(path), "--strategies",
                            "serial,processes", *QUICK, "--format", "json", db=db_path, cwd=project))
    assert {(m["strategy"], m["items"], m["length"], m["status"]) for m in rows} == {
        ("serial", 5, 4, "ok"), ("processes", 5, 4, "ok")}
