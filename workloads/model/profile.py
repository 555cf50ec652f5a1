"""What one item of a workload measured before its sweep looks like (`workloads.measuring.probe`
measures it): its size in memory and pickled, and its kernel's time, as lines in the item's length.
The estimate (`workloads.insight.estimate`) scales it to the sweep's points."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Linear:
    """A quantity of one item as a function of its length: fixed + per_length × length."""

    fixed: float
    per_length: float

    def at(self, length: int) -> float:
        return max(0.0, self.fixed + self.per_length * length)

    @classmethod
    def fit(cls, samples: list[tuple[int, float]]) -> "Linear":
        samples = sorted(samples)
        if len(samples) == 1 or samples[0][0] == samples[-1][0]:
            length, value = samples[-1]
            return cls(0.0, value / max(1, length))  # one length: assume it grows with the length
        (l1, v1), (l2, v2) = samples[0], samples[-1]
        slope = max(0.0, (v2 - v1) / (l2 - l1))
        return cls(max(0.0, v2 - slope * l2), slope)


@dataclass(frozen=True)
class FormProfile:
    """One item in one form (Python lists or numpy arrays)."""

    input_bytes: Linear  # the value in memory
    output_bytes: Linear  # the kernel's result in memory
    pickled_in: Linear  # bytes a pool ships to a worker
    pickled_out: Linear  # bytes it ships back
    work_s: Linear  # the kernel's time on the item
    ship_s: Linear  # pickling and unpickling the value and the result, once each way
    cpu_share: float  # CPU time over wall time of the kernel: 0 for a sleep, 1 for a Python loop


@dataclass(frozen=True)
class Profile:
    forms: dict[str, FormProfile]
    build_peak: Linear  # the most memory building one item took at once (all forms)
    lengths: tuple[int, ...]  # the lengths measured
    # multiprocessing's default where it was measured (fork up to 3.13 on Linux, forkserver from
    # 3.14): what a blank start method means for the estimate, whichever Python the caller runs.
    start_method: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Profile":
        forms = {name: FormProfile(**{key: (Linear(**value) if isinstance(value, dict) else value)
                                      for key, value in form.items()})
                 for name, form in data["forms"].items()}
        return cls(forms, Linear(**data["build_peak"]), tuple(data["lengths"]), str(data.get("start_method") or ""))
