"""Step 1: tokens listed live (hot-plug by polling), PIN flags shown before typing, PIN in a modal."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.core.state import Aspect, Change
from tui_ibhxh.ui.screens.base import BaseScreen
from tui_ibhxh.ui.widgets.stepper import Stepper


class TokenScreen(BaseScreen):
    HELP_KEY = "ui.help.token"
    STEP = "token"
    OBSERVES = frozenset({Aspect.TOKENS, Aspect.LOGIN})
    BINDINGS = [
        Binding("enter", "login", "Nhập PIN", id="token.login", priority=True),
        Binding("m", "add_module", "Thêm module", id="token.module"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown = False  # the token list was rendered at least once (before: "loading")

    @property
    def tokens(self) -> list[TokenInfo]:
        return list(self.state.tokens)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Stepper("token", self.lang)
        yield Static(self.tr("ui.token.heading"), classes="heading")
        table: DataTable[str] = DataTable(id="tokens", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(self.tr("ui.loading"), id="token-state", classes="state")
        yield Static("", id="token-flags", classes="warning")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#tokens", DataTable)
        for key in ("label", "maker", "model", "serial", "slot", "pin"):
            table.add_column(self.tr(f"ui.token.col.{key}"), key=key)
        if self.state.tokens_known:
            self.show_tokens()

    def unit_state_changed(self, change: Change) -> None:
        self.show_tokens()
        self.offer_pin_again()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.offer_pin_again()

    def show_tokens(self) -> None:
        self.shown = True
        tokens = self.tokens
        table = self.query_one("#tokens", DataTable)
        current = table.cursor_row
        table.clear()
        for tok in tokens:
            warnings = self.ibhxh.pin_warnings(tok)
            cells = (
                tok.label,
                tok.manufacturer,
                tok.model,
                tok.serial,
                str(tok.slot_id),
                "; ".join(warnings) or self.tr("ui.token.pin_ok"),
            )
            table.add_row(*(Text(c) for c in cells), key=f"{tok.module}|{tok.serial}")  # data, not markup
        if tokens:
            table.move_cursor(row=min(current, len(tokens) - 1))
        state = self.query_one("#token-state", Static)
        state.update(self.tr("ui.token.hint") if tokens else self.tr("ui.token.empty"))
        self.update_flags()

    def offer_pin_again(self) -> None:
        """The token that was logged in came back after a removal: its PIN dialog opens by itself."""
        lost = self.state.token_lost
        if lost is None or self.app.screen is not self or self.state.token is not None:
            return
        back = next((tok for tok in self.tokens if tok.key == lost.key), None)
        if back is not None:
            table = self.query_one("#tokens", DataTable)
            table.move_cursor(row=self.tokens.index(back))
            self.action_login()

    def selected(self) -> TokenInfo | None:
        table = self.query_one("#tokens", DataTable)
        tokens = self.tokens
        if not tokens or table.cursor_row < 0:
            return None
        return tokens[min(table.cursor_row, len(tokens) - 1)]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.update_flags()

    def update_flags(self) -> None:
        token = self.selected()
        text = "\n".join(f"! {w}" for w in self.ibhxh.pin_warnings(token)) if token else ""
        self.query_one("#token-flags", Static).update(text)

    def action_login(self) -> None:
        token = self.selected()
        if token is None:
            self.notify(self.tr("ui.token.empty"), severity="warning")
            return
        if token.pin.locked:
            self.notify(self.tr("flag.locked"), severity="error")
            return
        from tui_ibhxh.ui.screens.pin import PinScreen

        def done(ok: bool | None) -> None:
            if ok:
                from tui_ibhxh.ui.screens.certificates import CertificatesScreen

                self.ibhxh.connected()
                self.app.push_screen(CertificatesScreen())

        self.app.push_screen(PinScreen(token), done)

    def action_add_module(self) -> None:
        from tui_ibhxh.ui.screens.module import ModuleScreen

        self.app.push_screen(ModuleScreen())  # the list picks the new module's tokens up at the next poll
