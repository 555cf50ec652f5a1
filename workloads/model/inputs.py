"""A sweep's items read from the user's own data (`--input FILE`), by the file's suffix:

* `.pkl`/`.pickle`: a pickled dict (its items) or list (items keyed 0, 1, …);
* `.json`: an object (its items) or an array; `.jsonl`/`.ndjson`: one item's value per line;
* `.csv`: rows grouped into items of `--length` rows (a row of one column is its value, else a list
  of its fields; numbers are read as numbers; a first row of names with numbers below it is a header);
* `.npy`: an array whose first axis runs over the items; `.npz`: one item per array (by its name),
  or, holding a single array, that array's rows as in `.npy`.

The sweep's item counts come from the file (all its items by default; `--items` takes the first N),
and an item's length is its size in the file (`len()`, an array's size): only a CSV's grouping is
set by `--length`. This module reads what the caller may read safely to check a sweep before it
starts: JSON, CSV, the headers of `.npy`/`.npz`, and a pickle's *shape* with a restricted unpickler
that imports nothing and runs no code (a user's classes and numpy arrays become placeholders that
only know their size). The items themselves are read in the measuring process, under the user's
interpreter (`workloads.measuring.inputs`). No numpy here: this runs in the app's form.
"""

from __future__ import annotations

import ast
import json
import os
import pickle
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .parsing import SpecError, parse_existing_path

FORMATS = {".pkl": "pickle", ".pickle": "pickle", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".csv": "csv", ".npy": "npy", ".npz": "npz"}
# Beyond this size, a pickle's shape is left to the measuring process: the caller would hold a copy.
PEEK_LIMIT = 256 * 2**20


class InputError(ValueError):
    """The file cannot give a sweep its items: truncated, of the wrong shape, not what its suffix
    says. The message names the file and says what is wrong, in one line."""


@dataclass(frozen=True)
class Shape:
    """What a sweep needs to know of an input file before it starts."""

    format: str
    count: int  # items in the file; for CSV, rows (grouped into items by --length)
    length: int | None  # values per item (the median when they differ); None for CSV or when unknown
    low: int | None = None  # the smallest and largest item, when they differ
    high: int | None = None

    def items_for(self, length: int) -> int:
        """How many items the file gives at this length (CSV: whole groups of `length` rows)."""
        return self.count // max(1, length) if self.format == "csv" else self.count

    @property
    def varies(self) -> bool:
        return self.low is not None and self.high is not None and self.low != self.high


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{Path(path).name}: parbench reads items from " + ", ".join(FORMATS)
                         + f" files, not {suffix or 'a file without a suffix'}")
    return FORMATS[suffix]


def size_of(value) -> int:
    """An item's length: its len() (a list, a string, a dict), an array's size, 1 for a scalar."""
    size = getattr(value, "size", None)
    if isinstance(size, int) and not isinstance(value, (str, bytes)):
        return size
    try:
        return len(value)
    except TypeError:
        return 1


def sizes_shape(fmt: str, sizes: list[int]) -> Shape:
    if not sizes:
        return Shape(fmt, 0, None)
    low, high = min(sizes), max(sizes)
    import statistics

    return Shape(fmt, len(sizes), int(statistics.median_low(sizes)), low if low != high else None,
                 high if low != high else None)


def items_of(data, name: str) -> list[tuple]:
    """(key, value) pairs of a file's top-level container, in order."""
    if isinstance(data, dict):
        return list(data.items())
    if isinstance(data, (list, tuple)):
        return list(enumerate(data))
    raise InputError(f"{name} holds {_a(type(data).__name__)}; parbench needs a list or a dict of items "
                     "(each item's value is what the function is called with)")


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


# JSON, JSON Lines, CSV: plain data, read whole --------------------------------------------------------


