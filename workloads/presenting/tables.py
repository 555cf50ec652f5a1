"""Tables declared once: each table is its columns (key, label, alignment, formatter, and which
renderers show it) and rows keyed by what they measure; every renderer draws the same `Table`.

Renderers are named by who reads them. `MARKDOWN` (an export, a pipe, the clipboard) has no width
to keep to; `SCREEN` is the 80-column terminal (the CLI's rich table, `tui/report.py`, and the
app's DataTable, `tui/widgets/table_view.py`); `CSV` and `JSON` are for programs. A column says
which of them show it, so the run's table is one declaration whether it lands in a file, a
terminal or the app, and a number is written the same way in each (`model.numbers`).

Text renderers live here (no rich or Textual in the engine); a cell's `tone` (good, bad, muted,
caution, alert) is what a colour would say, for the renderers that have colour, never the only
carrier of a meaning: the words are in the cell.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

MARKDOWN = "markdown"
SCREEN = "screen"
CSV = "csv"
JSON = "json"
PEOPLE = frozenset({MARKDOWN, SCREEN})
DATA = frozenset({CSV, JSON})
EVERYWHERE = PEOPLE | DATA

LEFT = "left"
RIGHT = "right"

# What a colour would say about a cell (the renderers with colour map these to styles).
GOOD = "good"
BAD = "bad"
MUTED = "muted"
CAUTION = "caution"
ALERT = "alert"


def plain(value: Any) -> str:
    """A value as people read it: nothing for None, the value's own text otherwise."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header and JSON key; what a row's values are looked up by
    label: str = ""  # the header people read (default: the key)
    align: str = LEFT
    format: Callable[[Any], str] = plain  # a value as people read it
    shown: frozenset[str] = EVERYWHERE  # the renderers that show it
    short: str = ""  # the header where width is scarce (SCREEN; default: the label)
    brief: Callable[[Any], str] | None = None  # a value where width is scarce (SCREEN; default: `format`)
    descending: bool = False  # sorting on it puts the largest first (a speedup: the best first)
    drop: int = 0  # where columns do not fit a width, the highest `drop` goes first; 0 always stays
    # Its notes each begin with a word in its cell ("busy: other programs ..."): on SCREEN, where
    # width is scarce, the word is the key to the note under the table, not a number beside it.
    worded: bool = False
    # Where columns do not fit a width, its cells (short words: notes) give up width first: folded
    # between words onto more lines, or, on one line, the words that fit and a count of the rest
    # (`fold`, `squeeze`). Never a figure's column: a number is never folded nor cut.
    fold: bool = False

    @property
    def heading(self) -> str:
        return self.label or self.key

    def header(self, renderer: str) -> str:
        return (self.short or self.heading) if renderer == SCREEN else self.heading


@dataclass(frozen=True)
class Row:
    key: str  # what the row measures ("processes|2|64|100000"): a later value for it replaces the row
    values: Mapping[str, Any]
    tones: Mapping[str, str] = field(default_factory=dict)
    # A cell's long reasons: people's renderers say each distinct one once, below the table, and
    # put its number in the cell ("rounds [1]", "noisy,budget [1,2]").
    notes: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)

    def notes_of(self, key: str) -> tuple[str, ...]:
        note = self.notes.get(key)
        if not note:
            return ()
        return (note,) if isinstance(note, str) else tuple(n for n in note if n)


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    title: str = ""
    caption: str = ""

    def shown(self, renderer: str) -> list[Column]:
        return [c for c in self.columns if renderer in c.shown]

    def cell(self, row: Row, column: Column, renderer: str = MARKDOWN) -> str:
        """A cell as people read it (without its note's number)."""
        value = row.values.get(column.key)
        if renderer == SCREEN and column.brief is not None:
            return column.brief(value)
        return column.format(value)

    def footnotes(self, renderer: str = MARKDOWN) -> dict[str, int]:
        """Each distinct note of the shown cells, numbered in the order the rows meet them."""
        keys = {c.key for c in self.shown(renderer)}
        numbers: dict[str, int] = {}
        for row in self.rows:
            for key in row.notes:
                if key in keys:
                    for note in row.notes_of(key):
                        numbers.setdefault(note, len(numbers) + 1)
        return numbers

    def worded_notes(self, renderer: str = MARKDOWN) -> set[str]:
        """The notes keyed by their words, not by numbers, in this renderer (`Column.worded`)."""
        if renderer != SCREEN:
            return set()
        keys = {c.key for c in self.shown(renderer) if c.worded}
        return {note for row in self.rows for key in keys for note in row.notes_of(key)}

    def cell_with_note(self, row: Row, column: Column, numbers: Mapping[str, int],
                       renderer: str = MARKDOWN) -> str:
        text = self.cell(row, column, renderer)
        if column.worded and renderer == SCREEN:
            return text
        found = [numbers[note] for note in row.notes_of(column.key) if note in numbers]
        if found:
            text += f" [{','.join(map(str, found))}]"
        return text

    def sort_key(self, row: Row, column: Column) -> tuple:
        """Where a row goes when sorted on `column`: empty cells last, whichever the direction."""
        value = row.values.get(column.key)
        if isinstance(value, tuple):  # an interval: sorted on its lower end
            value = value[0] if value else None
        if value is None or value == "":
            return (1, 0)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, -value if column.descending else value)
        return (0, str(value))


