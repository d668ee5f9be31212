"""Step 2: the token's certificates (usable first), the selected one's problems in words right under the list, then
its details beside the registered certificate's with the differences marked (a scroll: Tab, PageUp/PageDown)."""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len
from rich.markup import escape
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static

from tui_ibhxh.core.i18n import fmt_date, t
from tui_ibhxh.core.models import Problem, ProblemCode, TokenCert
from tui_ibhxh.core.revocation import UnknownReason
from tui_ibhxh.core.state import Aspect, Change
from tui_ibhxh.services.workflow import CertChoice, preferred_choice
from tui_ibhxh.ui.actions import APP_ACTIONS
from tui_ibhxh.ui.screens.base import Answers, StepScreen
from tui_ibhxh.ui.widgets.cert_panel import CertPanel, cert_rows


class CertificatesScreen(StepScreen):
    HELP_KEY = "ui.help.certs"
    STEP = "certs"
    OBSERVES = frozenset({Aspect.REGISTRATION, Aspect.REVOCATION})
    ACTIONS = ("certs.choose", "wizard.back", *APP_ACTIONS)

    def __init__(self, answers: Answers) -> None:
        super().__init__(answers)
        self.choices: list[CertChoice] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.stepper()
        yield Static(self.tr("ui.certs.heading"), classes="heading", markup=False)
        table: DataTable[Text] = DataTable(id="choices", cursor_type="row")
        yield table
        yield Static(self.tr("ui.loading"), id="certs-loading", classes="state")
        yield Static("", id="certs-problems", classes="state")
        with VerticalScroll(id="certs-detail"), Horizontal(id="certs-body"):
            yield CertPanel(id="registered", classes="cert-panel")
            yield CertPanel(id="detail", classes="cert-panel")
        yield self.footer()

    def on_mount(self) -> None:
        self.draw_rows()
        self.show_registered()
        self.load()

    def on_resize(self, event: events.Resize) -> None:  # (BaseScreen's runs too)
        self.draw_rows()

    def draw_rows(self) -> None:
        """The list, its columns sized to the screen: the status and the date always whole, the name taking what
        is left (cut last, when the terminal is narrow and a name long)."""
        table = self.query_one("#choices", DataTable)
        states = [self.state_text(c) for c in self.choices]
        dates = [fmt_date(c.cert.info.not_after) for c in self.choices]
        labels = [c.cert.label or c.cert.info.common_name for c in self.choices]

        def widest(key: str, cells: list[str]) -> int:
            return max([cell_len(self.tr(f"ui.certs.col.{key}")), *(cell_len(c) for c in cells)])

        state_w = widest("state", [*states, *self.state_words()])
        until_w = widest("until", dates)
        room = max(self.size.width, self.app.size.width) - 2 - until_w - state_w - 3 * 2  # scrollbar, cell padding
        label_w = max(8, min(widest("label", labels), room))
        keep = table.cursor_row
        table.clear(columns=True)
        for key, width in (("label", label_w), ("until", until_w), ("state", state_w)):
            table.add_column(self.tr(f"ui.certs.col.{key}"), key=key, width=width)
        for i, cells in enumerate(zip(labels, dates, states, strict=True)):
            table.add_row(*(Text(c) for c in cells), key=str(i))  # labels are data, not markup
        if self.choices:
            table.move_cursor(row=max(0, min(keep, len(self.choices) - 1)))

    def state_words(self) -> list[str]:
        """Every word the status column can show (its width fits the longest: a CA's verdict never cuts it)."""
        keys = ["ui.certs.is_registered", "ui.certs.replaced", "ui.certs.checking", "ui.certs.usable"]
        return [self.tr(k) for k in keys] + [t(f"ui.certs.short.{code}", self.lang) for code in ProblemCode]

    def unit_state_changed(self, change: Change) -> None:
        """A new registration on record (e.g. the change was accepted): both panels show it at once. A CA's
        verdict on revocation: the rows are checked again against the state and their status cells rewritten."""
        if Aspect.REGISTRATION in change:
            self.show_registered()
            self.load()
        elif Aspect.REVOCATION in change and self.choices:
            self.recheck_rows()

    def recheck_rows(self) -> None:
        table = self.query_one("#choices", DataTable)
        self.choices = [self.backend.recheck(c) for c in self.choices]
        for i, choice in enumerate(self.choices):
            table.update_cell(str(i), "state", Text(self.state_text(choice)))
        self.show_detail()

    def show_registered(self) -> None:
        reg = self.state.registration
        if reg is not None:
            c = reg.certificate
            self.query_one("#registered", CertPanel).show(
                self.tr("ui.certs.registered"),
                cert_rows(c.serial, c.subject, c.issuer, c.not_before, c.not_after, self.lang),
            )

    @work(exclusive=True, exit_on_error=False, group="certs")
    async def load(self) -> None:
        try:
            choices = await self.backend.choices()
        finally:  # a failure is the host's to tell
            self.query_one("#certs-loading").display = False
        table = self.query_one("#choices", DataTable)
        keep = self.selected()
        self.choices = choices
        self.draw_rows()
        if choices:
            table.move_cursor(row=self.initial_row(choices, keep))
        table.focus()
        self.show_detail()
        self.check_revocation([c.cert for c in choices])

    @work(exclusive=True, exit_on_error=False, group="revocation")
    async def check_revocation(self, certs: list[TokenCert]) -> None:
        """Ask the CAs in the background: each row changes as its verdict arrives (a slow CA freezes nothing). A
        failure leaves the rows "not known"; the host says why."""
        await self.backend.check_revocation(certs)

    def initial_row(self, choices: list[CertChoice], keep: CertChoice | None) -> int:
        """The row the user had (or chose before a token removal); else the best candidate, never the
        registered certificate."""
        draft = self.state.draft
        wanted = keep.cert.info.serial if keep is not None else (draft.cert_serial if draft else None)
        for i, choice in enumerate(choices):
            if choice.cert.info.serial == wanted and not choice.registered:
                return i
        return preferred_choice(choices)

    def state_text(self, choice: CertChoice) -> str:
        if choice.registered:
            return self.tr("ui.certs.is_registered")
        if choice.replaced:
            return self.tr("ui.certs.replaced")
        blocking = next(
            (p for p in sorted(choice.problems, key=lambda p: p.code not in _WHAT_IT_IS) if p.blocking), None
        )
        if blocking is not None:
            return self.tr(f"ui.certs.short.{blocking.code}")
        if choice.checking:
            return self.tr("ui.certs.checking")
        if choice.problems:
            return self.tr(f"ui.certs.short.{choice.problems[0].code}")
        return self.tr("ui.certs.usable")

    def selected(self) -> CertChoice | None:
        table = self.query_one("#choices", DataTable)
        if not self.choices:
            return None
        return self.choices[max(0, min(table.cursor_row, len(self.choices) - 1))]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        choice = self.selected()
        if choice is None:
            return
        info = choice.cert.info
        reg = self.state.registration
        compare = None
        if reg is not None:
            c = reg.certificate
            compare = cert_rows(c.serial, c.subject, c.issuer, c.not_before, c.not_after, self.lang)
        notes = [f"{_mark(p)} {self.backend.problem_text(p, info)}" for p in choice.problems]
        self.query_one("#certs-problems", Static).update(
            Text("\n".join(notes or [f"✓ {self.tr('ui.certs.no_problem')}"]))
        )
        self.query_one("#detail", CertPanel).show(
            self.tr("ui.certs.on_token"),
            cert_rows(info.serial, info.subject, info.issuer, info.not_before, info.not_after, self.lang),
            compare=compare,
        )

    def action_choose(self) -> None:
        choice = self.selected()
        if choice is None:
            return
        if not choice.usable:
            reasons = " ".join(self.backend.problem_text(p, choice.cert.info) for p in choice.problems if p.blocking)
            self.notify(escape(self.tr("ui.certs.blocked_msg", reasons=reasons)), severity="error", timeout=10)
            return
        self.backend.update_draft(cert_serial=choice.cert.info.serial)
        self.step_done(replace(self.answers, choice=choice))

    def action_back(self) -> None:
        self.app.pop_screen()


#: problems that say what a certificate is (a CA's, a person's, a revoked one): named first in its row
_WHAT_IT_IS = frozenset({ProblemCode.IS_CA, ProblemCode.PERSONAL_CERTIFICATE, ProblemCode.REVOKED})


def _mark(problem: Problem) -> str:
    """✗ blocks, ! warns, ⋯ is still being checked."""
    if problem.blocking:
        return "✗"
    pending = problem.code is ProblemCode.REVOCATION_UNKNOWN and problem.detail == UnknownReason.PENDING
    return "⋯" if pending else "!"
