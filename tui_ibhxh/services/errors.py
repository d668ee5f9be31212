"""Errors meant for the user: a message key and its parameters, rendered in the user's language.

Never put a secret (PIN) in the parameters: they may end up in logs.
"""

from __future__ import annotations

import errno

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
    """The translated sentence of an error: ours say themselves; a library's (SQLite, aiohttp, the PKCS#11 module, the
    file system) is named by what happened and what to do (:func:`library_error_key`), never by its class or its
    message (those go to the log file, ``services/logs.py``); anything else, a generic sentence. Never a
    traceback."""
    render = getattr(exc, "message", None)
    if callable(render):
        try:
            return str(render(lang))
        except (KeyError, IndexError, TypeError):
            pass
    return t(library_error_key(exc), lang)


def network_cause(exc: BaseException) -> UserError:
    """Why a connection failed, in words (a parameter of an error of ours, e.g. ``ivan.unreachable``): never the
    library's message, which the caller logs."""
    import socket

    causes: list[BaseException] = [exc]
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, BaseException):
        causes.append(os_error)
    if any(isinstance(c, ConnectionRefusedError) or getattr(c, "errno", None) == errno.ECONNREFUSED for c in causes):
        return UserError("error.cause.refused")
    if any(isinstance(c, socket.gaierror) or "DNS" in type(c).__name__ for c in causes):
        return UserError("error.cause.dns")
    if any(isinstance(c, ConnectionResetError | BrokenPipeError) for c in causes):
        return UserError("error.cause.reset")
    return UserError("error.cause.other")


def library_error_key(exc: BaseException) -> str:
    """The message key of a library's exception (the one place they are mapped): what happened, and what to do."""
    import sqlite3

    import aiohttp
    import pkcs11.exceptions

    if isinstance(exc, sqlite3.OperationalError) and any(w in str(exc).lower() for w in ("locked", "busy")):
        return "error.journal_busy"
    if isinstance(exc, sqlite3.IntegrityError):
        return "error.journal_conflict"
    if isinstance(exc, sqlite3.Error):
        return "error.journal_failed"
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionError):
        return "error.network_unreachable"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "error.network_timeout"
    if isinstance(exc, aiohttp.ClientError):
        return "error.network_failed"
    if isinstance(exc, pkcs11.exceptions.DeviceRemoved | pkcs11.exceptions.TokenNotPresent):
        return "error.token_gone"
    if isinstance(exc, pkcs11.exceptions.PKCS11Error):
        return "error.token_failed"
    if isinstance(exc, PermissionError):
        return "error.file_permission"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "error.disk_full"
    if isinstance(exc, OSError):
        return "error.file_failed"
    return "error.unexpected"
