"""Each item waits sleep_ms: the seed's first experiment (50 ms per item, lists of 10_000).

The wait stands for work that does not need the CPU (I/O, a remote call): a pool of N workers
overlaps N waits, and so do N threads, since sleeping releases the GIL.
"""

import time

DEFAULT_LENGTH = 10_000

SETTINGS = {
    "sleep_ms": {"default": 50.0, "help": "milliseconds each item waits", "min": 0.0, "max": 60_000.0,
                 "label": "Sleep ms"},
}


def make_input(items, length, seed):
    # The seed's `{i: [i] * 10_000}`: the payload is only what a pool has to ship.
    return {i: [i] * length for i in range(items)}


def kernel(value, sleep_ms):
    time.sleep(sleep_ms / 1000)
    return value


def reference(value):
    # The answer without the wait, for checking strategies when serial is not in the sweep.
    return value
