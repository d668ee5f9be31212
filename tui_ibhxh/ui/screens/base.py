"""What every screen shares: the backend, the language, showing errors without tracebacks."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar, cast

from rich.markup import escape
from textual import events
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.core.state import Aspect, Change, UnitState
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.ui.messages import UnitStateChanged

if TYPE_CHECKING:
    from tui_ibhxh.ui.app import IbhxhApp
    from tui_ibhxh.ui.backend import Backend


def translate_bindings(node: DOMNode, lang: Lang) -> None:
    """Binding descriptions are written in Vietnamese; in English they are swapped on this instance."""
    if lang == "vi":
        return
    table = {t(key, "vi"): t(key, lang) for key in BINDING_KEYS}
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        # new lists: the instance map is a shallow copy of the class's, its lists are shared
        mapping[key] = [replace(b, description=table.get(b.description, b.description)) for b in bindings]


NARROW = 100  # columns

BINDING_KEYS = (
    "ui.key.quit",
    "ui.key.help",
    "ui.key.history",
    "ui.key.wizard",
    "ui.key.back",
    "ui.key.login",
    "ui.key.choose",
    "ui.key.next",
    "ui.key.submit",
    "ui.key.preview",
    "ui.key.filter",
    "ui.key.export",
    "ui.key.refresh",
    "ui.key.cancel",
    "ui.key.close",
    "ui.key.save_receipt",
    "ui.key.module",
    "ui.key.resend",
    "ui.key.discard",
    "ui.key.yes",
    "ui.key.no",
    "ui.key.change_pin",
    "ui.key.save_file",
)


ResultT = TypeVar("ResultT")


class AppScreen(Screen[ResultT]):
    """Every screen of the app (wizard, history and the dialogs): the app, its backend and language, the
    binding descriptions in that language, and the unit's state: a screen lists the aspects it shows in
    ``OBSERVES`` and re-renders them in :meth:`unit_state_changed` (it never keeps its own copy)."""

    OBSERVES: frozenset[Aspect] = frozenset()

    @property
    def ibhxh(self) -> IbhxhApp:
        from tui_ibhxh.ui.app import IbhxhApp

        return cast(IbhxhApp, self.app)

    @property
    def backend(self) -> Backend:
        return self.ibhxh.backend

    @property
    def lang(self) -> Lang:
        return self.ibhxh.backend.lang

    def tr(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    @property
    def state(self) -> UnitState:
        return self.ibhxh.backend.state

    def on_mount(self) -> None:
        translate_bindings(self, self.lang)
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
        self.ibhxh.worker_failed(event.worker)


class Dialog(ModalScreen[ResultT], AppScreen[ResultT]):
    """A modal dialog over the current screen."""


class BaseScreen(AppScreen[None]):
    HELP_KEY = "ui.help.token"
    STEP: str | None = None  # the wizard step this screen is (None: not a wizard screen)

    def on_screen_resume(self) -> None:
        if self.STEP is not None:
            from tui_ibhxh.ui.widgets.stepper import STEPS

            self.ibhxh.wizard_done = STEPS.index(self.STEP)

    def on_resize(self, event: events.Resize) -> None:
        # 80-column terminals: side-by-side panels are stacked (see .textual.css)
        self.set_class(event.size.width < NARROW, "-narrow")

    def show_error(self, exc: BaseException) -> None:
        self.notify(escape(error_text(exc, self.lang)), severity="error", timeout=10)
