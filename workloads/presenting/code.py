"""The code that won: a stored run's loop rewritten for its fastest strategy, with the settings
parbench measured (workers, chunksize, start method, a warm pool when it was warm), as a script that
runs as it stands (`parbench code RUN`, and a key in the app that copies it).

The script imports the user's function the way a user would (`from mypkg.records import parse_batch`,
or from the file's folder), reads the same items the run measured (the `--input` file, the
workload's `make_input`, or the seed's lists of ints) and keeps pools under
`if __name__ == "__main__":`, as the spawn and forkserver start methods need. It times one call and
prints what it did, so running it is a check that it works under the interpreter the run used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..insight.analysis import analyse
from ..model.errors import ParbenchError
from ..model.inputs import FORMATS
from ..model.numbers import format_interval, format_ratio
from ..model.run import Run
from ..model.strategies import BASELINE, KINDS
from ..model.workload import BUILTIN_DIR, WorkloadError, describe, resolve


class CodeError(ParbenchError):
    """The run cannot give code: nothing measured, or its workload is gone."""


@dataclass(frozen=True)
class Chosen:
    """The strategy the code runs and the settings it was measured with."""

    strategy: str
    workers: int | None
    chunksize: int | None
    pool: str | None
    start_method: str | None
    items: int
    length: int
    said: str  # why this one, in a sentence


def choose(run: Run, strategy: str | None = None) -> Chosen:
    """The fastest strategy at the run's largest point (or `strategy`, as measured there)."""
    ok = [m for m in run.measurements if m.ok and m.stats is not None]
    if not ok:
        raise CodeError(f"run {run.id} has no successful measurement to write code from")
    machine = run.machine
    a = analyse(run.measurements, gil=not machine.gil_off)
    largest = a.largest
    if strategy:
        rows = [m for m in ok if m.strategy == strategy]
        if not rows:
            measured = ", ".join(sorted({m.strategy for m in ok}))
            raise CodeError(f"run {run.id} has no successful {strategy} measurement (it has: {measured})")
        at_largest = [m for m in rows if largest is not None and m.point == largest] or rows
        chosen = min(at_largest, key=lambda m: m.stats.median)
        why = f"{strategy}, as asked"
    else:
        if largest is None:
            raise CodeError(f"run {run.id} has no point where its strategies can be compared")
        winner = a.cells[largest].winner
        chosen = next(m for m in ok if m.series == winner and m.point == largest)
        speedup = a.speedups.get((winner, largest))
        why = f"the fastest at items={largest[0]}, length={largest[1]}, the run's largest point"
        if speedup is not None and chosen.strategy != BASELINE:
            why += f": {format_ratio(speedup.estimate)} as fast as the plain loop"
            if speedup.n >= 2 and speedup.low == speedup.low:
                why += f" (95% {format_interval(speedup.low, speedup.high)})"
    kind = KINDS[chosen.strategy]
    start = (chosen.costs.start_method if chosen.costs is not None and chosen.costs.start_method else None) \
        or run.spec.start_method or machine.start_method
    return Chosen(chosen.strategy, chosen.workers if kind.pooled else None,
                  chosen.chunksize if kind.processes else None, chosen.pool if kind.pooled else None,
                  start if kind.processes else None, chosen.items, chosen.length, why)


# The pieces of the script ------------------------------------------------------------------------------


def _import_lines(run: Run, form: str) -> tuple[list[str], str, str | None, dict]:
    """Lines that import the kernel (and the workload's own input builder when the run used it),
    the kernel's name, the input builder's name (None) and the workload's settings."""
    spec = run.spec
    try:
        ref = resolve(spec.workload, spec.python)
        info = describe(ref)
    except (WorkloadError, ValueError) as exc:
        raise CodeError(f"run {run.id}'s workload cannot be found now: {getattr(exc, 'reason', exc)} (a module is "
                        "looked up from the current folder: run this where the sweep ran)") from None
    kernel = ref.kernel_name if form == "python" else "kernel_numpy"
    make_input = None
    if not spec.input and not ref.function:
        if form == "numpy" and "make_input_numpy" in info.functions:
            make_input = "make_input_numpy"
        elif "make_input" in info.functions:
            make_input = "make_input"
    names = ", ".join(name for name in (kernel, make_input) if name)
    lines: list[str] = []
    if ref.kind == "module":
        if ref.root and not _installed(ref.root):
            lines += ["import sys", f"sys.path.insert(0, {ref.root!r})  # where {ref.module.split('.')[0]} "
                      "was found", f"from {ref.module} import {names}  # noqa: E402"]
        else:
            lines.append(f"from {ref.module} import {names}")
    else:
        path = Path(ref.path) if ref.kind == "file" else BUILTIN_DIR / f"{ref.name.partition(':')[0]}.py"
        lines += ["import sys", f"sys.path.insert(0, {str(path.parent)!r})  # the folder of {path.name}",
                  f"from {path.stem} import {names}  # noqa: E402"]
    settings = {s.name: spec.settings.get(s.name, s.default) for s in info.settings}
    return lines, kernel, make_input, settings


