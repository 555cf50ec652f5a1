"""Two runs compared, as a table: for each row measured in either, both times, the ratio B/A of
those times with its interval and the mark that says what it means. One declaration for `parbench compare` (every
format) and the app's compare screen; on screen a strategy's workers join its name
(`processes@2`), and items or length that every row shares are said once above the table.
"""

from __future__ import annotations

from ..insight import compare as comparing
from ..insight.compare import Comparison
from ..model.numbers import format_interval, format_ratio, format_seconds
from .tables import (
    ALERT,
    CAUTION,
    CSV,
    DATA,
    GOOD,
    MARKDOWN,
    MUTED,
    PEOPLE,
    RIGHT,
    SCREEN,
    Column,
    Row,
    Table,
)

ONLY_CSV = frozenset({CSV})
NOT_ON_SCREEN = DATA | {MARKDOWN}

MARK_TONE = {comparing.FASTER: GOOD, comparing.SLOWER: ALERT, comparing.WITHIN_NOISE: MUTED, comparing.SAME: "",
             comparing.UNKNOWN: CAUTION, comparing.ONLY_A: CAUTION, comparing.ONLY_B: CAUTION}


def _interval(value) -> str:
    return format_interval(*value) if value else "—"


def constant_columns(comparison: Comparison) -> dict[str, int]:
    """Items or length when every row has the same: said once in the header, not in a column."""
    found = {}
    for name in ("items", "length"):
        values = {getattr(row, name) for row in comparison.rows}
        if len(values) == 1:
            found[name] = values.pop()
    return found


def comparison_columns(constant: dict[str, int] | None = None) -> tuple[Column, ...]:
    constant = constant or {}

    def axis(name: str) -> Column:
        return Column(name, align=RIGHT, shown=NOT_ON_SCREEN if name in constant else PEOPLE | DATA)

    return (
        Column("a", shown=ONLY_CSV),
        Column("b", shown=ONLY_CSV),
        Column("strategy", shown=NOT_ON_SCREEN),
        Column("series", "strategy", shown=frozenset({SCREEN})),
        axis("items"),
        axis("length"),
        Column("workers", align=RIGHT, shown=frozenset({MARKDOWN})),
        Column("workers_a", shown=DATA),
        Column("workers_b", shown=DATA),
        Column("repeats_a", shown=DATA),
        Column("repeats_b", shown=DATA),
        # What B/A is the ratio of: each run's geometric mean time (at the machine's usual pace when
        # the runs recorded it), so that the ratio beside them is theirs.
        Column("time_a", "A time", RIGHT, format_seconds, PEOPLE, short="A"),
        Column("time_b", "B time", RIGHT, format_seconds, PEOPLE, short="B"),
        Column("time_a_s", shown=DATA),
        Column("time_b_s", shown=DATA),
        Column("median_a_s", shown=DATA),
        Column("median_b_s", shown=DATA),
        Column("wait_a", shown=DATA),
        Column("wait_b", shown=DATA),
        Column("ratio", "B/A", RIGHT, format_ratio, PEOPLE | DATA),
        Column("interval", "95% interval", RIGHT, _interval, PEOPLE, short="95% int."),
        Column("ratio_low", shown=DATA),
        Column("ratio_high", shown=DATA),
        Column("confidence", shown=DATA),
        Column("mark", "B vs A", shown=PEOPLE | DATA),
        Column("min_change", shown=ONLY_CSV),
    )


def comparison_table(comparison: Comparison) -> Table:
    rows = []
    for row in comparison.rows:
        has_interval = row.has_interval
        series = f"{row.strategy}@{row.workers.replace(' ', '')}" if row.workers else row.strategy
        rows.append(Row(f"{series}|{row.items}|{row.length}", {
            "a": comparison.label_a,
            "b": comparison.label_b,
            "strategy": row.strategy,
            "series": series,
            "items": row.items,
            "length": row.length,
            "workers": row.workers,
            "workers_a": row.workers_a,
            "workers_b": row.workers_b,
            "repeats_a": row.a.repeats if row.a is not None else None,
            "repeats_b": row.b.repeats if row.b is not None else None,
            "time_a": row.time_a,
            "time_b": row.time_b,
            "time_a_s": row.time_a,
            "time_b_s": row.time_b,
            "median_a_s": row.median_a,
            "median_b_s": row.median_b,
            "wait_a": row.found.wait_a if row.found is not None else None,
            "wait_b": row.found.wait_b if row.found is not None else None,
            "ratio": row.ratio.estimate if row.ratio is not None else None,
            "interval": (row.ratio.low, row.ratio.high) if has_interval else None,
            "ratio_low": row.ratio.low if has_interval else None,
            "ratio_high": row.ratio.high if has_interval else None,
            "confidence": row.ratio.confidence if has_interval else None,
            "mark": row.mark,
            "min_change": comparison.min_change,
        }, {"mark": MARK_TONE.get(row.mark, ALERT)}))
    return Table(comparison_columns(constant_columns(comparison)), tuple(rows))
