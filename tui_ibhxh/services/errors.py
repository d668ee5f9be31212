"""Errors meant for the user: a message key and its parameters, rendered in the user's language.

Never put a secret (PIN) in the parameters: they may end up in logs.
"""

from __future__ import annotations

from tui_ibhxh.core.i18n import Lang, t


class UserError(Exception):
    """An error with a clear, translated message; the CLI prints it, the TUI shows it."""

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang) -> str:
        # a parameter may itself be a translatable error (the cause): rendered in the same language
        params = {k: _render(v, lang) for k, v in self.params.items()}
        return t(self.key, lang, **params)


def _render(value: object, lang: Lang) -> object:
    render = getattr(value, "message", None)
    if isinstance(value, Exception) and callable(render):
        return render(lang)
    return value


def error_text(exc: BaseException, lang: Lang) -> str:
    """The translated sentence of an error; for anything unexpected, a generic sentence (never a traceback)."""
    render = getattr(exc, "message", None)
    if callable(render):
        try:
            return str(render(lang))
        except (KeyError, IndexError, TypeError):
            pass
    return t("error.unexpected", lang)
