"""The export dialog: a path and a format, written through the engine's exporters.

An unwritable path or an unknown suffix is shown inline and the dialog stays open with what was
typed; nothing is lost and no half file is left (the exporter writes atomically).
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from workloads import export as exporter
from workloads.store import Run

SUFFIXES = {"markdown": ".md", "csv": ".csv", "json": ".json"}


class ExportDialog(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "dismiss_dialog", "Close")]

    def __init__(self, run: Run, directory: Path | None = None) -> None:
        super().__init__()
        self.run = run
        self.directory = directory or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Export run {self.run.id} ({len(self.run.measurements)} rows)", classes="title")
            with Horizontal(classes="field"):
                yield Label("Format", classes="label")
                yield Select([(name, name) for name in SUFFIXES], value="markdown", allow_blank=False,
                             compact=True, id="format")
            with Horizontal(classes="field"):
                yield Label("Path", classes="label")
                yield Input(str(self.directory / f"parbench-run-{self.run.id}.md"), id="path", compact=True)
            yield Static("", id="export-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Select.Changed, "#format")
    def _format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#path", Input)
        path_input.value = str(Path(path_input.value).with_suffix(SUFFIXES[str(event.value)]))

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        error = self.query_one("#export-error", Static)
        if not text:
            error.update("give a path to write to")
            return
        fmt = str(self.query_one("#format", Select).value)
        path = Path(text).expanduser()
        try:
            suffix_format = exporter.format_for(path)
        except exporter.ExportError:
            suffix_format = None
        if suffix_format is not None and suffix_format != fmt:
            error.update(f"the suffix {path.suffix} says {suffix_format}, the format says {fmt}: make them agree")
            return
        try:
            written = exporter.export(self.run, path, fmt)
        except exporter.ExportError as exc:
            error.update(str(exc))
            return
        self.dismiss(written)

    @on(Button.Pressed, "#cancel")
    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
