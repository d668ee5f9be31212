"""One error path: a worker's failure is told by the app (one sentence, never a traceback) and logged with its
details; a screen catches only what it shows in its own way (the PIN dialog, the certificates' loading line)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from tests.ui.conftest import MakeApp, Notes
from tests.ui.fake_backend import FakeBackend
from tests.ui.test_pilot_fake import log_in, open_history
from tests.ui.until import plain, settled, until
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.pin import PinScreen
from tui_ibhxh.ui.screens.token import TokenScreen

UNEXPECTED = "Đã xảy ra lỗi không mong đợi"


async def test_a_failing_worker_is_told_once_and_logged(
    make_app: MakeApp, notes: Notes, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    backend = FakeBackend()
    backend.exports_dir = tmp_path
    backend.export_error = UserError("cli.not_a_certificate", path="x")  # any sentence of ours
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_history(app, pilot)
        notes.seen.clear()
        await pilot.press("e", "enter")  # export, to the path offered
        await settled(pilot)
    (note,) = notes
    assert note.severity == "error" and note.message == backend.export_error.message("vi")
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "tui_ibhxh.ui.app" and record.exc_info is not None


async def test_certificates_that_cannot_be_read_say_why_and_stop_loading(
    make_app: MakeApp, notes: Notes, caplog: pytest.LogCaptureFixture
) -> None:
    backend = FakeBackend()
    backend.choices_error = RuntimeError("the token went away mid-read")  # not one of ours: a bug's traceback
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(app, pilot)
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        assert not screen.query_one("#certs-loading").display
    assert [n.severity for n in notes.saying(UNEXPECTED)] == ["error"]
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


async def test_an_unexpected_error_in_the_pin_dialog_stays_in_it_and_is_logged(
    make_app: MakeApp, notes: Notes, caplog: pytest.LogCaptureFixture
) -> None:
    backend = FakeBackend()
    backend.login_error = RuntimeError("a bug")
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TokenScreen) and bool(app.screen.tokens))
        await pilot.press("enter", *"123456", "enter")
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, PinScreen)  # the reason is said where the PIN is typed, not in a toast
        assert UNEXPECTED in plain(dialog.query_one("#pin-error"))
    assert not notes.seen
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.levelno == logging.ERROR and record.exc_info is not None and record.exc_info[0] is RuntimeError


def refused() -> aiohttp.ClientConnectorError:
    key = ConnectionKey("ivan.example.vn", 443, True, True, None, None, None, "ivan.example.vn")
    return aiohttp.ClientConnectorError(key, OSError(111, "Connect call failed ('127.0.0.1', 443)"))


LIBRARY_ERRORS = [
    (sqlite3.IntegrityError("UNIQUE constraint failed: entries.idempotency_key"), "error.journal_conflict"),
    (sqlite3.OperationalError("database is locked"), "error.journal_busy"),
    (refused(), "error.network_unreachable"),
]


@pytest.mark.parametrize("error, key", LIBRARY_ERRORS, ids=lambda e: type(e).__name__)
async def test_a_library_error_is_a_sentence_not_its_class_name(
    make_app: MakeApp, notes: Notes, caplog: pytest.LogCaptureFixture, error: Exception, key: str
) -> None:
    """An exception of SQLite or aiohttp while submitting: on screen, what happened and what to do (the one map,
    services/errors.py); its class name and its message only in the log."""
    from tests.ui.test_snapshots import to_confirm

    backend = FakeBackend()
    backend.submit_error = error
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        await pilot.press("f5")
        await settled(pilot)
        shown = plain(app.screen.query_one("#progress"))
    sentence = t(key, "vi")
    assert sentence.split(".")[0] in " ".join(shown.split())
    assert [n.message for n in notes if n.severity == "error"] == [sentence]
    for text in (shown, *(n.message for n in notes)):
        assert type(error).__name__ not in text and str(error) not in text
    assert any(r.exc_info and r.exc_info[1] is error for r in caplog.records)  # the details: in the log


def test_why_the_ivan_is_unreachable_is_said_in_words() -> None:
    """The I-VAN client names the cause (services/errors.network_cause), never aiohttp's message."""
    from tui_ibhxh.services.errors import error_text, network_cause
    from tui_ibhxh.services.ivan_client import IvanError

    error = IvanError("ivan.unreachable", url="https://ivan.example.vn", reason=network_cause(refused()))
    for lang in ("vi", "en"):
        text = error_text(error, lang)
        assert t("error.cause.refused", lang) in text
        assert "Connect call failed" not in text and "ClientConnectorError" not in text
