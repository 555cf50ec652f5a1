"""A line of text that wraps and changes often (the run's status, the focused row's story).

`Static.update` lays the whole screen out again at every call, which a status line that changes
with every call of a sweep made the UI pay many times a second: `say` skips an update that changes
nothing, and asks for a layout only when the text wraps onto a different number of lines.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(text, id=id, classes=classes)
        self._said: str | Text = text
        self._lines = -1  # not measured yet: the first change lays out

    def _count_lines(self, text: str | Text) -> int:
        width = self.content_size.width
        if width <= 0:
            return -1
        rich = text if isinstance(text, Text) else Text(text)
        return len(rich.wrap(self.app.console, width))

    def say(self, text: str | Text) -> None:
        """Show `text` as it is (a string is never read as markup: "[1]" in a reason stays)."""
        if text == self._said:
            return
        rich = text if isinstance(text, Text) else Text(text)
        lines = self._count_lines(rich)
        self._said = text
        self.update(rich, layout=lines < 0 or lines != self._lines)
        self._lines = lines

    @property
    def said(self) -> str:
        return str(self._said)

    def on_resize(self) -> None:
        self._lines = self._count_lines(self._said)
