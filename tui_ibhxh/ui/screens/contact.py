"""Step 3: contact details, prefilled from the registration, validated as you type."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Label, Static

from tui_ibhxh.core.models import Contact
from tui_ibhxh.core.state import Aspect, Change
from tui_ibhxh.core.validation import CONTACT_FIELDS, check_field
from tui_ibhxh.ui.actions import APP_ACTIONS
from tui_ibhxh.ui.screens.base import StepScreen


class ContactScreen(StepScreen):
    HELP_KEY = "ui.help.contact"
    STEP = "contact"
    OBSERVES = frozenset({Aspect.REGISTRATION, Aspect.DRAFT})
    ACTIONS = ("contact.next", "wizard.back", *APP_ACTIONS)

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.stepper()
        yield Static(self.tr("ui.contact.heading"), classes="heading")
        signer = self.backend.unit.nguoi_ky
        line = self.tr("ui.contact.signer", name=signer) if signer else self.tr("ui.contact.signer_missing")
        yield Static(line, id="contact-signer", classes="state", markup=False)
        current = self.backend.default_contact()
        with VerticalScroll(id="contact-form"):
            for name in CONTACT_FIELDS:
                yield Label(self.tr(f"field.{name}"))
                # no select-all on focus: End then Backspace deletes one character, not the whole field
                field = Input(value=getattr(current, name), id=f"f-{name}", select_on_focus=False)
                field.cursor_blink = self.host.animations
                yield field
                yield Static("", id=f"e-{name}", classes="field-error")
        yield self.footer()

    def on_mount(self) -> None:
        for name in CONTACT_FIELDS:
            self.validate_field(name)
        self.query_one(f"#f-{CONTACT_FIELDS[0]}", Input).focus()  # typing starts in the first field

    def unit_state_changed(self, change: Change) -> None:
        """What BHXH now has (after an accepted change, the draft is gone) or a draft restored: the fields follow
        unless they already say the same."""
        current = self.backend.default_contact()
        if current != self.contact():
            for name in CONTACT_FIELDS:
                self.query_one(f"#f-{name}", Input).value = getattr(current, name)

    def validate_field(self, name: str) -> bool:
        value = self.query_one(f"#f-{name}", Input).value
        error = check_field(name, value)
        self.query_one(f"#e-{name}", Static).update(Text(f"✗ {error.message(self.lang)}" if error else ""))
        return error is None

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("f-"):
            self.validate_field(event.input.id.removeprefix("f-"))
            if self.contact() != self.backend.default_contact():
                self.backend.update_draft(contact=self.contact())  # kept across a token removal

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def contact(self) -> Contact:
        values = {name: self.query_one(f"#f-{name}", Input).value for name in CONTACT_FIELDS}
        return Contact(**values)

    def action_next(self) -> None:
        if not all([self.validate_field(name) for name in CONTACT_FIELDS]):
            self.notify(self.tr("ui.contact.invalid"), severity="error")
            return
        self.step_done(replace(self.answers, contact=self.contact()))

    def action_back(self) -> None:
        self.app.pop_screen()
