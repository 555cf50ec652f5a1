"""The parsers behind every field a user types, on the command line and in the app's form.

One set of rules, one set of words: a field's text is accepted or refused here with a `SpecError`
that names the field and says what would be accepted. No numpy, no user code: this runs on every
keystroke in the app and before `parbench --help` returns.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .errors import ParbenchError


class SpecError(ParbenchError, ValueError):
    """A field the user typed is not valid; `field` names it (as its flag, without dashes), the
    message says why."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message


def _ascii(text: str, field_name: str) -> str:
    # int('٤') is 4 and float('１.５') is 1.5: a value that reads differently on screen than in the
    # export is a trap, so only ASCII digits are numbers here.
    if not text.isascii():
        raise SpecError(field_name, f"{text!r} has characters other than ASCII digits; type it with 0-9")
    return text


def parse_int(text: str, field_name: str, *, low: int, high: int, words: str = "a whole number") -> int:
    cleaned = text.strip().replace("_", "")
    if not cleaned:
        raise SpecError(field_name, f"is empty; give {words}")
    _ascii(cleaned, field_name)
    try:
        value = int(cleaned)
    except ValueError:
        raise SpecError(field_name, f"{text.strip()!r} is not {words}") from None
    if value < low:
        raise SpecError(field_name, f"must be at least {low:,}, got {value:,}")
    if value > high:
        raise SpecError(field_name, f"must be at most {high:,}, got {value:,}")
    return value


def parse_float(text: str, field_name: str, *, low: float, high: float, unit: str = "") -> float:
    cleaned = text.strip()
    if not cleaned:
        raise SpecError(field_name, "is empty; give a number")
    _ascii(cleaned, field_name)
    try:
        value = float(cleaned)
    except ValueError:
        raise SpecError(field_name, f"{cleaned!r} is not a number") from None
    if not math.isfinite(value):
        raise SpecError(field_name, f"{cleaned!r} is not a finite number")
    suffix = f" {unit}" if unit else ""
    if value < low:
        raise SpecError(field_name, f"must be at least {low:g}{suffix}, got {value:g}")
    if value > high:
        raise SpecError(field_name, f"must be at most {high:g}{suffix}, got {value:g}")
    return value


def parse_sizes(text: str, field_name: str, *, high: int, max_values: int) -> tuple[int, ...]:
    """The size grammar: `8`, `4,8,16`, or `4..512` (powers of two, both ends included)."""
    cleaned = text.strip()
    if not cleaned:
        raise SpecError(field_name, "is empty; give a number, a list like 4,8,16 or a range like 4..512")
    if ".." in cleaned:
        lo_text, _, hi_text = cleaned.partition("..")
        if ".." in hi_text:
            raise SpecError(field_name, f"{cleaned!r} has more than one '..'")
        if not lo_text.strip():
            raise SpecError(field_name, f"{cleaned!r} has no lower end; write it like 4..{hi_text.strip() or 64}")
        if not hi_text.strip():
            raise SpecError(field_name, f"{cleaned!r} has no upper end; write it like {lo_text.strip()}..64")
        lo = parse_int(lo_text, field_name, low=1, high=high)
        hi = parse_int(hi_text, field_name, low=1, high=high)
        if lo > hi:
            raise SpecError(field_name, f"range {lo}..{hi} is reversed; write {hi}..{lo}")
        for end in (lo, hi):
            if end & (end - 1):
                raise SpecError(field_name, f"range ends must be powers of two; {end} is not")
        sizes: list[int] = []
        size = lo
        while size <= hi:
            sizes.append(size)
            size *= 2
        return tuple(sizes)
    parts = cleaned.split(",")
    if any(not part.strip() for part in parts):
        raise SpecError(field_name, f"{cleaned!r} has an empty entry between commas")
    values = [parse_int(part, field_name, low=1, high=high) for part in parts]
    if len(values) > max_values:
        raise SpecError(field_name, f"at most {max_values} values")
    return tuple(dict.fromkeys(values))  # keep the user's order, drop repeats


def parse_choice(text: str, field_name: str, choices: tuple[str, ...]) -> str:
    value = text.strip()
    if value not in choices:
        raise SpecError(field_name, f"{value!r} is not one of " + ", ".join(choices))
    return value


def parse_percent(text: str, field_name: str, *, low: float, high: float) -> float:
    """`5%` or `5`: five per cent, returned as 0.05."""
    cleaned = text.strip().removesuffix("%").strip()
    if not cleaned:
        raise SpecError(field_name, "is empty; give a percentage like 5%")
    _ascii(cleaned, field_name)
    try:
        value = float(cleaned)
    except ValueError:
        raise SpecError(field_name, f"{text.strip()!r} is not a percentage like 5%") from None
    if not math.isfinite(value) or value < low or value > high:
        raise SpecError(field_name, f"must be between {low:g}% and {high:g}%, got {text.strip()}")
    return value / 100.0


def parse_duration(text: str, field_name: str, *, low: float, high: float) -> float:
    """Seconds: `90`, `90s`, `1.5m`, `2h`."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise SpecError(field_name, "is empty; give a duration like 60s or 5m")
    scale = 1.0
    for suffix, factor in (("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if cleaned.endswith(suffix):
            cleaned, scale = cleaned[: -len(suffix)].strip(), factor
            break
    _ascii(cleaned, field_name)
    try:
        value = float(cleaned) * scale
    except ValueError:
        raise SpecError(field_name, f"{text.strip()!r} is not a duration like 60s or 5m") from None
    if not math.isfinite(value) or value < low or value > high:
        raise SpecError(field_name, f"must be between {low:g} s and {high:g} s, got {text.strip()}")
    return value


def parse_existing_path(text: str, field_name: str) -> Path:
    """A path the user typed (`~` expanded, made absolute) to something that exists; `SpecError`
    saying which part failed otherwise. What it must be (a file, an interpreter) is the caller's."""
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # "~name" of a user this machine does not know
        raise SpecError(field_name, f"{text}: no such user's home folder") from None
    path = Path(os.path.abspath(path))
    if not path.exists():
        raise SpecError(field_name, f"{text}: no such file")
    return path
