"""What a sweep is: the `SweepSpec` dataclass and the one validator behind the CLI and the app.

Every user-typed field goes through `parse_*` here, so the command line and the form reject the
same inputs with the same words. Nothing in this module imports numpy: it runs on every keystroke
in the app and before `parbench --help` returns.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields

WORKLOADS = ("sleep", "squares", "spin")
STRATEGIES = ("serial", "processes", "threads", "numpy", "numpy-processes", "dask")
POOL_STRATEGIES = ("processes", "threads", "numpy-processes")
PROCESS_STRATEGIES = ("processes", "numpy-processes")
POOL_MODES = ("cold", "warm")
START_METHODS = ("fork", "spawn", "forkserver")
DEFAULT_STRATEGIES = ("serial", "processes", "numpy")
# Each workload's natural list length: the seed's 10_000 for sleep, a size where the squares loop
# costs milliseconds, and next to nothing to ship for spin (its cost is the loop, not the data).
DEFAULT_LENGTH = {"sleep": "10000", "squares": "100000", "spin": "1"}

# Bounds that keep a typo from becoming a sweep that runs for a week: far above any sane use,
# low enough that the product of two of them stays an int a machine can reason about.
MAX_ITEMS = 1 << 20
MAX_LENGTH = 1 << 32
MAX_POINTS = 256
MAX_REPEAT = 1000
MAX_WORKERS = 512
MAX_SPIN = 10**10
MAX_SLEEP_MS = 60_000.0
MAX_POINT_TIMEOUT = 7 * 24 * 3600.0
# A warm-up is skipped only for calls longer than this. Not 1 s: on this VM the first calls that
# allocate a few hundred MB (squares 16 x 1e6) run up to 2x slower until the allocator holds the
# memory, so even second-long calls need their warm-up; a 50 ms sleep x 128 has nothing to warm.
DEFAULT_SKIP_WARMUP_OVER = 5.0
# A timed repeat lasts at least this long: shorter calls run back to back (see `sweep.loops_for`).
# pyperf takes 0.1 s with many more processes and values; 20 ms already puts a 0.3 ms call in its
# steady state (under 1% off over 70 calls) while keeping a sweep of short calls quick.
DEFAULT_MIN_TIME = 0.02
MAX_MIN_TIME = 60.0


class SpecError(ValueError):
    """A field the user typed is not valid; `field` names it, the message says why."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message


def _parse_int(text: str, field_name: str, *, low: int, high: int) -> int:
    cleaned = text.strip().replace("_", "")
    if not cleaned:
        raise SpecError(field_name, "is empty")
    try:
        value = int(cleaned)
    except ValueError:
        raise SpecError(field_name, f"{text.strip()!r} is not a whole number") from None
    if value < low:
        raise SpecError(field_name, f"must be at least {low}, got {value}")
    if value > high:
        raise SpecError(field_name, f"must be at most {high:,}, got {value:,}")
    return value


def parse_sizes(text: str, field_name: str = "items", *, high: int = MAX_ITEMS) -> tuple[int, ...]:
    """Parse the size grammar: `8`, `4,8,16`, or `4..512` (powers of two, both ends included)."""
    cleaned = text.strip()
    if not cleaned:
        raise SpecError(field_name, "is empty; give a number, a list like 4,8,16 or a range like 4..512")
    if ".." in cleaned:
        lo_text, sep, hi_text = cleaned.partition("..")
        if ".." in hi_text:
            raise SpecError(field_name, f"{cleaned!r} has more than one '..'")
        lo = _parse_int(lo_text, field_name, low=1, high=high)
        hi = _parse_int(hi_text, field_name, low=1, high=high)
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
    values = [_parse_int(part, field_name, low=1, high=high) for part in parts]
    if len(values) > MAX_POINTS:
        raise SpecError(field_name, f"at most {MAX_POINTS} values")
    return tuple(dict.fromkeys(values))  # keep the user's order, drop repeats


