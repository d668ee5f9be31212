"""The app's log: one rotating file in the platform log directory (``AppPaths.log_dir``) with the warnings and
errors of every command and of the TUI, and with ``--verbose`` the progress on standard error.

A PIN never reaches a log record: it is never put in a message or an exception. As a second line of defence the
records are scrubbed of what looks like a credential (a bearer or access token, a ``pin=`` value) before they are
written."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

from tui_ibhxh.services.paths import AppPaths

LOG_FILE = "ibhxh.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
LOGGER = "tui_ibhxh"

#: a credential after its name: ``Bearer X``, ``access_token=X``, ``"pin": "X"``… (the value becomes ***)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
_NAMED = re.compile(
    r"(?i)\b((?:access_|refresh_|id_)?token|pin|so_pin|new_pin|old_pin|password|secret)"
    r"([\"']?\s*[=:]\s*[\"']?)[^\s\"',;&}]+"
)
#: a JSON web token anywhere (three base64url parts)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def scrub(text: str) -> str:
    """``text`` without what looks like a credential."""
    return _NAMED.sub(r"\1\2***", _BEARER.sub(r"\1***", _JWT.sub("***", text)))


class ScrubbingFormatter(logging.Formatter):
    """Formats the record (traceback included), then scrubs it."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def log_file(paths: AppPaths) -> Path:
    return paths.log_dir / LOG_FILE


def setup_logging(paths: AppPaths, *, verbose: bool = False, console: bool = True) -> Path | None:
    """Send the app's warnings and errors to the rotating log file under ``paths`` (and, ``verbose``, its
    progress to standard error; never ``console`` for the TUI, whose screen it would break). Idempotent: a
    second call replaces what the first set. Returns the file, None when its directory cannot be written (the
    command still runs)."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if getattr(h, "_ibhxh", False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    path = log_file(paths)
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        file_handler = None
    if file_handler is not None:
        file_handler.setLevel(logging.WARNING)
        file_handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
        _mark(logger, file_handler)
    if verbose and console:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(logging.INFO)
        stderr.setFormatter(ScrubbingFormatter("%(levelname)s %(name)s: %(message)s"))
        _mark(logger, stderr)
    return path if file_handler is not None else None


def _mark(logger: logging.Logger, handler: logging.Handler) -> None:
    handler._ibhxh = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
