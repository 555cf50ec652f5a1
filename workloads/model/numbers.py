"""How parbench writes a figure: durations, ratios, intervals, sizes. One module, so a figure reads
the same in the app, the command line, every export and the Why."""

from __future__ import annotations


def format_seconds(value: float | None) -> str:
    """A duration with a unit a person reads at a glance: 950 µs, 12.3 ms, 3.21 s."""
    if value is None:
        return "—"
    if value < 1e-6:
        return f"{value * 1e9:.3g} ns"
    if value < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def format_ratio(value: float | None) -> str:
    """`1.86×`: a speedup, or one run's time over another's."""
    if value is None:
        return "—"
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def format_interval(low: float | None, high: float | None) -> str:
    """`0.97–1.15`: the interval of a speedup, as compact as its figures allow."""
    if low is None or high is None:
        return "—"

    def short(value: float) -> str:
        return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"

    return f"{short(low)}–{short(high)}"


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"
