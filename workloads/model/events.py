"""The progress events a sweep streams from the measuring process to its caller.

They are small on purpose (no input data, no outputs), so that the UI process never holds more than
what it shows, and a pipe carries them without blocking the measurement.

A sweep's stream: `Refused` alone (nothing was started: a workload that cannot run, a sweep that
would not fit in memory, another sweep holding the machine with --no-wait), or `Probed`, any number
of `LockWait`, then `RunStarted`, `CeilingMeasured` (a sweep whose pools' costs are measured), the
first pass (`PointStarted`, `CallStarted`s, a `MeasurementDone` per row, point by point), an
`Outlook`, further rounds at the points still open (the same, the point's rows sent again with
their new rounds), the final rows (each with why it stopped) and `RunFinished`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .measurement import Measurement

COMPLETED = "completed"
CANCELLED = "cancelled"
FAILED = "failed"

# Why a sweep was refused before it started; the CLI exits 2 for each.
REFUSED_WORKLOAD = "workload"
REFUSED_MEMORY = "memory"
REFUSED_LOCK = "lock"
REFUSED_BUDGET = "budget"


@dataclass(frozen=True)
class Refused:
    """The sweep did not start and nothing was measured; `reason` says why in one line."""

    kind: str  # REFUSED_WORKLOAD, REFUSED_MEMORY, REFUSED_LOCK or REFUSED_BUDGET
    reason: str


@dataclass(frozen=True)
class Probed:
    """One item of the workload was built and measured (`workloads.probe`): the sweep fits."""

    profile: dict
    peak_bytes: int
    available_bytes: int
    seconds: float  # the duration estimate at the fewest rounds


@dataclass(frozen=True)
class LockWait:
    """Another parbench sweep is measuring on this machine; this one waits for it."""

    holder: str  # "another parbench sweep, pid N, started 13:08, about 40 s left"
    waited_s: float


@dataclass(frozen=True)
class RunStarted:
    total_points: int
    total_calls: int  # every strategy call at the fewest rounds, warm-ups included: the progress bar's 100%
    machine: dict
    shared: bool = False  # measuring alongside another sweep (--ignore-lock while the lock was held)


@dataclass(frozen=True)
class CeilingMeasured:
    """The machine's parallel ceiling, known before the first point (`workloads.ceiling`): keys
    `parallel_ceiling` (None when it could not be measured), `ceiling_source` (measured, stored, or
    why it is this run's only), `ceiling_note` (why there is none), `ceiling_ratios`,
    `machine_identity` (when it is to be kept for the machine). Merged into the run's machine dict."""

    info: dict


@dataclass(frozen=True)
class PointStarted:
    index: int
    items: int
    length: int
    visit: int = 1  # 1 in the sweep's first pass; more when a point gets further rounds


FIRST_PASS = "first pass"  # every point at its fewest rounds: the whole picture
DECIDING = "deciding"  # further rounds where a comparison is still open
COSTS = "costs"  # each pool's costs taken apart, for the Why
DONE = "done"


@dataclass(frozen=True)
class Outlook:
    """Where the sweep stands: after its first pass (the whole table exists) and after every
    further round. `undecided` counts the points with a comparison still open; `seconds_left` is
    the planner's estimate of what deciding them takes (None while the first pass runs)."""

    phase: str
    points: int
    undecided: int
    seconds_left: float | None = None


@dataclass(frozen=True)
class CallStarted:
    """One strategy call is about to run. A timed call's `repeat` is its round at the point, from 1,
    and `repeats` the most rounds the point may get (exactly that many when `exact`, --repeat N);
    a warm-up's are its number among this visit's warm-ups and how many there are; the untimed
    call that opens a round's block of short calls has both 0."""

    strategy: str
    items: int
    length: int
    repeat: int
    repeats: int
    warmup: bool
    calls_done: int
    workers: int | None = None
    calls_total: int = 0  # the progress bar's 100% now: adaptive rounds raise it
    exact: bool = False  # the point gets exactly `repeats` rounds, not up to that many


@dataclass(frozen=True)
class MeasurementDone:
    measurement: Measurement
    calls_done: int
    calls_total: int = 0


@dataclass(frozen=True)
class RunFinished:
    status: str  # COMPLETED, CANCELLED or FAILED
    error: str = ""


Event = (Refused | Probed | LockWait | RunStarted | CeilingMeasured | PointStarted | CallStarted | MeasurementDone
         | Outlook | RunFinished)
