"""The set-up form: every field of a sweep, validated as it is typed by the engine's own parsers.

A field's reason sits right under it; the estimate under the form says how much memory and time the
sweep would take, and refuses (with the figure) one that would not fit in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from workloads import estimate
from workloads.spec import (
    DEFAULT_LENGTH,
    DEFAULT_STRATEGIES,
    POOL_MODES,
    STRATEGIES,
    WORKLOADS,
    SpecError,
    SweepSpec,
    check_points,
    default_workers,
    parse_field,
)

# First start: a sweep that means something and finishes in about 15 s on 2 cores.
DEFAULTS = {
    "items": "4..64",
    "length": "100000",
    "repeat": "3",
    "workers": str(default_workers()),
    "chunksize": "1",
    "sleep_ms": "50",
    "spin": "600000",
    "point_timeout": "",
    "dask_scheduler": "",
}
# (field, label, tooltip) of the typed fields, in form order.
TEXT_FIELDS = (
    ("items", "Items", "items per dict: 8, 4,8,16 or 4..512 (powers of two)"),
    ("length", "Length", "list length per item: same grammar as items"),
    ("repeat", "Repeats", "timed repeats per point"),
    ("workers", "Workers", "pool size"),
    ("chunksize", "Chunk", "map chunksize: a number or auto"),
    ("sleep_ms", "Sleep ms", "sleep workload: milliseconds per item"),
    ("spin", "Spin", "spin workload: loop iterations per item"),
    ("point_timeout", "Timeout", "seconds a point may take before it is stopped (blank: no limit)"),
    ("dask_scheduler", "Scheduler", "dask: tcp://host:8786 of a running cluster (blank: a LocalCluster)"),
)
# Fields that only mean something for one workload.
WORKLOAD_ONLY = {"sleep_ms": "sleep", "spin": "spin"}


@dataclass(frozen=True)
class FormState:
    spec: SweepSpec | None
    errors: dict[str, str]
    refusal: str = ""

    @property
    def runnable(self) -> bool:
        return self.spec is not None and not self.refusal


class SetupForm(VerticalScroll):
    """Keeps `state` (the spec, or the reasons there is none) in step with the fields; posts
    `RunRequested` when the user submits a field or presses Run."""

    class RunRequested(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = FormState(None, {})

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("Workload", classes="label")
            yield Select([(name, name) for name in WORKLOADS], value="squares", allow_blank=False,
                         compact=True, id="workload")
        yield Label("Strategies", classes="section")
        yield SelectionList[str](
            *[(name, name, name in DEFAULT_STRATEGIES) for name in STRATEGIES], id="strategies", compact=True
        )
        yield Static("", id="strategies-error", classes="error")
        for name, label, tooltip in TEXT_FIELDS:
            with Horizontal(classes="field", id=f"{name}-row"):
                yield Label(label, classes="label")
                field_input = Input(DEFAULTS[name], id=name, compact=True, select_on_focus=False)
                field_input.tooltip = tooltip
                yield field_input
            yield Static("", id=f"{name}-error", classes="error")
        with Horizontal(classes="field"):
            yield Label("Pool", classes="label")
            yield Select([(mode, mode) for mode in POOL_MODES], value="cold", allow_blank=False,
                         compact=True, id="pool")
        yield Static("", id="estimate")
        yield Button("Run  ctrl+r", id="run", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.revalidate()

    def texts(self) -> dict[str, str]:
        values = {name: self.query_one(f"#{name}", Input).value for name, _, _ in TEXT_FIELDS}
        values["workload"] = str(self.query_one("#workload", Select).value)
        values["pool"] = str(self.query_one("#pool", Select).value)
        values["strategies"] = ",".join(self.query_one("#strategies", SelectionList).selected)
        return values

    def set_texts(self, values: dict[str, str]) -> None:
        """Fill the form (from a stored run's spec, or a test)."""
        for name, value in values.items():
            if name in ("workload", "pool"):
                self.query_one(f"#{name}", Select).value = value
            elif name == "strategies":
                selection = self.query_one("#strategies", SelectionList)
                selection.deselect_all()
                for strategy in value.split(","):
                    if strategy:
                        selection.select(strategy)
            else:
                self.query_one(f"#{name}", Input).value = value
        self.revalidate()

    def revalidate(self) -> FormState:
        texts = self.texts()
        workload = texts["workload"]
        values: dict = {}
        errors: dict[str, str] = {}
        for name, text in texts.items():
            if WORKLOAD_ONLY.get(name, workload) != workload:
                continue
            try:
                values[name] = parse_field(name, text)
            except SpecError as exc:
                errors[name] = exc.reason
        if "items" in values and "length" in values:
            try:
                check_points(values["items"], values["length"])
            except SpecError as exc:
                errors["length"] = exc.reason
        spec = None
        memory = None
        refusal = ""
        if not errors:
            spec = SweepSpec(**values)
            memory = estimate.memory(spec)
            if not memory.fits:
                refusal = memory.refusal()
        self._show(texts, errors, spec, memory, refusal)
        self.state = FormState(spec, errors, refusal)
        return self.state

    def _show(self, texts: dict[str, str], errors: dict[str, str], spec: SweepSpec | None,
              memory: estimate.MemoryEstimate | None, refusal: str) -> None:
        workload = texts["workload"]
        for name, only in WORKLOAD_ONLY.items():
            shown = only == workload
            self.query_one(f"#{name}-row").display = shown
            self.query_one(f"#{name}-error").display = shown
        dask = "dask" in texts["strategies"].split(",")
        self.query_one("#dask_scheduler-row").display = dask
        self.query_one("#dask_scheduler-error").display = dask
        for name in [n for n, _, _ in TEXT_FIELDS] + ["strategies"]:
            label = self.query_one(f"#{name}-error", Static)
            label.update(errors.get(name, ""))
            label.set_class(name in errors, "shown")
        estimate_label = self.query_one("#estimate", Static)
        if refusal:
            estimate_label.update(f"refused: {refusal}")
            estimate_label.set_class(True, "refused")
        elif spec is None or memory is None:
            estimate_label.update("fix the fields marked above to run")
            estimate_label.set_class(True, "refused")
        else:
            points = len(spec.points())
            estimate_label.update(
                f"{points} point{'s' if points != 1 else ''} × {len(spec.strategies)} strategies; "
                f"input ~{estimate.format_bytes(estimate.input_bytes(spec))}, "
                f"peak ~{estimate.format_bytes(memory.peak_bytes)}; "
                f"{estimate.format_duration(estimate.duration_seconds(spec))}"
            )
            estimate_label.set_class(False, "refused")
        self.query_one("#run", Button).disabled = spec is None or bool(refusal)

    @on(Select.Changed, "#workload")
    def _workload_changed(self, event: Select.Changed) -> None:
        # Follow the workload's natural length unless the user typed one of their own.
        length = self.query_one("#length", Input)
        if length.value in DEFAULT_LENGTH.values():
            length.value = DEFAULT_LENGTH.get(str(event.value), length.value)
        self._field_changed(event)

    @on(Input.Changed)
    @on(Select.Changed, "#pool")
    @on(SelectionList.SelectedChanged)
    def _field_changed(self, event: Message) -> None:
        event.stop()
        self.revalidate()

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def _run(self, event: Message) -> None:
        event.stop()
        self.post_message(self.RunRequested())