def _installed(folder: str) -> bool:
    """A folder every script of that interpreter imports from (site-packages): no path to add."""
    return Path(folder).name in ("site-packages", "dist-packages")


def _input_lines(run: Run, chosen: Chosen, form: str, make_input: str | None) -> tuple[list[str], list[str]]:
    """(imports, the lines that build `data`): the items the run measured at the chosen point."""
    spec = run.spec
    items, length = chosen.items, chosen.length
    if spec.input:
        path = spec.input
        fmt = FORMATS.get(Path(path).suffix.lower(), "")
        to_array = form == "numpy"
        if fmt == "json":
            lines = [f"with open({path!r}, encoding='utf-8') as handle:", "    loaded = json.load(handle)",
                     "pairs = list(loaded.items() if isinstance(loaded, dict) else enumerate(loaded))"]
            imports = ["import json"]
        elif fmt == "jsonl":
            lines = [f"with open({path!r}, encoding='utf-8') as handle:",
                     "    pairs = list(enumerate(json.loads(line) for line in handle if line.strip()))"]
            imports = ["import json"]
        elif fmt == "pickle":
            lines = [f"with open({path!r}, 'rb') as handle:", "    loaded = pickle.load(handle)",
                     "pairs = list(loaded.items() if isinstance(loaded, dict) else enumerate(loaded))"]
            imports = ["import pickle"]
        elif fmt == "csv":
            lines = ["def number(text):", "    for kind in (int, float):", "        try:",
                     "            return kind(text)", "        except ValueError:", "            pass",
                     "    return text", "",
                     f"with open({path!r}, encoding='utf-8', newline='') as handle:",
                     "    rows = [[number(field) for field in row] for row in csv.reader(handle) if row]",
                     "if len(rows) > 1 and all(isinstance(f, str) for f in rows[0]) and "
                     "not all(isinstance(f, str) for f in rows[1]):",
                     "    rows = rows[1:]  # a header", "rows = [row[0] if len(row) == 1 else row for row in rows]",
                     f"pairs = [(i, rows[i * {length}:(i + 1) * {length}]) for i in range({items})]"]
            imports = ["import csv"]
        else:  # npy, npz
            lines = [f"loaded = numpy.load({path!r})"]
            if fmt == "npz":
                lines += ["arrays = {name: loaded[name] for name in loaded.files}",
                          "pairs = list(arrays.items()) if len(arrays) > 1 else "
                          "list(enumerate(next(iter(arrays.values()))))"]
            else:
                lines += ["pairs = list(enumerate(loaded))"]
            imports = ["import numpy"]
            value = "numpy.array(value)" if to_array else "value.tolist()"
            lines.append(f"data = {{key: {value} for key, value in pairs[:{items}]}}")
            return imports, lines
        if to_array:
            imports.append("import numpy")
            lines.append(f"data = {{key: numpy.asarray(value) for key, value in pairs[:{items}]}}")
        else:
            lines.append(f"data = dict(pairs[:{items}])")
        return imports, lines
    if make_input is not None:
        call = f"{make_input}({items}, {length}, {spec.seed})"
        if form == "numpy" and make_input == "make_input":
            return ["import numpy"], [f"data = {{key: numpy.asarray(value) for key, value in {call}.items()}}"]
        return [], [f"data = {call}"]
    lines = [f"rng = numpy.random.default_rng([{spec.seed}, {items}, {length}])  # the seed's data, as parbench "
             "made it", f"matrix = rng.integers(0, 1000, size=({items}, {length}), dtype=numpy.int64)"]
    if form == "numpy":
        lines.append(f"data = {{i: matrix[i].copy() for i in range({items})}}")
    else:
        lines.append("data = {i: row.tolist() for i, row in enumerate(matrix)}")
    return ["import numpy"], lines


