"""Step 1: tokens listed live (hot-plug by polling), PIN flags shown before typing, PIN in a modal. A token
forwarded over SSH from the user's own machine is marked ⇄; why a module shows nothing (pcscd not running, no
token forwarded) is said under the list; p changes the selected token's PIN."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.core.state import Aspect, Change
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.ui.actions import APP_ACTIONS, localized
from tui_ibhxh.ui.screens.base import Answers, StepScreen

# the dialogs (PIN, change PIN, module) are imported when opened: not needed to show the list (bench/startup.py)

# the PIN's state right after the label: the column a narrow terminal must never cut (the slot number, a PKCS#11
# detail, is not shown)
COLUMNS = ("label", "pin", "serial", "maker", "model")


class TokenScreen(StepScreen):
    HELP_KEY = "ui.help.token"
    STEP = "token"
    OBSERVES = frozenset({Aspect.TOKENS, Aspect.LOGIN})
    ACTIONS = ("token.login", "token.module", "token.change_pin", *APP_ACTIONS)

    def __init__(self, answers: Answers) -> None:
        super().__init__(answers)
        self.shown: tuple[TokenInfo, ...] | None = None  # the token list as drawn (None: still "loading")

    @property
    def tokens(self) -> list[TokenInfo]:
        return list(self.state.tokens)

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.stepper()
        yield Static(self.tr("ui.token.heading"), classes="heading")
        table: DataTable[Text] = DataTable(id="tokens", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(self.tr("ui.loading"), id="token-state", classes="state")
        yield Static("", id="token-flags", classes="warning")
        yield Static("", id="token-notices", classes="warning")
        yield self.footer()

    def on_mount(self) -> None:
        table = self.query_one("#tokens", DataTable)
        for key in COLUMNS:
            table.add_column(Text(self.tr(f"ui.token.col.{key}")), key=key)
        if self.state.tokens_known:
            self.show_tokens()

    def unit_state_changed(self, change: Change) -> None:
        self.show_tokens()
        self.offer_pin_again()

    def on_screen_resume(self) -> None:  # (Textual calls StepScreen's too: handlers run along the MRO)
        self.offer_pin_again()

    def show_tokens(self) -> None:
        tokens = self.tokens
        table = self.query_one("#tokens", DataTable)
        if self.shown != self.state.tokens:  # redrawn only when it changed (a redraw resets the column widths)
            self.draw_rows(table, tokens)
        state = self.query_one("#token-state", Static)
        state.update(Text(self.hint("ui.token.hint") if tokens else self.hint("ui.token.empty")))
        notices = [error_text(n, self.lang) for n in self.state.token_notices]
        self.query_one("#token-notices", Static).update(Text("\n".join(f"! {n}" for n in notices)))
        self.update_flags()

    def draw_rows(self, table: DataTable[Text], tokens: list[TokenInfo]) -> None:
        """The rows, with columns as wide as their widest cell: fixed widths, because rows drawn before the table's
        first idle keep auto-sized columns at the width of their headings (a Textual render cache)."""
        self.shown = tuple(tokens)
        current = table.cursor_row
        rows = [
            (
                f"⇄ {tok.label}" if tok.forwarded else tok.label,
                self.pin_state(tok),
                tok.serial,
                tok.manufacturer,
                tok.model,
            )
            for tok in tokens
        ]
        table.clear(columns=True)
        for i, key in enumerate(COLUMNS):
            heading = self.tr(f"ui.token.col.{key}")
            width = max([cell_len(heading), *(cell_len(row[i]) for row in rows)])
            table.add_column(Text(heading), key=key, width=width)
        for tok, cells in zip(tokens, rows, strict=True):
            table.add_row(*(Text(c) for c in cells), key=f"{tok.module}|{tok.serial}")  # data, not markup
        if tokens and current > 0:
            table.move_cursor(row=min(current, len(tokens) - 1))

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
        lines = [f"! {w}" for w in self.pin_warnings(token)]
        if token is not None and token.forwarded:
            lines.insert(0, f"⇄ {self.tr('ui.token.forwarded')}")
        self.query_one("#token-flags", Static).update("\n".join(lines))

    def usable_token(self) -> TokenInfo | None:
        """The selected token when its PIN can be typed; otherwise None, and why is said."""
        token = self.selected()
        if token is None:
            self.notify(self.tr("ui.token.empty"), severity="warning")
        elif token.pin.locked:
            self.notify(self.tr("token.pin_locked"), severity="error")
        else:
            return token
        return None

    def action_login(self) -> None:
        token = self.usable_token()
        if token is None:
            return

        from tui_ibhxh.ui.screens.pin import PinScreen

        def done(ok: bool | None) -> None:
            if ok:
                self.host.connected()
                self.step_done(self.answers)

        self.app.push_screen(localized(PinScreen, self.lang)(token), done)

    def action_change_pin(self) -> None:
        token = self.usable_token()
        if token is None:
            return

        from tui_ibhxh.ui.screens.change_pin import ChangePinScreen

        def done(after: TokenInfo | None) -> None:
            if after is not None:
                state = self.pin_state(after)
                self.notify(self.tr("ui.change_pin.done", label=after.label, state=state), markup=False, timeout=10)

        self.app.push_screen(localized(ChangePinScreen, self.lang)(token), done)

    def action_add_module(self) -> None:
        from tui_ibhxh.ui.screens.module import ModuleScreen

        # the list picks the new module's tokens up at the next poll
        self.app.push_screen(localized(ModuleScreen, self.lang)())
