"""Summary statistics of one point's repeat times, and when to call a point noisy."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# A point whose repeats spread by more than this share of their median is flagged: on this kind of
# shared VM a speed flip between repeats shows up as exactly such a spread.
NOISY_SPREAD = 0.10


@dataclass(frozen=True)
class Stats:
    min: float
    median: float
    mean: float
    stdev: float
    iqr: float
    max: float

    @property
    def spread(self) -> float:
        """IQR relative to the median (stdev-based when there are too few repeats for quartiles)."""
        if self.median <= 0:
            return 0.0
        return max(self.iqr, self.stdev) / self.median

    @property
    def noisy(self) -> bool:
        return self.spread > NOISY_SPREAD


def summarize(times: list[float] | tuple[float, ...]) -> Stats | None:
    if not times:
        return None
    ordered = sorted(times)
    stdev = statistics.stdev(ordered) if len(ordered) > 1 else 0.0
    if len(ordered) >= 4:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        iqr = q3 - q1
    else:
        iqr = ordered[-1] - ordered[0] if len(ordered) > 1 else 0.0
    return Stats(
        min=ordered[0],
        median=statistics.median(ordered),
        mean=statistics.fmean(ordered),
        stdev=stdev,
        iqr=iqr,
        max=ordered[-1],
    )

