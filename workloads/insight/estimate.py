"""Estimates of a sweep's peak memory and duration, from its spec and a profile of one item
(`workloads.probe`: measured by building one item of the workload and running its kernel once).

The memory estimate guards the machine: a sweep whose inputs, reference output, one strategy's
output and the copies in flight to pool workers would not fit in a safe share of the memory
available now is refused with the figures (the seed's billion-number case among them). The
duration is a rough guide for the user; it only has to say "seconds" or "an hour" correctly. Each
strategy's share of it comes from the strategy itself (`StrategyKind.estimate_call`).

No numpy here: the app runs this on every keystroke.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..model.numbers import format_bytes, format_duration
from ..model.profile import Profile
from ..model.spec import SweepSpec
from ..model.strategies import KINDS, ItemCosts

# Share of available memory a sweep may plan to use: the rest is the user's, and the estimate is rough.
SAFE_SHARE = 0.6
# Share of available memory the inputs of points awaiting further rounds may hold; beyond it a
# point's inputs are rebuilt from the seed when it gets its next round.
KEPT_INPUTS_SHARE = 0.2
# Fragmentation and the allocator's own overhead on top of the objects themselves.
ALLOCATOR_SLACK = 1.15
# Starting the measuring process and probing the workload.
START_S = 0.5


@dataclass(frozen=True)
class MemoryEstimate:
    peak_bytes: int
    available_bytes: int
    input_bytes: int = 0  # the largest point's input dicts

    @property
    def limit_bytes(self) -> int:
        return int(self.available_bytes * SAFE_SHARE)

    @property
    def fits(self) -> bool:
        return self.peak_bytes <= self.limit_bytes

    def refusal(self) -> str:
        return (f"this sweep needs about {format_bytes(self.peak_bytes)} at its largest point, more than "
                f"the {format_bytes(self.limit_bytes)} limit ({SAFE_SHARE:.0%} of the "
                f"{format_bytes(self.available_bytes)} available); use fewer items or a shorter length")


def available_memory() -> int:
    import psutil

    return psutil.virtual_memory().available


def _forms(spec: SweepSpec, profile: Profile) -> set[str]:
    return {KINDS[name].form for name in spec.strategies if KINDS[name].form in profile.forms}


def input_bytes(spec: SweepSpec, profile: Profile, items: int, length: int) -> float:
    return sum(items * profile.forms[form].input_bytes.at(length) for form in _forms(spec, profile))


def point_bytes(spec: SweepSpec, profile: Profile, items: int, length: int) -> int:
    """Peak bytes while measuring one point in the measuring process and its pool workers.

    Everything a point holds at once: the Python input, serial's output kept as the reference, one
    more Python-form output beside it, the numpy form's input, output and reference copy, what
    building an item holds for a moment, and each pool worker's item, result and their pickles.
    Freed Python ints stay in the allocator's arenas, so the sum is what the process really reaches.
    """
    kinds = [KINDS[name] for name in spec.strategies]
    forms = _forms(spec, profile)
    total = 0.0
    python = profile.forms.get("python")
    if python is not None and ("python" in forms or "numpy" not in forms):
        # The input and its reference output; a numpy-only sweep is checked against arrays instead.
        total += items * (python.input_bytes.at(length) + python.output_bytes.at(length))
        if any(k.form == "python" and not k.baseline for k in kinds):
            total += items * python.output_bytes.at(length)  # another strategy's output beside the reference
    numpy = profile.forms.get("numpy")
    if numpy is not None and "numpy" in forms:
        total += items * (numpy.input_bytes.at(length) + 2 * numpy.output_bytes.at(length))
    total += profile.build_peak.at(length)
    shipping = [k for k in kinds if k.ships and k.form in profile.forms]
    if shipping:
        workers = min(max(spec.workers), items)
        per_item = max(
            f.pickled_in.at(length) + f.pickled_out.at(length) + f.input_bytes.at(length) + f.output_bytes.at(length)
            for f in (profile.forms[k.form] for k in shipping))
        total += workers * 1.5 * per_item  # each worker's item, result and their pickles
    return int(total * ALLOCATOR_SLACK)


def memory(spec: SweepSpec, profile: Profile, available_bytes: int | None = None) -> MemoryEstimate:
    if available_bytes is None:
        available_bytes = available_memory()
    peak = max(point_bytes(spec, profile, items, length) for items, length in spec.points())
    biggest = int(max(input_bytes(spec, profile, items, length) for items, length in spec.points()))
    return MemoryEstimate(peak, available_bytes, biggest)


def call_seconds(spec: SweepSpec, profile: Profile, strategy: str, items: int, length: int,
                 workers: int | None = None, cpus: int | None = None) -> float:
    """One call of `strategy` at a point, roughly; 0 where it does not apply (no numpy form)."""
    kind = KINDS[strategy]
    form = profile.forms.get(kind.form)
    if form is None:
        return 0.0
    costs = ItemCosts(form.work_s.at(length), form.cpu_share, form.ship_s.at(length))
    return kind.estimate_call(costs, items, workers=workers or max(spec.workers), cpus=cpus or os.cpu_count() or 1,
                              pool=spec.pool, start_method=spec.start_method or profile.start_method or "fork",
                              chunksize=spec.chunksize)


def _sweep_seconds(spec: SweepSpec, profile: Profile, rounds: int, cpus: int | None) -> float:
    total = START_S
    for items, length in spec.points():
        for strategy, workers in spec.variants():
            call = call_seconds(spec, profile, strategy, items, length, workers, cpus)
            if call <= 0:
                continue
            if call < spec.min_time:
                # The first call alone, then per timed round an untimed call and a block of min-time.
                total += call + rounds * (call + spec.min_time) + max(0, spec.warmup - 1) * call
            else:
                total += (spec.warmup + rounds) * call
    return total


def duration_range(spec: SweepSpec, profile: Profile, cpus: int | None = None) -> tuple[float, float]:
    """The sweep's duration at its fewest rounds, and at its most: the same with a fixed --repeat;
    with adaptive rounds, at most rounds everywhere, or the budget when one is set (a budget never
    cuts a point below its minimum rounds)."""
    low = _sweep_seconds(spec, profile, spec.min_rounds, cpus)
    if not spec.adaptive:
        return low, low
    high = _sweep_seconds(spec, profile, spec.max_rounds, cpus)
    if spec.budget is not None:
        high = max(low, min(high, spec.budget + START_S))
    return low, high


def duration_seconds(spec: SweepSpec, profile: Profile, cpus: int | None = None) -> float:
    """The sweep at its fewest rounds: what a quiet machine takes."""
    return duration_range(spec, profile, cpus)[0]


def describe_duration(spec: SweepSpec, profile: Profile, cpus: int | None = None) -> str:
    """What the form says a sweep takes: the whole picture's time first, then what deciding may add."""
    low, high = duration_range(spec, profile, cpus)
    if high <= low * 1.2:
        return format_duration(low)
    if spec.budget:
        return f"{format_duration(low)} for every point, up to the {format_duration(spec.budget).removeprefix('about ')} budget"
    if spec.deciding:
        return f"{format_duration(low)} for every point, longer where a comparison is close to call"
    return f"{format_duration(low)}, up to {format_duration(high).removeprefix('about ')} if noisy"
