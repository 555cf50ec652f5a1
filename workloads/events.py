"""The progress events a sweep streams from the measuring process to its caller.

They are small on purpose (no input data, no outputs), so that the UI process never holds more than
what it shows, and a pipe carries them without blocking the measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

from .measurement import Measurement

COMPLETED = "completed"
CANCELLED = "cancelled"
FAILED = "failed"


@dataclass(frozen=True)
class RunStarted:
    total_points: int
    total_calls: int  # every strategy call, warm-ups included: the progress bar's 100%
    machine: dict


@dataclass(frozen=True)
class PointStarted:
    index: int
    items: int
    length: int


@dataclass(frozen=True)
class CallStarted:
    """One strategy call is about to run; `repeat` counts from 1, warm-ups are numbered separately."""

    strategy: str
    items: int
    length: int
    repeat: int
    repeats: int
    warmup: bool
    calls_done: int


@dataclass(frozen=True)
class MeasurementDone:
    measurement: Measurement
    calls_done: int


@dataclass(frozen=True)
class RunFinished:
    status: str  # COMPLETED, CANCELLED or FAILED
    error: str = ""


Event = RunStarted | PointStarted | CallStarted | MeasurementDone | RunFinished
