"""What a run is: its spec, the machine it ran on, its measurements, and how it ended.

`run_status` is the one place that says what a run is, from how its sweep ended and what it
measured: completed (every measurement that applies succeeded), partial (completed, with some
measurements failed or timed out), failed (nothing measured, or something the run depends on
failed), or cancelled. A stored run whose owner died while it ran reads as interrupted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .events import CANCELLED, COMPLETED, FAILED, RunFinished
from .machine import Machine
from .measurement import NOT_APPLICABLE, Measurement
from .spec import SweepSpec

PARTIAL = "partial"
REFUSED = "refused"
RUNNING = "running"
INTERRUPTED = "interrupted"
# Every status a stored run may hold (a refused sweep stores nothing).
STATUSES = (COMPLETED, PARTIAL, FAILED, CANCELLED, RUNNING, INTERRUPTED)


@dataclass
class Run:
    id: int | None  # None for a run the store could not take (its numbers live in memory)
    spec: SweepSpec
    status: str
    started_at: str
    finished_at: str | None = None
    error: str = ""
    machine: Machine = field(default_factory=Machine)
    measurements: list[Measurement] = field(default_factory=list)
    imported: bool = False  # brought in with `parbench import` (measured elsewhere, or earlier)

    def __post_init__(self) -> None:
        if isinstance(self.machine, dict):  # from JSON or an older caller
            self.machine = Machine.from_dict(self.machine)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "spec": self.spec.to_dict(),
            "machine": self.machine.to_dict(),
            "status": self.status,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


def run_status(finished: RunFinished, measurements: list[Measurement]) -> tuple[str, str]:
    """What a run is, from how its sweep ended and what it measured; the text says why when it is
    not plainly completed."""
    if finished.status == CANCELLED:
        return CANCELLED, finished.error or "cancelled"
    if finished.status != COMPLETED:
        return FAILED, finished.error or "the sweep ended without a result"
    applicable = [m for m in measurements if m.status != NOT_APPLICABLE]
    bad = [m for m in applicable if not m.ok]
    if not applicable:
        return FAILED, "nothing applied: no strategy of this sweep can run this workload"
    if not bad:
        return COMPLETED, ""
    kinds = {}
    for m in bad:
        kinds[m.status] = kinds.get(m.status, 0) + 1
    detail = ", ".join(f"{count} {'timed out' if status == 'timeout' else status}" for status, count in kinds.items())
    if len(bad) == len(applicable):
        return FAILED, f"no measurement succeeded ({detail})"
    return PARTIAL, f"{len(bad)} of {len(applicable)} measurements did not succeed ({detail})"


def fingerprint(run: Run) -> str:
    """A hash of what a run measured: its spec, machine, times and statuses, but not its id or
    whether it was imported, so a run and its export (from any store) hash alike."""
    content = {
        "spec": run.spec.to_dict(),
        "machine": run.machine.to_dict(),
        "status": run.status,
        "error": run.error,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "measurements": [m.to_dict() for m in run.measurements],
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
