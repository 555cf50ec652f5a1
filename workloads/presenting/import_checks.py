"""What an imported file must be, field by field: a run that `parbench run` could have produced
(`workloads.presenting.importer` reads the file and stores what passes).

- The spec goes through the very parsers `run` uses: each field is written back as the text a user
  would have typed and given to `validate`; what comes out must be what the file says (a field `run`
  would refuse, or would have recorded differently, is refused).
- Each measurement must fit its spec (its strategy, point, workers, pool, warm-ups and rounds), its
  times be finite positive durations, its status and stop reason known words, and the median, minimum,
  mean and spread it carries those of its times. The machine and a pool's costs must hold the types
  they are recorded in (`Machine`, `PoolCosts`); keys a newer parbench added are kept as they came.

Each refusal is one line naming the measurement and the field. Each row that passes is written as the
store keeps it (orjson, sorted keys), once.
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import math
import types
import typing
from dataclasses import MISSING, dataclass, fields
from functools import lru_cache
from itertools import compress
from pathlib import Path

import orjson

from ..model import workload as workloads
from ..model.costs import PoolCosts
from ..model.errors import ParbenchError
from ..model.events import COMPLETED
from ..model.machine import Machine
from ..model.measurement import NOT_APPLICABLE, OK, STATUSES, STOPS, Measurement
from ..model.options import Field
from ..model.parsing import SpecError
from ..model.run import STATUSES as RUN_STATUSES
from ..model.run import Run
from ..model.spec import (
    FIELDS,
    MAX_ITEMS,
    STRATEGY_OPTIONS,
    Scope,
    SweepSpec,
    field_named,
    setting_field,
    validate,
)
from ..model.strategies import KINDS

_REQUIRED_MEASUREMENT_KEYS = ("workload", "strategy", "items", "length", "times_s")


class ImportRefused(ParbenchError):
    """The file is not an export this parbench can read; the message says why, in one line."""


# Small checks ----------------------------------------------------------------------------------


# The largest whole number a record holds: JSON has no bound, but every figure here is a count, a size
# or a duration that fits SQLite's integers and converts to a float.
_LARGEST_INT = 2**63 - 1


def is_int(value) -> bool:
    return type(value) is int and -_LARGEST_INT <= value <= _LARGEST_INT


def _is_number(value) -> bool:
    """A finite JSON number (not a bool, not an int too large to be a float)."""
    return is_int(value) or (type(value) is float and math.isfinite(value))


def shown(value) -> str:
    """A value as a message quotes it: its JSON, cut short."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _timestamp(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=None)
def recorded_types(cls: type) -> dict[str, tuple[type, ...]]:
    """The types each recorded field of `cls` (`Machine`, `PoolCosts`, `Measurement`) holds, read off its
    annotations: the fields of plain types (numbers, text, yes/no, null)."""
    hints = typing.get_type_hints(cls)
    found = {}
    for f in fields(cls):
        hint = hints[f.name]
        allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if all(t in (bool, int, float, str, type(None)) for t in allowed):
            found[f.name] = allowed
    return found


@lru_cache(maxsize=None)
def _accepted(cls: type) -> dict[str, frozenset[type]]:
    """The Python types JSON gives for each recorded field of `cls`: a float field takes an int too
    (JSON has numbers), none takes a bool."""
    return {name: frozenset(allowed) | ({int} if float in allowed else set())
            for name, allowed in recorded_types(cls).items()}


def _type_problem(value, allowed: tuple[type, ...], *, signed: bool) -> str:
    """Why `value` is not one of `allowed` (JSON's numbers: an int is a float too), or ""."""
    if value is None:
        return "" if type(None) in allowed else "is missing (null)"
    if bool in allowed and isinstance(value, bool):
        return ""
    if float in allowed and _is_number(value):
        return ""
    if int in allowed and is_int(value):
        return "" if signed or value >= 0 else "is negative"
    if str in allowed and isinstance(value, str):
        return ""
    words = [{bool: "true or false", int: "a whole number", float: "a finite number", str: "text",
              type(None): "null"}[t] for t in allowed]
    return "is not " + " or ".join(words)


