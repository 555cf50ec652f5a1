"""A run of --vs as the user reads it: each arm named by what it is (`A: pool=cold (…)`, not
`A: A (…)`), and B's rows said in words (`processes with 2 workers in B`), never as a key
(`processes@2|B`)."""

from __future__ import annotations

import io

from rich.console import Console

from tui.report import render_run
from workloads.model.measurement import STOP_MAX_ROUNDS, Measurement
from workloads.model.run import Run
from workloads.model.spec import SweepSpec

SERIAL = (0.040, 0.041, 0.040)
POOLED = (0.030, 0.090, 0.031)  # too spread to decide in three rounds


def _run() -> Run:
    spec = SweepSpec(workload="squares", items=(4, 8), length=(1000,), strategies=("serial", "processes"),
                     workers=(2,), vs="pool=warm")
    rows = []
    for index, items in enumerate(spec.items):
        for arm in ("", "B"):
            for strategy, times, workers in (("serial", SERIAL, None), ("processes", POOLED, 2)):
                rows.append(Measurement("squares", strategy, items, 1000, workers, None, "warm" if arm else "cold",
                                        0, tuple(t * items for t in times), point_index=index, stop=STOP_MAX_ROUNDS,
                                        arm=arm))
    return Run(1, spec, "completed", "2026-01-02T03:04:05+00:00", measurements=rows)


def test_the_vs_report_names_each_arm_by_what_it_is():
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(render_run(_run(), "table"))
    text = console.file.getvalue()
    assert "|B" not in text and "A: A " not in text
    lines = text.splitlines()
    assert any(line.startswith("A: pool=cold (squares") for line in lines), text
    assert any(line.startswith("B: pool=warm (squares") for line in lines), text
    # The undecided rows the verdict lists: B's in words.
    said = " ".join(text.split())
    assert "processes with 2 workers in B at items=4" in said, said
