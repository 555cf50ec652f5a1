"""A run as people and programs read it: its name, its header (what it measured, where, how), each
row's status, the table of its results and its winner map, each declared once (`tables.Table`)
for every renderer: the exports, the CLI's tables and the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..insight.decisions import BASELINE_WORD, RowDecision, decide_run
from ..model.decision import MARGIN, UNDECIDED
from ..model.measurement import (
    QUALIFIERS,
    STOP_OPEN,
    Measurement,
    busy_points,
    qualifiers,
    quality,
    worker_sweep,
)
from ..model.numbers import format_interval, format_ratio, format_seconds
from ..model.run import Run
from ..model.stats import FASTER, SAME, SLOWER
from .tables import (
    ALERT,
    BAD,
    CAUTION,
    DATA,
    EVERYWHERE,
    GOOD,
    JSON,
    MARKDOWN,
    MUTED,
    PEOPLE,
    RIGHT,
    Column,
    Row,
    Table,
)

NOT_STORED = "(not stored)"
ONLY_MARKDOWN = frozenset({MARKDOWN})
ONLY_JSON = frozenset({JSON})


def run_name(run: Run) -> str:
    """`run 3`, or `run (not stored)` for a run the store could not take (its numbers are in memory)."""
    return f"run {run.id}" if run.id is not None else f"run {NOT_STORED}"


# The header ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunHeader:
    """What every figure of a run depends on, each fact worded once; a renderer picks the facts it
    has room for."""

    name: str  # run 3
    workload: str
    status: str
    error: str
    started: str  # 2026-01-02 03:04 UTC
    machine: str  # 2 CPUs, Python 3.11, start method fork
    machine_in_full: str  # 2 CPUs (its model), Python 3.11, numpy 2.0, start method fork
    rounds: str  # rounds until decided within ±5% (2 to 20) / 5 rounds
    rounds_in_full: str
    warmup: str  # after up to 1 warm-up
    pool: str  # pool cold
    workers: str  # 2 workers
    chunksize: str  # chunksize 1
    timing: str  # times per call, ...
    speedup: str  # how a speedup is worked out

    @property
    def status_and_error(self) -> str:
        """`completed`, or `partial: 3 of 9 measurements did not succeed (...)`."""
        return f"{self.status}: {self.error}" if self.error else self.status


SPEEDUP_RULE = ("speedup = serial's time over the strategy's, paired by round (geometric mean), with a 95% "
                "interval that holds however the rounds stopped; faster, slower or the same when it says so")


def run_header(run: Run) -> RunHeader:
    spec, machine = run.spec, run.machine
    cpus = f"{machine.cpu_count or '?'} CPUs"
    python = f"Python {machine.python_text}"
    start = f"start method {machine.start_method or '?'}"
    rounds = spec.rounds_text
    return RunHeader(
        name=run_name(run),
        workload=spec.workload_name(),
        status=run.status,
        error=run.error,
        started=run.started_at.replace("T", " ")[:16] + " UTC",
        machine=f"{cpus}, {python}, {start}",
        machine_in_full=f"{cpus} ({machine.cpu_model or '?'}), {python}, numpy {machine.numpy or '?'}, {start}",
        rounds=rounds,
        rounds_in_full=rounds,
        warmup=f"after up to {spec.warmup} warm-up",
        pool=f"pool {spec.pool}",
        workers=f"{','.join(map(str, spec.workers))} workers",
        chunksize=f"chunksize {spec.chunksize}",
        timing=(f"times per call, releasing its output included, calls under {spec.min_time * 1000:g} ms timed "
                "back to back"),
        speedup=SPEEDUP_RULE,
    )


def header_markdown(run: Run) -> str:
    """The first paragraph of a Markdown export: which run, on what, measured how."""
    h = run_header(run)
    return (f"**parbench {h.name}**: `{h.workload}`, {h.status_and_error}; {h.machine_in_full}; "
            f"{h.rounds_in_full} {h.warmup}, {h.pool}; {h.timing}; {h.speedup}")


# A row's status ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowStatus:
    word: str  # fits a narrow column: the decision (faster, slower, same, undecided, baseline) or failed, ...
    notes: tuple[str, ...]  # short words that qualify it (noisy, budget, rounds, too close, shared, 1 round)
    reason: str  # why the word, where it needs saying (a failure's error); "" for a decision

    @property
    def explanations(self) -> tuple[str, ...]:
        """Each note in full, said once under a table and in the focused row's story."""
        return tuple(f"{n}: {QUALIFIERS.get(n, DEFAULT_NOTE)}" for n in self.notes)


DEFAULT_NOTE = "rounds are still being added where it is open"


