"""UI test fixtures: the app on the fake backend (fixed data, fixed clock, no animations, no cursor blink)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
