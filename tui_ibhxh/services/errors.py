"""Errors meant for the user: a message key and its parameters, rendered in the user's language.

Never put a secret (PIN) in the parameters: they may end up in logs.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Callable

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


def kept(exc: BaseException) -> str:
    """An error as the journal keeps it: its message key and parameters (JSON), so that it is said later in the
    reader's language (:func:`said`), not in the language of the session that failed; a library's error by the key
    of its sentence (its message is in the log)."""
    return json.dumps(_kept(exc), ensure_ascii=False)


KEPT_PARAM = 200  # characters of one parameter kept (an address, a reason): a journal row stays small


def _kept(value: object) -> object:
    if isinstance(value, BaseException):
        key, params = getattr(value, "key", None), getattr(value, "params", None)
        if isinstance(key, str) and isinstance(params, dict):
            return {"key": key, "params": {str(k): _kept(v) for k, v in params.items()}}
        return {"key": library_error_key(value), "params": {}}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:KEPT_PARAM]


def said(stored: str | None, tr: Callable[..., str]) -> str | None:
    """The sentence of an error the journal kept (:func:`kept`), through ``tr`` (a screen's or a language's ``t``);
    a row written before errors were kept by key is said as it was written."""
    if not stored:
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not (isinstance(data, dict) and isinstance(data.get("key"), str)):
        return stored
    try:
        return _said(data, tr)
    except (KeyError, IndexError, TypeError, ValueError):  # a key this version no longer has
        return tr("error.unexpected")


def _said(data: dict[str, object], tr: Callable[..., str]) -> str:
    params = data.get("params")
    rendered = {
        k: _said(v, tr) if isinstance(v, dict) and isinstance(v.get("key"), str) else v
        for k, v in (params.items() if isinstance(params, dict) else ())
    }
    return tr(str(data["key"]), **rendered)


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
