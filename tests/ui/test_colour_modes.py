"""Every snapshot state stays legible in a 16-colour terminal and with NO_COLOR, and meaning is never colour alone.

The screen is rendered the way the driver would send it: 16 colours = every colour downgraded to the
standard palette (what Rich does for such a terminal), NO_COLOR = Textual's own filter applied. Text whose
foreground and background end up the same (or nearly the same grey) is invisible to the user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

import pytest
from rich.color import ColorSystem
from rich.segment import Segment
from textual.color import Color
from textual.filter import Monochrome, NoColor
from textual.screen import ModalScreen
from textual.strip import Strip

from tests.ui.test_snapshots import STATES, State, backend_for
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.widgets.line_table import LineTable

SIZE = (80, 24)
MIN_GREY_DIFFERENCE = 40  # of 255: below this, text on its background is not readable


def _is_glyph(char: str) -> bool:
    """A character that carries meaning (box drawing and block borders are decoration)."""
    return not char.isspace() and not 0x2500 <= ord(char) <= 0x259F


@dataclass(frozen=True)
class Cell:
    y: int
    x: int
    segment: Segment


class _Update(Protocol):
    strips: list[Iterable[Strip]]  # a line: its strips


def rendered(app: IbhxhApp) -> list[list[Segment]]:
    """The screen as the driver gets it, in segments. Textual's one public way to it is ``export_screenshot``,
    which makes an SVG of this very render (and loses the "default colour" the checks need): so the compositor is
    asked here, the one place a test reads Textual's internals."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens, simplify=True)
    assert update is not None
    return [[seg for strip in line for seg in strip] for line in cast(_Update, update).strips]


def foreground_cells(app: IbhxhApp) -> list[Cell]:
    """Segments with visible text; for a modal, only those inside its dialog (what is behind is dimmed on purpose)."""
    region = None
    if isinstance(app.screen, ModalScreen):
        region = app.screen.children[0].region
    cells = []
    for y, line in enumerate(rendered(app)):
        x = 0
        for seg in line:
            inside = region is None or region.contains(x, y)
            if inside and seg.style is not None and any(_is_glyph(c) for c in seg.text):
                cells.append(Cell(y, x, seg))
            x += seg.cell_length
    return cells


def screen_text(app: IbhxhApp) -> str:
    return "\n".join("".join(seg.text for seg in line) for line in rendered(app))


ANSI_STATES = ("certs", "certs_blocked", "contact_invalid", "pin_wrong", "confirm_error", "history_detail_rejected")
THEMED = [(s, "textual-dark") for s in STATES] + [(s, "ansi-dark") for s in STATES if s.name in ANSI_STATES]


@pytest.mark.parametrize(("state", "theme"), THEMED, ids=lambda v: v if isinstance(v, str) else v.name)
async def test_legible_in_16_colours(state: State, theme: str) -> None:
    """textual-dark downgraded by the terminal, and ansi-dark (the terminal's own palette, `[ui] theme`)."""
    app = IbhxhApp(backend_for(state), animations=False, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await state.steps(pilot)
        assert app.theme == theme
        invisible = []
        for cell in foreground_cells(app):
            style = cell.segment.style
            assert style is not None
            if style.color is None or style.bgcolor is None or style.color.is_default or style.bgcolor.is_default:
                continue  # the terminal's default pair is legible by definition
            fg = style.color.downgrade(ColorSystem.STANDARD)
            bg = style.bgcolor.downgrade(ColorSystem.STANDARD)
            if fg.number == bg.number:
                invisible.append((cell.y, cell.x, cell.segment.text.strip()))
        assert cells_checked(app) and not invisible, invisible


def cells_checked(app: IbhxhApp) -> bool:
    """The check looked at real text (at least a line's worth of characters), not at an empty frame."""
    return sum(sum(_is_glyph(c) for c in cell.segment.text) for cell in foreground_cells(app)) > 20


def _grey(segment: Segment, no_color: Monochrome | NoColor) -> tuple[int, int] | None:
    (filtered,) = no_color.apply([segment], Color(0, 0, 0))
    style = filtered.style
    if style is None or style.color is None or style.bgcolor is None:
        return None
    fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
    assert fg.red == fg.green == fg.blue and bg.red == bg.green == bg.blue, "NO_COLOR left a colour"
    return fg.red, bg.red


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.name)
async def test_legible_with_no_color(state: State, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = IbhxhApp(backend_for(state), animations=False)
    assert app.no_color
    (no_color,) = [f for f in app.get_line_filters() if isinstance(f, Monochrome | NoColor)]
    async with app.run_test(size=SIZE) as pilot:
        await state.steps(pilot)
        unreadable = []
        for cell in foreground_cells(app):
            grey = _grey(cell.segment, no_color)
            if grey is not None and abs(grey[0] - grey[1]) < MIN_GREY_DIFFERENCE:
                unreadable.append((cell.y, cell.x, cell.segment.text.strip(), grey))
        assert cells_checked(app) and not unreadable, unreadable


MARKERS = {
    # state: what tells the user the state without colour
    "certs": ["▶ 2", "✓ 1", "≠ "],
    "certs_blocked": ["✗ "],
    "token_final_try": ["! "],
    "contact_invalid": ["✗ "],
    "history_detail_rejected": ["✗"],
}


@pytest.mark.parametrize("name", sorted(MARKERS))
async def test_states_are_written_not_only_coloured(name: str) -> None:
    (state,) = [s for s in STATES if s.name == name]
    app = IbhxhApp(backend_for(state), animations=False)
    async with app.run_test(size=SIZE) as pilot:
        await state.steps(pilot)
        text = screen_text(app)
    for marker in MARKERS[name]:
        assert marker in text, (marker, text)


async def test_table_cursor_visible_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    (state,) = [s for s in STATES if s.name == "history"]
    app = IbhxhApp(backend_for(state), animations=False)
    (no_color,) = [f for f in app.get_line_filters() if isinstance(f, Monochrome | NoColor)]
    async with app.run_test(size=SIZE) as pilot:
        await state.steps(pilot)
        table = app.screen.query_one(LineTable)
        assert table.row_count >= 2 and table.cursor_row == 0
        lines = rendered(app)
        top = table.content_region.y + 1  # below the header row
        backgrounds = []
        for y in (top, top + 1):
            x, at = 0, table.content_region.x + 2  # inside the first cell (the transaction code)
            for seg in lines[y]:
                if x <= at < x + seg.cell_length:
                    assert seg.text.strip()
                    grey = _grey(seg, no_color)
                    assert grey is not None
                    backgrounds.append(grey[1])
                    break
                x += seg.cell_length
        cursor, other = backgrounds
        assert abs(cursor - other) >= MIN_GREY_DIFFERENCE / 2, backgrounds
