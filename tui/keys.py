"""Every key of the app, declared once: the bindings of each screen and widget, the footer, the F1
help and the README's key table are all generated from `KEYS`.

A key belongs to a `where` (the app everywhere, one screen, one widget). `keys` are what a terminal
sends; `served` are keys a browser passes through to the app when it is served (`parbench serve`):
a browser never gives a page ctrl+t, ctrl+w or ctrl+n (new tab, close tab, new window); Firefox
quits on ctrl+q; ctrl+r and F5 reach the app only while the terminal has the keyboard, and reload
the page (a new app) otherwise. F-keys are never the browser's while the terminal has the focus.
Both are bound everywhere, so a habit learnt in one works in the other; the footer, the F1 help and
every text that names a key (`key_for`) show the served ones in a browser.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual.binding import Binding

# Served (textual-serve, textual-web): the app is started with Textual's web driver named in its
# environment, known before any class below builds its BINDINGS (App.is_web is the same fact, but
# only once the app runs).
SERVED = os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")

APP = "app"  # wherever the focus is, a text field too (priority bindings)
MAIN = "main"
RESULTS_TABLE = "results table"
STRATEGIES = "strategy list"
HISTORY = "history"
STORED_RUN = "stored run"
COMPARE = "compare"
HELP = "help"
EXPORT = "export dialog"
CONFIRM = "confirm"
FIELD = "text field"  # Textual's own Input keys, listed in F1 only
DROPDOWN = "dropdown"  # Textual's own Select keys, listed in F1 only
TABLES = "a table"  # Textual's own DataTable keys, listed in F1 only

# Where each `where` is, in the help's words.
PLACES = {APP: "anywhere", MAIN: "main screen", RESULTS_TABLE: "results table", STRATEGIES: "strategy list",
          HISTORY: "history (F2)", STORED_RUN: "a stored run", COMPARE: "a comparison", HELP: "this help",
          EXPORT: "export dialog", CONFIRM: "a question", FIELD: "a text field", DROPDOWN: "a dropdown",
          TABLES: "a table"}


@dataclass(frozen=True)
class Key:
    id: str  # the binding's id: what a keymap or a test names
    where: str
    keys: str  # as Textual names them, comma-separated: "ctrl+r,f5"
    action: str  # the Textual action it runs ("" for keys Textual's widgets handle themselves)
    label: str  # the footer's word
    help: str  # what F1 says it does
    show: bool = True  # in the footer
    served: str = ""  # keys that reach the app in a browser, where `keys` do not
    priority: bool = False  # works even while a text field has the focus

    def bindings(self, *, served: bool = False) -> list[Binding]:
        if not self.action:
            return []
        shown = [Binding(self.keys, self.action, self.label, show=self.show and not (served and self.served),
                         priority=self.priority, id=self.id, tooltip=self.help)]
        if self.served:
            shown.append(Binding(self.served, self.action, self.label, show=self.show and served,
                                 priority=self.priority, id=f"{self.id}-served", tooltip=self.help))
        return shown

    def display(self, served: bool = False) -> str:
        """The keys as the help prints them: `ctrl+r, F5` (and the served ones after a slash)."""
        text = ", ".join(_key_name(k) for k in self.keys.split(","))
        if self.served:
            served_text = ", ".join(_key_name(k) for k in self.served.split(","))
            text = f"{served_text} (or {text})" if served else f"{text} (in a browser: {served_text})"
        return text


def _key_name(key: str) -> str:
    key = key.strip()
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return {"question_mark": "?", "pagedown": "PageDown", "pageup": "PageUp", "shift+tab": "shift+tab",
            "escape": "escape"}.get(key, key)


KEYS: tuple[Key, ...] = (
    # Anywhere.
    Key("run", APP, "ctrl+r,f5", "run_sweep", "Run", "run the sweep set up in the form", served="f9",
        priority=True),
    Key("view", APP, "ctrl+t", "next_tab", "View",
        "next results view: table, time chart, speedup chart, split, winner map, why", served="f8", priority=True),
    Key("export", APP, "ctrl+e", "export", "Export",
        "export the results (CSV, JSON, Markdown); asks before replacing a file", served="f4", priority=True),
    Key("form", APP, "ctrl+b", "toggle_form", "Form",
        "to the form's first field (showing the form); from the form, hide it. Under 100 columns the form "
        "folds away by itself once results arrive", priority=True),
    Key("help", APP, "f1", "help", "Help", "this help", priority=True),
    Key("quit", APP, "ctrl+q", "quit", "Quit", "quit (a running sweep is cancelled first)", served="f10",
        priority=True),
    Key("results", APP, "f3", "focus_results", "Results",
        "move the keys to the results: the table (arrows, s) or the why text (PageDown)", show=False,
        priority=True),
    Key("log", APP, "ctrl+l", "toggle_log", "Log/lin", "charts: log-log or linear (each chart's title says which)",
        show=False, priority=True),
    Key("copy", APP, "ctrl+y", "copy_markdown", "Copy MD", "copy the results as a Markdown table to the clipboard",
        show=False, priority=True),
    Key("copy-code", APP, "ctrl+o", "copy_code", "Copy code",
        "copy the code that won to the clipboard: the loop rewritten for the fastest strategy, with its measured "
        "settings (parbench code RUN prints it)", show=False, priority=True),
    Key("history", APP, "f2", "history", "History", "stored runs (history); enter opens one", show=False,
        priority=True),
    Key("help-question", APP, "question_mark", "help", "Help", "this help (outside text fields)", show=False),
    Key("page-down", APP, "pagedown", "page_why(1)", "Page down", "scroll the why text down a page", show=False,
        priority=True),
    Key("page-up", APP, "pageup", "page_why(-1)", "Page up", "scroll the why text up a page", show=False,
        priority=True),
    Key("palette", APP, "ctrl+p", "", "palette", "command palette: every action by name", show=False),
    # The main screen.
    Key("cancel", MAIN, "escape", "cancel_sweep", "Cancel",
        "cancel the running sweep (completed rows are kept and stored), or the wait for another sweep"),
    # Widgets.
    Key("sort", RESULTS_TABLE, "s", "cycle_sort", "Sort",
        "sort by the next column (its header gets ▾); again for the next", show=False),
    Key("toggle-strategy", STRATEGIES, "space", "toggle", "Toggle", "tick or untick the strategy under the cursor",
        show=False),
    Key("next-field", FIELD, "tab,shift+tab", "", "", "move between fields and buttons (► marks the one the keys "
        "are on); a field's text is selected when it gets the focus, so typing replaces it"),
    Key("clear-field", FIELD, "ctrl+u", "", "", "delete the text before the cursor (from the end: all of it)"),
    Key("clear-right", FIELD, "ctrl+k", "", "", "delete the text after the cursor"),
    Key("edit-field", FIELD, "left,right,home,end", "", "", "move in the field's text (keeps it, to edit it)"),
    Key("submit-field", FIELD, "enter", "", "", "run the sweep (as ctrl+r)"),
    Key("open-dropdown", DROPDOWN, "enter,space", "", "", "open its list; up and down choose, enter takes the "
        "choice, escape closes the list"),
    Key("table-move", TABLES, "up,down,pageup,pagedown", "", "", "move the cursor (► marks its row while the "
        "table has the focus)"),
    # History and what it opens.
    Key("history-back", HISTORY, "escape", "app.pop_screen", "Back", "back to the main screen"),
    Key("history-open", HISTORY, "enter", "open_run", "Open", "open the run under the cursor"),
    Key("history-mark", HISTORY, "space", "toggle_mark", "Mark", "mark a run (two marked: A is the older)"),
    Key("history-compare", HISTORY, "c", "compare", "Compare", "compare the two marked runs, B against A"),
    Key("stored-back", STORED_RUN, "escape", "app.pop_screen", "Back", "back to history"),
    Key("compare-back", COMPARE, "escape", "app.pop_screen", "Back", "back to history"),
    # Dialogs.
    Key("help-close", HELP, "escape", "dismiss(None)", "Close", "close this help"),
    Key("help-close-f1", HELP, "f1", "dismiss(None)", "Close", "close this help", show=False),
    Key("help-close-q", HELP, "q", "dismiss(None)", "Close", "close this help", show=False),
    Key("export-close", EXPORT, "escape", "dismiss_dialog", "Close", "close without exporting"),
    Key("confirm-no", CONFIRM, "escape", "answer(False)", "No", "no"),
    Key("confirm-no-n", CONFIRM, "n", "answer(False)", "No", "no", show=False),
    Key("confirm-yes", CONFIRM, "y", "answer(True)", "Yes", "yes", show=False),
)


def key_for(id: str, *, short: bool = False, served: bool = SERVED) -> str:
    """The key a text names for the key `id` (a status line, a hint, a button): the first of its
    keys, or of its served keys in a browser. `short` is the footer's spelling (`^r`, `f9`) for
    a label with little room; else the help's (`ctrl+r`, `F9`)."""
    key = next(k for k in KEYS if k.id == id)
    first = (key.served if served and key.served else key.keys).split(",")[0].strip()
    if short:
        return "^" + first[len("ctrl+"):] if first.startswith("ctrl+") else first
    return _key_name(first)


