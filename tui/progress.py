"""The CLI's progress lines on stderr, only on a terminal: what a sweep is doing, from its events, and how far
an import has got."""

from __future__ import annotations

import sys

from workloads.api import (
    CallStarted,
    LockWait,
    MeasurementDone,
    Probed,
    RunStarted,
    format_bytes,
    format_duration,
)


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
            self.task = self.progress.add_task("starting the measuring process, measuring one item", total=None)
            self.progress.start()
        self._waiting_said = False

    def on_event(self, event) -> None:
        if isinstance(event, LockWait) and not self._waiting_said:
            # Said once on a line of its own, even without a terminal: a script's log shows why it waited.
            self._waiting_said = True
            self.console.print(f"parbench: waiting: {event.holder} (--no-wait fails at once, --ignore-lock "
                               "measures anyway)", markup=False, highlight=False)
        if self.progress is None:
            return
        if isinstance(event, Probed):
            self.progress.update(self.task, description=f"one item measured: peak ~{format_bytes(event.peak_bytes)}, "
                                                        f"{format_duration(event.seconds)}")
        elif isinstance(event, LockWait):
            self.progress.update(self.task, description=f"waiting for {event.holder}")
        elif isinstance(event, RunStarted):
            self.progress.update(self.task, total=event.total_calls, description="measuring")
        elif isinstance(event, CallStarted):
            label = "warm-up" if event.warmup else "round"
            workers = f" ×{event.workers}" if event.workers else ""
            self.progress.update(self.task, completed=event.calls_done, total=event.calls_total or None,
                                 description=f"{event.strategy}{workers} items={event.items} length={event.length} "
                                             f"{label} {event.repeat}/{event.repeats}")
        elif isinstance(event, MeasurementDone):
            self.progress.update(self.task, completed=event.calls_done, total=event.calls_total or None)

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
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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
