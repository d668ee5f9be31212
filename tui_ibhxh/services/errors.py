"""Errors meant for the user: a message key and its parameters, rendered in the user's language.

Never put a secret (PIN) in the parameters: they may end up in logs.
"""

from __future__ import annotations

from tui_ibhxh.core.i18n import Lang, t


class UserError(Exception):
    """An error with a clear, translated message; the CLI prints it, the TUI shows it."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang) -> str:
        return t(self.key, lang, **self.params)
