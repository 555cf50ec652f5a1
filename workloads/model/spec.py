"""What a sweep is: `SweepSpec`, whose every attribute a user sets is declared on it, once.

Each attribute's declaration (`declare`) is a `Field` (`workloads.model.options`): its flag, form
label, default as typed, help, parser and when it applies (chunksize only with a process pool, a
workload's settings only with that workload). `FIELDS` is read off the class; a strategy's own
options (Dask's scheduler) come from its `StrategyKind`, a workload's settings from its source. The
CLI's argparse options, the app's form and the spec's defaults are all generated from these;
nothing else declares a field. No numpy and no user code here: this runs on every keystroke in the
app and before `parbench --help` returns.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from typing import Any

from . import inputs as input_files
from . import interpreter
from . import strategies as strategy_kinds
from . import workload as workloads
from .options import Field
from .parsing import (
    SpecError,
    parse_choice,
    parse_duration,
    parse_float,
    parse_int,
    parse_percent,
    parse_sizes,
)

# Bounds that keep a typo from becoming a sweep that runs for a week: far above any sane use,
# low enough that the product of two of them stays an int a machine can reason about.
MAX_ITEMS = 1 << 20
MAX_LENGTH = 1 << 32
MAX_POINTS = 256
MAX_REPEAT = 1000
MAX_WORKERS = 512
MAX_POINT_TIMEOUT = 7 * 24 * 3600.0
# Adaptive rounds stop here at the latest: past 20 paired rounds an interval narrows by under 3 % a
# round, and a point that is still that noisy says more about the machine than about the code.
MAX_ROUNDS = 20
# The first pass gives every point this many rounds before any point gets another: two make the
# first look of the decision rule (`workloads.model.decision`), which borrows the variance of the
# sweep's other points, so a 2× gap is decided there.
MIN_ROUNDS = 2
# With --precision, a point first gets three: an interval of two rounds is rarely within ±5 %.
PRECISION_MIN_ROUNDS = 3
COSTS_MODES = ("auto", "on", "off")
# A warm-up is skipped only for calls longer than this. Not 1 s: on this VM the first calls that
# allocate a few hundred MB (squares 16 x 1e6) run up to 2x slower until the allocator holds the
# memory, so even second-long calls need their warm-up; a 50 ms sleep x 128 has nothing to warm.
DEFAULT_SKIP_WARMUP_OVER = 5.0
# A timed repeat lasts at least this long: shorter calls run back to back (see `sweep.loops_for`).
# pyperf takes 0.1 s with many more processes and values; 20 ms already puts a 0.3 ms call in its
# steady state (under 1% off over 70 calls) while keeping a sweep of short calls quick.
DEFAULT_MIN_TIME = 0.02
MAX_MIN_TIME = 60.0
POOL_MODES = ("cold", "warm")
START_METHODS = strategy_kinds.START_METHODS


def default_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Scope:
    """What a field's parser and its `applies` may look at: the workload, the strategies and the
    values parsed before it."""

    workload: workloads.WorkloadInfo | None = None
    strategies: tuple[str, ...] = ()
    values: dict = field(default_factory=dict)

    def kinds(self) -> list[strategy_kinds.StrategyKind]:
        return [strategy_kinds.KINDS[name] for name in self.strategies if name in strategy_kinds.KINDS]

    @property
    def pooled(self) -> bool:
        return any(k.pooled for k in self.kinds())

    @property
    def process_pool(self) -> bool:
        return any(k.processes for k in self.kinds())

    @property
    def adaptive(self) -> bool:
        return self.values.get("repeat", None) is None


# Parsers (text, scope) -> value --------------------------------------------------------------------


def _workload(text: str, scope: Scope) -> str:
    return workloads.info(text, scope.values.get("python", "")).ref.text


def _python(text: str, scope: Scope) -> str:
    return interpreter.parse_python(text)


def _input(text: str, scope: Scope) -> str:
    return input_files.parse_input(text)


def _items(text: str, scope: Scope) -> tuple[int, ...]:
    return parse_sizes(text, "items", high=MAX_ITEMS, max_values=MAX_POINTS)


def _length(text: str, scope: Scope) -> tuple[int, ...]:
    if not text.strip():
        return ((scope.workload.default_length if scope.workload else workloads.FALLBACK_LENGTH),)
    return parse_sizes(text, "length", high=MAX_LENGTH, max_values=MAX_POINTS)


def parse_strategies(text: str | tuple | list, scope: Scope | None = None) -> tuple[str, ...]:
    names = [part.strip() for part in text.split(",")] if isinstance(text, str) else [str(t).strip() for t in text]
    names = [name for name in names if name]
    choices = ", ".join(strategy_kinds.NAMES)
    if not names:
        raise SpecError("strategies", "choose at least one of " + choices)
    for name in names:
        if name not in strategy_kinds.KINDS:
            raise SpecError("strategies", f"unknown strategy {name!r}; choose from {choices}")
    return tuple(dict.fromkeys(names))


def _repeat(text: str, scope: Scope) -> int | None:
    if text.strip().lower() in ("", "auto"):
        return None
    return parse_int(text, "repeat", low=1, high=MAX_REPEAT, words="a whole number or auto")


def _precision(text: str, scope: Scope) -> float | None:
    if text.strip().lower() in ("", "none", "off"):
        return None
    return parse_percent(text, "precision", low=0.1, high=50.0)


def _margin(text: str, scope: Scope) -> float:
    value = parse_percent(text, "margin", low=0.0, high=100.0)
    if not 0 < value < 1:
        raise SpecError("margin", f"must be more than 0% and under 100%, got {text.strip()}")
    return value


def _costs(text: str, scope: Scope) -> str:
    return parse_choice(text, "costs", COSTS_MODES)


def _vs(text: str, scope: Scope) -> str | None:
    """`OPTION=VALUE`, written as the flag or the field's name (checked against the spec once every
    field is read: `vs_spec`)."""
    cleaned = text.strip()
    if not cleaned or cleaned.lower() == "none":
        return None
    name, equals, value = cleaned.partition("=")
    name = name.strip().lstrip("-").replace("-", "_")
    if not equals or not name or not value.strip():
        raise SpecError("vs", f"{cleaned!r} is not OPTION=VALUE, like pool=warm or workload=other.py")
    return f"{name}={value.strip()}"


def _budget(text: str, scope: Scope) -> float | None:
    if text.strip().lower() in ("", "none", "off"):
        return None
    return parse_duration(text, "budget", low=1.0, high=MAX_POINT_TIMEOUT)


def _warmup(text: str, scope: Scope) -> int:
    return parse_int(text, "warmup", low=0, high=MAX_REPEAT)


def _workers(text: str, scope: Scope) -> tuple[int, ...]:
    if not text.strip() or text.strip().lower() == "auto":
        return (default_workers(),)
    return parse_sizes(text, "workers", high=MAX_WORKERS, max_values=32)


def _chunksize(text: str | int, scope: Scope) -> int | str:
    text = str(text)
    if text.strip().lower() == "auto":
        return "auto"
    return parse_int(text, "chunksize", low=1, high=MAX_ITEMS, words="a whole number or auto")


def _pool(text: str, scope: Scope) -> str:
    return parse_choice(text, "pool", POOL_MODES)


def _start_method(text: str, scope: Scope) -> str | None:
    if text.strip() in ("", "default"):
        return None
    return parse_choice(text, "start-method", START_METHODS)


def _seed(text: str, scope: Scope) -> int:
    return parse_int(text, "seed", low=0, high=2**63 - 1)


def _point_timeout(text: str, scope: Scope) -> float | None:
    if text.strip().lower() in ("", "none"):
        return None
    return parse_float(text, "point-timeout", low=0.001, high=MAX_POINT_TIMEOUT, unit="s (leave blank for no limit)")


def _skip_warmup_over(text: str, scope: Scope) -> float | None:
    if text.strip().lower() in ("off", "never"):
        return None
    if not text.strip():
        return DEFAULT_SKIP_WARMUP_OVER
    return parse_float(text, "skip-warmup-over", low=0.0, high=MAX_POINT_TIMEOUT, unit="s")


def _min_time(text: str, scope: Scope) -> float:
    if not text.strip():
        return DEFAULT_MIN_TIME
    return parse_float(text, "min-time", low=0.0, high=MAX_MIN_TIME, unit="s")


def _strategies(text: str, scope: Scope) -> tuple[str, ...]:
    return parse_strategies(text)


# The spec --------------------------------------------------------------------------------------------------

_DECLARATION = "declaration"


def declare(label: str, default: str, help: str, parse, *, value=dataclasses.MISSING, factory=None,
            **traits) -> Any:
    """One attribute of `SweepSpec` with its declaration. Its typed default is `default` parsed as a
    user's text would be (or `value`, or `factory()` for one computed at run time)."""
    declared = Field("", label, default, help, parse, **traits)
    if factory is not None:
        return field(default_factory=factory, metadata={_DECLARATION: declared})
    if value is dataclasses.MISSING:
        value = parse(default, Scope())
    return field(default=value, metadata={_DECLARATION: declared})


