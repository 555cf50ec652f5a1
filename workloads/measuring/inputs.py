"""A sweep's items read from the user's file (`--input`), in the measuring process: under the user's
interpreter, so that a pickle of their own classes loads with their code (formats and rules:
`workloads.model.inputs`). Read once, checked against the sweep (enough items, the length the sweep
was set up with), then handed out point by point: the first N items, in the file's order.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..model import inputs as formats
from ..model.workload import WorkloadError


class InputData:
    """The items of one input file, in both forms a workload may take (Python values, numpy arrays)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.name = self.path.name
        try:
            self.format = formats.format_of(self.path)
            self._rows: list | None = None  # CSV: the rows, grouped per point by its length
            self._pairs: list[tuple] = []
            self._read()
            # The items' length: the median when they differ; None for CSV, grouped by the sweep.
            self.length = None if self._rows is not None else \
                formats.sizes_shape(self.format, [formats.size_of(v) for _, v in self._pairs]).length
        except formats.InputError as exc:
            raise WorkloadError(str(exc)) from None
        except OSError as exc:
            raise WorkloadError(f"{self.path}: {exc.strerror or exc}") from None

    def _read(self) -> None:
        path, fmt = self.path, self.format
        if fmt == "csv":
            self._rows = formats.read_csv_rows(path)
        elif fmt == "json":
            self._pairs = formats.read_json(path)
        elif fmt == "jsonl":
            self._pairs = formats.read_jsonl(path)
        elif fmt == "pickle":
            try:
                with open(path, "rb") as handle:
                    data = pickle.load(handle)
            except (EOFError, pickle.UnpicklingError) as exc:
                raise formats.InputError(f"{self.name} is truncated or not a pickle ({type(exc).__name__}: "
                                         f"{exc or 'ran out of input'})") from None
            except ModuleNotFoundError as exc:
                raise formats.InputError(f"{self.name} holds objects of {exc.name}, which this Python cannot "
                                         "import; run under the project's Python (--python)") from None
            self._pairs = formats.items_of(data, self.name)
        else:
            self._pairs = self._arrays()

    def _arrays(self) -> list[tuple]:
        try:
            loaded = np.load(self.path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise formats.InputError(f"{self.name} is truncated or damaged ({type(exc).__name__}: {exc})") from None
        if self.format == "npz":
            with loaded:
                arrays = {name: loaded[name] for name in loaded.files}
            if len(arrays) > 1:
                return list(arrays.items())
            loaded = next(iter(arrays.values()))
        if loaded.ndim == 0:
            raise formats.InputError(f"{self.name} holds a single value (shape ()); parbench needs an array whose "
                                     "first axis runs over the items")
        return list(enumerate(loaded))

    # What a sweep may ask of it -----------------------------------------------------------------

    def count(self, length: int) -> int:
        return len(self._rows) // max(1, length) if self._rows is not None else len(self._pairs)

    def check(self, items: tuple[int, ...], lengths: tuple[int, ...]) -> None:
        """`WorkloadError` when the file cannot give the sweep its points."""
        for length in lengths:
            have = self.count(length)
            if max(items) > have:
                what = (f"{len(self._rows)} rows, {have} items of {length} rows" if self._rows is not None
                        else f"{have} items")
                raise WorkloadError(f"{self.name} holds {what}; the sweep asks for {max(items)} items: give "
                                    f"--items {have} or fewer")
        own = self.length
        if own is not None and tuple(lengths) != (own,):
            raise WorkloadError(f"{self.name}'s items hold {own} values each, and the sweep says length "
                                f"{','.join(map(str, lengths))}: the file sets the length (give --length {own}, or "
                                "leave it blank where parbench can look into the file first)")

    def take(self, items: int, length: int, form: str) -> dict:
        """The first `items` items, as `form` takes them: Python values, or numpy arrays."""
        if self._rows is not None:
            try:
                pairs = formats.group_rows(self._rows, length, self.name, items)
            except formats.InputError as exc:
                raise WorkloadError(str(exc)) from None
        else:
            if items > len(self._pairs):
                raise WorkloadError(f"{self.name} holds {len(self._pairs)} items; the point asks for {items}")
            pairs = self._pairs[:items]
        if form == "numpy":
            return {key: np.array(value) for key, value in pairs}  # a copy each: the seed's items own their data
        return {key: value.tolist() if isinstance(value, np.ndarray) else value for key, value in pairs}
