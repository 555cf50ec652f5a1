"""The app's DataTable for any `api.Table`: the columns a table shows on screen, fitted to the
width (a column the table marks droppable goes whole, never cut mid-word), rows kept by key.

`show(table)` may be called again with the same table grown or changed: a row whose key is new is
added, a row whose cells changed is updated in place (a measurement re-sent with more rounds
replaces its row, it never adds a second), a row gone is removed; the columns are rebuilt only
when they change. `s` sorts by the next column (its header gets ▾).

The focus reads in plain text: the first column holds `►` on the cursor's row while the table has
the focus, so a monochrome terminal (NO_COLOR, TERM=linux, a screen capture) shows where the keys go.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from workloads.api import RIGHT, SCREEN, Column, Row, Table, fit_texts, squeeze

from .. import tones
from .focus import FOCUS_MARK

MARK = "__cursor__"


def _drawn(text: Text) -> tuple:
    """What a cell looks like: rich's Text equality ignores its style, a tone that may change."""
    return text.plain, str(text.style), text.justify


class TableView(DataTable):
    def __init__(self, *, sortable: bool = False, **kwargs) -> None:
        # No padding of DataTable's own (two spaces between columns): each cell brings one space.
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs)
        self.table: Table | None = None
        self.sortable = sortable
        self.sort_column = -1  # an index into the shown columns; -1: the table's own order
        self._shown: list[Column] = []
        self._cells: dict[str, tuple] = {}  # row key -> the cells as drawn, to skip unchanged updates
        self._marked: str | None = None  # the row whose first cell holds the focus mark
        self._widths: dict[str, int] = {}  # each fitted column's width, its space included
        self._drawn_widths: dict[str, int] = {}  # the widths the table was last drawn with

    # Drawing a table -----------------------------------------------------------------------------

    def show(self, table: Table) -> None:
        self.table = table
        columns = self._fitted(table)
        if [c.key for c in columns] != [c.key for c in self._shown] or self._widths != self._drawn_widths \
                or self.sort_column >= 0:
            # A column is as wide as its widest cell: when that changes (a note longer, an interval
            # shorter), the table is drawn again rather than a cell cut or a column left too wide.
            self._rebuild(table, columns)
            return
        keys = {row.key for row in table.rows}
        for row in table.rows:
            cells = self._row_cells(table, row)
            drawn = self._cells.get(row.key)
            if drawn is None:
                self.add_row(Text(" "), *cells, key=row.key)
            elif list(map(_drawn, drawn)) != list(map(_drawn, cells)):
                for column, old, new in zip(self._shown, drawn, cells):
                    if _drawn(old) != _drawn(new):  # its words or its tone (a row decided later)
                        self.update_cell(row.key, column.key, new)
            self._cells[row.key] = cells
        for key in [key for key in self._cells if key not in keys]:
            self.remove_row(key)
            del self._cells[key]
        self._mark()

    def _fitted(self, table: Table) -> list[Column]:
        """The columns that fit (`self._widths` their widths): notes squeezed, then dropped, before
        any figure would be cut (`api.fit_texts`); each cell brings a space of its own."""
        columns = table.shown(SCREEN)
        room = self.scrollable_content_region.width - 1  # the focus mark's column
        texts = [{c.key: table.cell(r, c, SCREEN) for c in columns} for r in table.rows]
        if room <= 0:  # not laid out yet: fitted at the first resize
            room = 10 ** 6
        columns, self._widths = fit_texts(columns, texts, room, gap=0, pad=1, lines=False)
        return columns

    def _row_cells(self, table: Table, row: Row) -> tuple:
        cells = []
        for column in self._shown or table.shown(SCREEN):
            said = table.cell(row, column, SCREEN)
            if column.fold and column.key in self._widths:  # one line: the notes that fit, and how many more
                said = squeeze(said, self._widths[column.key] - 1)
            text = Text(" " + said, style=tones.style(row.tones.get(column.key)))
            if column.align == RIGHT:
                text.justify = "right"
            cells.append(text)
        return tuple(cells)

    def _rebuild(self, table: Table, columns: list[Column]) -> None:
        cursor = self.cursor_row
        self._shown = columns
        self._drawn_widths = dict(self._widths)
        if self.sort_column >= len(columns):
            self.sort_column = -1
        self._cells = {}
        self._marked = None
        self.clear(columns=True)
        self.add_column(Text(" "), key=MARK, width=1)
        for index, column in enumerate(columns):
            label = column.header(SCREEN) + ("▾" if index == self.sort_column else "")
            self.add_column(Text(" " + label, justify="right" if column.align == RIGHT else "left"), key=column.key)
        rows = list(table.rows)
        if self.sort_column >= 0:
            on = columns[self.sort_column]
            rows.sort(key=lambda row: table.sort_key(row, on))
        for row in rows:
            cells = self._row_cells(table, row)
            self.add_row(Text(" "), *cells, key=row.key)
            self._cells[row.key] = cells
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)
        self._mark()

    def on_resize(self) -> None:
        if self.table is None:
            return
        columns = self._fitted(self.table)
        if [c.key for c in columns] != [c.key for c in self._shown] or self._widths != self._drawn_widths:
            self._rebuild(self.table, columns)

    # Sorting ----------------------------------------------------------------------------------------

    def action_cycle_sort(self) -> None:
        if not self.sortable or self.table is None:
            return
        count = len(self._shown)
        self.sort_column = (self.sort_column + 2) % (count + 1) - 1
        self._rebuild(self.table, self._shown)

    def texts(self, row: int) -> dict[str, str]:
        """The cells of the row at `row` (as shown, top to bottom) by column key, as plain text."""
        key, _ = self.coordinate_to_cell_key((row, 0))
        return {column.key: str(self.get_cell(key, column.key)).strip() for column in self._shown}

    # Where the keys go --------------------------------------------------------------------------

    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return key.value

    def _mark(self, focused: bool | None = None) -> None:
        """The focus mark on the cursor's row while the table has the focus; nowhere otherwise."""
        focused = self.has_focus if focused is None else focused
        key = self.cursor_key() if focused else None
        if key == self._marked:
            return
        if self._marked is not None and self._marked in self._cells:
            self.update_cell(self._marked, MARK, Text(" "))
        if key is not None:
            self.update_cell(key, MARK, Text(FOCUS_MARK))
        self._marked = key

    def watch_cursor_coordinate(self, old, new) -> None:
        super().watch_cursor_coordinate(old, new)
        self._mark()

    # The focus changes before `has_focus` says so: each handler says which way it went.
    def on_focus(self) -> None:
        self._mark(focused=True)

    def on_blur(self) -> None:
        self._mark(focused=False)
