"""The set-up form: every field of a sweep, generated from the engine's field declarations
(`api.spec`) and the chosen workload's own settings, validated as it is typed by the same
parsers the command line uses.

A field's reason sits right under it; a field that means nothing for this sweep (chunksize without
a process pool, the scheduler without dask, sleep-ms for another workload) is hidden. The estimate
under the form says how much memory and time the sweep would take, from one item of the workload
measured in the measuring process (`ProbeWanted` asks the screen for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Label, Select, Static

from workloads import api
from workloads.api import (
    DEFAULT,
    FIELDS,
    KINDS,
    Field,
    Profile,
    SweepSpec,
    Validation,
    fields_for,
    format_bytes,
    validate,
)

from .. import keys
from .focus import FOCUS_MARK, FieldRow, MarkedButton, MarkedSelect, marked
from .strategy_picker import StrategyPicker

FILE_CHOICE = "__file__"
FILE_LABEL = "File"
MORE = "More settings"
START_DEFAULT = "default"


@dataclass(frozen=True)
class FormState:
    spec: SweepSpec | None
    errors: dict[str, str]
    refusal: str = ""
    workload: api.WorkloadInfo | None = None

    @property
    def runnable(self) -> bool:
        return self.spec is not None and not self.refusal


def profile_key(spec: SweepSpec) -> tuple:
    """What a measured item stays valid for: the workload (and its file's contents), its settings
    and which strategies' forms were measured."""
    ref = api.resolve_workload(spec.workload)
    forms = tuple(sorted({KINDS[name].form for name in spec.strategies}))
    ships = any(KINDS[name].ships for name in spec.strategies)
    return (spec.workload, ref.source_hash(), tuple(sorted(spec.settings.items())), forms, ships)


class PathSuggester(Suggester):
    """Completes a path to a folder or a .py file as it is typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        typed = Path(value).expanduser()
        folder, stem = (typed, "") if value.endswith("/") else (typed.parent, typed.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
                           if p.name.startswith(stem) and not p.name.startswith(".") and (p.is_dir() or p.suffix == ".py"))
        except OSError:
            return None
        if not names:
            return None
        prefix = value[: len(value) - len(stem)] if stem else value
        return prefix + names[0]


def _short_path(text: str) -> str:
    home = str(Path.home())
    return "~" + text[len(home):] if text.startswith(home + "/") else text


def _choice_value(f: Field, text: str) -> str:
    return START_DEFAULT if f.name == "start_method" and not text else text


class SetupForm(VerticalScroll, can_focus=False):
    """Keeps `state` (the spec, or the reasons there is none) in step with the fields; posts
    `RunRequested` when the user submits a field or presses Run, and `ProbeWanted` when the
    estimate needs one item of the workload measured."""

    class RunRequested(Message):
        pass

    class Validated(Message):
        """The fields were read again: what the form would run now, or why not."""

        def __init__(self, state: "FormState") -> None:
            super().__init__()
            self.state = state

    class ProbeWanted(Message):
        def __init__(self, spec: SweepSpec, key: tuple) -> None:
            super().__init__()
            self.spec = spec
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = FormState(None, {})
        self.profiles: dict[tuple, Profile] = {}
        self.probing: set[tuple] = set()
        self.probe_errors: dict[tuple, str] = {}
        self.estimate_paused = ""  # why no item can be measured now (a sweep is running)
        self._settings_of: str | None = None
        self.recent: list[str] = []  # workload files and modules used before, most recent first

    # Layout ------------------------------------------------------------------------------------

    def _row(self, f: Field, value: str | None = None) -> list:
        """A field's row (its label and input) and the line under it for its reason; built without
        `compose`'s context managers, so that a workload's settings can be mounted later."""
        widget_id = self._widget_id(f)
        if f.kind == "choice":
            widget = MarkedSelect([(choice or START_DEFAULT, _choice_value(f, choice)) for choice in f.choices],
                                  value=_choice_value(f, f.default if value is None else value), allow_blank=False,
                                  compact=True, id=widget_id)
        else:
            # Its text is selected when it gets the focus (as every field's), so typing replaces it.
            widget = Input(f.default if value is None else value, id=widget_id, compact=True, select_on_focus=True)
        widget.tooltip = f.help
        return [FieldRow(f.label, widget, id=f"{widget_id}-row"),
                Static("", id=f"{widget_id}-error", classes="error")]

    @staticmethod
    def _widget_id(f: Field) -> str:
        return f"setting-{f.name}" if f.setting is not None else f.name

    def compose(self) -> ComposeResult:
        yield FieldRow("Workload", MarkedSelect(self._workload_choices(), value="squares", allow_blank=False,
                                                compact=True, id="workload"), id="workload-row")
        path_input = Input("", id="workload_path", compact=True, placeholder="path/to/loop.py or module",
                           suggester=PathSuggester(), select_on_focus=True)
        path_input.tooltip = "a .py file defining kernel(value), or an importable module; → completes the path"
        yield FieldRow(FILE_LABEL, path_input, id="workload_path-row")
        yield Static("", id="workload-summary")
        yield Static("", id="workload-error", classes="error")
        yield Label(marked("Strategies", False), classes="section")
        yield StrategyPicker(DEFAULT, id="strategies")
        yield Static("", id="strategies-error", classes="error")
        yield Vertical(id="settings")
        for f in FIELDS[2:]:
            if not f.advanced:
                yield from self._row(f)
        with Collapsible(title=MORE, collapsed=True, id="more"):
            for f in FIELDS[2:]:
                if f.advanced:
                    yield from self._row(f)
        yield Static("", id="estimate")
        with Horizontal(id="form-buttons"):
            yield MarkedButton(f"Run {keys.key_for('run', short=True)}", id="run", variant="primary", compact=True)
            yield MarkedButton("Defaults", id="defaults", compact=True)

    def on_mount(self) -> None:
        # The fields take the focus, not the form around them (its scrolling follows the focus).
        self.query_one("#workload_path-row").display = False
        self._sync_settings()
        self.revalidate()

    # Reading and writing the fields ----------------------------------------------------------

    def _workload_choices(self) -> list[tuple[str, str]]:
        """The built-ins, the files used before (by name; the folder too when two share a name),
        then "a .py file…" for any other."""
        names = [Path(text).name for text in self.recent]
        recent = []
        for text, name in zip(self.recent, names):
            if names.count(name) > 1:
                name = f"{name} ({Path(text).parent.name}/)"
            recent.append((name, text))
        return [(name, name) for name in api.builtin_names()] + recent + [("a .py file…", FILE_CHOICE)]

    def set_recent(self, recent: list[str]) -> None:
        """Offer these workloads (files that still exist, modules) again in the picker."""
        builtins = set(api.builtin_names())
        kept = [text for text in recent if text not in builtins and (not text.endswith(".py") or Path(text).is_file())]
        if kept == self.recent:
            return
        current = self._workload_text()
        self.recent = kept
        select = self.query_one("#workload", Select)
        with self.prevent(Select.Changed):
            select.set_options(self._workload_choices())
            self._select_workload(current)

    def _select_workload(self, workload: str) -> None:
        select = self.query_one("#workload", Select)
        if workload in api.builtin_names() or workload in self.recent:
            select.value = workload
        else:
            select.value = FILE_CHOICE
            self.query_one("#workload_path", Input).value = workload

    def _workload_text(self) -> str:
        choice = self.query_one("#workload", Select).value
        if choice == FILE_CHOICE:
            return self.query_one("#workload_path", Input).value.strip()
        return str(choice)

    def _info(self) -> api.WorkloadInfo | None:
        try:
            return api.workload_info(self._workload_text())
        except api.SpecError:
            return None

    def _by_id(self) -> dict[str, Widget]:
        """The form's widgets by id, in one walk: a selector query per field walks the whole form
        each time, and a keystroke in a field looked up ~90 of them (0.2 s a key)."""
        return {widget.id: widget for widget in self.walk_children() if widget.id}

    def texts(self) -> dict[str, str]:
        values: dict[str, str] = {"workload": self._workload_text(),
                                  "strategies": ",".join(self.query_one(StrategyPicker).selected)}
        by_id = self._by_id()
        for f in fields_for(self._info()):
            if f.name in values:
                continue
            widget = by_id.get(self._widget_id(f))
            if widget is None:
                continue
            value = str(widget.value)
            values[f.name] = "" if (f.name == "start_method" and value == START_DEFAULT) else value
        return values

    def set_texts(self, values: dict[str, str]) -> None:
        """Fill the form (the last settings, a stored run's spec, the defaults, a test)."""
        workload = values.get("workload")
        if workload is not None:
            self._select_workload(workload)
            self._sync_settings(values)
        for name, value in values.items():
            if name == "workload":
                continue
            if name == "strategies":
                self.query_one(StrategyPicker).set_selected([s for s in str(value).split(",") if s])
                continue
            f = next((f for f in fields_for(self._info()) if f.name == name), None)
            if f is None:
                continue
            widgets = self.query(f"#{self._widget_id(f)}")
            if widgets:
                widgets.first().value = _choice_value(f, str(value)) if f.kind == "choice" else str(value)
        self.revalidate()

    def defaults(self) -> dict[str, str]:
        return {"workload": "squares", "strategies": ",".join(DEFAULT),
                **{f.name: f.default for f in FIELDS[2:]}}

    def _sync_settings(self, values: dict[str, str] | None = None) -> None:
        """The chosen workload's own settings, as rows of their own."""
        info = self._info()
        key = info.ref.token if info is not None else None
        if key == self._settings_of:
            return
        self._settings_of = key
        container = self.query_one("#settings", Vertical)
        container.remove_children()
        if info is None:
            return
        rows = []
        for f in fields_for(info):
            if f.setting is not None:
                rows.extend(self._row(f, (values or {}).get(f.name)))
        if rows:
            container.mount_all(rows)

    # Validation --------------------------------------------------------------------------------

    def revalidate(self) -> FormState:
        texts = self.texts()
        result = validate(texts)
        picker = self.query_one(StrategyPicker)
        info = result.workload
        picker.set_unavailable({name: f"{info.name} has no numpy form (no kernel_numpy)"
                                for name, kind in KINDS.items() if info is not None and kind.form == "numpy"
                                and not info.has_numpy})
        refusal = ""
        memory = None
        profile = None
        if result.spec is not None:
            key = profile_key(result.spec)
            profile = self.profiles.get(key)
            if key in self.probe_errors:
                refusal = self.probe_errors[key]
            elif profile is not None:
                memory = api.estimate_memory(result.spec, profile)
                if not memory.fits:
                    refusal = memory.refusal()
            elif key not in self.probing and not self.estimate_paused:
                self.post_message(self.ProbeWanted(result.spec, key))
        self._show(result, memory, profile, refusal)
        self.state = FormState(result.spec, result.errors, refusal, info)
        self.post_message(self.Validated(self.state))
        return self.state

    def _show(self, result: Validation, memory, profile: Profile | None, refusal: str) -> None:
        info = result.workload
        choice = self.query_one("#workload", Select).value
        file_chosen = choice == FILE_CHOICE
        self.query_one("#workload_path-row").display = file_chosen
        summary = self.query_one("#workload-summary", Static)
        text = ""
        if info is not None and choice not in api.builtin_names():
            # A file picked again from the list shows where it is, as the path field would.
            where = "" if file_chosen else _short_path(str(choice))
            text = ": ".join(part for part in (where, info.summary) if part)
        summary.update(text)
        summary.display = bool(text)
        by_id = self._by_id()
        for f in fields_for(info):
            widget_id = self._widget_id(f)
            row = by_id.get(f"{widget_id}-row")
            shown = result.applies.get(f.name, True)
            if row is not None:
                row.display = shown
            label = by_id.get(f"{widget_id}-error")
            if label is None:
                continue
            error = result.errors.get(f.name, "")
            note = result.notes.get(f.name, "") if not error else ""
            label.update(error or note)
            label.set_class(bool(error), "shown")
            label.set_class(bool(note), "note")
            label.display = shown and bool(error or note)
        estimate_label = self.query_one("#estimate", Static)
        spec = result.spec
        if refusal:
            estimate_label.update(f"refused: {refusal}")
            estimate_label.set_class(True, "refused")
        elif spec is None:
            estimate_label.update("fix the fields marked above to run")
            estimate_label.set_class(True, "refused")
        elif profile is None or memory is None:
            estimate_label.update(self.estimate_paused or "measuring one item of the workload for the estimate…")
            estimate_label.set_class(False, "refused")
        else:
            points = len(spec.points())
            variants = len(spec.variants())
            estimate_label.update(
                f"{points} point{'s' if points != 1 else ''} × {variants} strateg{'ies' if variants != 1 else 'y'}; "
                f"input ~{format_bytes(memory.input_bytes)}, peak ~{format_bytes(memory.peak_bytes)}; "
                f"{api.describe_duration(spec, profile)}"
            )
            estimate_label.set_class(False, "refused")
        self.query_one("#run", Button).disabled = spec is None or bool(refusal)

    def label_of(self, name: str) -> str:
        """A field as the form labels it: a workload typed as a path is the File field."""
        if name == "workload" and self.query_one("#workload", Select).value == FILE_CHOICE:
            return FILE_LABEL
        f = api.field_named(name, self.state.workload)
        return f.label if f is not None else name

    def _field_widget(self, name: str):
        """The widget a field's problem is fixed in (the path, for a workload given as a file)."""
        if name == "workload" and self.query_one("#workload", Select).value == FILE_CHOICE:
            return self.query_one("#workload_path", Input)
        f = next((f for f in fields_for(self.state.workload) if f.name == name), None)
        widgets = self.query(f"#{self._widget_id(f)}") if f is not None else None
        return widgets.first() if widgets else None

    def reveal_errors(self) -> None:
        """Open "More settings" when a field with a problem is folded in it, and focus the first
        field with a problem, so the reason the sweep did not start is in front of the user."""
        fields = [f for f in fields_for(self.state.workload) if f.name in self.state.errors]
        if any(f.advanced for f in fields):
            self.query_one("#more", Collapsible).collapsed = False
        for f in fields:
            widget = self._field_widget(f.name)
            if widget is not None:
                widget.focus()
                return

    def focus_first(self) -> None:
        """The keys to the form's first field (ctrl+b)."""
        self.query_one("#workload", Select).focus()

    def on_descendant_focus(self, event) -> None:
        self._mark_more()

    def on_descendant_blur(self, event) -> None:
        self._mark_more()

    def _mark_more(self) -> None:
        """"More settings" folds and unfolds on enter: marked like a field while it has the focus."""
        more = self.query_one("#more", Collapsible)
        focused = self.screen.focused
        title = FOCUS_MARK + MORE if focused is not None and focused.parent is more else MORE
        if more.title != title:
            more.title = title

    # Events --------------------------------------------------------------------------------------

    def set_profile(self, key: tuple, profile: Profile | None, error: str = "") -> None:
        """The screen's answer to `ProbeWanted`."""
        self.probing.discard(key)
        if profile is not None:
            self.profiles[key] = profile
            self.probe_errors.pop(key, None)
        elif error:
            self.probe_errors[key] = error
        self.revalidate()

    @on(Select.Changed, "#workload")
    def _workload_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._sync_settings()
        if event.value == FILE_CHOICE:
            self.query_one("#workload_path-row").display = True
            self.query_one("#workload_path", Input).focus()
        self.revalidate()

    @on(Input.Changed, "#workload_path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._sync_settings()
        self.revalidate()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(StrategyPicker.Changed)
    def _field_changed(self, event: Message) -> None:
        event.stop()
        self.revalidate()

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def _run(self, event: Message) -> None:
        event.stop()
        self.post_message(self.RunRequested())

    @on(Button.Pressed, "#defaults")
    def _defaults(self, event: Button.Pressed) -> None:
        event.stop()
        self.set_texts(self.defaults())
        self.notify("form reset to the defaults", timeout=2)