def row_status(m: Measurement, decision: RowDecision | None = None, *, busy: bool | None = None) -> RowStatus:
    """The one place a row's status is worded, for every table: its decision against serial (the
    run's decisions, `workloads.insight.decisions`), and what qualifies it. A row with no figure
    says why (failed, timeout, n/a). `busy`: whether other programs held the CPUs at its point
    (`busy_points` of the run's rows)."""
    judged = quality(m, busy=busy)
    if not judged.trusted:
        return RowStatus(judged.label, (), judged.detail)
    verdict = decision.verdict if decision is not None and decision.verdict else "ok"
    notes = qualifiers(m, busy=busy)
    if verdict != UNDECIDED:  # how deciding ended only qualifies a row it did not decide
        notes = [n for n in notes if n not in ("budget", "rounds", "too close", "cancelled")]
    elif m.ok and m.stop == STOP_OPEN:
        notes.insert(0, "deciding")  # a live sweep is still adding rounds where it is open
    return RowStatus(verdict, tuple(notes), "")


def status_tone(word: str) -> str:
    if word in ("failed", "timeout"):
        return ALERT
    if word in ("ok", "n/a", BASELINE_WORD, SAME):
        return MUTED
    if word == FASTER:
        return GOOD
    if word == SLOWER:
        return BAD
    return CAUTION  # undecided


def speedup_tone(verdict: str) -> str:
    return {FASTER: GOOD, SLOWER: BAD}.get(verdict, MUTED)


# The results table -------------------------------------------------------------------------------------------


def row_key(m: Measurement) -> str:
    return f"{m.strategy}|{m.workers}|{m.items}|{m.length}" + (f"|{m.arm}" if m.arm else "")


def _seconds(value) -> str:
    return format_seconds(value)


def _interval(value) -> str:
    return format_interval(*value) if value else "—"


def _notes(value) -> str:
    return ",".join(value or ())


def run_columns(workers_on_screen: bool, versus: bool = False) -> tuple[Column, ...]:
    """The run table's columns: what identifies a row, its figures, and its status. On screen
    (80 columns) only what qualifies a figure; a worker count only in a worker sweep; the arm (B of
    --vs) only in a run that has one."""
    return (
        Column("run_id", shown=DATA),
        Column("workload", shown=DATA),
        Column("strategy"),
        Column("arm", "", shown=EVERYWHERE if versus else DATA),
        Column("items", align=RIGHT),
        Column("length", align=RIGHT),
        Column("workers", align=RIGHT, shown=EVERYWHERE if workers_on_screen else DATA | {MARKDOWN}),
        Column("chunksize", shown=DATA),
        Column("pool", shown=DATA),
        Column("repeats", shown=DATA),
        Column("loops", shown=DATA),
        Column("median", "median", RIGHT, _seconds, PEOPLE),
        Column("min", "min", RIGHT, _seconds, ONLY_MARKDOWN),
        Column("stdev", "stdev", RIGHT, _seconds, ONLY_MARKDOWN),
        Column("speedup", "speedup", RIGHT, format_ratio, PEOPLE, descending=True),
        Column("interval", "95% interval", RIGHT, _interval, PEOPLE, short="95% int.", descending=True),
        Column("min_s", shown=DATA),
        Column("median_s", shown=DATA),
        Column("mean_s", shown=DATA),
        Column("stdev_s", shown=DATA),
        Column("speedup_vs_serial", shown=DATA),
        Column("speedup_low", shown=DATA),
        Column("speedup_high", shown=DATA),
        Column("confidence", shown=DATA),
        Column("noisy", shown=DATA),
        Column("ok", shown=DATA),
        Column("status", shown=DATA),
        Column("quality", "status", shown=EVERYWHERE),
        Column("error", shown=DATA),
        Column("quality_detail", shown=ONLY_JSON),  # long: people's tables say it once, under the rows
        Column("stop", shown=DATA),
        Column("precision", shown=DATA),
        Column("check", shown=DATA),
        Column("shared", shown=DATA),
        # Where 80 columns are not enough, the notes fold (or, last, go) before any figure is cut; on
        # screen each is keyed by its first word ("busy: ..." under the table), not by a number.
        Column("notes", "notes", format=_notes, shown=EVERYWHERE, short="note", worded=True, fold=True, drop=1),
    )


