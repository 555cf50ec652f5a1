"""The CLI's progress lines on stderr, only on a terminal: what a sweep is doing, from its events, in the
same words as the app's status line (`api.describe_event`), and how far an import has got."""

from __future__ import annotations

import sys

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


class ImportProgress:
    """`parbench import`'s progress on stderr, only on a terminal and only for a file large enough to
    report any: reading and checking it, then storing its rows. Messages printed through `say` stay
    above the bar."""

    def __init__(self) -> None:
        self.console = None
        self.progress = None
        self.task = None
        if sys.stderr.isatty():
            from rich.console import Console

            self.console = Console(stderr=True)

    def reporter(self, label: str):
        """A `progress(phase, done, total)` callback for the importer, naming the file."""
        def report(phase: str, done: int, total: int) -> None:
            if self.console is None:
                return
            what = {"reading": "reading", "checking": "checking the rows of"}.get(phase, "storing the rows of")
            if self.progress is None:
                if done >= total:
                    return  # finished at its first report: too quick to need a bar
                from rich.progress import (
                    BarColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                         TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                         console=self.console, transient=True)
                self.task = self.progress.add_task(f"{what} {label}", total=total, completed=done)
                self.progress.start()
                return
            self.progress.update(self.task, description=f"{what} {label}", completed=done, total=total)
        return report

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=sys.stderr)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
