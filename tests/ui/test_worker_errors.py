"""One error path: a worker's failure is told by the app (one sentence, never a traceback) and logged with its
details; a screen catches only what it shows in its own way (the PIN dialog, the certificates' loading line)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.ui.conftest import MakeApp, Notes
from tests.ui.fake_backend import FakeBackend
from tests.ui.test_pilot_fake import log_in, open_history
from tests.ui.until import plain, settled, until
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
    backend.choices_error = OSError("the token went away mid-read")  # not one of ours: a bug's traceback
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(app, pilot)
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        assert not screen.query_one("#certs-loading").display
    assert [n.severity for n in notes.saying(UNEXPECTED)] == ["error"]
    assert any(r.exc_info and r.exc_info[0] is OSError for r in caplog.records)


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
