"""UI test fixtures: the app on the fake backend (fixed data, fixed clock, no animations, no cursor blink)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.ui.fake_backend import FakeBackend
from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.ui.app import IbhxhApp

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def make_app() -> Callable[..., IbhxhApp]:
    def make(
        backend: FakeBackend | None = None, *, lang: Lang = "vi", keymap: dict[str, str] | None = None
    ) -> IbhxhApp:
        return IbhxhApp(backend or FakeBackend(lang), keymap=keymap, animations=False)

    return make


async def until(pilot: Pilot[int], cond: Callable[[], bool], timeout: float = 20) -> None:
    """Wait for the UI to reach a state (workers finish on their own time), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting for the UI"
        await pilot.pause(0.1)