def read_json(path: Path) -> list[tuple]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not text (UTF-8): is it really JSON?") from None
    except json.JSONDecodeError as exc:
        truncated = exc.msg.startswith("Unterminated") or exc.pos >= os.path.getsize(path) - 1
        where = "truncated" if truncated else "not valid JSON"
        raise InputError(f"{path.name} is {where}: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return items_of(data, path.name)


def read_jsonl(path: Path) -> list[tuple]:
    pairs = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not text (UTF-8): is it really JSON Lines?") from None
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            pairs.append((len(pairs), json.loads(line)))
        except json.JSONDecodeError as exc:
            what = "is truncated" if number - 1 == last else "is not JSON"
            raise InputError(f"{path.name}, line {number} {what} ({exc.msg}, column {exc.colno}); each line "
                             "must be one item's value as JSON") from None
    return pairs


def _number(text: str):
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        return float(stripped)
    except ValueError:
        return text


def _numeric(field) -> bool:
    return not isinstance(field, str)


def read_csv_rows(path: Path) -> list:
    """Every data row (a header row skipped), numbers as numbers; a one-column row is its value."""
    import csv  # here, not at the top: `parbench --help` imports this module and reads no file

    try:
        with open(path, encoding="utf-8", newline="") as handle:
            raw = [row for row in csv.reader(handle) if row]
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not text (UTF-8): is it really CSV?") from None
    except csv.Error as exc:
        raise InputError(f"{path.name} is not valid CSV: {exc}") from None
    rows = [[_number(field) for field in row] for row in raw]
    if len(rows) >= 2 and not any(_numeric(f) for f in rows[0]) and any(_numeric(f) for f in rows[1]):
        rows = rows[1:]  # names over numbers: a header
        raw = raw[1:]
    if rows:
        width = len(rows[0])
        for number, row in enumerate(rows, 1):
            if len(row) != width:
                at = "its last row" if number == len(rows) else f"row {number}"
                raise InputError(f"{path.name}: {at} has {len(row)} field{'s' if len(row) != 1 else ''} where the "
                                 f"first has {width}" + (" (truncated?)" if number == len(rows) else ""))
    return [row[0] if len(row) == 1 else row for row in rows]


def group_rows(rows: list, length: int, name: str, items: int) -> list[tuple]:
    """The first `items` items of `length` rows each."""
    if items * length > len(rows):
        raise InputError(f"{name} has {len(rows)} rows: {items} items of {length} rows need {items * length}")
    return [(index, rows[index * length:(index + 1) * length]) for index in range(items)]


# .npy and .npz: headers only ---------------------------------------------------------------------------


def _npy_header(handle, name: str, total: int | None) -> tuple[tuple[int, ...], int]:
    """(shape, bytes of data) from a .npy stream's header, checking the data is all there."""
    magic = handle.read(8)
    if len(magic) < 8 or magic[:6] != b"\x93NUMPY":
        raise InputError(f"{name} is not a .npy array (no NUMPY header)")
    major = magic[6]
    size_format = "<H" if major == 1 else "<I"
    raw = handle.read(struct.calcsize(size_format))
    if len(raw) < struct.calcsize(size_format):
        raise InputError(f"{name} is truncated (in its header)")
    (length,) = struct.unpack(size_format, raw)
    header_text = handle.read(length)
    if len(header_text) < length:
        raise InputError(f"{name} is truncated (in its header)")
    try:
        header = ast.literal_eval(header_text.decode("latin1"))
        shape = tuple(int(n) for n in header["shape"])
        descr = header["descr"]
    except (ValueError, SyntaxError, KeyError, TypeError):
        raise InputError(f"{name} has a .npy header parbench cannot read") from None
    itemsize = _itemsize(descr)
    count = 1
    for n in shape:
        count *= n
    data = count * itemsize if itemsize else None
    if total is not None and data is not None:
        offset = 8 + struct.calcsize(size_format) + length
        if total - offset < data:
            raise InputError(f"{name} is truncated: its header says {data} bytes of data for shape {shape}, the file "
                             f"holds {max(0, total - offset)}")
    return shape, data or 0


def _itemsize(descr) -> int | None:
    if isinstance(descr, str) and descr[1:].isdigit():
        return int(descr[1:]) * (4 if descr[1:2] == "U" else 1)
    if isinstance(descr, str) and len(descr) > 2 and descr[2:].isdigit():
        return int(descr[2:]) * (4 if descr[1] == "U" else 1)
    return None  # an object or structured array: size unknown from the header


def _rows_shape(fmt: str, shape: tuple[int, ...], name: str) -> Shape:
    if not shape:
        raise InputError(f"{name} holds a single value (shape ()); parbench needs an array whose first axis "
                         "runs over the items")
    per_item = 1
    for n in shape[1:]:
        per_item *= n
    return Shape(fmt, shape[0], per_item)


def npy_shape(path: Path) -> Shape:
    with open(path, "rb") as handle:
        shape, _ = _npy_header(handle, path.name, os.path.getsize(path))
    return _rows_shape("npy", shape, path.name)


def npz_shape(path: Path) -> Shape:
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(f"{path.name} is truncated or not an .npz archive") from None
    with archive:
        names = [n for n in archive.namelist() if n.endswith(".npy")]
        if not names:
            raise InputError(f"{path.name} holds no arrays")
        shapes = []
        for member in names:
            info = archive.getinfo(member)
            try:
                with archive.open(member) as handle:
                    shape, _ = _npy_header(handle, f"{path.name}:{member}", None)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise InputError(f"{path.name} is truncated or damaged ({exc})") from None
            shapes.append((shape, info))
    if len(shapes) == 1:
        return _rows_shape("npz", shapes[0][0], path.name)
    sizes = []
    for shape, _ in shapes:
        count = 1
        for n in shape:
            count *= n
        sizes.append(count)
    return sizes_shape("npz", sizes)


# Pickles: the shape only, with nothing imported ---------------------------------------------------------


class _Placeholder:
    """Anything a pickle builds from a class: it knows its size when it is a numpy array."""

    size_hint: int | None = None
    origin = ("", "")

    def __init__(self, *args, **kwargs) -> None:
        # numpy's protocol-5 form: _frombuffer(buffer, dtype, shape, order).
        if self.origin[1] == "_frombuffer" and len(args) >= 3 and isinstance(args[2], tuple):
            count = 1
            for n in args[2]:
                count *= int(n)
            self.size_hint = count

    def __setstate__(self, state) -> None:
        # numpy's ndarray state: (version, shape, dtype, is_fortran, data).
        if isinstance(state, tuple) and len(state) == 5 and isinstance(state[1], tuple):
            count = 1
            for n in state[1]:
                count *= int(n)
            self.size_hint = count

    def __setitem__(self, key, value) -> None:
        pass

    def append(self, value) -> None:
        pass

    def extend(self, values) -> None:
        pass

    def __call__(self, *args, **kwargs):
        return _Placeholder()

    def __reduce__(self):  # never pickled again; only here so no subclass looks picklable by accident
        raise TypeError("a placeholder")


class _ShapeUnpickler(pickle.Unpickler):
    """Resolves every class and function to a placeholder: no import, no user code runs."""

    def find_class(self, module: str, name: str):
        if module == "builtins" and name in ("set", "frozenset", "bytearray", "complex", "slice", "range"):
            return getattr(__import__("builtins"), name)
        return type(name, (_Placeholder,), {"origin": (module, name)})

    def persistent_load(self, pid):
        return _Placeholder()


def _placeholder_size(value) -> int:
    if isinstance(value, _Placeholder):
        return value.size_hint if value.size_hint is not None else 1
    return size_of(value)


def pickle_shape(path: Path) -> Shape | None:
    """The shape of a pickled dict or list; None when the file is too big to look at here."""
    if os.path.getsize(path) > PEEK_LIMIT:
        return None
    try:
        with open(path, "rb") as handle:
            data = _ShapeUnpickler(handle).load()
    except (EOFError, pickle.UnpicklingError) as exc:
        raise InputError(f"{path.name} is truncated or not a pickle ({type(exc).__name__}: {exc or 'ran out of input'})") \
            from None
    except Exception as exc:  # a malformed stream makes the unpickler fail in many ways
        raise InputError(f"{path.name} is not a pickle parbench can read ({type(exc).__name__}: {exc})") from None
    if isinstance(data, _Placeholder):
        raise InputError(f"{path.name} holds one object of a class; parbench needs a pickled list or dict of items")
    return sizes_shape("pickle", [_placeholder_size(value) for _, value in items_of(data, path.name)])


# One entry point ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _shape_cached(path: str, mtime_ns: int, size: int) -> Shape | None:
    file = Path(path)
    fmt = format_of(file)
    if fmt == "npy":
        return npy_shape(file)
    if fmt == "npz":
        return npz_shape(file)
    if fmt == "pickle":
        return pickle_shape(file)
    if fmt == "csv":
        return Shape("csv", len(read_csv_rows(file)), None)
    pairs = read_json(file) if fmt == "json" else read_jsonl(file)
    return sizes_shape(fmt, [size_of(value) for _, value in pairs])


def shape(path: str) -> Shape | None:
    """The file's shape (cached while the file is unchanged); None when only the measuring process
    can tell (a pickle too big to look at here). `InputError` when it cannot give a sweep items."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    return _shape_cached(path, stat.st_mtime_ns, stat.st_size)


def parse_input(text: str, scope=None) -> str:
    """The input file's absolute path ("" for none), checked: it exists, is a file of a known
    format, and holds items."""
    cleaned = (text or "").strip()
    if not cleaned:
        return ""
    path = parse_existing_path(cleaned, "input")
    if path.is_dir():
        raise SpecError("input", f"{cleaned} is a folder; give a file of items ({', '.join(FORMATS)})")
    try:
        format_of(path)
        found = shape(str(path))
    except InputError as exc:
        raise SpecError("input", str(exc)) from None
    if found is not None and found.count == 0:
        raise SpecError("input", f"{path.name} holds no items")
    return str(path)
