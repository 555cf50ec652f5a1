"""i**2 - 13 over each list of ints: the seed's second and third experiments.

The input is the seed's: each item a list of `length` ints drawn from range(1000) (parbench's
default input, so this file defines no make_input). `kernel` is the seed's `manipulate_values`, a
plain loop with append; `kernel_numpy` is the same arithmetic on an int64 array.
"""

import numpy as np

DEFAULT_LENGTH = 100_000


def kernel(value):
    return_values = []
    for i in value:
        new_value = i ** 2 - 13
        return_values.append(new_value)
    return return_values


def kernel_numpy(value):
    return value ** 2 - 13


def reference(value):
    # Exact in int64 (squares of values under 1000), and cheap: a numpy-only sweep is checked
    # without building the Python lists (64 × 1e6 Python ints are 2.3 GB).
    return np.asarray(value, dtype=np.int64) ** 2 - 13
