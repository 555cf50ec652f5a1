"""The export dialog: a path and a format, written through the engine's exporters.

The file goes to the user's documents folder by default (as the README says), made when it does not
exist yet, never to whatever folder the app was started from, and the dialog says where. An existing
file is only replaced after a question whose default is No. An unwritable path or an unknown suffix
is shown inline and the dialog stays open with what was typed; nothing is lost and no half file is
left (the exporter writes atomically). A run the store could not take (no id) exports from memory.

Served in a browser (`parbench serve`), a file on the server is one the user cannot see: the dialog
asks for a file name only and hands the text to the browser as a download (`App.deliver_text`;
textual-serve has the browser fetch it), which saves it where it saves downloads.
"""

from __future__ import annotations

import io
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
MIME_TYPES = {"markdown": "text/markdown", "csv": "text/csv", "json": "application/json"}
# textual-serve writes the name into Content-Disposition unquoted: these would cut it short.
NOT_IN_A_DOWNLOAD_NAME = ';"\\'


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

    @property
    def served(self) -> bool:
        """In a browser tab: the export is a download, named here, saved where the browser saves them."""
        return self.app.is_web

    def compose(self) -> ComposeResult:
        what = run_name(self.run) + ("" if self.run.id is not None else ", exported from memory")
        with Vertical(id="dialog"):
            yield Label(f"Export {what}, {len(self.run.measurements)} rows", classes="title")
            yield FieldRow("Format", MarkedSelect([(name, name) for name in SUFFIXES], value="markdown",
                                                  allow_blank=False, compact=True, id="format"))
            name = f"{default_name(self.run)}.md"
            yield FieldRow("Name" if self.served else "Path",
                           Input(name if self.served else str(self.directory / name), id="path", compact=True,
                                 select_on_focus=True))
            if self.served:
                yield Static("The file downloads to this browser (where it saves downloads).", id="export-where")
            else:
                made = "" if self.directory.is_dir() else " (made on export)"
                yield Static(f"Default folder: {short(self.directory)}{made}. An existing file is replaced only if "
                             "you say so.", id="export-where")
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
        if self.served:
            self._deliver(text, fmt)
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

    def _deliver(self, name: str, fmt: str) -> None:
        """Served: the browser downloads the text under `name` (a name, not a path: the browser
        picks the folder)."""
        error = self.query_one("#export-error", Static)
        if Path(name).name != name:
            error.update("a file name only: the browser saves it where it saves downloads")
            return
        if any(char in NOT_IN_A_DOWNLOAD_NAME for char in name):
            error.update(f"a download's name cannot hold {' '.join(NOT_IN_A_DOWNLOAD_NAME)}: change the name")
            return
        text = api.run_text(self.run, api.parse_output_format(fmt))
        self.app.deliver_text(io.StringIO(text), save_filename=name, mime_type=MIME_TYPES[fmt], name=name)
        self.dismiss(Path(name))

    @on(Button.Pressed, "#cancel")
    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