def run_rows(run: Run | None, measurements: list[Measurement] | None = None) -> list[Row]:
    """One row per measurement (of `run`, or the ones given: a live sweep's so far)."""
    measurements = run.measurements if measurements is None and run is not None else measurements or []
    decided = decide_run(measurements, margin=run.spec.margin if run is not None else MARGIN,
                         points=len(run.spec.points()) if run is not None else None)
    busy = busy_points(measurements)
    rows = []
    for m in measurements:
        s = m.stats
        decision = decided.row(m)
        interval = decision.interval if m.ok else None
        has_interval = interval is not None and interval.has_bounds
        low = interval.low if has_interval else None
        high = interval.high if has_interval else None
        estimate = interval.estimate if interval is not None else None
        status = row_status(m, decision, busy=(m.items, m.length, m.arm) in busy)
        values = {
            "run_id": run.id if run is not None else None,
            "workload": m.workload,
            "strategy": m.strategy,
            "arm": m.arm,
            "items": m.items,
            "length": m.length,
            "workers": m.workers,
            "chunksize": m.chunksize,
            "pool": m.pool,
            "repeats": m.repeats,
            "loops": m.loops,
            "median": s.median if s else None,
            "min": s.min if s else None,
            "stdev": s.stdev if s else None,
            "min_s": s.min if s else None,
            "median_s": s.median if s else None,
            "mean_s": s.mean if s else None,
            "stdev_s": s.stdev if s else None,
            "speedup": estimate,
            "interval": (low, high) if has_interval else None,
            "speedup_vs_serial": estimate,
            "speedup_low": low,
            "speedup_high": high,
            "confidence": interval.confidence if has_interval else None,
            "noisy": bool(s and s.noisy),
            "ok": m.ok,
            "status": m.status,
            "quality": status.word,
            "notes": status.notes,
            "error": m.error,
            "quality_detail": "; ".join(filter(None, (status.reason, *status.explanations))),
            "stop": m.stop,
            "precision": m.precision,
            "check": m.check,
            "shared": m.shared,
        }
        tones = {"quality": status_tone(status.word), "speedup": speedup_tone(status.word)}
        rows.append(Row(row_key(m), values, tones, {"quality": status.reason, "notes": status.explanations}))
    return rows


def run_table(run: Run | None, measurements: list[Measurement] | None = None) -> Table:
    """The run's results (or `measurements` so far: a live sweep's, whose run may not be known yet)."""
    measurements = run.measurements if measurements is None and run is not None else measurements or []
    versus = any(m.arm for m in measurements)
    if run is None:
        return Table(run_columns(worker_sweep(measurements), versus), tuple(run_rows(None, measurements)))
    h = run_header(run)
    title = f"{h.name}: {h.workload}, {h.status}"
    if h.status != "completed" and h.error:
        title += f": {h.error}"
    return Table(run_columns(worker_sweep(measurements), versus), tuple(run_rows(run, measurements)), title=title,
                 caption=f"{h.machine}, {h.pool}, {h.rounds} {h.warmup}; speedup = geometric mean of per-round "
                         "serial/strategy, 95% interval")


# The winner map ------------------------------------------------------------------------------------------------

WINNER_KEY = ("fastest at each point and its lead over the runner-up (the runner-up's time ÷ the winner's, "
              "paired by round); ≈: the same, within the margin; ?: the lead is not decided")


def winner_cell(cell) -> str:
    """`numpy 64.10×`, `numpy ≈ processes@2` the same, `serial 1.20×?` a lead not decided."""
    if cell is None:
        return "—"
    if cell.runner_up is None or cell.lead is None:
        return cell.winner
    if cell.verdict == SAME:
        return f"{cell.winner} ≈ {cell.runner_up}"
    unsure = "?" if cell.verdict == UNDECIDED else ""
    return f"{cell.winner} {format_ratio(cell.lead.estimate)}{unsure}"


def _cell_tone(cell) -> str:
    if cell is None or cell.verdict == SAME:
        return MUTED
    return CAUTION if cell.verdict == UNDECIDED else ""


def winner_table(analysis) -> Table | None:
    """The winner map (items down, lengths across), from an `insight.analysis.Analysis`; None when
    no point succeeded."""
    a = analysis
    if not a.cells:
        return None
    columns = [Column("items", "items \\ length")]
    columns += [Column(str(length)) for length in a.lengths]
    rows = []
    for items in a.items:
        values: dict = {"items": str(items)}
        tones = {}
        for length in a.lengths:
            cell = a.cells.get((items, length))
            values[str(length)] = winner_cell(cell)
            tones[str(length)] = _cell_tone(cell)
        rows.append(Row(str(items), values, tones))
    caption = WINNER_KEY
    return Table(tuple(columns), tuple(rows), title="winner map", caption=caption)


def scaling_table(analysis, strategy: str) -> Table | None:
    """A strategy's speedup against its worker count at the largest point (a worker sweep)."""
    a = analysis
    if a.largest is None:
        return None
    items, length = a.largest
    rows = []
    for r in a.scaling(strategy, a.largest):
        interval = r.speedup
        has_interval = interval is not None and interval.has_bounds
        rows.append(Row(str(r.workers), {
            "workers": r.workers,
            "speedup": interval.estimate if interval else None,
            "interval": (interval.low, interval.high) if has_interval else None,
            "efficiency": r.efficiency,
            "serial_fraction": r.serial_fraction,
        }))
    ceiling = f" (this run's ceiling {a.ceiling:.2f}×)" if a.ceiling else ""
    return Table((
        Column("workers", align=RIGHT),
        Column("speedup", align=RIGHT, format=format_ratio),
        Column("interval", "95% interval", RIGHT, _interval, short="95% int."),
        Column("efficiency", align=RIGHT, format=lambda v: f"{v:.0%}" if v is not None else "—"),
        Column("serial_fraction", "serial fraction", RIGHT, lambda v: f"{v:.2f}" if v is not None else "—"),
    ), tuple(rows), title=f"{strategy} against workers at items={items}, length={length}{ceiling}")

