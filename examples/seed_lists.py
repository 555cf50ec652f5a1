"""The seed's second experiment: i ** 2 - 13 over lists of a million random ints, loop vs pool.

The seed's own `manipulate_values2` over its own input, `{i: [choice(range(1000)) for _ in
range(1_000_000)]}` (seeded here, so that two runs measure the same numbers; the seed's was not).

    parbench run --workload examples/seed_lists.py --items 4..16 --strategies serial,processes

The seed's verdict: one item takes ~209 ms on its machine, enough for the pool to win at 8 CPUs.
"""

import random
from random import choice

DEFAULT_LENGTH = 1_000_000


def make_input(items, length, seed):
    random.seed(seed)
    return {i: [choice(range(1000)) for _ in range(length)] for i in range(items)}


def manipulate_values2(v):
    return_values = []
    for i in v:
        new_value = i ** 2 - 13
        return_values.append(new_value)
    return return_values


kernel = manipulate_values2
