"""Figure 12, numpy as the user's process sees it: parbench's numpy figure for squares 64 × 1e6
against `python -m timeit` run the documented way, in a fresh process of its own.

Numpy over large arrays runs at one of two speeds, depending on whether the C allocator hands the
arrays a call frees back to the OS (the next call then faults in fresh pages) or keeps them: a
process's history decides which (`workloads.measuring.allocator`). parbench pins the state in which
they are kept; docs/your-project.md gives the timeit command with the same state set through the
environment (`TIMEIT_ENV`). Each round runs one parbench sweep (its own measuring process) and one
such timeit, interleaved; the figure is the median over rounds of parbench's median call over
timeit's median loop. An info row gives plain timeit (no environment), the history-dependent state
parbench used to disagree with by a factor of two.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess

from workloads.measuring.allocator import TIMEIT_ENV
from workloads.model.spec import build_spec

from .common import (
    PYTHON,
    ROOT,
    Context,
    Row,
    child_env,
    fmt_s,
    info,
    interleave,
    measurement,
    median_ratio,
    parbench_run,
    within,
)

ITEMS = 64
LENGTH = 1_000_000
REPEAT = 9
TOLERANCE = 0.10
# The documented command's setup and statement: the same kernel over the same shape of data (int64
# values from range(1000)) as parbench's squares `kernel_numpy`.
SETUP = (f"import numpy as np; rng = np.random.default_rng(0); "
         f"d = {{i: rng.integers(0, 1000, {LENGTH}) for i in range({ITEMS})}}")
STATEMENT = "{k: v ** 2 - 13 for k, v in d.items()}"
_UNITS = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6, "nsec": 1e-9}


def timeit_seconds(environment: dict[str, str]) -> tuple[float, float]:
    """(median, best) seconds per loop of `python -m timeit -v` in a fresh process."""
    env = {key: value for key, value in child_env().items() if not key.startswith("MALLOC_")}
    env.update(environment)
    proc = subprocess.run([PYTHON, "-m", "timeit", "-v", "-s", SETUP, STATEMENT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"timeit exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    raw = re.search(r"raw times: (.*)", proc.stdout)
    loops = re.search(r"(\d+) loops?, best of \d+", proc.stdout)
    if raw is None or loops is None:
        raise RuntimeError(f"unexpected timeit output: {proc.stdout[-300:]}")
    number = int(loops.group(1))
    per_loop = []
    for part in raw.group(1).split(","):
        value, unit = part.split()
        per_loop.append(float(value) * _UNITS[unit] / number)
    return statistics.median(per_loop), min(per_loop)


def run(ctx: Context) -> list[Row]:
    spec = build_spec(workload="squares", items=str(ITEMS), length=str(LENGTH), strategies="numpy",
                      repeat=str(REPEAT), warmup="1")

    def parbench() -> tuple[float, float]:
        m = measurement(parbench_run(spec, ctx.db("numpy-timeit")), "numpy")
        return statistics.median(m.times_s), min(m.times_s)

    steps = [("parbench", parbench), ("timeit, documented", lambda: timeit_seconds(TIMEIT_ENV)),
             ("timeit, plain", lambda: timeit_seconds({}))]
    rounds = ctx.rounds(6, 2)
    results = interleave(steps, rounds, "numpy vs timeit")
    ours = [median for median, _ in results["parbench"]]
    documented = [median for median, _ in results["timeit, documented"]]
    plain = [median for median, _ in results["timeit, plain"]]
    ratio = median_ratio(ours, documented)
    best = median_ratio([b for _, b in results["parbench"]], [b for _, b in results["timeit, documented"]])
    per_round = " ".join(f"{a / b:.3f}" for a, b in zip(ours, documented))
    command = " ".join(f"{k}={v}" for k, v in TIMEIT_ENV.items()) + " python -m timeit -s SETUP STMT"
    figure = f"12 numpy squares {ITEMS}×{LENGTH:,} vs fresh-process timeit"
    return [
        within(figure, ratio, TOLERANCE,
               f"parbench {fmt_s(statistics.median(ours))} vs timeit {fmt_s(statistics.median(documented))} "
               f"({command}); per-round ratios {per_round}; best/min ratio {best:.3f}; {rounds} rounds, "
               f"parbench {REPEAT} repeats, timeit 5"),
        info(f"{figure}, plain timeit (no allocator settings)", f"{median_ratio(ours, plain):.3f}",
             f"timeit without the environment: {fmt_s(statistics.median(plain))}; its state depends on the process's "
             f"history (os {os.uname().release})"),
    ]
