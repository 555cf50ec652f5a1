"""The reference measurements parbench is compared against, each run in a fresh interpreter:

    python -m benchmarks.independent NAME '{"json": "params"}'

prints one JSON line. Only the input data and the kernels come from parbench (the built-in workload
files in `workloads/builtin/`, their inputs built by `workloads.measuring.loader`), so that both sides measure
the same work; the timing here is the standard
library's (`timeit`, `time.perf_counter`), written by hand, with none of parbench's engine.
Everything timed runs with the garbage collector off, as `timeit` does.

Every reference keeps its times as C doubles (`array('d')`), as parbench's engine does: a float
object allocated right after a timed call lands in memory the call's output just freed and keeps
that 1 MiB arena mapped, so each later call maps fewer fresh pages and reads faster. Kept as a list
of floats, the warm-pool reference read 4-8 % faster than parbench for this reason alone (page
faults per call: 3,626 against 5,427); with both sides on C doubles they agree within 1 %.
"""

from __future__ import annotations

import concurrent.futures
import gc
import json
import multiprocessing
import statistics
import sys
import time
import timeit
from array import array


def _input(params: dict, form: str) -> dict:
    from workloads.measuring.loader import LoadedWorkload
    from workloads.model.workload import resolve

    workload = LoadedWorkload(resolve(params.get("workload", "squares")), params.get("settings", {}))
    return workload.make_inputs(params["items"], params["length"], params.get("seed", 12345), (form,))[form]


def _squares_item(key_value):
    """The seed's `manipulate_values1`: the kernel over one (key, value) pair, for a pool's map."""
    from workloads.builtin.squares import kernel

    key, value = key_value
    return key, kernel(value)


def timeit_loop(params: dict) -> dict:
    """`timeit.repeat` of the kernel applied in a plain for loop over the input dict, number=1 (each
    call's output is released inside its timing, as timeit does)."""
    from workloads.builtin import squares

    form = params["form"]
    kernel = squares.kernel_numpy if form == "numpy" else squares.kernel
    data = _input(params, form)

    def loop():
        result = {}
        for key, value in data.items():
            result[key] = kernel(value)
        return result

    warmup = params.get("warmup", 1)
    timer = timeit.Timer(loop)
    times = array("d")  # C doubles: see the module docstring
    for _ in range(warmup + params["repeat"]):
        times.append(timer.timeit(1))
    return {"times_s": list(times[warmup:]), "warmup_times_s": list(times[:warmup])}


def bare_loop(params: dict) -> dict:
    """A bare for loop timed with `time.perf_counter` around it: no function call, no harness. Its
    output is dropped before the clock stops, as rebinding it in a script's own loop would."""
    from workloads.builtin.squares import kernel

    data = _input(params, "python")
    warmup = params.get("warmup", 1)
    times = array("d")  # C doubles: see the module docstring
    for _ in range(warmup + params["repeat"]):
        gc.disable()
        start = time.perf_counter()
        result = {}
        for key, value in data.items():
            result[key] = kernel(value)
        del result
        elapsed = time.perf_counter() - start
        gc.enable()
        times.append(elapsed)
    return {"times_s": list(times[warmup:]), "warmup_times_s": list(times[:warmup])}


def _noop(x):
    return x


def warm_pool(params: dict) -> dict:
    """A warm `ProcessPoolExecutor` (every worker started before timing), then
    `dict(executor.map(kernel, d.items()))` timed with `time.perf_counter`, its release included."""
    data = _input(params, "python")
    workers = params["workers"]
    warmup = params.get("warmup", 1)
    times = array("d")  # C doubles: see the module docstring
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as executor:
        list(executor.map(_noop, range(workers * 2)))
        for _ in range(warmup + params["repeat"]):
            gc.disable()
            start = time.perf_counter()
            result = dict(executor.map(_squares_item, data.items(), chunksize=params.get("chunksize", 1)))
            del result
            elapsed = time.perf_counter() - start
            gc.enable()
            times.append(elapsed)
    return {"times_s": list(times[warmup:]), "warmup_times_s": list(times[:warmup])}


def _spin_many(start, results, items: int, spin: int) -> None:
    from workloads.builtin.spin import kernel

    start.wait()
    began = time.perf_counter()
    for i in range(items):
        kernel([i], spin)
    results.put(time.perf_counter() - began)


