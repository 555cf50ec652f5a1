"""The machine a run was measured on, with its parallel ceiling: the numbers only mean something
next to the core count, the interpreter and the versions that produced them.

Typed here, a flat dict only at the edges (SQLite, JSON exports, the pipe from the measuring
process), in the keys stored runs and exports have always had. A key this version does not know
(written by a newer parbench) is kept as it came, so a run reads back and re-exports unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

MEASURED = "measured"  # measured by this run, just now
STORED = "stored"  # measured before on this machine and read from the store


@dataclass(frozen=True)
class Ceiling:
    """How much more pure-Python work N processes get done together than one alone (N = the CPU
    count): the most CPU parallelism this machine gives (`workloads.measuring.ceiling`)."""

    value: float | None  # None when it could not be measured (`note` says why)
    source: str = ""  # MEASURED, STORED, or why this reading serves this run only
    note: str = ""  # why there is none
    ratios: tuple[float, ...] = ()  # N × alone / together, one per pair
    identity: str = ""  # the machine it is to be kept for (set only when it should be)

    @property
    def said(self) -> str:
        """Where it comes from, or why there is none, in words."""
        return self.note or self.source

    @property
    def kept_for_machine(self) -> bool:
        return self.source == MEASURED and bool(self.identity) and self.value is not None

    def to_dict(self) -> dict:
        data: dict = {"parallel_ceiling": self.value}
        if self.source:
            data["ceiling_source"] = self.source
        if self.note:
            data["ceiling_note"] = self.note
        if self.ratios:
            data["ceiling_ratios"] = list(self.ratios)
        if self.identity:
            data["machine_identity"] = self.identity
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Ceiling | None":
        if "parallel_ceiling" not in data and "ceiling_note" not in data:
            return None
        value = data.get("parallel_ceiling")
        return cls(float(value) if value else None, str(data.get("ceiling_source") or ""),
                   str(data.get("ceiling_note") or ""), tuple(float(r) for r in data.get("ceiling_ratios") or ()),
                   str(data.get("machine_identity") or ""))


_CEILING_KEYS = ("parallel_ceiling", "ceiling_source", "ceiling_note", "ceiling_ratios", "machine_identity")


@dataclass(frozen=True)
class Machine:
    cpu_count: int | None = None
    usable_cpus: int | None = None
    cpu_model: str | None = None
    memory_bytes: int | None = None
    os: str | None = None
    python: str | None = None
    implementation: str | None = None
    # The interpreter the measuring process ran under (the user's `--python`, or parbench's own).
    executable: str | None = None
    free_threaded: bool | None = None  # a free-threaded build (Py_GIL_DISABLED)
    gil_enabled: bool | None = None  # the GIL at run time, after the workload and numpy were imported
    allocator: str | None = None  # the C allocator's state the figures stand for (`measuring.allocator`)
    numpy: str | None = None
    start_method: str | None = None
    parbench: str | None = None
    hostname: str | None = None
    measured_at: str | None = None
    ceiling: Ceiling | None = None
    other: dict = field(default_factory=dict, compare=False)  # keys a newer parbench wrote, kept as they came
    # Keys a stored record did not have (older runs), so that it is written back as it was read.
    absent: frozenset = field(default=frozenset(), compare=False, repr=False)

    @property
    def recorded(self) -> bool:
        """Whether anything was recorded (a run cancelled before it started has no machine)."""
        return any(getattr(self, name) is not None for name in _FIELDS) or bool(self.other)

    @property
    def gil_off(self) -> bool:
        """Python threads really ran in parallel: a free-threaded build with the GIL off at run time."""
        return bool(self.free_threaded) and self.gil_enabled is False

    @property
    def python_text(self) -> str:
        """The interpreter in a few words: `3.11.7`, `3.13.5 free-threaded, GIL off`, `PyPy 3.10.14`;
        the GIL is named only where it could have been off."""
        text = self.python or "?"
        if self.implementation and self.implementation != "CPython":
            text = f"{self.implementation} {text}"
        if self.free_threaded:
            gil = {True: "GIL on", False: "GIL off"}.get(self.gil_enabled, "GIL not recorded")
            text += f" free-threaded, {gil}"
        return text

    @property
    def cpus(self) -> int | None:
        """The CPUs a sweep could use."""
        return self.usable_cpus or self.cpu_count

    @property
    def ceiling_value(self) -> float | None:
        return self.ceiling.value if self.ceiling is not None else None

    @property
    def ceiling_said(self) -> str:
        return self.ceiling.said if self.ceiling is not None else ""

    def with_ceiling(self, ceiling: Ceiling) -> "Machine":
        return replace(self, ceiling=ceiling)

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in _FIELDS if name not in self.absent}
        if self.ceiling is not None:
            data.update(self.ceiling.to_dict())
        data.update(self.other)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> "Machine":
        data = dict(data or {})
        values = {key: data[key] for key in _FIELDS if key in data}
        other = {key: value for key, value in data.items() if key not in _FIELDS and key not in _CEILING_KEYS}
        return cls(**values, ceiling=Ceiling.from_dict(data), other=other,
                   absent=frozenset(key for key in _FIELDS if key not in data))


# The recorded facts, as stored (the ceiling and the unknown keys are written apart).
_FIELDS = tuple(f.name for f in fields(Machine) if f.name not in ("ceiling", "other", "absent"))
