"""The CLI's progress line on stderr: what the sweep is doing, from its events (only on a terminal),
in the same words as the app's status line (`api.describe_event`)."""

from __future__ import annotations

from workloads.api import STARTING_WORDS, LockWait, describe_event, event_progress


class CliProgress:
    def __init__(self, console) -> None:
        self.console = console
        self.progress = None
        self.task = None
        if console.is_terminal:
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TextColumn("ETA"),
                                     TimeRemainingColumn(), console=console, transient=True)
            self.task = self.progress.add_task(f"starting the measuring process, {STARTING_WORDS}", total=None)
            self.progress.start()
        self._waiting_said = False

    def on_event(self, event) -> None:
        said = describe_event(event)
        if isinstance(event, LockWait) and not self._waiting_said:
            # Said once on a line of its own, even without a terminal: a script's log shows why it waited.
            self._waiting_said = True
            self.console.print(f"parbench: {said} (--no-wait fails at once, --ignore-lock measures anyway)",
                               markup=False, highlight=False)
        if self.progress is None:
            return
        counted = event_progress(event)
        if counted is not None:
            done, total = counted
            self.progress.update(self.task, completed=done, total=total)
        if said is not None:
            self.progress.update(self.task, description=said)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
