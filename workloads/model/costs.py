"""A pool's costs taken apart at one point (`workloads.measuring.costs` measures them, outside the
timed calls): what starting it, shipping an item each way and the work per item cost, with the
figures the model needs beside them (`workloads.insight.analysis`). Seconds, per item where the name
says so; None where a figure was not measured (a run stored without costs, a measurement that
failed part-way: `error` says why).

Typed here; a flat dict only at the edges (SQLite, JSON exports, the pipe), in the keys stored runs
have always had. Keys this version does not know are kept as they came.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class PoolCosts:
    workers: int | None = None
    pool: str | None = None  # "cold" or "warm"
    start_method: str | None = None
    chunksize: int | None = None
    work_per_item_s: float | None = None  # c: the in-process strategy's time per item, or the kernel's
    work_source: str = ""  # which measurement the work per item comes from
    cpu_share: float | None = None  # s: CPU time over wall time of the kernel (0 a sleep, 1 a Python loop)
    ceiling: float | None = None  # the machine's parallel ceiling the run had
    ceiling_note: str = ""  # where that ceiling comes from, or why there is none
    cpus: int | None = None
    error: str = ""  # why the costs are missing or incomplete
    input_bytes: float | None = None  # one item pickled, mean over the sampled items
    result_bytes: float | None = None  # one result pickled
    pickle_in_s: float | None = None  # one dumps + loads of an item
    pickle_out_s: float | None = None  # one dumps + loads of a result
    empty_cold_start_s: float | None = None  # a cold pool made, a trivial item to every worker, shut down
    pool_create_s: float | None = None
    dispatch_s: float | None = None  # a warm pool's round trip of one trivial item
    ship_out_s: float | None = None  # shipping one item out, beyond the dispatch
    ship_back_s: float | None = None  # shipping one result back
    ship_items: int | None = None  # items sent per shipping round trip
    cold_start_s: float | None = None  # a cold pool's start with real items, their shipping and work taken out
    pool_shutdown_s: float | None = None
    pool_start_s: float | None = None  # S: the start a call pays (cold: cold_start_s; warm: dispatch_s)
    measured_in_s: float | None = None  # how long taking these costs took
    pace_s: float | None = None  # the machine's pace gauge at this point (its median)
    other: dict = field(default_factory=dict, compare=False)  # keys a newer parbench wrote
    # Keys a stored record did not have, so that it is written back as it was read.
    absent: frozenset = field(default=frozenset(), compare=False, repr=False)

    @property
    def ship_s(self) -> float:
        """a: one item out and its result back."""
        return (self.ship_out_s or 0.0) + (self.ship_back_s or 0.0)

    @property
    def pickle_s(self) -> float:
        return (self.pickle_in_s or 0.0) + (self.pickle_out_s or 0.0)

    @property
    def shipped_bytes(self) -> float:
        return (self.input_bytes or 0.0) + (self.result_bytes or 0.0)

    @property
    def complete(self) -> bool:
        """Enough for the model: a start and a work per item, and no error."""
        return not self.error and self.pool_start_s is not None and self.work_per_item_s is not None

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in _FIELDS if name not in self.absent}
        data.update(self.other)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> "PoolCosts | None":
        if data is None:
            return None
        values = {key: data[key] for key in _FIELDS if key in data}
        other = {key: value for key, value in data.items() if key not in _FIELDS}
        return cls(**values, other=other, absent=frozenset(key for key in _FIELDS if key not in data))


_FIELDS = tuple(f.name for f in fields(PoolCosts) if f.name not in ("other", "absent"))
