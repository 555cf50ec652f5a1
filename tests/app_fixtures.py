"""Fixed runs for the app's snapshot and Pilot tests, fed through the main screen's own event path.

`feed` posts the events a sweep's worker posts (RunStarted, one MeasurementDone per row) and then
its outcome, with the status the engine's `run_status` gives those rows; nothing depends on how
fast the machine is. `screen_text` is the screen as a monochrome terminal shows it.
"""

from __future__ import annotations

import io
import time

from rich.console import Console

from tui.screens.main import SweepEnded, SweepEvent
from tui.widgets.results_view import ResultsView
from tui.widgets.setup_form import SetupForm
from workloads.model.events import COMPLETED, MeasurementDone, RunFinished, RunStarted
from workloads.model.measurement import FAILED, NOT_APPLICABLE, TIMED_OUT, Measurement
from workloads.model.run import Run, run_status
from workloads.model.spec import SweepSpec
from workloads.session import Outcome

MACHINE = {"cpu_count": 2, "usable_cpus": 2, "python": "3.11", "start_method": "fork"}


JITTER = (-2, 1, 0, -1, 2)


def _times(median: float, spread: float = 0.01, n: int = 5, shift: int = 0) -> tuple[float, ...]:
    """n repeat times around `median`; `shift` rotates the rounds' order, so that two series'
    per-round ratios differ as measured ones do."""
    order = JITTER[shift % 5:] + JITTER[:shift % 5]
    return tuple(median * (1 + spread * k) for k in order[:n])


POINTS = ((4, 0.024, 0.066, 0.0011), (8, 0.049, 0.110, 0.0022), (16, 0.098, 0.205, 0.0045),
          (32, 0.197, 0.401, 0.0089), (64, 0.395, 0.790, 0.0180))


def default_sweep(points: int = 4) -> tuple[SweepSpec, list[Measurement]]:
    """squares, items 4..32 (4..64 with `points=5`, the form's default), serial / processes / numpy:
    numpy's first point noisy."""
    spec = SweepSpec(workload="squares", items=tuple(p[0] for p in POINTS[:points]), length=(100000,), workers=(2,))
    rows = []
    for index, (items, serial, pooled, vector) in enumerate(POINTS[:points]):
        rows.append(Measurement("squares", "serial", items, 100000, None, None, None, 1, _times(serial),
                                point_index=index, stop="precision", precision=0.012))
        rows.append(Measurement("squares", "processes", items, 100000, 2, 1, "cold", 1, _times(pooled, 0.02, shift=1),
                                point_index=index, stop="precision", precision=0.03, check="exactly equal to serial"))
        rows.append(Measurement("squares", "numpy", items, 100000, None, None, None, 1,
                                _times(vector, 0.12 if items == 4 else 0.015, shift=2), point_index=index,
                                stop="max rounds" if items == 4 else "precision", precision=0.09 if items == 4 else 0.02))
    return spec, rows


def failing_sweep() -> tuple[SweepSpec, list[Measurement]]:
    """spin with a point timeout: processes times out at the larger points, one numpy row n/a, one failure."""
    spec = SweepSpec(workload="spin", items=(4, 8, 16), length=(1,), strategies=("serial", "processes", "threads",
                                                                                "numpy"),
                     workers=(2,), point_timeout=0.5)
    rows = []
    for index, items in enumerate((4, 8, 16)):
        serial = 0.01 * items
        rows.append(Measurement("spin", "serial", items, 1, None, None, None, 1, _times(serial), point_index=index))
        if items == 4:
            rows.append(Measurement("spin", "processes", items, 1, 2, 1, "cold", 1, _times(0.09, shift=3),
                                    point_index=index))
        else:
            rows.append(Measurement("spin", "processes", items, 1, 2, 1, "cold", 0, (), status=TIMED_OUT,
                                    error="the point ran out of its 0.5 s (--point-timeout)", point_index=index))
        if items == 16:
            rows.append(Measurement("spin", "threads", items, 1, 2, None, "cold", 0, (), status=FAILED,
                                    error="RuntimeError: can't start new thread", point_index=index))
        else:
            rows.append(Measurement("spin", "threads", items, 1, 2, None, "cold", 1, (serial * 1.02,),
                                    point_index=index))
        rows.append(Measurement("spin", "numpy", items, 1, None, None, None, 0, (), status=NOT_APPLICABLE,
                                error="spin has no numpy form (no kernel_numpy)", point_index=index))
    return spec, rows


