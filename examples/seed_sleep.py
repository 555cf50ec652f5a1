"""The seed's first experiment: each item waits 50 ms (its manipulate_values2) over {i: [i] * 10_000}.

Written as the seed wrote it. The seed's loop called `manipulate_values2((key, value))` and its pool
mapped `manipulate_values1` over `d.items()`; parbench does both of those itself (`serial` is
`for key, value in d.items(): result[key] = kernel(value)`, `processes` is
`dict(executor.map(..., d.items()))`), so the kernel is the work on one value.

    parbench run --workload examples/seed_sleep.py --items 4..64 --strategies serial,processes,threads

The seed swept 4..512 items with as many workers as CPUs (8 on its machine).
"""

import time

DEFAULT_LENGTH = 10_000


def make_input(items, length, seed):
    # The seed's argument_provider: {i: [i] * 10_000 for i in range(size)}.
    return {i: [i] * length for i in range(items)}


def manipulate_values2(v):
    time.sleep(0.05)
    return v


kernel = manipulate_values2
