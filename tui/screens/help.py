"""The help screen: every key, what it does, and where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from .. import keys

_HELP = """\
# parbench keys

{close} closes this help. Global keys work wherever the focus is, in a text field too. The
footer shows the ones a first sweep needs; this list has them all, and so does the command palette
(ctrl+p). `►` marks where the keys go: the focused field, button, option, tab or table row.

{keys}
**Fields.** Items and length take `8`, `4,8,16` or `4..512` (powers of two, both ends
included). Chunk takes a number or `auto`. A field's text is selected when it gets the focus, so
typing replaces it; an arrow key keeps it to edit, and ctrl+u from its end clears it. A field's problem shows right
under it, the sweep will not start while any remains, and ctrl+r then takes the keys to it. "More settings" folds the rarer ones (warm-up, seed, timeout,
min time); Defaults puts every field back; the last settings come back at the next start.

**Reading the numbers.** Every point runs each strategy in interleaved rounds (warm-up first), so
a change in the machine's speed hits them all alike. Speedup is the geometric mean of the per-round
ratios serial / strategy, with its 95% interval. The status column says how far to trust a row:
*ok*; *noisy* (its repeats spread over 10% of their median); *1 repeat* (no spread, no interval);
*budget* or *rounds* (stopped before its interval reached the asked precision); *shared* (measured
beside another sweep); *failed*, *timeout* or *n/a* (no figure). The note column names any further
qualifier of the same row. The line under the table tells
the focused row's whole story: min, stdev, rounds, and the reason in full. The *Why* view explains
the numbers in words.
"""


def help_text(*, served: bool = keys.SERVED) -> str:
    """The help, its key table generated from the app's own bindings (`tui.keys`)."""
    closing = [k.display(served) for k in keys.KEYS if k.where == keys.HELP]
    close = ", ".join(closing[:-1]) + " or " + closing[-1] if len(closing) > 1 else closing[0]
    return _HELP.replace("{keys}", keys.markdown_table(served=served)).replace("{close}", close[:1].upper() + close[1:])


HELP = help_text()


class HelpScreen(ModalScreen[None]):
    BINDINGS = keys.bindings(keys.HELP)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
