"""The engine's front door: everything the app and the command line use, by name, from one module.

The UI never reaches into the layers below (an import-linter contract keeps it so): it describes a
sweep (`SweepSpec`, its `FIELDS`, `validate`), runs it in a measuring process and hears its events
(`execute`, `probe`, `ResidentProcess`), reads stored runs (`open_store`), says what they mean
(`explain`, `verdict`, `compare`) and writes them out (`export`, `run_text`, the table models).

Names resolve on first use, so that `parbench --help` imports only the field declarations and the
app draws its first frame before the store, the measuring process or the analysis are loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each name, and the module of the layer that defines it.
_WHERE: dict[str, str] = {}


def _offer(module: str, *names: str) -> None:
    """Offer `names` of `module`; `public=private` offers a name under a clearer one here."""
    for name in names:
        public, _, private = name.partition("=")
        _WHERE[public] = f"{module}:{private or public}"


# The model: what a sweep, a run and a measurement are.
_offer("workloads.model.spec", "SweepSpec", "SweepOptions", "FIELDS", "Validation", "validate", "build_spec",
       "fields_for", "field_named", "setting_field", "LOCK_WAIT", "LOCK_NO_WAIT", "LOCK_IGNORE")
_offer("workloads.model.options", "Field")
_offer("workloads.model.parsing", "SpecError", "parse_percent")
_offer("workloads.model.workload", "WorkloadInfo", "builtin_names", "workload_info=info", "builtin_workloads=builtins",
       "resolve_workload=resolve")
_offer("workloads.model.strategies", "KINDS", "DEFAULT", "NAMES", "BASELINE", "StrategyKind")
_offer("workloads.model.run", "Run", "COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "INTERRUPTED")
_offer("workloads.model.measurement", "Measurement", "busy_points", "quality", "serial_times", "speedup",
       "speedup_vs_serial", "worker_sweep",
       "STOP_BUDGET", "STOP_MAX_ROUNDS", "STOP_PRECISION")
_offer("workloads.model.machine", "Machine")
_offer("workloads.model.profile", "Profile")
_offer("workloads.model.stats", "FASTER", "SLOWER", "SAME", "WITHIN_NOISE", "UNKNOWN", "classify")
_offer("workloads.model.decision", "UNDECIDED", "MARGIN")
_offer("workloads.insight.decisions", "decide_run", "BASELINE_WORD")
_offer("workloads.model.numbers", "format_seconds", "format_ratio", "format_interval", "format_bytes",
       "format_duration")
_offer("workloads.model.errors", "ParbenchError")
_offer("workloads.model.interpreter", "discover_interpreters=discover", "parse_python")
_offer("workloads.model.version", "parbench_version")
_offer("workloads.model.events", "Refused", "Probed", "LockWait", "RunStarted", "CeilingMeasured", "PointStarted",
       "CallStarted", "MeasurementDone", "RunFinished", "Event")
# The store.
_offer("workloads.store.database", "Store", "StoreError")
# Insight: what the numbers mean.
_offer("workloads.insight.analysis", "analyse")
_offer("workloads.insight.explain", "explain", "verdict")
_offer("workloads.insight.compare", "compare", "compare_arms", "Comparison", "have_common_rows", "summary", "MIN_CHANGE",
       "INTERLEAVED", "ONLY_A", "ONLY_B")
_offer("workloads.insight.estimate", "estimate_memory=memory", "describe_duration")
# Presenting: tables and files.
_offer("workloads.presenting.exports", "export", "ExportError", "format_for", "to_markdown", "run_ceiling")
_offer("workloads.presenting.tables", "Table", "Column", "Row", "fit", "fit_texts", "fold", "squeeze", "SCREEN", "GOOD",
       "BAD", "MUTED", "CAUTION", "ALERT", "LEFT", "RIGHT")
_offer("workloads.presenting.run_table", "run_table", "run_header", "run_name", "row_status", "RowStatus", "row_key",
       "winner_table", "scaling_table", "NOT_STORED")
_offer("workloads.presenting.history_table", "history_table")
_offer("workloads.presenting.comparison_table", "comparison_table", "constant_columns")
_offer("workloads.presenting.progress", "describe_event=describe", "event_progress=counted",
       "STARTING_WORDS=STARTING")
_offer("workloads.presenting.formats", "parse_output_format", "default_format", "export_name", "run_text",
       "history_text", "comparison_text", "comparison_markdown", "describe_run", "difference_text", "legend",
       "machine_line", "interval_text", "TABLE", "MARKDOWN", "CSV", "JSON")
_offer("workloads.presenting.importer", "read_export", "import_into", "ImportRefused")
_offer("workloads.presenting.code", "code_for=code", "describe_code_choice=describe_choice", "CodeError")
# Running a sweep, from the caller's side.
_offer("workloads.session", "execute", "probe", "Outcome", "ResidentProcess", "SweepRefused", "SweepInterrupted")
_offer("workloads.measuring.process", "SweepProcess")
_offer("workloads.measuring.interpreters", "prepare_interpreter=prepare", "probe_interpreter=probe",
       "InterpreterRefused")

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, private = where.partition(":")
    value = getattr(importlib.import_module(module), private)
    globals()[name] = value  # found once
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what a type checker and a reader see: the same names, imported plainly
    from .insight.analysis import analyse  # noqa: F401
    from .insight.compare import (  # noqa: F401
        MIN_CHANGE,
        Comparison,
        compare,
        have_common_rows,
        summary,
    )
    from .insight.explain import explain, verdict  # noqa: F401
    from .model.machine import Machine  # noqa: F401
    from .model.measurement import Measurement  # noqa: F401
    from .model.run import Run  # noqa: F401
    from .model.spec import FIELDS, SweepOptions, SweepSpec, Validation, validate  # noqa: F401
    from .presenting.exports import export  # noqa: F401
    from .session import ResidentProcess, execute, probe  # noqa: F401
    from .store.database import Store, StoreError  # noqa: F401
