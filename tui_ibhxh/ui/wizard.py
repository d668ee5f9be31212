"""The order of the procedure: the wizard's steps, first to last, then History (its own mode, the stepper's last
step). Only this module knows which step follows which: a step that is done hands its answers to the app
(``Host.step_done``), which opens the screen :func:`after` gives. Adding or moving a step is an edit here (a step
reads from ``Answers`` what the steps before it settled).

Only the first step's screen is imported at start; a later step's module (and what it pulls in: the XML and
signature code for Xác nhận) when that step opens. Starting the app shows the first step only (bench/startup.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.ui.actions import localized
from tui_ibhxh.ui.screens.base import Answers, StepScreen
from tui_ibhxh.ui.screens.token import TokenScreen

if TYPE_CHECKING:
    from tui_ibhxh.ui.screens.history import HistoryScreen


def _certificates() -> type[StepScreen]:
    from tui_ibhxh.ui.screens.certificates import CertificatesScreen

    return CertificatesScreen


def _contact() -> type[StepScreen]:
    from tui_ibhxh.ui.screens.contact import ContactScreen

    return ContactScreen


def _confirm() -> type[StepScreen]:
    from tui_ibhxh.ui.screens.confirm import ConfirmScreen

    return ConfirmScreen


def _token() -> type[StepScreen]:
    return TokenScreen


#: the steps in order, by the name the stepper shows (each screen's ``STEP``), then History's
STEPS: tuple[tuple[str, Callable[[], type[StepScreen]]], ...] = (
    ("token", _token),
    ("certs", _certificates),
    ("contact", _contact),
    ("confirm", _confirm),
)
NAMES: tuple[str, ...] = (*(name for name, _ in STEPS), "history")


def step_screens() -> tuple[type[StepScreen], ...]:
    """Every step's screen class, in order (imports them all)."""
    return tuple(load() for _, load in STEPS)


def first(lang: Lang) -> StepScreen:
    return localized(TokenScreen, lang)(Answers())


def is_first(screen: object) -> bool:
    return isinstance(screen, TokenScreen)


def after(step: str, answers: Answers, lang: Lang) -> StepScreen | None:
    """The screen of the step after ``step``, made with ``answers``; None after the last."""
    following = NAMES.index(step) + 1
    return localized(STEPS[following][1](), lang)(answers) if following < len(STEPS) else None


def history(lang: Lang) -> HistoryScreen:
    from tui_ibhxh.ui.screens.history import HistoryScreen

    return localized(HistoryScreen, lang)()
