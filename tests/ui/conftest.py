"""UI test fixtures: the app on the fake backend (fixed data, fixed clock, no animations, no cursor blink), and
the notifications the app shows, recorded through its public ``notify``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from textual.notifications import SeverityLevel

from tests.ui.fake_backend import FakeBackend
from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.ui.app import IbhxhApp

SIZES = [(80, 24), (120, 40)]
MakeApp = Callable[..., IbhxhApp]


@pytest.fixture
def make_app() -> MakeApp:
    def make(
        backend: FakeBackend | None = None, *, lang: Lang = "vi", keymap: dict[str, str] | None = None
    ) -> IbhxhApp:
        return IbhxhApp(backend or FakeBackend(lang), keymap=keymap, animations=False)

    return make


@dataclass(frozen=True)
class Note:
    message: str
    severity: SeverityLevel


@dataclass
class Notes:
    """Every notification shown by any app of the test, in order (toasts time out; this list does not)."""

    seen: list[Note] = field(default_factory=list)

    def __iter__(self) -> Iterator[Note]:
        return iter(self.seen)

    def saying(self, fragment: str) -> list[Note]:
        return [note for note in self.seen if fragment in note.message]


@pytest.fixture
def notes(monkeypatch: pytest.MonkeyPatch) -> Notes:
    recorded = Notes()
    shown = IbhxhApp.notify

    def notify(
        self: IbhxhApp,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        recorded.seen.append(Note(message, severity))
        shown(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    monkeypatch.setattr(IbhxhApp, "notify", notify)
    return recorded