def _check_record(data: dict, cls: type, where: str, *, signed: bool) -> None:
    """Each recorded field of `cls` that `data` has holds its type; keys `cls` does not record (written
    by a newer parbench) are kept as they came. Run for every row's costs, so the common case is a
    type lookup and the words are found only for a value that is wrong."""
    accepted = _accepted(cls)
    isfinite = math.isfinite
    for name, value in data.items():
        kinds = accepted.get(name)
        if kinds is None:
            continue
        kind = type(value)
        if kind not in kinds or (kind is float and not isfinite(value)) \
                or (kind is int and not (-_LARGEST_INT <= value <= _LARGEST_INT and (signed or value >= 0))):
            problem = _type_problem(value, recorded_types(cls)[name], signed=signed)
            raise ImportRefused(f"{where}: {name!r} is {shown(value)}, which {problem}")


# The run --------------------------------------------------------------------------------------------

# The machine's ceiling, as `Ceiling.to_dict` writes it into the machine's record.
_CEILING_TYPES = {"parallel_ceiling": (float, type(None)), "ceiling_source": (str,), "ceiling_note": (str,),
                  "machine_identity": (str,)}


def check_run(data: dict, path: Path) -> Run:
    where = f"{path}: the run"
    for key in ("status", "started_at"):
        if key not in data:
            raise ImportRefused(f"{path} is not a parbench export (its run has no {key})")
    run_id = data.get("id")
    if not (run_id is None or is_int(run_id)):
        raise ImportRefused(f"{where}: 'id' is {shown(run_id)}, which is not a run id")
    status = data["status"]
    if status not in RUN_STATUSES or not isinstance(status, str):
        raise ImportRefused(f"{where}: 'status' is {shown(status)}, not one of {', '.join(RUN_STATUSES)}")
    if not _timestamp(data["started_at"]):
        raise ImportRefused(f"{where}: 'started_at' is {shown(data['started_at'])}, which is not a time")
    finished_at = data.get("finished_at")
    if finished_at is not None and not _timestamp(finished_at):
        raise ImportRefused(f"{where}: 'finished_at' is {shown(finished_at)}, which is not a time")
    error = data.get("error") or ""
    if not isinstance(error, str):
        raise ImportRefused(f"{where}: 'error' is {shown(error)}, which is not text")
    machine = data.get("machine") or {}
    if not isinstance(machine, dict):
        raise ImportRefused(f"{where}: 'machine' is {shown(machine)}, which is not an object")
    _check_machine(machine, f"{path}: the run's machine")
    return Run(id=run_id, spec=_spec(data.get("spec"), path), status=status, started_at=data["started_at"],
               finished_at=finished_at, error=error, machine=Machine.from_dict(machine))


def _check_machine(machine: dict, where: str) -> None:
    _check_record(machine, Machine, where, signed=False)
    for key, allowed in _CEILING_TYPES.items():
        if key in machine:
            problem = _type_problem(machine[key], allowed, signed=False)
            if not problem and key == "parallel_ceiling" and machine[key] is not None and machine[key] < 0:
                problem = "is negative"
            if problem:
                raise ImportRefused(f"{where}: {key!r} is {shown(machine[key])}, which {problem}")
    ratios = machine.get("ceiling_ratios", [])
    if not isinstance(ratios, list) or not all(_is_number(r) for r in ratios):
        raise ImportRefused(f"{where}: 'ceiling_ratios' is {shown(ratios)}, which is not a list of numbers")


# The spec: through `run`'s own parsers -------------------------------------------------------------


class _NotText(Exception):
    """A value no text a user types could give (an object, a list of lists)."""


def _blank(f: Field) -> str:
    """The text that gives a field its None ("auto", blank, "off"), found by asking its parser."""
    for text in ("", "auto", "off", "none"):
        try:
            if f.parse(text, Scope()) is None:
                return text
        except SpecError:
            continue
    return ""  # the field is never None: its default will differ from the file's null


def _text(f: Field, value) -> str:
    """A recorded value written back as a user would type it into the field."""
    if value is None:
        return _blank(f)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _number_text(f, value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value):
        return ",".join(_text(f, v) for v in value)
    raise _NotText


def _number_text(f: Field, value: float) -> str:
    """A number as typed into the field: as it is, or as a percentage (5% for 0.05), whichever the field
    reads back as this number; when neither does, the one the field refuses (its words say why)."""
    candidates = (repr(value), f"{value * 100!r}%")
    refused = None
    for text in candidates:
        try:
            parsed = f.parse(text, Scope())
        except SpecError:
            refused = refused or text
            continue
        if isinstance(parsed, float) and math.isclose(parsed, value, rel_tol=1e-12):
            return text
    return refused or candidates[0]


