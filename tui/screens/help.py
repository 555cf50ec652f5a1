"""The help screen: every key, what it does, and where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# parbench keys

Global keys work wherever the focus is, in a text field too. The footer shows the ones a first
sweep needs; this list has them all, and so does the command palette (ctrl+p).

| key | what it does |
|---|---|
| ctrl+r, F5 | run the sweep set up in the form |
| escape | cancel the running sweep (completed rows are kept and stored), or the wait for another sweep |
| ctrl+t | next results view: table, time chart, speedup chart, why |
| F3 | move the keys to the results: the table (arrows, `s`) or the why text (PageDown) |
| s | in the results table: sort by the next column (its header gets ▾); again for the next |
| ctrl+e | export the results (CSV, JSON, Markdown); asks before replacing a file |
| ctrl+y | copy the results as a Markdown table to the clipboard |
| ctrl+l | charts: log-log or linear (each chart's title says which) |
| ctrl+b | hide or show the form; under 100 columns it folds away by itself once results arrive |
| F2 | stored runs (history); enter opens one |
| F1, ? | this help (? only outside text fields) |
| ctrl+p | command palette: every action by name |
| ctrl+q | quit (a running sweep is cancelled first) |
| tab, shift+tab | move between fields |

**Fields.** Items and length take `8`, `4,8,16` or `4..512` (powers of two, both ends
included). Chunk takes a number or `auto`. A field's problem shows right under it, and the sweep
will not start while any remains. "More settings" folds the rarer ones (warm-up, seed, timeout,
min time); Defaults puts every field back; the last settings come back at the next start.

**Reading the numbers.** Every point runs each strategy in interleaved rounds (warm-up first), so
a change in the machine's speed hits them all alike. Speedup is the geometric mean of the per-round
ratios serial / strategy, with its 95% interval. The status column says how far to trust a row:
*ok*; *noisy* (its repeats spread over 10% of their median); *1 repeat* (no spread, no interval);
*budget* or *rounds* (stopped before its interval reached the asked precision); *shared* (measured
beside another sweep); *failed*, *timeout* or *n/a* (no figure). The line under the table tells
the focused row's whole story: min, stdev, rounds, and the reason in full. The *Why* view explains
the numbers in words.
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
