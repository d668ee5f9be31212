"""The order of the procedure: the wizard's steps, first to last, then History (its own mode, the stepper's last
step). Only this module knows which step follows which: a step that is done hands its answers to the app
(``Host.step_done``), which opens the screen :func:`after` gives. Adding or moving a step is an edit here (a step
reads from ``Answers`` what the steps before it settled)."""

from __future__ import annotations

from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.ui.actions import localized
from tui_ibhxh.ui.screens.base import Answers, StepScreen
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.contact import ContactScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.token import TokenScreen

STEPS: tuple[type[StepScreen], ...] = (TokenScreen, CertificatesScreen, ContactScreen, ConfirmScreen)
NAMES: tuple[str, ...] = (*(step.STEP for step in STEPS), HistoryScreen.STEP)  # as the stepper shows them


def first(lang: Lang) -> StepScreen:
    return localized(STEPS[0], lang)(Answers())


def is_first(screen: object) -> bool:
    return isinstance(screen, STEPS[0])


def after(step: str, answers: Answers, lang: Lang) -> StepScreen | None:
    """The screen of the step after ``step``, made with ``answers``; None after the last."""
    following = NAMES.index(step) + 1
    return localized(STEPS[following], lang)(answers) if following < len(STEPS) else None


def history(lang: Lang) -> HistoryScreen:
    return localized(HistoryScreen, lang)()
