"""The per-item kernels, written as the seed wrote them.

Each kernel takes one `(key, value)` pair from the input dict and returns `(key, result)`, so that
every strategy, serial or pooled, can rebuild the output dict the same way. They are module-level
functions (bound to their knobs with `functools.partial`) because a process pool pickles them by
reference.
"""

from __future__ import annotations

import time


def sleep_item(key_value, sleep_s: float):
    """The seed's first experiment: the item costs a fixed wait, its value passes through."""
    key, value = key_value
    time.sleep(sleep_s)
    return key, value


def squares_python(key_value):
    """The seed's second experiment: `i ** 2 - 13` with a plain loop and append."""
    key, value = key_value
    return_values = []
    for i in value:
        new_value = i ** 2 - 13
        return_values.append(new_value)
    return key, return_values


def squares_numpy(key_value):
    """The seed's third experiment: the same arithmetic on an int64 array."""
    key, value = key_value
    return key, value ** 2 - 13


def spin_item(key_value, iterations: int):
    """A fixed amount of pure-Python work per item (never a fixed time: see the module docstring of
    `workloads.catalog`). The result depends on every iteration so nothing can be skipped."""
    key, value = key_value
    acc = key + len(value)
    for _ in range(iterations):
        acc = (acc * 1103515245 + 12345) & 0x7FFFFFFF
    return key, acc
