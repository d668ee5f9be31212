"""Where to save a file the user takes away: a path, prefilled with the default place and name (never silently
the current directory). Enter saves there, Esc gives up."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui_ibhxh.ui.screens.base import Dialog


class SavePathDialog(Dialog[Path | None]):
    DEFAULT_CSS = """
    SavePathDialog { align: center middle; }
    SavePathDialog > Vertical { width: 90; max-width: 100%; height: auto; border: thick $accent; padding: 1 2;
                                background: $surface; }
    """
    ACTIONS = ("save.cancel",)

    def __init__(self, title: str, default: Path) -> None:
        super().__init__()
        self.title_text, self.default = title, default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="heading", markup=False)
            yield Static(self.tr("ui.save.explain"))
            field = Input(value=str(self.default), id="save-path")
            field.cursor_blink = self.host.animations
            yield field

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(Path(value).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
