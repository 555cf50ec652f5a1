"""What a sweep is doing, in words, from its progress events: one description of each event for the
CLI's progress line and the app's status line, so the two never say a step differently.

`describe` words an event (None for an event that changes no words); `counted` gives how far the
sweep's calls have got, for a progress bar. A front end adds only what is its own: how to stop
(escape in the app, --no-wait on the command line) and its capitalisation.
"""

from __future__ import annotations

from ..model.events import (
    CallStarted,
    LockWait,
    MeasurementDone,
    PointStarted,
    Probed,
    Refused,
    RunFinished,
    RunStarted,
)
from ..model.machine import Machine
from ..model.numbers import format_bytes, format_duration

STARTING = "measuring one item of the workload"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def where(strategy: str, workers: int | None, items: int, length: int) -> str:
    """`processes ×2 · items=64 length=100000`."""
    who = f"{strategy} ×{workers}" if workers else strategy
    return f"{who} · items={items} length={length}"


def _which_call(event: CallStarted) -> str:
    """`round 3 of up to 20` while rounds are added until decided (how many is not known), `round 3/5`
    under --repeat 5, `warm-up 1/1`: never a count the point may pass."""
    if event.warmup:
        return f"warm-up {event.repeat}/{event.repeats}" if event.repeats else "untimed first call of a round"
    return f"round {event.repeat}/{event.repeats}" if event.exact else f"round {event.repeat} of up to {event.repeats}"


def describe(event) -> str | None:
    """The event in a few words, lower case, without a full stop."""
    if isinstance(event, Probed):
        return f"one item measured: peak ~{format_bytes(event.peak_bytes)}, {format_duration(event.seconds)}"
    if isinstance(event, LockWait):
        return f"waiting for the machine: {event.holder}"
    if isinstance(event, RunStarted):
        machine = Machine.from_dict(event.machine)
        under = f" under Python {machine.python_text}" if machine.python else ""  # which interpreter ran it
        text = f"measuring{under}: {_plural(event.total_points, 'point')}, {_plural(event.total_calls, 'call')}"
        return text + (" (alongside another sweep)" if event.shared else "")
    if isinstance(event, PointStarted):
        return f"point {event.index + 1}: items={event.items} length={event.length}"
    if isinstance(event, CallStarted):
        return f"{where(event.strategy, event.workers, event.items, event.length)} · {_which_call(event)}"
    if isinstance(event, MeasurementDone):
        m = event.measurement
        return f"{where(m.strategy, m.workers, m.items, m.length)} · {m.status}"
    if isinstance(event, Refused):
        return f"refused: {event.reason}"
    if isinstance(event, RunFinished):
        return event.status + (f": {event.error}" if event.error else "")
    return None


def counted(event) -> tuple[int, int | None] | None:
    """(calls done, calls planned) after this event; None for an event that moves no bar. The plan
    grows while adaptive rounds add some; None planned: not known yet."""
    if isinstance(event, RunStarted):
        return 0, event.total_calls
    if isinstance(event, (CallStarted, MeasurementDone)):
        return event.calls_done, event.calls_total or None
    return None
