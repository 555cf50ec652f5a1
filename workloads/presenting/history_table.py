"""The stored runs, newest first: one table for `parbench history` (every format) and the app's F2.

On an 80-column screen the date loses its year and seconds, a list of sizes folds to its ends
(`4..64`), and columns that still do not fit are dropped whole (host, then the rows count, then the
strategies), never cut mid-word.
"""

from __future__ import annotations

from ..model.run import Run
from .tables import DATA, MARKDOWN, RIGHT, SCREEN, Column, Row, Table


def _listed(values) -> str:
    return ",".join(map(str, values))


def folded(text: str) -> str:
    """`4,8,16`, or `4..512` when the list would not fit a narrow column."""
    values = text.split(",")
    return text if len(text) <= 9 else f"{values[0]}..{values[-1]}"


def _count(text: str) -> str:
    return str(len(text.split(","))) if text else "0"


def _started_in_full(text: str) -> str:
    return text.replace("T", " ")[:16]


def _started_briefly(text: str) -> str:
    return text.replace("T", " ")[5:16]


def _host(value) -> str:
    host, imported = value
    return host + (" (imported)" if imported else "")


def _host_briefly(value) -> str:
    host, imported = value
    return host.split(".")[0] + (" (imp.)" if imported else "")


HISTORY_COLUMNS = (
    Column("id", align=RIGHT),
    Column("started_at", "started (UTC)", format=_started_in_full, brief=_started_briefly),
    Column("workload"),
    Column("items", brief=folded),
    Column("length", brief=folded),
    Column("strategies", brief=_count, short="strat.", drop=3),
    Column("status"),
    Column("rows", align=RIGHT, drop=2),
    # The interpreter each run measured under (`--python`): dropped first where it does not fit.
    Column("python", brief=lambda text: text.replace(" free-threaded", "t").replace(", GIL off", "")
           .replace(", GIL on", " (GIL)"), drop=5),
    Column("where", "host", format=_host, brief=_host_briefly, shown=frozenset({MARKDOWN, SCREEN}), drop=4),
    Column("host", shown=DATA),
    Column("cpus", shown=DATA),
    Column("imported", shown=DATA),
)


def history_table(runs: list[Run], counts: dict[int, int]) -> Table:
    rows = []
    for run in runs:
        host = run.machine.hostname or ""
        rows.append(Row(str(run.id), {
            "id": run.id,
            "started_at": run.started_at,
            "workload": run.spec.workload_name(),
            "items": _listed(run.spec.items),
            "length": _listed(run.spec.length),
            "strategies": _listed(run.spec.strategies),
            "status": run.status,
            "rows": counts.get(run.id, 0),
            "where": (host, run.imported),
            "host": host,
            "cpus": run.machine.cpu_count,
            "python": run.machine.python_text if run.machine.python else "",
            "imported": run.imported,
        }))
    return Table(HISTORY_COLUMNS, tuple(rows), title="stored runs (newest first)")
