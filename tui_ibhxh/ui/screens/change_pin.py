"""``p`` on the Token screen: change the token's user PIN (current PIN, then the new one twice), as every vendor
tool offers. The length rule is the token's own. The PINs live only in the three masked fields until they are
handed to the token, and are cleared at once; a refusal keeps the dialog open with the reason."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.core.validation import PinRule
from tui_ibhxh.ui.screens.base import Dialog

FIELDS = ("old", "new", "again")


class ChangePinScreen(Dialog[TokenInfo | None]):
    """Dismissed with the token as it is after the change (its PIN flags), or None when cancelled."""

    DEFAULT_CSS = """
    ChangePinScreen { align: center middle; }
    ChangePinScreen > Vertical { width: 64; max-width: 100%; height: auto; max-height: 100%;
                                 border: thick $accent; padding: 1 2; background: $surface; }
    ChangePinScreen #change-pin-error { color: $error; height: auto; }
    """
    ACTIONS = ("change_pin.cancel",)

    def __init__(self, token: TokenInfo) -> None:
        super().__init__()
        self.token = token

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.tr("ui.change_pin.title", label=self.token.label), classes="heading")
            for warning in self.pin_warnings(self.token):
                yield Static(f"! {warning}", classes="warning")
            yield Static(self.tr("ui.loading"), id="change-pin-rule")
            for name in FIELDS:
                field = Input(password=True, placeholder=self.tr(f"ui.change_pin.{name}"), id=f"change-pin-{name}")
                field.cursor_blink = self.host.animations
                yield field
            yield Static("", id="change-pin-error")

    def on_mount(self) -> None:
        self.load_rule()

    @work(exclusive=True, exit_on_error=False, group="pin-rule")
    async def load_rule(self) -> None:
        try:
            rule = await self.backend.pin_rule(self.token)
        except Exception as exc:
            self.told(exc)
            rule = PinRule()  # the usual 6–8; the token still has the last word
        self.query_one("#change-pin-rule", Static).update(rule.text(self.lang))

    def fields(self) -> list[Input]:
        return [self.query_one(f"#change-pin-{name}", Input) for name in FIELDS]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        fields = self.fields()
        empty = next((f for f in fields if not f.value), None)
        if empty is not None:  # Enter moves on to the next field still to fill
            empty.focus()
            return
        pins = [f.value for f in fields]
        for field in fields:
            field.value = ""
            field.disabled = True
        self.query_one("#change-pin-error", Static).update(self.tr("ui.change_pin.checking"))
        self.change(*pins)

    @work(exclusive=True, exit_on_error=False, group="change-pin")
    async def change(self, old: str, new: str, again: str) -> None:
        try:
            after = await self.backend.change_pin(self.token, old, new, again)
        except Exception as exc:  # the dialog stays, with the reason
            self.query_one("#change-pin-error", Static).update(Text(self.told(exc)))
            fields = self.fields()
            for field in fields:
                field.disabled = False
            fields[0].focus()
            return
        finally:
            del old, new, again
        self.dismiss(after)

    def action_cancel(self) -> None:
        self.dismiss(None)
