"""The parbench Textual app: global keys, the store, and the screens.

Global actions are priority bindings on ctrl+ and F-keys, so they work while a text field has focus
(a focused Input swallows plain letters, and binds ctrl+e itself). The footer lists the keys a
newcomer needs, short enough for 80 columns; every other key is in F1 help and the command palette.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from textual import events
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.screen import Screen

from workloads.api import (
    CodeError,
    ResidentProcess,
    Store,
    StoreError,
    code_for,
    run_name,
    to_markdown,
)

from . import keys
from .screens.compare import CompareScreen
from .screens.export_dialog import ExportDialog
from .screens.help import HelpScreen
from .screens.history import HistoryScreen
from .screens.main import MainScreen
from .screens.stored_run import StoredRunScreen
from .widgets.results_view import ResultsView


class ParbenchApp(App[int]):
    TITLE = "parbench"
    SUB_TITLE = "loop, process pool or numpy?"
    CSS_PATH = "app.tcss"
    BINDINGS = keys.bindings(keys.APP)

    def __init__(self, store: Store, *, resident: bool = True, probes: bool = True, **kwargs) -> None:
        """`resident`: keep one measuring process for the session; `probes`: measure one item of the
        workload for the form's estimate (off only where a test wants a screen that never changes)."""
        super().__init__(**kwargs)
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # No animations unless asked for: the tab underline alone redrew the screen ~20 times
            # per ctrl+t, which a key pressed while a sweep holds every core had to wait behind.
            self.animation_level = "none"
        self.store = store
        # One measuring process for the whole session, booted now so the first ctrl+r starts at once.
        self.resident = ResidentProcess() if resident else None
        self.main_screen = MainScreen(store, self.resident, probes=probes)

    def on_mount(self) -> None:
        self.push_screen(self.main_screen)
        # The first frame first: the resident process's interpreter would compete with the app's own
        # start for the machine's two cores, and nothing on the first screen needs it.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        if self.resident is not None:
            self.resident.boot()
        self._freeze_startup_objects()

    @staticmethod
    def _freeze_startup_objects() -> None:
        """Move everything alive after start-up (modules, widgets, styles: ~10^5 objects) out of
        the collector's reach: a full collection then walks only what came after, which keeps its
        pauses from delaying a key press by tens of milliseconds while a sweep streams results."""
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        # However the app ends (ctrl+q waits for the sweep; a served tab closing, SIGTERM or the
        # palette's quit do not), a running sweep is cancelled now: its thread would otherwise keep
        # the process alive until the sweep ends (the executor's threads are joined at exit).
        self.main_screen.cancel_for_exit()
        if self.resident is not None:
            self.resident.close()
        gc.unfreeze()  # what was frozen may be garbage now: collectable again once the app is gone

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        # Each command's help is its key's (`tui.keys`), so the palette and F1 say the same.
        commands = [
            ("Run sweep", "run", self.action_run_sweep),
            ("Cancel sweep", "cancel", self.main_screen.action_cancel_sweep),
            ("Export results", "export", self.action_export),
            ("Copy Markdown table", "copy", self.action_copy_markdown),
            ("Copy the code that won", "copy-code", self.action_copy_code),
            ("Next results view", "view", self.action_next_tab),
            ("Toggle log scale", "log", self.action_toggle_log),
            ("Form", "form", self.action_toggle_form),
            ("Focus results", "results", self.action_focus_results),
            ("History", "history", self.action_history),
            ("Help", "help", self.action_help),
        ]
        for title, key_id, callback in commands:
            yield SystemCommand(title, keys.described(key_id), callback)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "toggle_form":
            return self.screen is self.main_screen  # listed only where there is a form to toggle
        return True

    # Helpers --------------------------------------------------------------------------------

    def _results(self) -> ResultsView | CompareScreen | None:
        """What ctrl+t and ctrl+l act on: the screen's results view, or the comparison's tabs."""
        if isinstance(self.screen, CompareScreen):
            return self.screen
        views = self.screen.query(ResultsView)
        return views.first() if views else None

    def _current_run(self):
        screen = self.screen
        if isinstance(screen, (MainScreen, StoredRunScreen)):
            return screen.current_run()
        return None

    # Actions ---------------------------------------------------------------------------------

    def action_run_sweep(self) -> None:
        if self.screen is not self.main_screen:
            while self.screen is not self.main_screen and len(self.screen_stack) > 1:
                self.pop_screen()
        self.main_screen.action_run_sweep()

    def action_export(self) -> None:
        run = self._current_run()
        if run is None:
            self.notify(f"nothing to export yet: run a sweep ({keys.key_for('run')}) or open one from history "
                        f"({keys.key_for('history')})",
                        severity="warning")
            return

        def done(path: Path | None) -> None:
            if path is not None and self.is_web:  # a name: the browser saves it where it saves downloads
                self.notify(f"sending {run_name(run)} to the browser as {path.name}…", timeout=6)
            elif path is not None:
                self.notify(f"exported {run_name(run)} to {path}", timeout=6)

        self.push_screen(ExportDialog(run), done)

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        """Served: the browser has fetched the whole export (the server asked for its last chunk)."""
        if self.is_web and event.name:
            self.notify(f"{event.name} reached the browser (its downloads)", timeout=6)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        """Served: the browser did not get an export (the tab went, the transfer broke)."""
        self.notify(f"{event.name or 'the export'} did not reach the browser: {event.exception}", severity="error",
                    timeout=10)

    def action_copy_markdown(self) -> None:
        if isinstance(self.screen, CompareScreen):
            text = self.screen.markdown()
            if text is None:
                self.notify("the comparison is still being worked out", severity="warning")
                return
            self.copy_to_clipboard(text)
            self.notify("copied the comparison as Markdown")
            return
        run = self._current_run()
        if run is None or not run.measurements:
            self.notify("nothing to copy yet", severity="warning")
            return
        self.copy_to_clipboard(to_markdown(run))
        self.notify(f"copied {run_name(run)} as a Markdown table ({len(run.measurements)} rows)")

    def action_copy_code(self) -> None:
        run = self._current_run()
        if run is None or not any(m.ok for m in run.measurements):
            self.notify("no code yet: run a sweep (ctrl+r) or open one from history (F2)", severity="warning")
            return
        try:
            text = code_for(run)
        except CodeError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.copy_to_clipboard(text)
        first = text.splitlines()[0].strip('"')
        self.notify(f"copied the code: {first}")

    def action_next_tab(self) -> None:
        view = self._results()
        if view is not None:
            view.next_tab()

    def action_toggle_log(self) -> None:
        # No notification: it would cover the chart's axis; each chart's title names its scale.
        view = self._results()
        if view is not None:
            view.toggle_log()

    def action_toggle_form(self) -> None:
        if self.screen is self.main_screen:
            self.main_screen.toggle_form()

    def action_page_why(self, pages: int) -> None:
        view = self._results()
        if view is None or not view.page_why(pages):
            raise SkipAction()  # not showing Why: the key goes where it would have gone

    def action_focus_results(self) -> None:
        view = self._results()
        if view is not None:
            view.focus_results()

    def action_history(self) -> None:
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.store))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if self.main_screen.running:
            self.notify("cancelling the sweep before quitting…")
            await self.main_screen.stop_and_wait()
        self.exit(0)


def run_app(db: str | None = None) -> int:
    try:
        store = Store(db)
    except StoreError as exc:
        print(f"parbench: {exc}", file=sys.stderr)
        return 1
    try:
        result = ParbenchApp(store).run()
    finally:
        store.close()
    return result or 0
