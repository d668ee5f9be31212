"""A table whose cost does not grow with its rows: nothing is stored per row, each visible line is drawn on demand
(Textual's Line API) from a callback, in columns of fixed widths decided by the caller from the data's known
shapes. Textual's DataTable measures and sorts on every ``add_row`` (10,000 rows took 1.1 s); History must stay
quick with 100,000 transactions (bench/tui.py).

Keys (the widget's own, like DataTable's, not in the footer): Up/Down, PageUp/PageDown, Home/End (and
Ctrl+Home/Ctrl+End); a mouse click selects the row under it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

GAP = 1  # columns between two cells (and before the first)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # in cells; 0 for the last column: it takes what is left of the line


@dataclass(frozen=True)
class LineRow:
    """What one row shows: its cells (plain text, never markup) and whether it stands out (bold)."""

    cells: tuple[str, ...]
    bold: bool = False


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(0, width - 1)) + "…" if width else ""


class LineTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LineTable { background: $surface; color: $foreground; height: 1fr; overflow-x: hidden; }
    LineTable > .line-table--header { text-style: bold; background: $panel; color: $foreground; }
    LineTable:ansi > .line-table--header { background: ansi_bright_blue; color: ansi_default; }
    LineTable > .line-table--even-row { background: $surface-lighten-1 50%; }
    LineTable:dark > .line-table--even-row { background: $surface-darken-1 40%; }
    LineTable > .line-table--cursor {
        background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    LineTable:focus > .line-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: $block-cursor-text-style;
    }
    """
    COMPONENT_CLASSES = {"line-table--header", "line-table--even-row", "line-table--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home,ctrl+home", "first", show=False),
        Binding("end,ctrl+end", "last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=False)

    class Highlighted(Message):
        """The cursor moved to ``row`` (or the rows under it changed)."""

        def __init__(self, table: LineTable, row: int) -> None:
            super().__init__()
            self.table, self.row = table, row

        @property
        def control(self) -> LineTable:
            return self.table

    class Scrolled(Message):
        """The lines shown changed (wheel, scrollbar): ``last_visible_row`` moved."""

        def __init__(self, table: LineTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(self, row: Callable[[int], LineRow], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._row = row
        self._count = 0
        self.columns: tuple[Column, ...] = ()

    # -- data ---------------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return self._count

    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._resize()

    def set_rows(self, count: int, cursor: int | None = None) -> None:
        """The rows are now ``count`` (read through the callback when drawn); the cursor stays where it was
        (or goes to ``cursor``), inside the rows."""
        self._count = count
        self._resize()
        wanted = self.cursor_row if cursor is None else cursor
        self.set_reactive(LineTable.cursor_row, max(0, min(wanted, count - 1)))
        self._show_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_row))

    def refresh_row(self, index: int) -> None:
        """Draw one row again (its data changed): one line, whatever the number of rows."""
        self.refresh_line(index + 1)  # below the header

    def get_row_at(self, index: int) -> tuple[str, ...]:
        return self._row(index).cells

    def get_cell(self, index: int, key: str) -> str:
        column = next(i for i, c in enumerate(self.columns) if c.key == key)
        return self._row(index).cells[column]

    # -- geometry -------------------------------------------------------------------------------------
    def _fixed_width(self) -> int:
        return sum(c.width + GAP for c in self.columns)

    def _resize(self) -> None:
        self.virtual_size = Size(self._fixed_width(), self._count + 1)  # scrolls sideways only to show a fixed one

    def widths(self) -> list[int]:
        """The columns' widths on this line: the last one (width 0) takes the rest."""
        rest = max(0, self.scrollable_content_region.width - self._fixed_width() - GAP)
        return [c.width or rest for c in self.columns]

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # lines below the header

    @property
    def page_rows(self) -> int:
        """How many rows one screenful shows."""
        return self._page

    @property
    def last_visible_row(self) -> int:
        return round(self.scroll_y) + self._page - 1

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(self.Scrolled(self))

    # -- drawing --------------------------------------------------------------------------------------
    def _line(self, cells: Sequence[str], widths: Sequence[int]) -> str:
        pad = " " * GAP
        return pad + pad.join(fit(cell, w) for cell, w in zip(cells, widths, strict=False)) + pad

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        widths = self.widths()
        if y == 0:
            text = self._line([c.label for c in self.columns], widths)
            style = base + self.get_component_rich_style("line-table--header")
        else:
            index = scroll_y + y - 1
            if index >= self._count:
                return Strip.blank(width, base)
            row = self._row(index)
            text = self._line(row.cells, widths)
            style = base
            if index % 2:
                style += self.get_component_rich_style("line-table--even-row")
            if row.bold:
                style += Style(bold=True)
            if index == self.cursor_row:
                style += self.get_component_rich_style("line-table--cursor")
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, style)

    # -- the cursor -----------------------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_row(old)
        self.refresh_row(new)
        self._show_cursor()
        self.post_message(self.Highlighted(self, new))

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, self._count - 1))

    def _show_cursor(self) -> None:
        """Scroll just enough for the cursor's row to be seen below the header."""
        row, top, page = self.cursor_row, round(self.scroll_y), self._page
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + page:
            self.scroll_to(y=row - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= self._page

    def action_page_down(self) -> None:
        self.cursor_row += self._page

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = self._count - 1

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1 and self._count:
            self.cursor_row = round(self.scroll_y) + offset.y - 1

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()  # the cursor's colours differ with focus

    def on_blur(self, event: events.Blur) -> None:
        self.refresh()
