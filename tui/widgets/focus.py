"""Where the keys go, in plain text: `►` before the focused field, button, option, tab or row
(a character every console font has, TERM=linux's too: it is in code page 437).

Textual shows the focus with a change of background, which a monochrome terminal (NO_COLOR,
TERM=linux) or a screen capture does not show. These widgets say it with a character instead:
a field's label, a button's label, a list's highlighted option and a dropdown's highlighted choice
get `►` while they hold the focus (tables mark their cursor row the same way, `table_view.py`).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Label, OptionList, Select, TabbedContent, Tabs

FOCUS_MARK = "►"


def marked(text: str, focused: bool) -> str:
    """`►Items` with the focus, ` Items` without: the text keeps its place either way."""
    return (FOCUS_MARK if focused else " ") + text


class FieldRow(Horizontal):
    """A label and the field it names on one line; the label is marked while the field (or a
    dropdown it opened) has the focus."""

    def __init__(self, label: str, field: Widget, *, id: str | None = None, classes: str = "field") -> None:
        super().__init__(id=id, classes=classes)
        self.text = label
        self.field = field

    def compose(self):
        yield Label(marked(self.text, False), classes="label")
        yield self.field

    def _remark(self) -> None:
        self.query_one(Label).update(marked(self.text, self.has_focus_within))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._remark()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._remark()


class MarkedButton(Button):
    """A button whose label says when it has the focus."""

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(marked(label, False), **kwargs)
        self.text = label

    def on_focus(self) -> None:
        self.label = marked(self.text, True)

    def on_blur(self) -> None:
        self.label = marked(self.text, False)


class MarkedSelect(Select):
    """A dropdown whose open list marks the choice the keys are on (the closed field is marked by
    its row's label)."""

    def on_mount(self) -> None:
        self._plain: dict[int, str] = {}  # option index -> its prompt as given
        self.watch(self.query_one(OptionList), "highlighted", self._mark_choice)

    def set_options(self, options) -> None:
        self._plain = {}
        super().set_options(options)
        self._mark_choice(self.query_one(OptionList).highlighted)

    def _mark_choice(self, highlighted: int | None) -> None:
        overlay = self.query_one(OptionList)
        for index in range(overlay.option_count):
            if index not in self._plain:
                prompt = overlay.get_option_at_index(index).prompt
                self._plain[index] = prompt.plain if isinstance(prompt, Text) else str(prompt)
            overlay.replace_option_prompt_at_index(index, marked(self._plain[index], index == highlighted))


def mark_tabs(tabbed: TabbedContent, titles: dict[str, str]) -> None:
    """The active tab's title marked while the tab row has the focus (left and right switch views)."""
    focused = tabbed.screen.focused
    focused = isinstance(focused, Tabs) and tabbed in focused.ancestors
    for pane_id, title in titles.items():
        text = marked(title, focused and tabbed.active == pane_id).lstrip(" ")
        tab = tabbed.get_tab(pane_id)
        if str(tab.label) != text:
            tab.label = text

