"""`Measurement`: what one strategy measured at one sweep point, as it flows from the measuring
process to the store, the exporters, the CLI table and the app."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from .stats import Stats, summarize

OK = "ok"
FAILED = "failed"
NOT_APPLICABLE = "n/a"
TIMED_OUT = "timeout"


@dataclass(frozen=True)
class Measurement:
    workload: str
    strategy: str
    items: int
    length: int
    workers: int | None  # None for strategies without a pool
    chunksize: int | None
    pool: str | None
    warmup: int  # warm-up calls actually made (slow points skip them)
    times_s: tuple[float, ...] = ()
    warmup_times_s: tuple[float, ...] = ()
    status: str = OK
    error: str = ""
    point_index: int = 0
    loops: int = 1  # calls per timed repeat (short calls run back to back; times_s is per call)
    stats: Stats | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "times_s", tuple(self.times_s))
        object.__setattr__(self, "warmup_times_s", tuple(self.warmup_times_s))
        object.__setattr__(self, "stats", summarize(self.times_s))

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def repeats(self) -> int:
        return len(self.times_s)

    @property
    def point(self) -> tuple[int, int]:
        return (self.items, self.length)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("stats")
        data["times_s"] = list(self.times_s)
        data["warmup_times_s"] = list(self.warmup_times_s)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Measurement":
        data = {key: value for key, value in data.items() if key != "stats"}
        return cls(**data)


def serial_times(measurements: list[Measurement]) -> dict[tuple[int, int], tuple[float, ...]]:
    """Serial's repeat times at each point: the baseline every speedup is taken against."""
    return {m.point: m.times_s for m in measurements if m.strategy == "serial" and m.ok and m.times_s}


def speedup_vs_serial(m: Measurement, baselines: dict[tuple[int, int], tuple[float, ...]]) -> float | None:
    """Serial time over this strategy's time at the same point.

    Repeats are interleaved, so serial's k-th repeat ran right beside this strategy's k-th: the
    median of those paired ratios cancels a change in machine speed between rounds, which a ratio
    of two medians does not. Unpaired (different repeat counts), it falls back to the medians.
    """
    base = baselines.get(m.point)
    if not m.ok or not m.times_s or not base or min(m.times_s) <= 0:
        return None
    if len(base) == len(m.times_s):
        return statistics.median(b / t for b, t in zip(base, m.times_s))
    return statistics.median(base) / statistics.median(m.times_s)
