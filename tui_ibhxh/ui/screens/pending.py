"""The signed dossier that never reached the I-VAN: what it is and the two things to do with it (re-send it — the
same signed bytes with the same request key — or discard it after a confirmation). Offered by History and by F5
on Xác nhận while such a dossier is in the way."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_ibhxh.core.i18n import fmt_datetime
from tui_ibhxh.core.state import PendingDossier
from tui_ibhxh.services.errors import said
from tui_ibhxh.ui.screens.base import Dialog


class PendingAction(StrEnum):
    RESEND = "resend"
    DISCARD = "discard"


DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $warning;
                    padding: 1 2; background: $surface; }}
{name} .dialog-keys {{ margin-top: 1; text-style: bold; }}
"""


def pending_table(pending: PendingDossier, tr: Callable[..., str]) -> Table:
    """The facts of a pending dossier, as History's detail and the dialog show them."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(tr("ui.pending.key"), pending.key)
    grid.add_row(tr("ui.pending.cert"), pending.cert_serial)
    grid.add_row(tr("ui.pending.signed_at"), fmt_datetime(pending.signed_at))
    grid.add_row(tr("ui.pending.attempts"), str(pending.attempts))
    # data, not markup: a reason may name a config key in brackets ("[ivan] url")
    grid.add_row(tr("ui.pending.reason"), Text(said(pending.last_error, tr) or tr("ui.pending.no_reason")))
    return grid


class PendingDialog(Dialog[PendingAction | None]):
    """F5 with a dossier in the way: re-send it, discard it, or go back."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PendingDialog")
    ACTIONS = ("pending.resend", "pending.discard", "pending.cancel")

    def __init__(self, pending: PendingDossier) -> None:
        super().__init__()
        self.pending = pending

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.tr("ui.pending.title"), classes="heading")
            yield Static(self.tr("ui.pending.explain"))
            yield Static(pending_table(self.pending, self.tr))
            yield Static(self.hint("ui.pending.keys"), classes="dialog-keys", markup=False)

    def action_choose(self, action: str) -> None:
        self.dismiss(PendingAction(action))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(Dialog[bool]):
    """A yes/no question whose "yes" does something that cannot be undone (discard a dossier, register an older
    certificate): y or Enter says yes, n or Esc says no."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    ACTIONS = ("dialog.yes", "dialog.no")

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="heading", markup=False)
            yield Static(self.text, markup=False)
            yield Static(self.hint("ui.confirm_dialog.keys"), classes="dialog-keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
