"""What every screen shares: the host app (as an interface: screens never import the app), the backend and the
language, the bindings of the action table, the unit's state, and errors told without tracebacks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar, cast

from textual import events
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.worker import Worker

from tui_ibhxh.core.i18n import Lang, pin_state, pin_warnings, t
from tui_ibhxh.core.models import Contact, TokenInfo
from tui_ibhxh.core.state import Aspect, Change, UnitState
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.services.workflow import CertChoice
from tui_ibhxh.ui.actions import ACTIONS
from tui_ibhxh.ui.backend import Backend
from tui_ibhxh.ui.messages import UnitStateChanged
from tui_ibhxh.ui.widgets.footer import KeyFooter
from tui_ibhxh.ui.widgets.stepper import Stepper

log = logging.getLogger(__name__)

NARROW = 100  # columns


@dataclass(frozen=True)
class Answers:
    """What the user settled in the steps behind: a step that is done hands it to the host, which opens the next
    step with it (steps never name each other)."""

    choice: CertChoice | None = None  # the certificate to register
    contact: Contact | None = None  # the contact details to send with it


class Host(Protocol):
    """What screens use of the app (ui/app.py implements it; the screens never import it)."""

    backend: Backend
    animations: bool  # False in tests and screenshots: no cursor blink

    @property
    def steps(self) -> tuple[str, ...]: ...  # the procedure's steps in order, as the stepper shows them
    @property
    def steps_done(self) -> int: ...  # how many of them are behind the user
    def step_reached(self, step: str) -> None: ...
    def step_done(self, step: str, answers: Answers) -> None: ...  # open the step after ``step``
    def connected(self) -> None: ...
    def offer_pending(self) -> None: ...
    def confirm_discard(self) -> None: ...
    def resend_pending(self, key: str) -> object: ...
    def worker_state_changed(self, event: Worker.StateChanged) -> None: ...
    def key(self, binding_id: str) -> str: ...  # the key in force for an action id, as the footer writes it
    def hint(self, message: str, /, **params: object) -> str: ...  # a sentence naming keys: the keys in force


def told(exc: BaseException, lang: Lang, what: str) -> str:
    """The sentence for an error a view shows itself (inline, or in its own words); logged, with the traceback
    when it is not one of ours (its sentence then only says that something unexpected happened)."""
    if callable(getattr(exc, "message", None)):
        log.warning("%s: %s", what, error_text(exc, "en"))
    else:
        log.error("%s failed", what, exc_info=exc)
    return error_text(exc, lang)


ResultT = TypeVar("ResultT")


class AppScreen(Screen[ResultT]):
    """Every screen of the app (wizard, history and the dialogs): the host, its backend and language, and the
    unit's state: a screen lists the aspects it shows in ``OBSERVES`` and re-renders them in
    :meth:`unit_state_changed` (it never keeps its own copy). Its keys are the ids it lists in ``ACTIONS`` (see
    ui/actions.py: make it with ``localized(ScreenClass, lang)``). A worker's failure goes to the host, which says
    it and logs it: a screen catches only what it shows in its own way."""

    OBSERVES: frozenset[Aspect] = frozenset()
    ACTIONS: ClassVar[tuple[str, ...]] = ()
    LANG: ClassVar[Lang | None] = None  # set by ``localized``: the language of this class's bindings

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        if self.ACTIONS and self.LANG is None:
            raise TypeError(f"{type(self).__name__} has keys: make it with localized(), in the app's language")
        super().__init__(name=name, id=id, classes=classes)

    @property
    def host(self) -> Host:
        return cast(Host, self.app)

    @property
    def backend(self) -> Backend:
        return self.host.backend

    @property
    def lang(self) -> Lang:
        return self.host.backend.lang

    def tr(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def key(self, binding_id: str) -> str:
        """The key in force for ``binding_id`` (the keymap applied): a sentence that names a key takes it as a
        parameter, e.g. ``self.tr("ui.confirm.ready", key=self.key("confirm.submit"))``."""
        return self.host.key(binding_id)

    def hint(self, message: str, /, **params: object) -> str:
        """``tr`` for a sentence that names keys: each as ``{<action id with _>}`` (``{confirm_submit}``), the key
        in force (``[ui.keymap]`` applied) filled in."""
        return self.host.hint(message, **params)

    def told(self, exc: BaseException) -> str:
        return told(exc, self.lang, type(self).__name__)

    @property
    def state(self) -> UnitState:
        return self.host.backend.state

    def pin_state(self, token: TokenInfo) -> str:
        return pin_state(token.pin, self.lang)

    def pin_warnings(self, token: TokenInfo | None) -> list[str]:
        return pin_warnings(token.pin, self.lang) if token is not None else []

    def on_mount(self) -> None:
        if self.OBSERVES:
            self._stop_observing = self.backend.observe(self._observed)

    def on_unmount(self) -> None:
        if self.OBSERVES:
            self._stop_observing()

    def _observed(self, state: UnitState, change: Change) -> None:
        if change.aspects & self.OBSERVES:
            self.post_message(UnitStateChanged(change))

    def on_unit_state_changed(self, message: UnitStateChanged) -> None:
        self.unit_state_changed(message.change)

    def unit_state_changed(self, change: Change) -> None:
        """Re-render what ``change`` touched (screens that observe override this)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.host.worker_state_changed(event)  # the message does not bubble: the one handler is the host's