def _same(recorded, parsed) -> bool:
    """Whether a recorded value is what parsing its text gives (in JSON's terms: an int is a float too)."""
    if isinstance(parsed, (list, tuple)):
        return isinstance(recorded, list) and len(recorded) == len(parsed) \
            and all(_same(r, p) for r, p in zip(recorded, parsed))
    if isinstance(parsed, bool) or isinstance(recorded, bool):
        return type(recorded) is type(parsed) and recorded == parsed
    if isinstance(parsed, float):
        return _is_number(recorded) and math.isclose(recorded, parsed, rel_tol=1e-12)
    if isinstance(parsed, int):
        return is_int(recorded) and recorded == parsed
    return type(recorded) is type(parsed) and recorded == parsed


def _module_or_file(text: str) -> bool:
    """What a spec records for a workload that is not a built-in: a .py file's path (on the machine
    that measured it) or a module's dotted name."""
    if not text or text != text.strip() or "\0" in text:
        return False
    if text.endswith(".py"):
        return True
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in text.split("."))


@lru_cache(maxsize=1)
def _stand_in() -> str:
    """A built-in that stands for a workload this machine does not have, so that `validate` checks
    every other field: one with a numpy form, so the numpy strategies are not refused for lacking it."""
    return next(name for name in workloads.builtin_names() if workloads.info(name).has_numpy)