def parse_strategies(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    names = [part.strip() for part in text.split(",")] if isinstance(text, str) else list(text)
    names = [name for name in names if name]
    if not names:
        raise SpecError("strategies", "choose at least one of " + ", ".join(STRATEGIES))
    for name in names:
        if name not in STRATEGIES:
            raise SpecError("strategies", f"unknown strategy {name!r}; choose from " + ", ".join(STRATEGIES))
    return tuple(dict.fromkeys(names))


def parse_workload(text: str) -> str:
    name = text.strip()
    if name not in WORKLOADS:
        raise SpecError("workload", f"unknown workload {name!r}; choose from " + ", ".join(WORKLOADS))
    return name


def parse_choice(text: str, field_name: str, choices: tuple[str, ...]) -> str:
    value = text.strip()
    if value not in choices:
        raise SpecError(field_name, f"{value!r} is not one of " + ", ".join(choices))
    return value


def parse_chunksize(text: str | int) -> int | str:
    if isinstance(text, int):
        text = str(text)
    if text.strip() == "auto":
        return "auto"
    return _parse_int(text, "chunksize", low=1, high=MAX_ITEMS)


def parse_float(text: str, field_name: str, *, low: float, high: float) -> float:
    cleaned = text.strip()
    if not cleaned:
        raise SpecError(field_name, "is empty")
    try:
        value = float(cleaned)
    except ValueError:
        raise SpecError(field_name, f"{cleaned!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SpecError(field_name, f"{cleaned!r} is not a finite number")
    if value < low:
        raise SpecError(field_name, f"must be at least {low:g}, got {value:g}")
    if value > high:
        raise SpecError(field_name, f"must be at most {high:g}, got {value:g}")
    return value


def parse_scheduler(text: str | None) -> str | None:
    """A Dask scheduler address (`tcp://host:8786`), or None for a LocalCluster."""
    if text is None or not text.strip() or text.strip() == "local":
        return None
    address = text.strip()
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, colon, port = rest.rpartition(":")
    # isdigit() alone accepts '²' and other digits int() refuses or reads differently.
    valid_port = port.isascii() and port.isdigit() and 0 < int(port) < 65536
    if scheme not in ("tcp", "tls", "ws", "wss", "inproc") or not colon or not host or not valid_port:
        raise SpecError("dask-scheduler", f"{address!r} is not a scheduler address like tcp://host:8786")
    return f"{scheme}://{rest}"


def default_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class SweepSpec:
    """Everything that determines a sweep; stored with the run so it can be repeated exactly."""

    workload: str = "squares"
    items: tuple[int, ...] = (4, 8, 16, 32, 64)
    length: tuple[int, ...] = (100_000,)
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    repeat: int = 3
    warmup: int = 1
    workers: int = field(default_factory=default_workers)
    chunksize: int | str = 1
    pool: str = "cold"
    start_method: str | None = None  # None: the platform's default, resolved in the measuring process
    sleep_ms: float = 50.0
    spin: int = 600_000  # about 50 ms per item here, the seed's per-item cost
    seed: int = 12345
    point_timeout: float | None = None  # seconds a point may take before it is stopped
    skip_warmup_over: float | None = DEFAULT_SKIP_WARMUP_OVER  # no warm-up for calls longer than this
    min_time: float = DEFAULT_MIN_TIME  # seconds a timed repeat lasts at least; 0: one call each
    dask_scheduler: str | None = None  # None: a LocalCluster of `workers` processes

    def points(self) -> list[tuple[int, int]]:
        """The sweep's (items, length) points, in the order they are measured."""
        return [(items, length) for items in self.items for length in self.length]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["items"] = list(self.items)
        data["length"] = list(self.length)
        data["strategies"] = list(self.strategies)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "SweepSpec":
        known = {f.name for f in fields(cls)}
        kwargs = {key: value for key, value in data.items() if key in known}
        for key in ("items", "length", "strategies"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


# Every field the user types, with its parser: the CLI's flags and the app's inputs go through these.
FIELD_PARSERS = {
    "workload": parse_workload,
    "items": lambda text: parse_sizes(text, "items", high=MAX_ITEMS),
    "length": lambda text: parse_sizes(text, "length", high=MAX_LENGTH),
    "strategies": parse_strategies,
    "repeat": lambda text: _parse_int(text, "repeat", low=1, high=MAX_REPEAT),
    "warmup": lambda text: _parse_int(text, "warmup", low=0, high=MAX_REPEAT),
    "workers": lambda text: default_workers() if text is None or text.strip() in ("", "auto")
    else _parse_int(text, "workers", low=1, high=MAX_WORKERS),
    "chunksize": parse_chunksize,
    "pool": lambda text: parse_choice(text, "pool", POOL_MODES),
    "start_method": lambda text: None if text is None or text.strip() in ("", "default")
    else parse_choice(text, "start-method", START_METHODS),
    "sleep_ms": lambda text: parse_float(text, "sleep-ms", low=0.0, high=MAX_SLEEP_MS),
    "spin": lambda text: _parse_int(text, "spin", low=1, high=MAX_SPIN),
    "seed": lambda text: _parse_int(text, "seed", low=0, high=2**63 - 1),
    "point_timeout": lambda text: None if text is None or text.strip() in ("", "none", "0")
    else parse_float(text, "point-timeout", low=0.001, high=MAX_POINT_TIMEOUT),
    "dask_scheduler": lambda text: parse_scheduler(text),
    "skip_warmup_over": lambda text: None if text is not None and text.strip() in ("off", "never")
    else DEFAULT_SKIP_WARMUP_OVER if text is None or not text.strip()
    else parse_float(text, "skip-warmup-over", low=0.0, high=MAX_POINT_TIMEOUT),
    "min_time": lambda text: DEFAULT_MIN_TIME if text is None or not text.strip()
    else parse_float(text, "min-time", low=0.0, high=MAX_MIN_TIME),
}


def parse_field(name: str, text):
    """Parse one field's text; raises `SpecError` naming the field."""
    return FIELD_PARSERS[name](text)


def check_points(items: tuple[int, ...], length: tuple[int, ...]) -> None:
    if len(items) * len(length) > MAX_POINTS:
        raise SpecError("length", f"items × length gives {len(items) * len(length)} points, at most {MAX_POINTS}")


def build_spec(
    *,
    workload: str = "squares",
    items: str = "4..64",
    length: str | None = None,
    strategies: str | tuple[str, ...] = DEFAULT_STRATEGIES,
    repeat: str = "3",
    warmup: str = "1",
    workers: str | None = None,
    chunksize: str = "1",
    pool: str = "cold",
    start_method: str | None = None,
    sleep_ms: str = "50",
    spin: str = "600000",
    seed: str = "12345",
    point_timeout: str | None = None,
    skip_warmup_over: str | None = None,
    dask_scheduler: str | None = None,
    min_time: str | None = None,
) -> SweepSpec:
    """Turn the text of every field into a `SweepSpec`, or raise `SpecError` for the first bad field.
    Without a length, the workload's own default is used."""
    if length is None:
        length = DEFAULT_LENGTH.get(workload.strip(), DEFAULT_LENGTH["squares"])
    texts = dict(
        workload=workload, items=items, length=length, strategies=strategies, repeat=repeat, warmup=warmup,
        workers=workers, chunksize=chunksize, pool=pool, start_method=start_method, sleep_ms=sleep_ms,
        spin=spin, seed=seed, point_timeout=point_timeout, skip_warmup_over=skip_warmup_over,
        dask_scheduler=dask_scheduler, min_time=min_time,
    )
    values = {name: parse_field(name, text) for name, text in texts.items()}
    check_points(values["items"], values["length"])
    return SweepSpec(**values)
