"""Figure 8, a user's own kernel: parbench's `serial` time for a workload file agrees with an
independent `timeit` of the same function over the same input, in a process of its own.

The workload is a file written to a scratch folder, as a user would (the seed's list kernel, with
its own seeded `make_input`), run through `workloads.session.execute` like the app and the CLI. The
reference is this module run as a script in a fresh interpreter: it imports the file by path with
importlib (none of parbench's loader), calls the file's `make_input`, and times
`for key, value in d.items(): result[key] = kernel(value)` with `timeit.repeat(number=1)`, the GC
off and each call's output released inside the timing, as timeit does. It waits for parbench's
machine lock as a sweep does, so neither side runs beside another parbench sweep. Both sides make
one warm-up call, then the same number of timed calls; they take turns (A B A B) and the figure is
the median over rounds of parbench's median / the reference's median. Two rows of context: the
same with each side's fastest call (on a VM whose clock flips between two speeds, a side's median
lands on whichever speed held while it ran; its fastest call is in the fast phase), and a second
reference per round (timeit against timeit, two fresh processes), the floor under any comparison
between processes here.

    python -m benchmarks --only user_kernel
"""

from __future__ import annotations

import gc
import importlib.util
import json
import statistics
import sys
import textwrap
import time
import timeit
from pathlib import Path

ITEMS, LENGTH = 8, 100_000
# 25 repeats of ~80-120 ms: each side's timed calls span a few seconds, so both sides see both of
# the VM's clock speeds (it flips every few seconds) rather than one each.
REPEAT = 25
SEED = 12345
TOLERANCE = 0.03

WORKLOAD = '''
    """The seed's list kernel, with a make_input of its own: a user's file, not a built-in."""

    import random


    def make_input(items, length, seed):
        rng = random.Random(seed)
        return {i: [rng.randrange(1000) for _ in range(length)] for i in range(items)}


    def kernel(v):
        return_values = []
        for i in v:
            new_value = i ** 2 - 13
            return_values.append(new_value)
        return return_values
'''


def reference(path: str, items: int, length: int, seed: int, repeat: int, warmup: int) -> dict:
    """`timeit.repeat` of the file's kernel in a plain for loop over its own input (number=1)."""
    spec = importlib.util.spec_from_file_location("user_kernel_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kernel = module.kernel
    data = module.make_input(items, length, seed)
    gc.collect()

    def loop():
        result = {}
        for key, value in data.items():
            result[key] = kernel(value)
        return result

    with _machine_lock():
        times = timeit.repeat(loop, number=1, repeat=warmup + repeat)
    return {"times_s": times[warmup:], "warmup_times_s": times[:warmup]}


def _machine_lock():
    """parbench's machine lock, waited for: the reference must not run beside a parbench sweep on
    this machine any more than parbench's own side does (coordination only; nothing is timed by it)."""
    from workloads.measuring.lock import POLL_S, MachineLock

    lock = MachineLock()
    while not lock.try_acquire(10.0):
        time.sleep(POLL_S)
    return lock


def run(ctx) -> list:
    from workloads.model.spec import build_spec

    from .common import (
        fmt_s,
        info,
        interleave,
        measurement,
        parbench_run,
        run_module_child,
        within,
    )

    folder = ctx.workdir / "user-loop"
    folder.mkdir(exist_ok=True)
    path = folder / "listloop.py"
    path.write_text(textwrap.dedent(WORKLOAD), encoding="utf-8")
    spec = build_spec(workload=str(path), items=str(ITEMS), length=str(LENGTH), strategies="serial",
                      repeat=str(REPEAT), warmup="1", seed=str(SEED))

    def parbench() -> tuple[float, ...]:
        run_ = parbench_run(spec, ctx.db("user-kernel"))
        return measurement(run_, "serial").times_s

    def timed() -> tuple[float, ...]:
        result = run_module_child("benchmarks.user_kernel", str(path), str(ITEMS), str(LENGTH), str(SEED),
                                  str(REPEAT), "1")
        return tuple(result["times_s"])

    rounds = ctx.rounds(10, 3)
    timings = interleave([("parbench", parbench), ("timeit", timed), ("timeit again", timed)], rounds,
                         "user kernel")
    figure = f"8 user kernel: a file's list loop {ITEMS}×{LENGTH:,}"

    def compared(statistic, a: str, b: str) -> tuple[float, str]:
        ratios = [statistic(x) / statistic(y) for x, y in zip(timings[a], timings[b])]
        spread = f"per-round ratios {' '.join(f'{r:.3f}' for r in ratios)} (spread {min(ratios):.3f}–{max(ratios):.3f})"
        return statistics.median(ratios), spread

    ratio, spread = compared(statistics.median, "parbench", "timeit")
    fastest, fastest_spread = compared(min, "parbench", "timeit")
    floor, floor_spread = compared(statistics.median, "timeit again", "timeit")
    medians = {name: statistics.median(statistics.median(t) for t in runs) for name, runs in timings.items()}
    return [
        within(figure, ratio, TOLERANCE,
               f"medians: parbench serial {fmt_s(medians['parbench'])} vs timeit.repeat {fmt_s(medians['timeit'])}; "
               f"{spread}; {rounds} rounds × {REPEAT} repeats"),
        info(f"{figure}: fastest repeats", f"{fastest:.3f} ({fastest - 1:+.1%})",
             f"each side's fastest call, which both sides reach in the VM's fast clock phase; {fastest_spread}"),
        info(f"{figure}: timeit vs timeit, two fresh processes", f"{floor:.3f} ({floor - 1:+.1%})",
             f"the floor under comparing two processes here; {floor_spread}"),
    ]


if __name__ == "__main__":
    path_arg, *numbers = sys.argv[1:]
    items_arg, length_arg, seed_arg, repeat_arg, warmup_arg = (int(n) for n in numbers)
    print(json.dumps(reference(str(Path(path_arg)), items_arg, length_arg, seed_arg, repeat_arg, warmup_arg)))
