"""services/logs: one rotating file per home, idempotent set-up, credentials scrubbed from every record."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tui_ibhxh.services.logs import LOG_FILE, scrub, setup_logging
from tui_ibhxh.services.paths import app_paths


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer Zm9vYmFyLXNlY3JldC10b2tlbg", "Zm9vYmFyLXNlY3JldC10b2tlbg"),
        ('{"access_token": "s3cr3t-t0k3n", "expires_in": 900}', "s3cr3t-t0k3n"),
        ("login(pin='73918246')", "73918246"),
        ("token=abcdEFGH1234", "abcdEFGH1234"),
        ("jwt eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl here", "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"),
    ],
)
def test_credentials_are_scrubbed(text: str, secret: str) -> None:
    assert secret not in scrub(text) and "***" in scrub(text)


def test_ordinary_words_stay() -> None:
    for text in ("the logged-in token 5F1A2B was removed", "PIN locked", "history not loaded (timeout)"):
        assert scrub(text) == text


def test_file_gets_warnings_not_info_and_setup_is_idempotent(tmp_path: Path) -> None:
    paths = app_paths(home=tmp_path / "h")
    log = logging.getLogger("tui_ibhxh.test")
    try:
        path = setup_logging(paths, console=False)
        setup_logging(paths, console=False)  # a second run in the process: still one file handler
        assert path == paths.log_dir / LOG_FILE
        log.info("progress only")
        log.warning("a warning with pin=73918246")
        try:
            raise RuntimeError("Bearer abc.def-ghi")
        except RuntimeError:
            log.exception("an error")
        text = path.read_text(encoding="utf-8")
        assert "progress only" not in text and "a warning" in text and "RuntimeError" in text
        assert "73918246" not in text and "abc.def-ghi" not in text
        assert text.count("a warning") == 1
        assert (paths.log_dir.stat().st_mode & 0o777) == 0o700
    finally:
        for handler in list(logging.getLogger("tui_ibhxh").handlers):
            if getattr(handler, "_ibhxh", False):
                logging.getLogger("tui_ibhxh").removeHandler(handler)
                handler.close()


def test_unwritable_log_directory_is_no_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "h"
    blocker.write_text("a file where the home should be", encoding="utf-8")
    assert setup_logging(app_paths(home=blocker), console=False) is None