# Text renderers --------------------------------------------------------------------------------------------


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(table: Table) -> str:
    """A GitHub Markdown table; each distinct note once under it, numbered as in the cells."""
    columns = table.shown(MARKDOWN)
    numbers = table.footnotes(MARKDOWN)
    lines = ["| " + " | ".join(_markdown_cell(c.header(MARKDOWN)) for c in columns) + " |",
             "|" + "".join("--:|" if c.align == RIGHT else "---|" for c in columns)]
    for row in table.rows:
        lines.append("| " + " | ".join(_markdown_cell(table.cell_with_note(row, c, numbers)) for c in columns)
                     + " |")
    text = "\n".join(lines) + "\n"
    if numbers:
        text += "\n" + "\n".join(f"- [{number}] {' '.join(note.split())}" for note, number in numbers.items()) + "\n"
    return text


def csv_value(value: Any) -> str:
    """A value as a CSV cell that splits on commas alone: no quoting needed, so that
    `column -s, -t` and `cut -d,` read it as a spreadsheet does. Text keeps its words; a comma in
    it becomes a semicolon and a line break a space (the JSON export has the text verbatim)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(csv_value(v) for v in value)
    text = str(value)
    return text.replace(",", ";").replace("\r", " ").replace("\n", " ").replace('"', "'")


def to_csv(table: Table) -> str:
    columns = table.shown(CSV)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in table.rows:
        writer.writerow([csv_value(row.values.get(c.key)) for c in columns])
    return buffer.getvalue()


def json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def to_records(table: Table) -> list[dict]:
    """The rows as JSON objects: the JSON columns, values as they are (numbers in SI units)."""
    columns = table.shown(JSON)
    return [{c.key: json_value(row.values.get(c.key)) for c in columns} for row in table.rows]


def to_json(table: Table, name: str = "rows") -> str:
    return json.dumps({name: to_records(table)}, indent=2) + "\n"


def fit(columns: Iterable[Column], widths: Mapping[str, int], room: int, gap: int = 1) -> list[Column]:
    """The columns that fit in `room` characters (each `widths[key]` wide plus `gap`), dropping the
    droppable ones, highest `drop` first, until they do; a column is dropped whole, never cut."""
    return layout(columns, widths, room, gap)[0]


def layout(columns: Iterable[Column], widths: Mapping[str, int], room: int, gap: int = 1,
           least: Mapping[str, int] | None = None) -> tuple[list[Column], dict[str, int]]:
    """The columns that fit in `room` characters and the width each gets (`widths[key]` as wide as
    its widest cell, plus `gap`): a folding column first gives up width, down to `least[key]` (its
    longest word, default: its width); then droppable columns go whole, highest `drop` first. No
    other column is ever made narrower than its widest cell."""
    kept = list(columns)
    given = dict(widths)
    least = least or {}

    def over() -> int:
        return sum(given[c.key] + gap for c in kept) - room

    for column in kept:
        if column.fold and over() > 0:
            given[column.key] = max(least.get(column.key, given[column.key]), given[column.key] - over())
    while over() > 0:
        droppable = [c for c in kept if c.drop > 0]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda c: (c.drop, kept.index(c))))
        for column in kept:  # a folding column takes back what the dropped one left
            if column.fold:
                given[column.key] = min(widths[column.key], given[column.key] - over())
    return kept, {c.key: given[c.key] for c in kept}


def fit_texts(columns: Iterable[Column], texts: Iterable[Mapping[str, str]], room: int, gap: int = 1,
              pad: int = 0, lines: bool = True) -> tuple[list[Column], dict[str, int]]:
    """`layout` for cells as a renderer draws them on screen (`texts`: each row's, by column key;
    `pad` what the renderer adds to every cell and header): a column as wide as its header and its
    widest cell; a folding one no narrower than its longest word (`fold`), and, for a renderer
    whose rows have one line (`lines` False: `squeeze`), than that and a count of the rest."""
    columns = list(columns)
    rows = list(texts)
    count = 0 if lines else len(" +9")
    widths = {c.key: max([len(c.header(SCREEN)), *(len(r[c.key]) for r in rows)]) + pad for c in columns}
    least = {c.key: min(widths[c.key], max([len(c.header(SCREEN)), *(longest_word(r[c.key]) + count
                                                                      for r in rows)]) + pad)
             for c in columns if c.fold}
    return layout(columns, widths, room, gap, least)


def _words(text: str) -> list[str]:
    """`deciding,too close [1,2]` → `deciding,` `too close ` `[1,2]`: where a line may break (after
    a comma and before a note's numbers; a note of two words, `too close`, stays whole)."""
    words, _, numbers = text.partition(" [")
    out = [word + "," for word in words.split(",")]
    out[-1] = out[-1][:-1] + " "
    if numbers:
        out.append("[" + numbers)
    return [w for w in out if w.strip()]


def longest_word(text: str) -> int:
    """The narrowest a folding cell can be without cutting a word."""
    return max((len(w.rstrip()) for w in _words(text)), default=0)


def fold(text: str, width: int) -> list[str]:
    """A folding column's cell in lines of at most `width` characters, broken between words only
    (a word wider than `width` has a line of its own, whole)."""
    lines: list[str] = []
    line = ""
    for word in _words(text):
        if line and len((line + word).rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += word
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def squeeze(text: str, width: int) -> str:
    """A folding column's cell on one line of at most `width` characters: the comma-separated words
    that fit, whole, and how many more there are (`deciding +1`); the renderer says them in full
    elsewhere (the app's line under its table)."""
    if len(text) <= width:
        return text
    words = text.split(",")
    for keep in range(len(words) - 1, 0, -1):
        shown = ",".join(words[:keep]) + f" +{len(words) - keep}"
        if len(shown) <= width:
            return shown
    return f"+{len(words)}"
