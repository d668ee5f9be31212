"""The app's own Textual messages (translations are in the gettext catalogues, ``tui_ibhxh/locale``)."""

from __future__ import annotations

from textual.message import Message

from tui_ibhxh.core.state import Change


class UnitStateChanged(Message):
    """The workflow changed the unit's state in a way this screen shows."""

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change
