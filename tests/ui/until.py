"""Pilot helpers: wait on the UI without fixed sleeps, and read what a widget shows as plain text."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from rich.console import Console
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tests.ui.fake_backend import FakeBackend
from tui_ibhxh.ui.app import IbhxhApp


async def until(pilot: Pilot[int], cond: Callable[[], bool], timeout: float = 20, what: str = "the UI") -> None:
    """Return as soon as ``cond()`` holds; fail after ``timeout`` seconds (generous: CI machines are slow)."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def fake(pilot: Pilot[int]) -> FakeBackend:
    """The fake backend of the app under test."""
    app = pilot.app
    assert isinstance(app, IbhxhApp) and isinstance(app.backend, FakeBackend)
    return app.backend


async def settled(pilot: Pilot[int], timeout: float = 20) -> None:
    """On the fake backend: every worker has finished or waits in the fake by design (a hang, an event nobody sent
    yet), and the messages they posted are handled. What the screen shows then, it keeps until the next key."""
    app = pilot.app
    backend = fake(pilot)

    def quiet() -> bool:
        return sum(not worker.is_finished for worker in app.workers) == backend.waiting

    while True:
        await until(pilot, quiet, timeout, "the workers to finish")
        await pilot.pause()  # the screen handles what they posted (which may start another worker)
        if quiet():
            return


def plain(widget: Widget) -> str:
    """The text a Static shows (a Rich table or text alike), without styles: what the user reads."""
    console = Console(width=400, record=True, file=io.StringIO(), color_system=None)
    content = widget.content if isinstance(widget, Static) else widget.render()
    console.print(content)
    return console.export_text()


async def select_cert(pilot: Pilot[int], fragment: str) -> None:
    """On the Certificates step: the cursor on the row whose label holds ``fragment`` (moved with the arrow keys, as
    a user would; the list's order is the workflow's, not the test's)."""
    from tui_ibhxh.ui.screens.certificates import CertificatesScreen

    screen = pilot.app.screen
    assert isinstance(screen, CertificatesScreen)
    labels = [choice.cert.label for choice in screen.choices]
    wanted = next(i for i, label in enumerate(labels) if fragment in label)
    current = screen.query_one("#choices", DataTable).cursor_row
    await pilot.press(*(["down" if wanted > current else "up"] * abs(wanted - current)))
    await until(pilot, lambda: screen.query_one("#choices", DataTable).cursor_row == wanted, what=f"row {fragment}")
