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
from tui_ibhxh.core.state import Aspect, Change
from tui_ibhxh.core.validation import CONTACT_FIELDS
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.services.journal import DossierPending, EntryState
from tui_ibhxh.services.workflow import CertChoice, Step
from tui_ibhxh.ui.screens.base import BaseScreen
from tui_ibhxh.ui.screens.pending import ConfirmDialog
from tui_ibhxh.ui.widgets.stepper import Stepper

PROGRESS_STEPS = (Step.BUILD, Step.SIGN, Step.VERIFY, Step.JOURNAL, Step.SEND)


class ConfirmScreen(BaseScreen):
    HELP_KEY = "ui.help.confirm"
    STEP = "confirm"
    OBSERVES = frozenset({Aspect.REGISTRATION})
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
            yield Static(self.warnings(), id="confirm-warnings", classes="warning")
            preview = Static("", id="preview")
            preview.display = False
            yield preview
        yield Static(self.tr("ui.confirm.ready"), id="progress", classes="state")
        yield Footer()

    def unit_state_changed(self, change: Change) -> None:
        """The registration on record changed (e.g. an earlier change was accepted): the "before" column and the
        preview follow, and the certificate is checked against it again."""
        self.choice = self.backend.recheck(self.choice)
        self.query_one("#summary", Static).update(self.summary())
        self.query_one("#confirm-warnings", Static).update(self.warnings())
        preview = self.query_one("#preview", Static)
        if preview.display:
            preview.update(self.preview_text())

    def warnings(self) -> Text:
        """What the user should see before signing (expiring soon, older than the registered one)."""
        info = self.choice.cert.info
        lines = [f"! {self.backend.problem_text(p, info)}" for p in self.choice.problems if not p.blocking]
        return Text("\n".join(lines))

    def summary(self) -> Table:
        reg = self.state.registration
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

    def preview_text(self) -> Text:
        """Exactly the XML F5 signs (its request key included), with a line break between elements for reading;
        the signed bytes themselves are never reformatted."""
        xml = self.backend.preview(self.choice, self.contact).decode("utf-8")
        return Text(xml.replace("><", ">\n<"))

    def action_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        if not preview.display:
            preview.update(self.preview_text())
        preview.display = not preview.display

    def action_submit(self) -> None:
        if self.sending or self.sent:
            return
        if self.state.pending is not None:
            self.ibhxh.offer_pending()  # a dossier in the way: re-send or discard it first
            return
        older = self.choice.older
        draft = self.state.draft
        if older is not None and not (draft is not None and draft.older_acknowledged):
            self.ask_older(older.detail)
            return
        self.sending = True
        self.submit()

    def ask_older(self, registered_until: str) -> None:
        """Registering a certificate that expires before the one on record needs an explicit yes."""
        info = self.choice.cert.info
        title = self.tr("ui.older.title")
        text = self.tr("ui.older.text", serial=info.serial, date=fmt_date(info.not_after), registered=registered_until)

        def answered(yes: bool | None) -> None:
            if yes:
                self.backend.update_draft(cert_serial=info.serial, older_acknowledged=True)
                self.action_submit()

        self.app.push_screen(ConfirmDialog(title, text), answered)

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
        except DossierPending as exc:  # recorded meanwhile (another session): the same choice as F5 offers
            self.sending = False
            progress.update(Text(error_text(exc, self.lang), style="bold"))
            if exc.entry.state is EntryState.SIGNED:
                self.ibhxh.offer_pending()
            return
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
