"""Nothing important is cut at 80×24: the unit's code in the title, every key the footer shows, every status word.

``FITS`` lists the states to check (snapshot states: tests/ui/test_snapshots.py) with the words each must show whole
besides the title and the footer; a screen joins by listing its states here (History: its own entries)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from textual.widgets import DataTable

from tests.ui.fake_backend import UNIT, FakeBackend
from tests.ui.test_colour_modes import screen_text
from tests.ui.test_snapshots import STATES, backend_for
from tests.ui.until import settled
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.models import Unit
from tui_ibhxh.ui.actions import ACTIONS
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.screens.base import BaseScreen
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.token import TokenScreen
from tui_ibhxh.ui.widgets.footer import KeyFooter
from tui_ibhxh.ui.widgets.line_table import LineTable

SIZE = (80, 24)
Words = Callable[[IbhxhApp, str], list[str]]  # (the app, the screen's text) -> what must read whole


def below(app: IbhxhApp) -> BaseScreen:
    """The full screen (the one under a dialog): its title and footer are what the user reads."""
    screen = next(s for s in reversed(app.screen_stack) if isinstance(s, BaseScreen))
    return screen


def nothing_more(app: IbhxhApp, text: str) -> list[str]:
    return []


def pin_states(app: IbhxhApp, text: str) -> list[str]:
    screen = below(app)
    assert isinstance(screen, TokenScreen)
    return [screen.pin_state(token) for token in screen.tokens]


def cert_states(app: IbhxhApp, text: str) -> list[str]:
    """The status of every row (the table shows them all at 80×24) and the selected one's problems."""
    screen = below(app)
    assert isinstance(screen, CertificatesScreen)
    table = screen.query_one("#choices", DataTable)
    assert table.row_count == len(screen.choices)
    return [screen.state_text(choice) for choice in screen.choices]


def serials(app: IbhxhApp, text: str) -> list[str]:
    """The serial numbers before and after, read down their columns (a serial wraps in its cell, never cut)."""
    screen = below(app)
    assert isinstance(screen, ConfirmScreen)
    reg = screen.state.registration
    assert reg is not None
    return [reg.certificate.serial, screen.choice.cert.info.serial]


def columns(text: str) -> str:
    """Each column of the box-drawn tables read top to bottom, without spaces (wrapped cells joined)."""
    rows = [line.split("│") for line in text.splitlines() if line.count("│") >= 3]
    width = max((len(r) for r in rows), default=0)
    return "\n".join("".join(r[i].replace(" ", "") for r in rows if len(r) > i) for i in range(width))


def history_states(app: IbhxhApp, text: str) -> list[str]:
    """The code, date and status of every row on screen (the error code may be cut: the detail shows it whole)."""
    screen = below(app)
    assert isinstance(screen, HistoryScreen)
    table = screen.query_one("#history", LineTable)
    first = table.scroll_offset.y
    shown = range(first, min(len(screen.rows), first + table.page_rows))
    return [cell for i in shown for cell in screen.row_cells(screen.rows[i]).cells[:3]]


@dataclass(frozen=True)
class Fit:
    state: str  # a snapshot state
    words: Words = nothing_more


FITS = [
    Fit("token_list", pin_states),
    Fit("token_final_try", pin_states),
    Fit("token_forwarded", pin_states),
    Fit("token_empty"),
    Fit("pin_modal"),
    Fit("pin_wrong"),
    Fit("change_pin_modal"),
    Fit("module_modal"),
    Fit("help"),
    Fit("certs", cert_states),
    Fit("certs_blocked", cert_states),
    Fit("certs_revoked", cert_states),
    Fit("certs_personal", cert_states),
    Fit("certs_checking", cert_states),
    Fit("certs_revocation_unknown", cert_states),
    Fit("certs_key_too_weak", cert_states),
    Fit("certs_after_accept", cert_states),
    Fit("contact"),
    Fit("contact_invalid"),
    Fit("confirm", serials),
    Fit("confirm_success", serials),
    Fit("confirm_error", serials),
    Fit("confirm_progress", serials),
    Fit("confirm_pending"),
    Fit("confirm_older"),
    Fit("confirm_save_file"),
    Fit("token_removed", pin_states),
    # History (ui/screens/history.py)
    Fit("history", history_states),
    Fit("history_empty"),
    Fit("history_detail_rejected", history_states),
    Fit("history_filter", history_states),
    Fit("history_filter_none"),
    Fit("history_many_end", history_states),
    Fit("history_export_dialog"),
    Fit("history_receipt_dialog"),
    Fit("history_live_accepted", history_states),
    Fit("history_polling", history_states),
    Fit("history_pending", history_states),
    Fit("history_unreachable"),
]


