"""The strategy list of the form: which strategies run, readable without colour.

Each line says its state in plain text, `[x] serial`, `[ ] threads`, or `[-] numpy  n/a` for a
strategy the chosen workload cannot run (no numpy form), so a monochrome terminal or a screen
capture shows what is selected; while the list has the focus, `►` marks the line the keys are on.
Space or enter toggles the highlighted line.
"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workloads.api import KINDS, NAMES

from .. import keys
from .focus import marked


class StrategyPicker(OptionList):
    BINDINGS = keys.bindings(keys.STRATEGIES)

    class Changed(Message):
        def __init__(self, picker: "StrategyPicker") -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> "StrategyPicker":
            return self.picker

    def __init__(self, selected=(), *, id: str | None = None) -> None:
        self._selected: set[str] = set(selected)
        self._unavailable: dict[str, str] = {}
        super().__init__(*[Option(self._prompt(name), id=name) for name in NAMES], id=id, compact=True)

    def _prompt(self, name: str, here: bool = False) -> Text:
        """`[x] serial`; `here`: the keys are on this line (`►[x] serial`)."""
        # Text, not a string: "[x]" would be read as console markup and vanish.
        if name in self._unavailable:
            return Text(marked(f"[-] {name}  n/a", here), style="dim")
        return Text(marked(f"[{'x' if name in self._selected else ' '}] {name}", here))

    @property
    def selected(self) -> tuple[str, ...]:
        """The selected strategies that can run, in the list's order."""
        return tuple(name for name in NAMES if name in self._selected and name not in self._unavailable)

    def _here(self, name: str, focused: bool | None = None) -> bool:
        focused = self.has_focus if focused is None else focused
        return focused and self.highlighted is not None and NAMES[self.highlighted] == name

    def _redraw(self, focused: bool | None = None) -> None:
        for name in NAMES:
            self.replace_option_prompt(name, self._prompt(name, self._here(name, focused)))

    # The focus changes before `has_focus` says so: each handler says which way it went.
    def on_focus(self) -> None:
        self._redraw(focused=True)

    def on_blur(self) -> None:
        self._redraw(focused=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._redraw()

    def set_selected(self, names) -> None:
        self._selected = {name for name in names if name in KINDS}
        self._redraw()
        self.post_message(self.Changed(self))

    def set_unavailable(self, reasons: dict[str, str]) -> None:
        """Strategies the workload cannot run, with why (shown by the form); they stay selected
        underneath, so choosing a workload that can run them brings them back."""
        if reasons == self._unavailable:
            return
        self._unavailable = dict(reasons)
        self._redraw()

    def unavailable(self) -> dict[str, str]:
        return dict(self._unavailable)

    def action_toggle(self) -> None:
        if self.highlighted is None:
            return
        name = NAMES[self.highlighted]
        if name in self._unavailable:
            self.notify(f"{name}: {self._unavailable[name]}", severity="warning", timeout=3)
            return
        self._selected ^= {name}
        self.replace_option_prompt(name, self._prompt(name, self._here(name)))
        self.post_message(self.Changed(self))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()