def _spin_group(processes: int, items: int, spin: int) -> float:
    """Wall time for `processes` independent processes, released at once, each running the spin
    kernel over `items` items: from the release to the last one's report."""
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    results = ctx.Queue()
    procs = [ctx.Process(target=_spin_many, args=(start, results, items, spin)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    time.sleep(0.1)  # every process is waiting on the event
    began = time.perf_counter()
    start.set()
    for _ in procs:
        results.get()
    wall = time.perf_counter() - began
    for proc in procs:
        proc.join()
    return wall


def ceiling(params: dict) -> dict:
    """The machine's real parallel ceiling for pure-Python work: N processes running the spin kernel
    at once against one running it alone, alternated; ceiling = N × alone / together per round."""
    n, items, spin = params["processes"], params["items"], params["spin"]
    _spin_group(1, 1, spin)  # warm-up: fork and the kernel's import
    alone, together = [], []
    for _ in range(params["rounds"]):
        alone.append(_spin_group(1, items, spin))
        together.append(_spin_group(n, items, spin))
    ratios = [n * a / t for a, t in zip(alone, together)]
    return {"alone_s": alone, "together_s": together, "ceilings": ratios, "ceiling": statistics.median(ratios)}


# The seed's experiments with the seed's own tool -----------------------------------------------
# Module-level functions: the seed's process pool pickles them by reference.


def manipulate_values1(k_v):
    k, v = k_v
    time.sleep(0.05)
    return k, v


def manipulate_values2(v):
    time.sleep(0.05)
    return v


def test_with_process_pool_executor(d):
    with concurrent.futures.ProcessPoolExecutor() as executor:
        return dict(executor.map(manipulate_values1, d.items()))


def test_simple_for_loop(d):
    for key, value in d.items():
        d[key] = manipulate_values2((key, value))


def _squares_loop(data: dict, kernel) -> dict:
    result = {}
    for key, value in data.items():
        result[key] = kernel(value)
    return result


def _squares_serial(data):
    from workloads.builtin.squares import kernel

    return _squares_loop(data, kernel)


def _squares_numpy(data):
    from workloads.builtin.squares import kernel_numpy

    return _squares_loop(data, kernel_numpy)


def _squares_numpy_item(key_value):
    """The seed's third experiment's `manipulate_values1`: `v ** 2 - 13` on one array."""
    from workloads.builtin.squares import kernel_numpy

    key, value = key_value
    return key, kernel_numpy(value)


def _squares_pool(data):
    """The seed's `test_with_process_pool_executor` over the lists (its second experiment)."""
    with concurrent.futures.ProcessPoolExecutor() as executor:
        return dict(executor.map(_squares_item, data.items()))


def _squares_numpy_pool(data):
    """The same over the arrays (the seed's third experiment)."""
    with concurrent.futures.ProcessPoolExecutor() as executor:
        return dict(executor.map(_squares_numpy_item, data.items()))


# simple_benchmark's functions per experiment: (its alias = parbench's strategy, function, input form).
SIMPLE_BENCHMARK = {
    "squares": [("serial", _squares_serial, "python"), ("numpy", _squares_numpy, "numpy")],
    "lists": [("serial", _squares_serial, "python"), ("processes", _squares_pool, "python")],
    "arrays": [("numpy", _squares_numpy, "numpy"), ("numpy-processes", _squares_numpy_pool, "numpy")],
}


class _RecordingTimeit:
    """simple_benchmark's `timeit` module with `repeat` recording the times it returns, so that the
    precision simple_benchmark reached can be stated beside parbench's (it reports only its
    estimator). Everything else is the real module."""

    def __init__(self) -> None:
        self.repeats: list[list[float]] = []

    def __getattr__(self, name):
        return getattr(timeit, name)

    def repeat(self, *args, **kwargs):
        times = timeit.repeat(*args, **kwargs)
        number = kwargs.get("number", 1)
        self.repeats.append([t / number for t in times])
        return times


def simple_benchmark_run(params: dict) -> dict:
    """The seed's experiment with `simple_benchmark.BenchmarkBuilder`, its estimator set to the
    median so that both tools report the same statistic. `sleep` is the seed's code as written;
    the others run the seed's loops without writing into the input dict (the seed's loop squares its
    own output again on every repeat), over parbench's seeded input.

    Returns each function's medians per size, and the relative half-width of the 95 % interval of
    each (function, size)'s times, computed as parbench computes its own."""
    import simple_benchmark
    from simple_benchmark import BenchmarkBuilder

    from workloads.model.stats import time_interval

    recorder = _RecordingTimeit()
    simple_benchmark.timeit = recorder
    b = BenchmarkBuilder(estimator=statistics.median)
    sizes = params["sizes"]
    experiment = params["experiment"]
    if experiment == "sleep":
        b.add_function(alias="processes")(test_with_process_pool_executor)
        b.add_function(alias="serial")(test_simple_for_loop)
        forms = ()

        @b.add_arguments("Number of keys in dict")
        def argument_provider():
            for size in sizes:
                yield size, {i: [i] * params["length"] for i in range(size)}
    else:
        functions = SIMPLE_BENCHMARK[experiment]
        forms = tuple(dict.fromkeys(form for _, _, form in functions))
        for alias, function, form in functions:
            index = forms.index(form)
            b.add_function(alias=alias)(lambda arguments, f=function, i=index: f(arguments[i]))

        @b.add_arguments("Number of keys in dict")
        def argument_provider():
            for size in sizes:
                yield size, tuple(_input({**params, "items": size}, form) for form in forms)

    result = b.run()
    timings = {result._function_name(func): list(values) for func, values in result._timings.items()}
    # simple_benchmark runs every function at one size before the next size, in the order added.
    names = [result._function_name(func) for func in result._timings]
    points = [f"{name} {size}" for size in result._arguments for name in names]
    precision, repeats = {}, {}
    for point, times in zip(points, recorder.repeats):
        interval = time_interval(times)
        precision[point] = interval.relative_half_width if interval and interval.n >= 2 else None
        repeats[point] = len(times)
    return {"sizes": list(result._arguments), "timings": timings, "precision": precision, "repeats": repeats}


NAMES = {
    "timeit_loop": timeit_loop,
    "bare_loop": bare_loop,
    "warm_pool": warm_pool,
    "ceiling": ceiling,
    "simple_benchmark": simple_benchmark_run,
}

if __name__ == "__main__":
    name, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(NAMES[name](json.loads(raw))), flush=True)
