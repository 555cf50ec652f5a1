"""Text work per record: parse a batch of JSON log lines and total the slow requests per path.

The pool question people ask about every log or CSV job: is `json.loads` (or a regex) per record
worth a process pool? Each item is one batch of `length` lines, as a job would read a file's
chunk; the kernel parses every line, keeps the requests slower than `slow_ms`, and pulls the
endpoint out of the URL with a regex.

    parbench run --workload examples/log_records.py --items 4..64 --strategies serial,processes,threads
"""

import json
import random
import re

DEFAULT_LENGTH = 2_000

SETTINGS = {
    "slow_ms": {"default": 250, "help": "a request slower than this many ms counts as slow", "min": 0,
                "max": 60_000, "label": "Slow ms"},
}

PATHS = ("/api/orders/{}", "/api/users/{}/cart", "/static/app.{}.js", "/search?q={}", "/api/orders/{}/items")
ENDPOINT = re.compile(r"^/(?:api/)?([a-z]+)")


def make_input(items, length, seed):
    rng = random.Random(seed)
    batches = {}
    for i in range(items):
        lines = []
        for n in range(length):
            record = {
                "ts": f"2024-05-{1 + n % 28:02d}T12:{n % 60:02d}:{rng.randrange(60):02d}Z",
                "method": rng.choice(("GET", "GET", "GET", "POST")),
                "url": rng.choice(PATHS).format(rng.randrange(10_000)),
                "status": rng.choice((200, 200, 200, 200, 304, 404, 500)),
                "ms": round(rng.lognormvariate(4.5, 1.0), 1),
                "agent": "Mozilla/5.0 (X11; Linux x86_64) parbench-example",
            }
            lines.append(json.dumps(record))
        batches[f"part-{i:05d}.jsonl"] = lines
    return batches


def kernel(lines, slow_ms):
    slow = {}
    for line in lines:
        record = json.loads(line)
        if record["ms"] > slow_ms:
            match = ENDPOINT.match(record["url"])
            endpoint = match.group(1) if match else "other"
            count, total = slow.get(endpoint, (0, 0.0))
            slow[endpoint] = (count + 1, round(total + record["ms"], 1))
    return slow