def key(key_id: str) -> Key:
    return next(k for k in KEYS if k.id == key_id)


def described(key_id: str, *, served: bool = SERVED) -> str:
    """`Run the sweep set up in the form (ctrl+r, F5)`: a key's help as the command palette says it."""
    k = key(key_id)
    return f"{k.help[:1].upper()}{k.help[1:]} ({k.display(served)})"


def bindings(where: str, *, served: bool = SERVED) -> list[Binding]:
    """The bindings of one screen or widget (or the app's)."""
    return [binding for key in KEYS if key.where == where for binding in key.bindings(served=served)]


def help_rows(*, served: bool = SERVED) -> list[tuple[str, str, str]]:
    """(keys, what it does, where) for every key, the app's first; keys that do one thing in one
    place share a row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for key in KEYS:
        rows.setdefault((key.where, key.help), []).append(key.display(served))
    return [(", ".join(keys), what, PLACES[where]) for (where, what), keys in rows.items()]


def markdown_table(*, served: bool = SERVED) -> str:
    """The key table as Markdown: the F1 help's and the README's."""
    lines = ["| key | what it does | where |", "|---|---|---|"]
    lines += [f"| {keys} | {what} | {where} |" for keys, what, where in help_rows(served=served)]
    return "\n".join(lines) + "\n"
