"""Step 4: before → after, XML preview, "Nộp" with visible progress (sign → verify → journal → send)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from rich.console import OverflowMethod
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from tui_ibhxh.core.envelope import TEN_FILE_05
from tui_ibhxh.core.i18n import fmt_date
from tui_ibhxh.core.state import Aspect, Change
from tui_ibhxh.core.validation import CONTACT_FIELDS
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.services.journal import DossierPending, EntryState
from tui_ibhxh.services.report import change_summary
from tui_ibhxh.services.workflow import CertChoice, Step
from tui_ibhxh.ui.actions import APP_ACTIONS, localized
from tui_ibhxh.ui.screens.base import Answers, StepScreen
from tui_ibhxh.ui.screens.pending import ConfirmDialog
from tui_ibhxh.ui.screens.save_path import SavePathDialog
from tui_ibhxh.ui.widgets.cert_panel import CHANGED

PROGRESS_STEPS = (Step.BUILD, Step.SIGN, Step.VERIFY, Step.JOURNAL, Step.SEND)
NOI_DUNG = re.compile(r"<NoiDungFile>[^<]*</NoiDungFile>")


class ConfirmScreen(StepScreen):
    HELP_KEY = "ui.help.confirm"
    STEP = "confirm"
    OBSERVES = frozenset({Aspect.REGISTRATION})
    ACTIONS = ("confirm.submit", "confirm.preview", "confirm.save_file", "wizard.back", *APP_ACTIONS)

    def __init__(self, answers: Answers) -> None:
        super().__init__(answers)
        if answers.choice is None or answers.contact is None:
            raise ValueError("the confirm step comes after a certificate and the contact details are chosen")
        self.choice: CertChoice = answers.choice  # checked again whenever the registration changes
        self.contact = answers.contact
        self.done_steps: list[Step] = []
        self.sending = False
        self.sent = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.stepper()
        yield Static(self.tr("ui.confirm.heading"), classes="heading")
        with VerticalScroll(id="confirm-body"):
            yield Static(self.summary(), id="summary")
            yield Static(self.warnings(), id="confirm-warnings", classes="warning")
            preview = Static("", id="preview")
            preview.display = False
            yield preview
        yield Static(Text(self.hint("ui.confirm.ready")), id="progress", classes="state")
        yield self.footer()

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
        table = Table(expand=True, show_lines=False)
        table.add_column("", style="bold", no_wrap=True)
        table.add_column(self.tr("ui.confirm.before"), ratio=1)
        table.add_column(self.tr("ui.confirm.after"), ratio=1)
        labels = {"serial": "ui.field.serial", "subject": "ui.field.subject", "validity": "ui.field.validity"}
        rows = change_summary(
            self.state.registration,
            self.choice.cert.info,
            self.contact,
            fields=(*labels, *CONTACT_FIELDS),
            range_sep=" → ",
        )
        for row in rows:
            # a serial is read whole: it wraps inside its cell rather than being cut
            fold: OverflowMethod | None = "fold" if row.field == "serial" else None
            table.add_row(
                (f"{CHANGED} " if row.changed else "  ") + self.tr(labels.get(row.field, f"field.{row.field}")),
                Text("—" if row.before is None else row.before, overflow=fold),
                Text(row.after, style="bold" if row.changed else "", overflow=fold),
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
        """Exactly what F5 signs: the form (its request key included) and the envelope that carries it, with a
        line break between elements for reading (the signed bytes themselves are never reformatted)."""
        preview = self.backend.preview(self.choice, self.contact)
        form = preview.form.decode("utf-8").replace("><", ">\n<")
        carried = self.tr("ui.confirm.carried", file=TEN_FILE_05)
        envelope = NOI_DUNG.sub(f"<NoiDungFile>{carried}</NoiDungFile>", preview.envelope.decode("utf-8"))
        text = Text(self.tr("ui.confirm.preview_form", file=TEN_FILE_05) + "\n", style="bold")
        text.append(form + "\n\n")
        text.append(self.tr("ui.confirm.preview_envelope") + "\n", style="bold")
        text.append(envelope.replace("><", ">\n<"))
        return text

    #: what F5 and its neighbours do no longer applies once the dossier is sent: the footer then offers what does
    #: (History, F3)
    DONE_WITH = frozenset({"submit", "preview", "save_file"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.sent and action in self.DONE_WITH)

    def key_rank(self, binding_id: str) -> int:
        """Once sent, what comes next is History: its key first."""
        return 1 if self.sent and binding_id == "app.history" else super().key_rank(binding_id)

    def action_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        if not preview.display:
            preview.update(self.preview_text())
        preview.display = not preview.display

    def action_submit(self) -> None:
        self.when_ready(self.start_submit)

    def action_save_file(self) -> None:
        """Sign, but write the envelope to a file (for an I-VAN that takes uploads on its portal) instead of
        sending it: where, is asked, prefilled with the default place and the provider's file name."""

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.sending = True
                self.run_signing(path)

        def ask() -> None:
            default = self.backend.default_file()
            dialog = localized(SavePathDialog, self.lang)(self.tr("ui.confirm.save_title"), default)
            self.app.push_screen(dialog, chosen)

        self.when_ready(ask)

    def start_submit(self) -> None:
        self.sending = True
        self.run_signing(None)

    def when_ready(self, then: Callable[[], None]) -> None:
        """What must be settled before anything is signed: a dossier in the way (re-send or discard it first), a
        certificate older than the registered one (an explicit yes); then ``then``."""
        if self.sending or self.sent:
            return
        if self.state.pending is not None:
            self.host.offer_pending()
            return
        older = self.choice.older
        draft = self.state.draft
        if older is not None and not (draft is not None and draft.older_acknowledged):
            self.ask_older(older.detail, then)
            return
        then()

    def ask_older(self, registered_until: str, then: Callable[[], None]) -> None:
        """Registering a certificate that expires before the one on record needs an explicit yes."""
        info = self.choice.cert.info
        title = self.tr("ui.older.title")
        text = self.tr("ui.older.text", serial=info.serial, date=fmt_date(info.not_after), registered=registered_until)

        def answered(yes: bool | None) -> None:
            if yes:
                self.backend.update_draft(cert_serial=info.serial, older_acknowledged=True)
                self.when_ready(then)

        self.app.push_screen(localized(ConfirmDialog, self.lang)(title, text), answered)

    @work(exclusive=True, exit_on_error=False, group="submit")
    async def run_signing(self, to_file: Path | None) -> None:
        """Sign, verify, journal, then send (or, with ``to_file``, write the file): the steps shown as they go."""
        progress = self.query_one("#progress", Static)
        current: list[Step] = []

        def on_step(step: Step) -> None:
            if current:
                self.done_steps.append(current[-1])
            current.append(step)
            if step is not Step.DONE:
                progress.update(self.progress_text(step))

        try:
            if to_file is None:
                tx = await self.backend.submit(self.choice, self.contact, on_step)
                done = self.hint("ui.confirm.done", ma_gdich=tx.ma_gdich, so_hso=tx.so_hso)
            else:
                written = await self.backend.hand_over(self.choice, self.contact, to_file, on_step)
                done = self.tr("ui.confirm.saved", path=written)
        except DossierPending as exc:  # recorded meanwhile (another session): the same choice as F5 offers
            self.sending = False
            progress.update(Text(self.told(exc), style="bold"))
            if exc.entry.state is EntryState.SIGNED:
                self.host.offer_pending()
            return
        except Exception as exc:  # the failed step and why, here; the host tells it and logs it
            self.sending = False
            failed = current[-1] if current else None
            text = self.progress_text(failed, failed=True)
            text.append("\n" + error_text(exc, self.lang), style="bold")
            progress.update(text)
            raise
        self.sending = False
        self.sent = True
        self.refresh_bindings()
        self.step_done(self.answers)  # every step of the procedure is behind the user
        progress.update(Text(done, style="bold"))

    def action_back(self) -> None:
        if not self.sending:
            self.app.pop_screen()
