"""A fixed pure-Python loop of `spin` iterations per item: CPU work with next to nothing to ship.

A fixed number of iterations, never "spin for N ms": a time-based spin lets an oversubscribed pool
report a speedup it did not earn, since each worker stops after the same wall time however little
CPU it got.
"""

DEFAULT_LENGTH = 1

SETTINGS = {
    "spin": {"default": 600_000, "help": "loop iterations per item (600000 is about 50 ms here)", "min": 1,
             "max": 10**10},
}


def make_input(items, length, seed):
    return {i: [i] * length for i in range(items)}


def kernel(value, spin):
    # The result depends on every iteration, so nothing can be skipped.
    acc = len(value) + (value[0] if value else 0)
    for _ in range(spin):
        acc = (acc * 1103515245 + 12345) & 0x7FFFFFFF
    return acc