@pytest.mark.parametrize("fit", FITS, ids=lambda f: f.state)
async def test_nothing_important_is_cut_at_80x24(fit: Fit) -> None:
    (state,) = [s for s in STATES if s.name == fit.state]
    app = IbhxhApp(backend_for(state), animations=False)
    async with app.run_test(size=SIZE) as pilot:
        await state.steps(pilot)
        await settled(pilot)
        text = screen_text(app)
        lines = text.splitlines()
        assert f"({UNIT.ma_dvi})" in lines[0], lines[0]  # the unit's code, whole, in the title
        screen = below(app)
        footer = screen.query_one(KeyFooter)
        shown = footer.shown_ids
        assert shown, "the footer shows keys"
        assert any(ACTIONS[i].rank == 1 for i in shown)
        for binding_id in shown:
            description = t(ACTIONS[binding_id].description, "vi")
            assert f"{app.key(binding_id)} {description}" in lines[-1], (binding_id, lines[-1])
        assert t("ui.key.palette", "vi") in lines[-1]
        words = fit.words(app, text)
        readable = text + "\n" + columns(text)
        for word in words:
            assert word in readable, (word, text)


async def test_the_unit_code_stays_when_the_name_is_long() -> None:
    """A long name is shortened, the code never."""

    class LongName(FakeBackend):
        @property
        def unit(self) -> Unit:
            name = "Công ty Cổ phần Thương mại Dịch vụ Xuất nhập khẩu Hoàng Gia Việt Nam"
            return replace(UNIT, ten_dvi=name, ma_dvi="YN9876Z")

    app = IbhxhApp(LongName(), animations=False)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        title = screen_text(app).splitlines()[0]
        assert "(YN9876Z)" in title and "Công ty Cổ phần" in title and "…" in title
        await pilot.resize_terminal(120, 40)
        await settled(pilot)
        assert "(YN9876Z)" in screen_text(app).splitlines()[0]


async def test_below_the_minimum_size_the_screen_says_what_it_needs() -> None:
    (state,) = [s for s in STATES if s.name == "certs"]
    app = IbhxhApp(backend_for(state), animations=False)
    async with app.run_test(size=(70, 20)) as pilot:
        await state.steps(pilot)
        text = " ".join(screen_text(app).split())
        assert "70×20" in text and "80×24" in text
        assert "Tình trạng" not in text  # not a table with its columns dropped
        await pilot.resize_terminal(80, 24)
        await settled(pilot)
        text = screen_text(app)
        assert "Tình trạng" in text and "80×24" not in text


async def test_the_certificates_problems_are_in_view_and_the_detail_scrolls() -> None:
    """At 80×24 the selected certificate's reasons show under the list without moving the focus; Tab then
    PageDown scrolls the detail."""
    (state,) = [s for s in STATES if s.name == "certs_personal"]
    backend = backend_for(state)
    app = IbhxhApp(backend, animations=False)
    async with app.run_test(size=SIZE) as pilot:
        await state.steps(pilot)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        choice = next(c for c in screen.choices if "cá nhân" in c.cert.label)
        reasons = [backend.problem_text(p, choice.cert.info) for p in choice.problems]
        text = " ".join(screen_text(app).split())
        for reason in reasons:
            assert " ".join(reason.split()) in text
        detail = screen.query_one("#certs-detail")
        await pilot.press("tab")
        assert app.focused is detail
        assert detail.max_scroll_y > 0
        await pilot.press("pagedown")
        await settled(pilot)
        assert detail.scroll_y > 0
        await pilot.press("pageup")
        await settled(pilot)
        assert detail.scroll_y == 0


async def test_serials_are_whole_in_the_certificates_panels_side_by_side() -> None:
    """At 100 columns the two panels sit side by side, each narrower than a serial: it wraps, never cut."""
    (state,) = [s for s in STATES if s.name == "certs"]
    app = IbhxhApp(backend_for(state), animations=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await state.steps(pilot)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        chosen = screen.selected()
        reg = screen.state.registration
        assert chosen is not None and reg is not None
        readable = columns(screen_text(app))
        assert reg.certificate.serial in readable and chosen.cert.info.serial in readable
