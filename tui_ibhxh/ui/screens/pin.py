"""Masked PIN entry. The login runs in a worker; a wrong PIN keeps the dialog open with the reason.
The PIN lives only in the Input until it is handed to the token; it is cleared right after."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.ui.screens.base import Dialog


class PinScreen(Dialog[bool]):
    DEFAULT_CSS = """
    PinScreen { align: center middle; }
    PinScreen > Vertical { width: 64; max-width: 100%; height: auto; border: thick $accent; padding: 1 2;
                           background: $surface; }
    PinScreen #pin-error { color: $error; height: auto; }

    """
    ACTIONS = ("pin.cancel",)

    def __init__(self, token: TokenInfo) -> None:
        super().__init__()
        self.token = token

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical():
            yield Static(t("ui.pin.title", lang, label=self.token.label), id="pin-title")
            for warning in self.pin_warnings(self.token):
                yield Static(f"! {warning}", classes="warning")
            pin = Input(password=True, placeholder=t("ui.pin.placeholder", lang), id="pin")
            pin.cursor_blink = self.host.animations
            yield pin
            yield Static("", id="pin-error")
            loading = Static("…", id="pin-loading")
            loading.display = False
            yield loading

    def on_input_submitted(self, event: Input.Submitted) -> None:
        pin = event.value
        event.input.value = ""
        if not pin:
            return
        self.query_one("#pin-error", Static).update(self.tr("ui.pin.checking"))
        self.query_one("#pin-loading").display = True
        event.input.disabled = True
        self.login(pin)

    @work(exclusive=True, exit_on_error=False, group="login")
    async def login(self, pin: str) -> None:
        try:
            await self.backend.login(self.token, pin)
        except Exception as exc:  # the dialog stays, with the reason
            self.query_one("#pin-loading").display = False
            self.query_one("#pin-error", Static).update(Text(self.told(exc)))
            field = self.query_one("#pin", Input)
            field.disabled = False
            field.focus()
            return
        finally:
            del pin
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