def six_strategies() -> tuple[SweepSpec, list[Measurement]]:
    names = ("serial", "processes", "threads", "numpy", "numpy-processes", "dask")
    spec = SweepSpec(workload="squares", items=(4, 16, 64), length=(100000,), strategies=names, workers=(2,))
    factors = {"serial": 1.0, "processes": 2.6, "threads": 1.05, "numpy": 0.02, "numpy-processes": 1.9, "dask": 4.0}
    rows = []
    for index, items in enumerate((4, 16, 64)):
        for name in names:
            pooled = name in ("processes", "threads", "numpy-processes", "dask")
            time = 0.006 * items * factors[name] / (1.7 if pooled and items > 4 and name != "threads" else 1)
            rows.append(Measurement("squares", name, items, 100000, 2 if pooled else None,
                                    1 if name in ("processes", "numpy-processes") else None,
                                    "cold" if pooled else None, 1, _times(time, shift=names.index(name)),
                                    point_index=index))
    return spec, rows


def finished_run(spec: SweepSpec, rows: list[Measurement], run_id: int | None = 7) -> Outcome:
    status, error = run_status(RunFinished(COMPLETED), rows)
    run = Run(id=run_id, spec=spec, status=status, started_at="2026-01-02T03:04:05+00:00", error=error,
              machine=dict(MACHINE), measurements=list(rows))
    return Outcome(run, status, error)


async def feed(pilot, spec: SweepSpec, rows: list[Measurement], run_id: int | None = 7) -> Outcome:
    """Post a sweep's events and its end to the main screen, as the sweep's worker would."""
    screen = pilot.app.main_screen
    screen.query_one(SetupForm).set_texts({"workload": spec.workload, "strategies": ",".join(spec.strategies),
                                           "items": ",".join(map(str, spec.items))})
    screen.query_one(ResultsView).pool_workers = max(spec.workers)  # as `MainScreen.start` does
    screen.post_message(SweepEvent(RunStarted(len(spec.points()), len(rows) * 4, dict(MACHINE))))
    for done, m in enumerate(rows, start=1):
        screen.post_message(SweepEvent(MeasurementDone(m, done * 4, len(rows) * 4)))
    outcome = finished_run(spec, rows, run_id)
    screen.post_message(SweepEnded(outcome))
    await pilot.pause()
    await pilot.pause()
    return outcome




def screen_text(app) -> str:
    """The screen as plain text (no colour, no styles), as `tmux capture-pane -p` would print it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def worker_sweep() -> tuple[SweepSpec, list[Measurement]]:
    """spin at 4 and 8 items, processes with 1 and 2 workers."""
    spec = SweepSpec(workload="spin", items=(4, 8), length=(1,), strategies=("serial", "processes"), workers=(1, 2))
    rows = []
    for index, items in enumerate((4, 8)):
        serial = 0.05 * items
        rows.append(Measurement("spin", "serial", items, 1, None, None, None, 1, _times(serial), point_index=index))
        for workers in (1, 2):
            rows.append(Measurement("spin", "processes", items, 1, workers, 1, "cold", 1,
                                    _times(serial / workers * 1.1, shift=workers), point_index=index))
    return spec, rows


async def until(pilot, predicate, timeout: float = 60.0) -> bool:
    """Pause the app until `predicate()` holds (False if it never does within `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()
