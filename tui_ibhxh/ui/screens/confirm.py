"""Step 4: before → after, XML preview, "Nộp" with visible progress (sign → verify → journal → send)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tui_ibhxh.core.i18n import fmt_date
from tui_ibhxh.core.models import Contact
from tui_ibhxh.core.validation import CONTACT_FIELDS
from tui_ibhxh.services.workflow import CertChoice, Step
from tui_ibhxh.ui.screens.base import BaseScreen, error_text
from tui_ibhxh.ui.widgets.stepper import Stepper

PROGRESS_STEPS = (Step.BUILD, Step.SIGN, Step.VERIFY, Step.JOURNAL, Step.SEND)


class ConfirmScreen(BaseScreen):
    HELP_KEY = "ui.help.confirm"
    STEP = "confirm"
    BINDINGS = [
        Binding("f5", "submit", "Nộp", id="confirm.submit"),
        Binding("f6", "preview", "Xem XML", id="confirm.preview"),
        Binding("escape", "back", "Quay lại", id="wizard.back"),
    ]

    def __init__(self, choice: CertChoice, contact: Contact) -> None:
        super().__init__()
        self.choice = choice
        self.contact = contact
        self.done_steps: list[Step] = []
        self.sending = False
        self.sent = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Stepper("confirm", self.lang)
        yield Static(self.tr("ui.confirm.heading"), classes="heading")
        with VerticalScroll(id="confirm-body"):
            yield Static(self.summary(), id="summary")
            preview = Static("", id="preview")
            preview.display = False
            yield preview
        yield Static(self.tr("ui.confirm.ready"), id="progress", classes="state")
        yield Footer()

    def summary(self) -> Table:
        reg = self.backend.registration
        info = self.choice.cert.info
        table = Table(expand=True, show_lines=False)
        table.add_column("", style="bold", no_wrap=True)
        table.add_column(self.tr("ui.confirm.before"), ratio=1)
        table.add_column(self.tr("ui.confirm.after"), ratio=1)
        before = {}
        if reg is not None:
            c = reg.certificate
            before = {
                "serial": c.serial,
                "subject": c.subject,
                "validity": f"{fmt_date(c.not_before)} → {fmt_date(c.not_after)}",
                **{n: getattr(reg.contact, n) for n in CONTACT_FIELDS},
            }
        after = {
            "serial": info.serial,
            "subject": info.subject,
            "validity": f"{fmt_date(info.not_before)} → {fmt_date(info.not_after)}",
            **{n: getattr(self.contact, n) for n in CONTACT_FIELDS},
        }
        labels = {
            "serial": "ui.field.serial",
            "subject": "ui.field.subject",
            "validity": "ui.field.validity",
            **{n: f"field.{n}" for n in CONTACT_FIELDS},
        }
        for key, label in labels.items():
            changed = before.get(key) != after[key]
            table.add_row(
                ("* " if changed else "  ") + self.tr(label),
                before.get(key, "—"),
                Text(after[key], style="bold" if changed else ""),
            )
        return table

    def progress_text(self, current: Step | None, failed: bool = False) -> Text:
        text = Text()
        for step in PROGRESS_STEPS:
            label = self.tr(f"ui.step.{step}")
            if step in self.done_steps and step != current:
                text.append(f"✓ {label}  ")
            elif step == current:
                text.append(f"{'✗' if failed else '…'} {label}  ", style="bold")
            else:
                text.append(f"· {label}  ", style="dim")
        return text

    def action_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        if not preview.display:
            xml = self.backend.preview(self.choice, self.contact).decode("utf-8")
            preview.update(Text(xml.replace("><", ">\n<")))
        preview.display = not preview.display

    def action_submit(self) -> None:
        if self.sending or self.sent:
            return
        self.sending = True
        self.submit()

    @work(exclusive=True, exit_on_error=False, group="submit")
    async def submit(self) -> None:
        progress = self.query_one("#progress", Static)
        current: list[Step] = []

        def on_step(step: Step) -> None:
            if current:
                self.done_steps.append(current[-1])
            current.append(step)
            if step is not Step.DONE:
                progress.update(self.progress_text(step))

        try:
            tx = await self.backend.submit(self.choice, self.contact, on_step)
        except Exception as exc:
            self.sending = False
            failed = current[-1] if current else None
            text = self.progress_text(failed, failed=True)
            text.append("\n" + error_text(exc, self.lang), style="bold")
            progress.update(text)
            self.show_error(exc)
            return
        self.sending = False
        self.sent = True
        self.ibhxh.wizard_done = 4  # every step of the procedure is behind the user
        progress.update(Text(self.tr("ui.confirm.done", ma_gdich=tx.ma_gdich, so_hso=tx.so_hso), style="bold"))

    def action_back(self) -> None:
        if not self.sending:
            self.app.pop_screen()