def _loop_lines(chosen: Chosen, kernel: str) -> tuple[list[str], list[str], list[str]]:
    """(imports, module-level helpers, the lines that compute `result` from `data`)."""
    kind = KINDS[chosen.strategy]
    if not kind.pooled:
        return [], [], [f"result = {{key: {kernel}(value) for key, value in data.items()}}"]
    helper = ["def one_item(pair):", "    key, value = pair", f"    return key, {kernel}(value)"]
    workers = chosen.workers or 1
    if kind.cluster:
        imports = ["from dask.distributed import Client, LocalCluster"]
        body = [f"with LocalCluster(n_workers={workers}, threads_per_worker=1) as cluster, Client(cluster) as client:",
                "    result = dict(client.gather(client.map(one_item, list(data.items()), pure=False)))"]
        return imports, helper, body
    warm = chosen.pool == "warm"
    if kind.processes:
        imports = ["import multiprocessing", "from concurrent.futures import ProcessPoolExecutor"]
        context = f"multiprocessing.get_context({chosen.start_method!r})" if chosen.start_method else "None"
        make = f"ProcessPoolExecutor(max_workers={workers}, mp_context={context})"
        call = f"dict(pool.map(one_item, data.items(), chunksize={chosen.chunksize or 1}))"
    else:
        imports = ["from concurrent.futures import ThreadPoolExecutor"]
        make = f"ThreadPoolExecutor(max_workers={workers})"
        call = "dict(pool.map(one_item, data.items()))"
    if warm:
        body = ["# A warm pool, as measured: started once, then reused for every call of your loop.",
                f"pool = {make}", f"list(pool.map(int, range({workers * 2})))  # its workers started before the work arrives",
                "started = time.perf_counter()", f"result = {call}", "elapsed = time.perf_counter() - started",
                "pool.shutdown()"]
        return imports, helper, body
    body = ["# A cold pool, as measured: made for this call and shut down with it.", f"with {make} as pool:",
            f"    result = {call}"]
    return imports, helper, body


def code(run: Run, strategy: str | None = None) -> str:
    """The script: the run's loop with the chosen strategy, ready to run."""
    chosen = choose(run, strategy)
    kind = KINDS[chosen.strategy]
    imports, kernel, make_input, settings = _import_lines(run, kind.form)
    input_imports, input_lines = _input_lines(run, chosen, kind.form, make_input)
    loop_imports, helpers, body = _loop_lines(chosen, "kernel_bound" if settings else kernel)
    machine = run.machine
    python = machine.executable or run.spec.python or "python3"
    bound = []
    if settings:
        loop_imports = ["import functools", *loop_imports]
        arguments = ", ".join(f"{key}={value!r}" for key, value in settings.items())
        # At the top level, so that a pool's workers find it when they import this file.
        bound = ["", f"kernel_bound = functools.partial({kernel}, {arguments})  # the run's settings"]
    described = chosen.strategy + (f" with {chosen.workers} workers" if chosen.workers else "")
    details = [f"{name} {value}" for name, value in (("chunksize", chosen.chunksize),
                                                      ("start method", chosen.start_method),
                                                      ("pool", chosen.pool)) if value]
    header = [
        f'"""{run.spec.workload_name()}: {described}, as parbench measured it in run {run.id}.',
        "",
        f"Chosen: {chosen.said}.",
        f"Measured with {', '.join(details) if details else 'no pool'}, under Python {machine.python_text}, "
        f"at items={chosen.items}, length={chosen.length}.",
        f"Run it with that Python: {python} THIS_FILE.py",
        '"""',
    ]
    main = [*input_lines]
    if kind.pooled and chosen.pool == "warm":
        main += body  # times its own call, once the pool is up
    else:
        main += ["started = time.perf_counter()", *body, "elapsed = time.perf_counter() - started"]
    main.append(f'print(f"{{len(result)}} items with {described} in {{elapsed:.3f}} s")')
    ordered = list(dict.fromkeys(["import time", *loop_imports, *input_imports,
                                  *(line for line in imports if line == "import sys")]))
    imports = [line for line in imports if line != "import sys"]
    import_block = sorted(line for line in ordered if line.startswith("import ")) + \
        sorted(line for line in ordered if line.startswith("from "))
    lines = [*header, "", *import_block, "", *imports, *bound]
    if helpers:
        lines += ["", "", *helpers]
    lines += ["", "", 'if __name__ == "__main__":  # spawn and forkserver workers import this file: the work '
              "stays here", *("    " + line if line else "" for line in main)]
    return "\n".join(lines) + "\n"


def describe_choice(run: Run, strategy: str | None = None) -> str:
    """One line for stderr: which strategy the code is for, and why."""
    chosen = choose(run, strategy)
    return f"{chosen.strategy}: {chosen.said}"
