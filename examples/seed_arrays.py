"""The seed's third experiment: v ** 2 - 13 on numpy arrays of a million ints, loop vs pool.

The seed's numpy `manipulate_values2` over its own input, `{i: np.random.randint(0, 1000,
size=1_000_000)}` (seeded here). Its loop over the arrays is parbench's `numpy` strategy, its
pool over them `numpy-processes`:

    parbench run --workload examples/seed_arrays.py --items 4..64 --strategies numpy,numpy-processes

`kernel` is the same arithmetic on the same numbers as Python lists, so that `serial` and
`processes` can join the comparison (`--strategies serial,numpy,processes,numpy-processes`).
"""

import numpy as np

DEFAULT_LENGTH = 1_000_000


def make_input_numpy(items, length, seed):
    np.random.seed(seed)
    return {i: np.random.randint(0, 1000, size=length) for i in range(items)}


def make_input(items, length, seed):
    # The same numbers, as lists.
    return {i: values.tolist() for i, values in make_input_numpy(items, length, seed).items()}


def manipulate_values2(v):
    return v ** 2 - 13


kernel_numpy = manipulate_values2


def kernel(value):
    return [i ** 2 - 13 for i in value]


def reference(value):
    # What the numpy strategies are checked against without serial: exact in int64, and cheap.
    return np.asarray(value, dtype=np.int64) ** 2 - 13
