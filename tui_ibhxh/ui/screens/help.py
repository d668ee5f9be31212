"""F1: what the current screen is for and its keys."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_ibhxh.core.i18n import t
from tui_ibhxh.ui.screens.base import Dialog


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
                            padding: 1 2; background: $surface; }
    """
    ACTIONS = ("help.close",)

    def __init__(self, title: str, help_key: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.help_key, self.keys = title, help_key, keys

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for key, description in self.keys:
            keys.add_row(key, description)
        with Vertical():
            yield Static(t("ui.help.title", self.lang, screen=self.title_text))
            yield Static(self.hint(self.help_key), markup=False)
            yield Static(keys)
            yield Static(self.hint("ui.help.close"), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