def _spec(data, path: Path) -> SweepSpec:
    where = f"{path}: the run's spec"
    if not isinstance(data, dict):
        raise ImportRefused(f"{path} is not a parbench export (its run has no spec)")
    workload = data.get("workload")
    if not isinstance(workload, str):
        raise ImportRefused(f"{where}: 'workload' is {shown(workload)}, which is not a workload's name or path")
    for key in ("settings", "options"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ImportRefused(f"{where}: {key!r} is {shown(data[key])}, which is not an object")
    # Where this run keeps its workload's settings and its strategies' options (older runs kept some at
    # the top level): as `from_dict` reads them, without the fields it would convert.
    typed = {f.name for f in FIELDS if not f.strategy} - {"workload"}
    lifted = SweepSpec.from_dict({key: value for key, value in data.items() if key not in typed})
    unknown = sorted(set(lifted.options) - {f.name for f in STRATEGY_OPTIONS})
    if unknown:
        raise ImportRefused(f"{where}: {shown(unknown[0])} is not an option of any strategy")
    builtin = workload in workloads.builtin_names()
    if not builtin and not _module_or_file(workload):
        raise ImportRefused(f"{where}: 'workload' is {shown(workload)}, which is not a built-in, a .py file "
                            "or a module name")
    recorded: dict[str, object] = {f.name: data[f.name] for f in FIELDS if f.name in typed and f.name in data
                                   and not f.strategy}
    recorded.update({f.name: lifted.options[f.name] for f in STRATEGY_OPTIONS if f.name in lifted.options})
    info = workloads.info(workload) if builtin else None
    if info is not None:
        declared = {s.name for s in info.settings}
        unknown = sorted(set(lifted.settings) - declared)
        if unknown:
            raise ImportRefused(f"{where} would be refused by parbench run: --{unknown[0].replace('_', '-')}: "
                                f"is not a setting of {info.name}")
        recorded.update(lifted.settings)
    else:
        _check_foreign_settings(lifted.settings, where)
    declarations = {f.name: f for f in FIELDS}
    if info is not None:
        declarations.update({s.name: setting_field(s) for s in info.settings})
    texts = {"workload": workload if builtin else _stand_in()}
    for name, value in recorded.items():
        try:
            texts[name] = _text(declarations[name], value)
        except _NotText:
            raise ImportRefused(f"{where}: {declarations[name].flag}: {shown(value)} is not a value "
                                "parbench run takes") from None
    result = validate(texts)
    if result.errors:
        name, reason = next(iter(result.errors.items()))
        f = field_named(name, result.workload)
        raise ImportRefused(f"{where} would be refused by parbench run: {f.flag if f else name}: {reason}")
    parsed = result.spec.to_dict()
    for name, value in recorded.items():
        wanted = parsed["settings"][name] if name in result.spec.settings else parsed[name]
        if not _same(value, wanted):
            raise ImportRefused(f"{where}: {declarations[name].flag}: {shown(value)} is not what parbench run "
                                f"records for it ({shown(wanted)})")
    try:
        return SweepSpec.from_dict(data)
    except (TypeError, ValueError) as exc:  # every field was checked above; kept as a last guard
        raise ImportRefused(f"{where} cannot be read ({exc})") from None


def _check_foreign_settings(settings: dict, where: str) -> None:
    """A workload this machine does not have: its settings cannot be checked against its declarations,
    only that they are what a declaration can hold (named like a parameter; a number, text, yes/no)."""
    for name, value in settings.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ImportRefused(f"{where}: the setting {shown(name)} is not a parameter's name")
        if not (isinstance(value, (bool, str)) or _is_number(value)):
            raise ImportRefused(f"{where}: the setting {name!r} is {shown(value)}, which is not a number, "
                                "text or yes/no")


# The measurements -------------------------------------------------------------------------------------

# Each field with its default (None for those without one: a row must carry them).
_MEASUREMENT_FIELDS = tuple((f.name, None if f.default is MISSING else [] if f.default == () else f.default)
                            for f in fields(Measurement) if f.name != "stats")
# The figures a row carries beside its times; each must be what its times give.
_SUMMARY_KEYS = ("min_s", "median_s", "mean_s", "stdev_s")
_INT_OR_NONE = (int, type(None))
# The fields `_Rows` checks by a rule of their own; any other (one a later parbench adds) is checked
# against its annotation, and must have a plain type to be (tests/presenting/test_import.py holds this).
CHECKED_FIELDS = frozenset({"workload", "strategy", "items", "length", "workers", "chunksize", "pool", "warmup",
                            "times_s", "warmup_times_s", "status", "error", "point_index", "loops", "stop",
                            "precision", "check", "shared", "costs", "pace_s"})


@dataclass(frozen=True)
class _Variant:
    """What a row of one (strategy, workers) must hold, from the spec."""

    pool: str | None
    processes: bool  # a chunk size may be recorded


class RowChecker:
    """Each measurement checked against the run's spec and written as the store keeps it.

    Run once per row of files with tens of thousands of them, so each rule is a lookup or a
    comparison, and the words saying which field is wrong are found only once one is."""

    def __init__(self, spec: SweepSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self.workload = spec.workload_name()
        self.points = spec.points()
        self.point_index = {point: index for index, point in enumerate(self.points)}
        self.variants = {(name, workers): _Variant(spec.pool if KINDS[name].pooled else None, KINDS[name].processes)
                         for name, workers in spec.variants()}
        self.costs_seen: dict[tuple, tuple[tuple[bool, ...], tuple[bool, ...]]] = {}
        self.unchecked = {name: allowed for name, allowed in recorded_types(Measurement).items()
                          if name not in CHECKED_FIELDS}
        self.rows: list[dict] = []
        self.encoded: list[str] = []
        self.statuses: set[str] = set()

    def where(self, index: int | None = None) -> str:
        return f"{self.path}: measurement {len(self.rows) + 1 if index is None else index}"

    def refuse(self, key: str, value, why: str) -> typing.NoReturn:
        raise ImportRefused(f"{self.where()}: {key!r} is {shown(value)}, {why}")

    def add(self, entry) -> None:
        if type(entry) is not dict:
            raise ImportRefused(f"{self.where()} is not an object; not a parbench export")
        for key in _REQUIRED_MEASUREMENT_KEYS:
            if key not in entry:
                raise ImportRefused(f"{self.where()} has no {key!r}; not a parbench export")
        get = entry.get
        row = {name: get(name, default) for name, default in _MEASUREMENT_FIELDS}
        # The first format carried neither the warm-up calls made nor the point's index.
        if "warmup_times_s" not in entry:
            row["warmup_times_s"] = []
        if "warmup" not in entry and type(row["warmup_times_s"]) is list:
            row["warmup"] = len(row["warmup_times_s"])
        if "point_index" not in entry and type(row["items"]) is int and type(row["length"]) is int:
            row["point_index"] = self.point_index.get((row["items"], row["length"]))
        self._check(row)
        if self.unchecked:
            _check_record({name: row[name] for name in self.unchecked}, Measurement, self.where(), signed=False)
        self._summary(entry, row["status"], row["times_s"])
        try:
            text = orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except orjson.JSONEncodeError as exc:  # text that is not Unicode, a number past 64 bits
            raise ImportRefused(f"{self.where()} holds a value that cannot be stored ({exc})") from None
        self.statuses.add(row["status"])
        self.rows.append(row)
        self.encoded.append(text)

    def _check(self, row: dict) -> None:
        spec = self.spec
        strategy, workers = row["strategy"], row["workers"]
        variant = self.variants.get((strategy, workers)) \
            if type(strategy) is str and type(workers) in _INT_OR_NONE else None
        if variant is None:
            self._variant_problem(strategy, workers)
        if row["workload"] != self.workload:
            self.refuse("workload", row["workload"], f"but the run measured {self.workload}")
        pool = row["pool"]
        if pool != variant.pool or type(pool) is not type(variant.pool):
            self.refuse("pool", pool, f"but the run's pool was {spec.pool}" if variant.pool is not None
                        else f"but {strategy} has no pool")
        chunksize = row["chunksize"]
        if chunksize is not None and not (variant.processes and type(chunksize) is int and 1 <= chunksize <= MAX_ITEMS):
            self.refuse("chunksize", chunksize, "which is not a chunk size" if variant.processes
                        else f"but {strategy} takes no chunk size")
        items, length, point = row["items"], row["length"], row["point_index"]
        if not (type(items) is int and type(length) is int and type(point) is int
                and self.point_index.get((items, length)) == point):
            self._point_problem(items, length, point)
        times, warmup_times = row["times_s"], row["warmup_times_s"]
        if not _durations(times):
            self._durations_problem("times_s", times)
        if not _durations(warmup_times):
            self._durations_problem("warmup_times_s", warmup_times)
        pace = row["pace_s"]  # the machine's pace gauge, a duration, after each timed round
        if not _durations(pace):
            self._durations_problem("pace_s", pace)
        if len(pace) > spec.max_rounds:
            raise ImportRefused(f"{self.where()}: 'pace_s' holds {len(pace)} rounds, more than the run allows "
                                f"({spec.max_rounds})")
        warmup = row["warmup"]
        # One time per warm-up call made, or none: runs stored before warm-up times were kept have none.
        if not (type(warmup) is int and 0 <= warmup <= spec.warmup and len(warmup_times) in (0, warmup)):
            self.refuse("warmup", warmup, f"but the run's warm-up was {spec.warmup} and {len(warmup_times)} "
                                          "warm-up times are given")
        if len(times) > spec.max_rounds:
            raise ImportRefused(f"{self.where()}: 'times_s' holds {len(times)} rounds, more than the run allows "
                                f"({spec.max_rounds})")
        status = row["status"]
        if type(status) is not str or status not in STATUSES:
            self.refuse("status", status, f"not one of {', '.join(STATUSES)}")
        if status == OK and not times:
            self.refuse("times_s", times, "but a measurement that is ok has times")
        if status == NOT_APPLICABLE and times:
            raise ImportRefused(f"{self.where()}: 'times_s' holds {len(times)} times, but a measurement that "
                                "does not apply has none")
        stop = row["stop"]
        if type(stop) is not str or stop not in STOPS:
            self.refuse("stop", stop, f"not one of {', '.join(STOPS)}")
        if type(row["error"]) is not str:
            self.refuse("error", row["error"], "which is not text")
        if type(row["check"]) is not str:
            self.refuse("check", row["check"], "which is not text")
        if type(row["shared"]) is not bool:
            self.refuse("shared", row["shared"], "which is not true or false")
        loops = row["loops"]
        if not (type(loops) is int and 1 <= loops <= _LARGEST_INT):
            self.refuse("loops", loops, "which is not a count of calls")
        precision = row["precision"]
        if precision is not None and not (_is_number(precision) and precision >= 0):
            self.refuse("precision", precision, "which is not a share")
        costs = row["costs"]
        if costs is not None:
            if type(costs) is not dict:
                self.refuse("costs", costs, "which is not an object")
            self._costs(costs)

    def _variant_problem(self, strategy, workers) -> typing.NoReturn:
        spec = self.spec
        if type(strategy) is not str or strategy not in spec.strategies:
            self.refuse("strategy", strategy, f"not one of the run's strategies ({', '.join(spec.strategies)})")
        if not KINDS[strategy].pooled:
            self.refuse("workers", workers, f"but {strategy} has no workers")
        self.refuse("workers", workers, f"not one of the run's workers ({', '.join(map(str, spec.workers))})")

    def _point_problem(self, items, length, point) -> typing.NoReturn:
        spec = self.spec
        if not is_int(items) or items not in spec.items:
            self.refuse("items", items, f"not one of the run's items ({', '.join(map(str, spec.items))})")
        if not is_int(length) or length not in spec.length:
            self.refuse("length", length, f"not one of the run's lengths ({', '.join(map(str, spec.length))})")
        self.refuse("point_index", point, f"but the run measured items {items} × length {length} at point "
                                          f"{self.point_index[(items, length)]}")

    def _durations_problem(self, key: str, times) -> None:
        """Words for times that are not all floats, finite and positive; whole numbers pass."""
        if type(times) is not list:
            self.refuse(key, times, "which is not a list of durations in seconds")
        for value in times:
            if not ((type(value) is float and 0.0 < value < math.inf) or (type(value) is int and 0 < value <= _LARGEST_INT)):
                self.refuse(key, value, "which is not a duration in seconds (a finite positive number)")

    def _costs(self, costs: dict) -> None:
        """A pool's costs: each recorded figure of its type. The rows of one file share their keys and
        types, so each such shape is checked once, and then only that its numbers are finite and fit."""
        values = tuple(costs.values())
        shape = (tuple(costs), tuple(map(type, values)))
        masks = self.costs_seen.get(shape)
        if masks is None:
            accepted = _accepted(PoolCosts)
            for name, value in costs.items():
                if name in accepted and type(value) not in accepted[name]:
                    _check_record(costs, PoolCosts, f"{self.where()}: costs", signed=True)  # says which, and why
            masks = self.costs_seen[shape] = (tuple(name in accepted and type(value) is float for name, value in costs.items()),
                                              tuple(name in accepted and type(value) is int for name, value in costs.items()))
        floats, ints = masks
        whole = list(compress(values, ints))
        # One sum says that no figure is NaN or infinite (a sum that overflows is looked at one by one).
        if not math.isfinite(sum(compress(values, floats))) \
                or (whole and not -_LARGEST_INT <= min(whole) <= max(whole) <= _LARGEST_INT):
            _check_record(costs, PoolCosts, f"{self.where()}: costs", signed=True)

    def _summary(self, entry: dict, status: str, times: list) -> None:
        """The figures a row carries beside its times (when it does) must be its times' figures."""
        n = len(times)
        if "repeats" in entry and not (type(entry["repeats"]) is int and entry["repeats"] == n):
            self.refuse("repeats", entry["repeats"], f"but {n} times are given")
        if "ok" in entry and entry["ok"] is not (status == OK):
            self.refuse("ok", entry["ok"], f"but its status is {status}")
        if "median_s" not in entry and "min_s" not in entry and "mean_s" not in entry and "stdev_s" not in entry:
            return
        figures = dict.fromkeys(_SUMMARY_KEYS)
        if n:
            ordered = sorted(times)
            mean = sum(ordered) / n
            middle = n // 2
            figures.update(min_s=ordered[0], mean_s=mean,
                           median_s=ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2)
            if n > 1 and "stdev_s" in entry:
                figures["stdev_s"] = math.sqrt(sum([(t - mean) ** 2 for t in ordered]) / (n - 1))
        for key, expected in figures.items():
            if key not in entry:
                continue
            given = entry[key]
            if expected is None:
                if given is not None:
                    self.refuse(key, given, f"but {n} time{'s' if n != 1 else ''} give none")
                continue
            # Summed in another order, a mean or a spread may differ in its last digits.
            if type(given) is not float or not abs(given - expected) <= 1e-9 * (abs(expected) + figures["mean_s"]):
                if not (_is_number(given) and math.isclose(given, expected, rel_tol=1e-9, abs_tol=figures["mean_s"] * 1e-9)):
                    self.refuse(key, given, f"but its times give {expected:.6g}")

    def done(self, header: Run) -> tuple[list[dict], list[str]]:
        """The rows, once the run's status is known to fit them."""
        if header.status == COMPLETED and self.statuses - {OK, NOT_APPLICABLE}:
            bad = sorted(self.statuses - {OK, NOT_APPLICABLE})
            raise ImportRefused(f"{self.path}: the run: 'status' is \"completed\", but measurements of it are "
                                f"{' and '.join(bad)} (parbench run calls that partial or failed)")
        return self.rows, self.encoded


def _durations(times) -> bool:
    """Whether these are durations as a sweep records them: floats, finite and positive. (One sum
    finds a NaN or an infinity; a list that is not all floats is looked at value by value.)"""
    if type(times) is not list:
        return False
    if not times:
        return True
    return set(map(type, times)) == _FLOAT and min(times) > 0.0 and sum(times) < math.inf


_FLOAT = {float}