class Dialog(ModalScreen[ResultT], AppScreen[ResultT]):
    """A modal dialog over the current screen."""


class BaseScreen(AppScreen[None]):
    """A full screen: a step of the procedure or History (``STEP``: its name in the stepper). Its ``ACTIONS`` end
    with the app's own (``APP_ACTIONS``: the footer shows them last)."""

    HELP_KEY = "ui.help.token"
    STEP: ClassVar[str] = ""
    MIN_SIZE: ClassVar[tuple[int, int]] = (80, 24)  # below it, the screen says so instead of cutting things

    def stepper(self, *, done: int | None = None) -> Stepper:
        return Stepper(self.STEP, self.lang, self.host.steps, done=done)

    def key_rank(self, binding_id: str) -> int:
        """How much the footer wants ``binding_id`` (1 first; see ui/actions.py): a screen may change it with its
        state."""
        return ACTIONS[binding_id].rank

    def footer(self) -> KeyFooter:
        """The keys of the screen that fit (by rank: ui/actions.py), never half a key."""
        return KeyFooter(self.lang)

    def on_compose(self) -> None:
        """The terminal's width class before the screen's widgets are made: set at the first resize instead, it had
        Textual restyle every widget the screen had just styled (bench/startup.py)."""
        self.set_class(self.app.size.width < NARROW, "-narrow")

    def on_resize(self, event: events.Resize) -> None:
        # 80-column terminals: side-by-side panels are stacked (see ui/app.tcss)
        self.set_class(event.size.width < NARROW, "-narrow")
        self.check_size(event.size.width, event.size.height)

    def check_size(self, width: int, height: int) -> None:
        """Smaller than ``MIN_SIZE``: the screen is replaced by a sentence saying the size it needs (rather than
        columns and keys silently cut)."""
        need_w, need_h = self.MIN_SIZE
        small = width < need_w or height < need_h
        if small:
            text = self.tr("ui.too_small", width=width, height=height, need_width=need_w, need_height=need_h)
            notice = self.query("#too-small")
            if notice:
                notice.first(Static).update(text)
            else:
                self.mount(Static(text, id="too-small", markup=False))
        self.set_class(small, "-too-small")


class StepScreen(BaseScreen):
    """A step of the wizard: made with what the steps behind it settled; when done it hands on its answers
    (``host.step_done``), and the host opens the next step (ui/wizard.py has their order)."""

    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers

    def on_screen_resume(self) -> None:
        self.host.step_reached(self.STEP)

    def step_done(self, answers: Answers) -> None:
        self.host.step_done(self.STEP, answers)
