"""The export dialog: a path and a format, written through the engine's exporters.

The file goes to the user's documents folder by default (as the README says), made when it does not
exist yet, never to whatever folder the app was started from, and the dialog says where. An existing
file is only replaced after a question whose default is No. An unwritable path or an unknown suffix
is shown inline and the dialog stays open with what was typed; nothing is lost and no half file is
left (the exporter writes atomically). A run the store could not take (no id) exports from memory.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from workloads import api
from workloads.api import Run, run_name

from .. import keys
from ..widgets.focus import FieldRow, MarkedButton, MarkedSelect
from .confirm import ConfirmDialog

SUFFIXES = {"markdown": ".md", "csv": ".csv", "json": ".json"}


def default_folder() -> Path:
    """Where exports land unless the user says otherwise: the documents folder (~/Documents, or
    what the desktop names it), a folder meant for a person's files."""
    return Path(platformdirs.user_documents_dir())


def short(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home)) if path != home else "~"
    except ValueError:
        return str(path)


def default_name(run: Run) -> str:
    if run.id is not None:
        return f"parbench-run-{run.id}"
    # Not stored: named by when it started, so two such exports do not collide.
    stamp = run.started_at[:19].replace("-", "").replace(":", "").replace("T", "-")
    return f"parbench-unstored-{stamp}"


class ExportDialog(ModalScreen[Path | None]):
    BINDINGS = keys.bindings(keys.EXPORT)

    def __init__(self, run: Run, directory: Path | None = None) -> None:
        super().__init__()
        self.run = run
        self.directory = directory or default_folder()

    def compose(self) -> ComposeResult:
        what = run_name(self.run) + ("" if self.run.id is not None else ", exported from memory")
        with Vertical(id="dialog"):
            yield Label(f"Export {what}, {len(self.run.measurements)} rows", classes="title")
            yield FieldRow("Format", MarkedSelect([(name, name) for name in SUFFIXES], value="markdown",
                                                  allow_blank=False, compact=True, id="format"))
            yield FieldRow("Path", Input(str(self.directory / f"{default_name(self.run)}.md"), id="path",
                                         compact=True, select_on_focus=True))
            made = "" if self.directory.is_dir() else " (made on export)"
            yield Static(f"Default folder: {short(self.directory)}{made}. An existing file is replaced only if you "
                         "say so.", id="export-where")
            yield Static("", id="export-error", classes="error")
            with Horizontal(classes="buttons"):
                yield MarkedButton("Export", id="export", variant="primary", compact=True)
                yield MarkedButton("Cancel", id="cancel", compact=True)

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
            suffix_format = api.format_for(path)
        except api.ExportError:
            suffix_format = None
        if suffix_format is not None and suffix_format != fmt:
            error.update(f"the suffix {path.suffix} says {suffix_format}, the format says {fmt}: make them agree")
            return
        if path.is_dir():
            error.update(f"{path} is a folder: add a file name")
            return
        if path.exists():
            def answered(replace: bool | None) -> None:
                if replace:
                    self._write(path, fmt)
                else:
                    error.update(f"{path.name} kept as it was: change the name, or export again to replace it")

            self.app.push_screen(ConfirmDialog(f"{path} already exists. Replace it?", yes="Replace",
                                               no="Keep it"), answered)
            return
        self._write(path, fmt)

    def _write(self, path: Path, fmt: str) -> None:
        if path.parent == self.directory and not self.directory.exists():
            try:
                self.directory.mkdir(parents=True)  # the default folder, named above: made when first used
            except OSError as exc:
                self.query_one("#export-error", Static).update(f"cannot make {self.directory}: {exc.strerror or exc}")
                return
        try:
            written = api.export(self.run, path, fmt)
        except api.ExportError as exc:
            self.query_one("#export-error", Static).update(str(exc))
            return
        self.dismiss(written)

    @on(Button.Pressed, "#cancel")
    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
