"""The workloads: each one's kernels, its input data, and its expected output.

A workload has a pure-Python form (run by `serial`, `threads`, `processes`) and, where it has one, a
numpy form (run by `numpy`, `numpy-processes`). Inputs are the seed's dict `{i: value}`, built from
seeded random data so that two runs of the same spec measure the same input.

`spin` does a fixed number of iterations, never "spin for N ms": a time-based spin lets an
oversubscribed pool report a speedup it did not earn, since each worker stops after the same wall
time however little CPU it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from . import kernels
from .spec import SweepSpec

Kernel = Callable[[tuple], tuple]

# The seed draws values from range(1000); int64 holds their squares exactly.
SQUARES_HIGH = 1000


@dataclass(frozen=True)
class Workload:
    name: str
    summary: str
    has_numpy: bool

    def python_kernel(self, spec: SweepSpec) -> Kernel:
        if self.name == "sleep":
            return partial(kernels.sleep_item, sleep_s=spec.sleep_ms / 1000.0)
        if self.name == "squares":
            return kernels.squares_python
        return partial(kernels.spin_item, iterations=spec.spin)

    def numpy_kernel(self, spec: SweepSpec) -> Kernel | None:
        return kernels.squares_numpy if self.name == "squares" else None

    def _matrix(self, items: int, length: int, seed: int) -> np.ndarray:
        return np.random.default_rng([seed, items, length]).integers(
            0, SQUARES_HIGH, size=(items, length), dtype=np.int64
        )

    def make_input(self, items: int, length: int, seed: int, form: str) -> dict:
        """The input dict for one point; `form` is "python" (lists) or "numpy" (int64 arrays)."""
        return self.make_inputs(items, length, seed, (form,))[form]

    def make_inputs(self, items: int, length: int, seed: int, forms) -> dict[str, dict]:
        """The input dict of each form in `forms`, both drawn from one matrix of seeded values."""
        if self.name != "squares":
            # The seed's `{i: [i] * 10_000}`: the payload is what a pool has to ship.
            return {form: {i: [i] * length for i in range(items)} for form in forms}
        matrix = self._matrix(items, length, seed)
        inputs = {}
        if "numpy" in forms:
            inputs["numpy"] = {i: matrix[i].copy() for i in range(items)}
        if "python" in forms:
            # tolist() builds the Python ints in C: far faster than random.choice per element.
            inputs["python"] = {i: row.tolist() for i, row in enumerate(matrix)}
        return inputs

    def expected(self, items: int, length: int, seed: int, python_kernel: Kernel,
                 inputs: dict[str, dict] | None = None) -> dict:
        """The correct output, for checking strategies when serial is not among them; computed
        without the kernel's deliberate cost where the workload has one, and without the kernels
        under test. `inputs` are the point's inputs by form, reused rather than drawn again.
        For `squares` it is int64 arrays of the same seeded values: exact (the squares of values
        under 1000 fit easily), and a numpy-only sweep never builds the Python form (64 × 1e6
        Python ints are 2.3 GB and several seconds)."""
        inputs = inputs or {}
        if self.name == "squares":
            arrays = inputs.get("numpy") or dict(enumerate(self._matrix(items, length, seed)))
            return {key: values ** 2 - 13 for key, values in arrays.items()}
        python_data = inputs.get("python") or self.make_input(items, length, seed, "python")
        if self.name == "sleep":
            return dict(python_data)
        return dict(map(python_kernel, python_data.items()))


WORKLOADS: dict[str, Workload] = {
    "sleep": Workload("sleep", "each item waits sleep-ms (the seed's 50 ms experiment)", has_numpy=False),
    "squares": Workload("squares", "i**2 - 13 over each list of ints (the seed's 2nd and 3rd)", has_numpy=True),
    "spin": Workload("spin", "a fixed pure-Python loop of --spin iterations per item", has_numpy=False),
}


def get(name: str) -> Workload:
    return WORKLOADS[name]
