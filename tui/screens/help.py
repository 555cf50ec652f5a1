"""The help screen: every key, what it does, and where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# parbench keys

Global keys work wherever the focus is, in a text field too.

| key | what it does |
|---|---|
| ctrl+r, F5 | run the sweep set up on the left |
| escape | cancel the running sweep (completed rows are kept and stored) |
| ctrl+e | export the results table (CSV, JSON, Markdown) |
| ctrl+y | copy the results as a Markdown table to the clipboard |
| ctrl+t | next results tab: table, time chart, speedup chart, why |
| ctrl+l | charts: log-log or linear |
| ctrl+b | hide or show the set-up panel (more room for charts) |
| F2 | stored runs (history); enter opens one |
| F1, ? | this help (? only outside text fields) |
| ctrl+p | command palette: every action by name |
| ctrl+q | quit (a running sweep is cancelled first) |
| tab, shift+tab | move between fields |
| s | in the results table: sort by the next column |

**Fields.** Items and length take `8`, `4,8,16` or `4..512` (powers of two, both ends
included). Chunk takes a number or `auto`. A field's problem shows right under it, and the sweep
will not start while any remains.

**Reading the numbers.** Every point runs each strategy in interleaved rounds (warm-up first), so
a change in the machine's speed hits them all alike. The table shows median, min and standard
deviation of the repeats; *noisy* marks a point whose repeats spread by more than 10%. Speedup is
the median of the per-round ratios serial / strategy. The *Why* tab explains the numbers.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("f1", "dismiss(None)", "Close", show=False),
        Binding("q", "dismiss(None)", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
