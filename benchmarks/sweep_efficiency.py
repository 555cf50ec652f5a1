"""Figure 4, sweep efficiency: how much of the wall time of a whole `parbench run` command is spent
in the calls it times (and the warm-up calls it makes) rather than in starting up, building inputs,
checking outputs, storing and printing.

The seed's sweep, `parbench run --workload squares --items 4..16 --length 1000000 --strategies
serial,processes,numpy --export x.json`: its wall time (process start to exit) over the sum of every
timed and warm-up call. The JSON export carries `times_s` but no warm-up times, so both are read
from the store (`Store(db).load_run(id).measurements[i].warmup_times_s`); the JSON's `times_s` is
checked against the store's.
"""

from __future__ import annotations

import json

from workloads.store.database import Store

from .common import Context, Row, at_most, fmt_s, log, parbench_cli

ARGS = ["run", "--workload", "squares", "--items", "4..16", "--length", "1000000",
        "--strategies", "serial,processes,numpy"]
LIMIT = 1.25


def _one(ctx: Context) -> tuple[float, float, float, float, int]:
    db = ctx.db("sweep")
    export = ctx.path("sweep.json")
    wall, _ = parbench_cli([*ARGS, "--export", str(export)], db)
    document = json.loads(export.read_text())
    with Store(db) as store:
        run = store.load_run(store.last_run_id())
    # times_s are per call; a repeat of short calls ran `loops` of them back to back.
    timed = sum(sum(m.times_s) * m.loops for m in run.measurements)
    warmups = sum(sum(m.warmup_times_s) for m in run.measurements)
    exported = sum(sum(row.get("times_s", ())) * row["loops"] for row in document["measurements"])
    if abs(exported - timed) > 1e-6 * max(1.0, timed):
        raise RuntimeError(f"the JSON export's times_s ({exported:.6f} s) differ from the store's ({timed:.6f} s)")
    has_warmups_in_json = any("warmup_times_s" in row for row in document["measurements"])
    return wall, timed, warmups, wall / (timed + warmups), int(has_warmups_in_json)


def run(ctx: Context) -> list[Row]:
    rounds = ctx.rounds(1, 1)
    results = []
    for index in range(rounds):
        log(f"sweep efficiency: round {index + 1}/{rounds}, parbench {' '.join(ARGS)}")
        results.append(_one(ctx))
    # One whole command is the unit here; its wall time and its calls share the same run.
    wall, timed, warmups, ratio, json_warmups = sorted(results, key=lambda r: r[3])[len(results) // 2]
    rows = [at_most("4 sweep: wall / (timed + warm-up calls), squares 4..16 × 1e6", ratio, LIMIT, "{:.3f}×",
                    f"command {fmt_s(wall)}; timed calls {fmt_s(timed)} + warm-ups {fmt_s(warmups)} = "
                    f"{fmt_s(timed + warmups)}; outside the calls {fmt_s(wall - timed - warmups)}"
                    + ("" if json_warmups else "; warm-up times read from the store (not in the JSON export)"))]
    return rows