@dataclass(frozen=True)
class SweepSpec:
    """Everything that determines a sweep; stored with the run so it can be repeated exactly."""

    workload: str = declare(
        "Workload", "squares", "a built-in (" + ", ".join(workloads.builtin_names()) + "), a .py file defining "
        "kernel(value), an importable module, or any function of yours as pkg.module:function or "
        "path/file.py:function (it takes one item's value)", _workload, kind="workload",
        metavar="NAME|FILE.py|MODULE[:FUNCTION]")
    strategies: tuple[str, ...] = declare(
        "Strategies", ",".join(strategy_kinds.DEFAULT), "comma-separated, from " + ", ".join(strategy_kinds.NAMES),
        _strategies, kind="strategies", metavar="LIST")
    items: tuple[int, ...] = declare(
        "Items", "4..64", "items per dict: 8, 4,8,16 or 4..512 (powers of two)", _items, metavar="SIZES")
    length: tuple[int, ...] = declare(
        "Length", "", "list length per item, same grammar as --items (default: the workload's own)", _length,
        value=(100_000,), metavar="SIZES")
    repeat: int | None = declare(
        "Repeats", "auto", "timed rounds per point: a number for exactly that many, or auto: until every "
        "comparison is decided (faster, slower or the same), or --precision is reached", _repeat, metavar="N|auto")
    margin: float = declare(
        "Margin", "5%", "auto repeats: two strategies within ± this of each other are the same", _margin,
        applies=lambda scope: scope.adaptive, metavar="PCT")
    precision: float | None = declare(
        "Precision", "", "auto repeats: instead of deciding, add rounds until every 95% interval is within ± this "
        "(blank: decide)", _precision, applies=lambda scope: scope.adaptive, metavar="PCT", advanced=True)
    budget: float | None = declare(
        "Budget", "", "auto repeats: the whole sweep's time limit, e.g. 60s or 5m (blank: none)", _budget,
        applies=lambda scope: scope.adaptive, metavar="DURATION")
    workers: tuple[int, ...] = declare(
        "Workers", "", "pool size, or a worker sweep: 2, 1,2,4 or 1..16 (blank: the CPU count)", _workers,
        factory=lambda: (default_workers(),), applies=lambda scope: scope.pooled, metavar="SIZES")
    pool: str = declare(
        "Pool", "cold", "cold: the pool is made inside the timing, as the seed; warm: made once before", _pool,
        kind="choice", choices=POOL_MODES, applies=lambda scope: scope.pooled)
    chunksize: int | str = declare(
        "Chunk", "1", "map chunksize: N or auto (default: 1, as the seed)", _chunksize,
        applies=lambda scope: scope.process_pool, metavar="N|auto")
    costs: str = declare(
        "Costs", "auto", "take each pool's time apart for the Why: auto (at the points the model fits and checks), "
        "on (every point) or off", _costs, kind="choice", choices=COSTS_MODES, applies=lambda scope: scope.pooled,
        advanced=True)
    start_method: str | None = declare(
        "Start", "", "how pool workers start: " + ", ".join(START_METHODS) + " (blank: the platform's default)",
        _start_method, kind="choice", choices=("", *START_METHODS), applies=lambda scope: scope.process_pool,
        metavar="METHOD")
    python: str = declare(
        "Python", "", "the interpreter the sweep runs under: a path (your project's .venv/bin/python), a "
        "version found here (3.12, 3.13t) or a command on PATH (blank: parbench's own); the engine is put on "
        "its path and what it lacks goes into a cache of parbench's, never into your environment; on the command "
        "line, several comma-separated (3.11,3.13) run one sweep each, then their comparison", _python,
        advanced=True, metavar="PATH|VERSION")
    input: str = declare(
        "Input", "", "read the items from your own data: .pkl/.pickle (a dict or list), .json, .jsonl, .csv "
        "(rows grouped into items of --length rows), .npy/.npz; the item counts come from the file (blank: "
        "the workload's make_input, or the seed's lists of ints)", _input, advanced=True, metavar="FILE")
    warmup: int = declare("Warm-up", "1", "untimed warm-up calls per point", _warmup, advanced=True, metavar="N")
    seed: int = declare("Seed", "12345", "random seed of the input data", _seed, advanced=True, metavar="N")
    point_timeout: float | None = declare(
        "Timeout", "", "seconds a point may take before it is stopped and recorded as timed out (blank: no limit)",
        _point_timeout, advanced=True, metavar="SECONDS")
    min_time: float = declare(
        "Min time", "0.02", "seconds a timed repeat lasts at least: shorter calls run back to back and are "
        "reported per call (0: one call per repeat)", _min_time, advanced=True, metavar="SECONDS")
    skip_warmup_over: float | None = declare(
        "No w-up >", "5", "no warm-up for a strategy whose calls take longer than this many seconds (off: always "
        "warm up)", _skip_warmup_over, advanced=True, metavar="SECONDS|off")
    vs: str | None = declare(
        "Versus", "", "measure B interleaved with this sweep, round by round, and decide B against A: OPTION=VALUE, "
        "e.g. pool=warm, chunksize=auto, spin=720000, workload=other.py (blank: none)", _vs, advanced=True,
        metavar="OPTION=VALUE")
    # Not typed by a user as such: the chosen workload's settings, and the chosen strategies' own
    # options (each declared by its workload or strategy), by name.
    settings: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Typed loosely by callers (a list from JSON, one int of workers): always tuples here.
        for name in ("items", "length", "strategies"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        workers = self.workers
        object.__setattr__(self, "workers", (workers,) if isinstance(workers, int) else tuple(workers))
        object.__setattr__(self, "settings", dict(self.settings))
        object.__setattr__(self, "options", dict(self.options))

    def points(self) -> list[tuple[int, int]]:
        """The sweep's (items, length) points, in the order they are measured."""
        return [(items, length) for items in self.items for length in self.length]

    @property
    def adaptive(self) -> bool:
        return self.repeat is None

    @property
    def deciding(self) -> bool:
        """Rounds go until every comparison is decided (the default), not to a precision."""
        return self.repeat is None and self.precision is None

    @property
    def max_rounds(self) -> int:
        return self.repeat if self.repeat is not None else MAX_ROUNDS

    @property
    def min_rounds(self) -> int:
        if self.repeat is not None:
            return self.repeat
        return MIN_ROUNDS if self.precision is None else PRECISION_MIN_ROUNDS

    @property
    def rounds_text(self) -> str:
        """How many rounds each point gets, in the words every run header uses."""
        if self.repeat is not None:
            return f"{self.repeat} round{'s' if self.repeat != 1 else ''}"
        if self.precision is not None:
            return f"rounds until ±{self.precision:.0%} ({self.min_rounds} to {self.max_rounds})"
        return f"rounds until decided within ±{self.margin:.0%} ({self.min_rounds} to {self.max_rounds})"

    def option(self, name: str):
        """A strategy's own option (`dask_scheduler`), None when not set."""
        return self.options.get(name)

    def variants(self) -> list[tuple[str, int | None]]:
        """Every (strategy, workers) measured at each point: a pooled strategy once per worker count."""
        result = []
        for name in self.strategies:
            kind = strategy_kinds.KINDS[name]
            if kind.pooled:
                result.extend((name, w) for w in self.workers)
            else:
                result.append((name, None))
        return result

    def workload_name(self) -> str:
        """What a user reads: the built-in's name, the file's stem, the module's name (each with its
        `:function` when one was named)."""
        text, colon, function = self.workload.rpartition(":")
        if not (colon and function.isidentifier() and text):
            text, function = self.workload, ""
        if text.endswith(".py"):
            text = os.path.basename(text)[:-3]
        return f"{text}:{function}" if function else text

    def to_dict(self) -> dict:
        """Plain data for JSON and SQLite. A strategy's options sit at the top level beside the
        sweep's fields (`dask_scheduler`), as they always have in stored runs and exports."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "options"}
        for key in ("items", "length", "strategies", "workers"):
            data[key] = list(getattr(self, key))
        data["settings"] = dict(self.settings)
        for declared in STRATEGY_OPTIONS:
            data[declared.name] = self.options.get(declared.name)
        for name in ("python", "input"):
            if not data[name]:
                # Blank (parbench's own interpreter, the workload's own items): left out, so that a
                # run, its export and its fingerprint read as they did before these fields existed.
                del data[name]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "SweepSpec":
        data = dict(data)
        # Runs stored before workloads carried their own settings kept the built-ins' knobs at the top.
        settings = dict(data.get("settings") or {})
        for legacy, workload in (("sleep_ms", "sleep"), ("spin", "spin")):
            if legacy in data and data.get("workload") == workload:
                settings.setdefault(legacy, data[legacy])
        data["settings"] = settings
        options = dict(data.get("options") or {})
        for declared in STRATEGY_OPTIONS:
            if data.get(declared.name) is not None:
                options.setdefault(declared.name, data[declared.name])
        data["options"] = {key: value for key, value in options.items() if value is not None}
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def _declared() -> tuple[Field, ...]:
    found = []
    for f in fields(SweepSpec):
        declared = f.metadata.get(_DECLARATION)
        if declared is not None:
            found.append(dataclasses.replace(declared, name=f.name))
    return tuple(found)


def _strategy_options() -> tuple[Field, ...]:
    """Each strategy's own options, applying when that strategy is chosen."""
    found = []
    for kind in strategy_kinds.KINDS.values():
        for declared in kind.options:
            found.append(dataclasses.replace(declared, strategy=kind.name,
                                             applies=lambda scope, name=kind.name: name in scope.strategies))
    return tuple(found)


STRATEGY_OPTIONS = _strategy_options()
_SWEEP_FIELDS = _declared()
# The form's order: what a first sweep needs, the strategies' own options, then the advanced ones.
FIELDS: tuple[Field, ...] = (tuple(f for f in _SWEEP_FIELDS if not f.advanced) + STRATEGY_OPTIONS
                             + tuple(f for f in _SWEEP_FIELDS if f.advanced))
FIELD_BY_NAME = {f.name: f for f in FIELDS}


def setting_field(setting: workloads.Setting) -> Field:
    """A workload's setting as a field of its own: a flag, a form row, its parser."""
    bounds = ""
    if setting.low is not None or setting.high is not None:
        bounds = f" ({setting.low if setting.low is not None else ''}..{setting.high if setting.high is not None else ''})"
    return Field(setting.name, setting.form_label[:9], setting.default_text, (setting.help or setting.name) + bounds,
                 lambda text, scope: setting.parse(text), metavar=type(setting.default).__name__.upper(),
                 setting=setting)


def fields_for(workload: workloads.WorkloadInfo | None) -> tuple[Field, ...]:
    """The sweep's fields, with the workload's settings after the workload."""
    extra = tuple(setting_field(s) for s in workload.settings) if workload is not None else ()
    return FIELDS[:1] + extra + FIELDS[1:]


def field_named(name: str, workload: workloads.WorkloadInfo | None = None) -> Field | None:
    """The field with this attribute name or error name (`point_timeout` or `point-timeout`)."""
    wanted = name.replace("-", "_")
    return next((f for f in fields_for(workload) if f.name == wanted), None)


# How a sweep meets the world around it ----------------------------------------------------------------------

LOCK_WAIT = "wait"
LOCK_NO_WAIT = "no-wait"
LOCK_IGNORE = "ignore"


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep meets the world around it, beyond what it measures."""

    lock: str = LOCK_WAIT  # wait for another sweep, fail at once (no-wait), or measure anyway (ignore)
    available_bytes: int | None = None  # memory the guard may plan with (None: what is available now)
    # One item of this very workload (same file contents, settings and forms) measured moments ago
    # (the app's estimate): the sweep starts from it instead of measuring the item again.
    profile: dict | None = None
    ceiling: float | None = None  # this machine's parallel ceiling, known from the store: not measured again



# Building a spec from what the user typed ----------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """Every field's verdict at once, for the form: the spec, or the reason for each bad field."""

    spec: SweepSpec | None
    errors: dict[str, str]  # field name -> reason
    notes: dict[str, str]  # field name -> what a blank or unusual value means
    workload: workloads.WorkloadInfo | None
    applies: dict[str, bool]  # field name -> whether it means anything for this spec


def validate(texts: dict[str, Any]) -> Validation:
    """Parse every field's text (a missing or None text takes the field's default). Collects every
    error rather than stopping at the first, so the form can mark them all."""
    errors: dict[str, str] = {}
    notes: dict[str, str] = {}
    values: dict[str, Any] = {}

    def text_of(f: Field) -> str:
        value = texts.get(f.name)
        if value is None:
            return f.default
        if isinstance(value, (tuple, list)):
            return ",".join(map(str, value))
        return str(value)

    # The interpreter first: a module is looked up where it would import it from. The input file
    # next: it decides the item counts and the items' length.
    for name in ("python", "input"):
        try:
            values[name] = FIELD_BY_NAME[name].parse(text_of(FIELD_BY_NAME[name]), Scope())
        except SpecError as exc:
            errors[name] = exc.reason
    info = None
    try:
        info = workloads.info(text_of(FIELD_BY_NAME["workload"]), values.get("python", ""))
        values["workload"] = info.ref.text
    except SpecError as exc:
        errors["workload"] = exc.reason
    try:
        values["strategies"] = parse_strategies(text_of(FIELD_BY_NAME["strategies"]))
    except SpecError as exc:
        errors["strategies"] = exc.reason
    scope = Scope(info, values.get("strategies", ()), values)
    applies: dict[str, bool] = {}
    settings: dict[str, Any] = {}
    options: dict[str, Any] = {}
    shape = _input_shape(values.get("input", ""))
    for f in fields_for(info):
        if f.name in ("workload", "strategies", "python", "input"):
            applies[f.name] = True
            continue
        text = text_of(f)
        if shape is not None and f.name in ("items", "length") and not (texts.get(f.name) or "").strip():
            text = _from_file(f.name, shape, info)  # blank: what the file holds
        try:
            value = f.parse(text, scope)
        except SpecError as exc:
            errors[f.name] = exc.reason
            continue
        if f.setting is not None:
            settings[f.name] = value
        elif f.strategy:
            if value is not None and f.applies(scope):
                options[f.name] = value
        else:
            values[f.name] = value
    for f in fields_for(info):
        if f.name not in applies:
            applies[f.name] = f.applies(scope)
    if not text_of(FIELD_BY_NAME["workers"]).strip():
        notes["workers"] = f"blank: {default_workers()} (the CPU count)"
    if info is not None and not text_of(FIELD_BY_NAME["length"]).strip():
        notes["length"] = f"blank: {info.default_length} ({info.name}'s own)"
    if shape is not None and shape.format == "csv" and not (texts.get("items") or "").strip() and "length" in values:
        values["items"] = (max(1, shape.items_for(max(values["length"]))),)  # every whole group of rows
    if values.get("input") and "items" in values and "length" in values:
        _check_input(values, errors, notes, shape, info)
    typed = text_of(FIELD_BY_NAME["python"]).strip()
    if typed and values.get("python") and os.sep not in typed:
        notes["python"] = values["python"]  # which interpreter `3.13` or `python3.12` is
    if not typed and "python" not in errors:
        found = interpreter.found_text()
        notes["python"] = "blank: parbench's own; or " + (f"{found} or a path" if found else "a path")
    if "items" in values and "length" in values and len(values["items"]) * len(values["length"]) > MAX_POINTS:
        errors["length"] = (f"items × length gives {len(values['items']) * len(values['length'])} points, "
                            f"at most {MAX_POINTS}")
    if info is not None and "strategies" in values:
        useless = [name for name in values["strategies"]
                   if strategy_kinds.KINDS[name].form == "numpy" and not info.has_numpy]
        if useless and len(useless) == len(values["strategies"]):
            errors["strategies"] = f"{info.name} has no numpy form (no kernel_numpy), so " + " and ".join(useless) \
                                   + " cannot run; choose another strategy too"
    spec = None
    if not errors:
        spec = SweepSpec(settings=settings, options=options, **values)
        if spec.vs is not None:
            try:
                vs_spec(spec)
            except SpecError as exc:
                errors["vs"] = exc.reason
                spec = None
    return Validation(spec, errors, notes, info, applies)


def _input_shape(path: str) -> input_files.Shape | None:
    if not path:
        return None
    try:
        return input_files.shape(path)
    except input_files.InputError:
        return None  # the input field says why


def _from_file(name: str, shape: input_files.Shape, info: workloads.WorkloadInfo | None) -> str:
    """A blank items or length with an input file: all its items, each as long as the file has it
    (CSV: grouped by the workload's default length)."""
    default_length = info.default_length if info is not None else workloads.FALLBACK_LENGTH
    if name == "length":
        return str(shape.length) if shape.length is not None and shape.format != "csv" else str(default_length)
    return str(max(1, shape.items_for(default_length)))


def _check_input(values: dict, errors: dict, notes: dict, shape: input_files.Shape | None,
                 info: workloads.WorkloadInfo | None) -> None:
    """Items and length against what the input file holds."""
    path = values["input"]
    name = os.path.basename(path)
    if shape is None:
        notes["input"] = f"{name}: read when the sweep starts (too big to look into here)"
        return
    lengths = values["length"]
    if shape.format != "csv" and shape.length is not None and tuple(lengths) != (shape.length,):
        errors["length"] = (f"{name}'s items hold {shape.length} values each"
                            + (f" ({shape.low} to {shape.high}; the median)" if shape.varies else "")
                            + "; the file sets the length (--length groups rows of a CSV only): leave it blank")
        return
    have = min(shape.items_for(length) for length in lengths)
    if max(values["items"]) > have:
        what = f"{shape.count} rows, {have} items of {max(lengths)} rows" if shape.format == "csv" else f"{have} items"
        errors["items"] = f"{name} holds {what}; the sweep asks for up to {max(values['items'])} (blank: all of them)"
        return
    size = (f"{shape.length} values each" + (f", {shape.low} to {shape.high}" if shape.varies else "")
            if shape.format != "csv" else f"{shape.count} rows in items of {max(lengths)}")
    notes["input"] = f"{name}: {have} items, {size}"


# --vs: B, measured interleaved with A ---------------------------------------------------------------------

# What --vs may change: what runs at each point, never the points, the rounds or the rule.
_VS_REFUSED = {
    "items": "is a dimension of the sweep: give every value there (e.g. --items 4,8)",
    "length": "is a dimension of the sweep: give every value there (e.g. --length 1000,100000)",
    "workers": "is a dimension of the sweep: give every count there (e.g. --workers 2,4)",
    "strategies": "is a dimension of the sweep: list every strategy there",
    "repeat": "says how the sweep runs, not what it measures",
    "margin": "says how the sweep decides, not what it measures",
    "precision": "says how the sweep decides, not what it measures",
    "budget": "says how long the sweep runs, not what it measures",
    "seed": "changes the input data, so A and B would not measure the same items",
    "point_timeout": "says how the sweep runs, not what it measures",
    "costs": "says what the Why measures, not the timed calls",
    "skip_warmup_over": "says how the sweep runs, not what it measures",
    "vs": "cannot compare a comparison",
    "python": "runs in a measuring process of its own, so it cannot be interleaved: give --python A,B to run the "
              "sweep under each and compare them",
}
VS_ARM = "B"


def vs_option(spec: SweepSpec) -> tuple[str, str]:
    """(option, value text) of `spec.vs`."""
    name, _, value = (spec.vs or "").partition("=")
    return name, value


def vs_spec(spec: SweepSpec) -> SweepSpec:
    """B's spec: A's with the one option `--vs` names changed. `SpecError` on the vs field when it
    names no option, one it cannot change, or A's own value."""
    name, text = vs_option(spec)
    info = workloads.info(spec.workload)
    settings = {s.name: s for s in info.settings}
    if name in _VS_REFUSED:
        raise SpecError("vs", f"{name.replace('_', '-')} {_VS_REFUSED[name]}")
    if name == "workload":
        try:
            other = workloads.info(text)
        except SpecError as exc:
            raise SpecError("vs", f"workload={text}: {exc.reason}") from None
        if other.ref.text == spec.workload:
            raise SpecError("vs", f"workload={text} is the workload A measures already; B must differ")
        kept = {s.name: spec.settings.get(s.name, s.default) for s in other.settings}
        return dataclasses.replace(spec, workload=other.ref.text, settings=kept, vs=None)
    if name in settings:
        value = settings[name].parse(text)
        if value == spec.settings.get(name, settings[name].default):
            raise SpecError("vs", f"{name.replace('_', '-')}={text}: A runs with that already; B must differ")
        return dataclasses.replace(spec, settings={**spec.settings, name: value}, vs=None)
    declared = FIELD_BY_NAME.get(name)
    if declared is None:
        raise SpecError("vs", f"{name.replace('_', '-')!r} is not an option of this sweep (nor a setting of "
                              f"{info.name})")
    value = declared.parse(text, Scope(info, spec.strategies))
    current = spec.option(name) if declared.strategy else getattr(spec, name)
    if value == current:
        raise SpecError("vs", f"{name.replace('_', '-')}={text}: A runs with that already; B must differ")
    if declared.strategy:
        return dataclasses.replace(spec, options={**spec.options, name: value}, vs=None)
    return dataclasses.replace(spec, vs=None, **{name: value})


def build_spec(**texts) -> SweepSpec:
    """Turn the text of every field given (by attribute name, settings included) into a
    `SweepSpec`, or raise `SpecError` for the first bad field. Fields not given take their default;
    without a length, the workload's own."""
    result = validate(texts)
    if result.errors:
        name, reason = next(iter(result.errors.items()))
        f = field_named(name, result.workload)
        raise SpecError(f.field_name if f else name, reason)
    known = {f.name for f in fields_for(result.workload)}
    unknown = [name for name, value in texts.items() if name not in known and value is not None]
    if unknown:
        raise SpecError(unknown[0].replace("_", "-"), f"is not a setting of {result.workload.name}")
    return result.spec


def check_points(items: tuple[int, ...], length: tuple[int, ...]) -> None:
    if len(items) * len(length) > MAX_POINTS:
        raise SpecError("length", f"items × length gives {len(items) * len(length)} points, at most {MAX_POINTS}")
