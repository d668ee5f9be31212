"""Every key binding of the app, in one table: id → (action, default key, description key).

A screen lists the ids it binds (``ACTIONS``); its bindings are built from this table in the app's language when
the screen is made (:func:`localized`). The id is what ``[ui.keymap]`` remaps (``App.set_keymap``), so an id,
once published (README), never changes. Textual reads a node's bindings from its class's ``BINDINGS`` when the
node is created, so the one public way to give a screen bindings in a language chosen at run time is a class
whose ``BINDINGS`` are in that language: :func:`localized` makes it, once per screen and language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ParamSpec, TypeVar, cast

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

from tui_ibhxh.core.i18n import Lang, t


@dataclass(frozen=True)
class Action:
    action: str  # a Textual action string, run on the screen that binds it ("app." runs it on the app)
    key: str  # the default key(s), comma-separated
    description: str  # message key of what the footer, the help and the command palette say
    priority: bool = False  # checked before the focused widget sees the key
    rank: int = 3  # 1 first: when the footer is too narrow for every key, the highest ranks stay (see KeyFooter)


ACTIONS: dict[str, Action] = {
    # everywhere (every step screen and History binds them); rank: what a narrow footer keeps (F1 lists them all)
    "app.quit": Action("app.quit", "ctrl+q", "ui.key.quit", priority=True, rank=2),
    "app.help": Action("app.help", "f1", "ui.key.help", rank=1),
    "app.history": Action("app.switch_mode('history')", "f3", "ui.key.history", rank=3),
    "app.wizard": Action("app.switch_mode('wizard')", "f2", "ui.key.wizard", rank=3),
    # the steps of the procedure
    "wizard.back": Action("back", "escape", "ui.key.back", rank=2),
    "token.login": Action("login", "enter", "ui.key.login", priority=True, rank=1),
    "token.module": Action("add_module", "m", "ui.key.module", rank=4),
    "token.change_pin": Action("change_pin", "p", "ui.key.change_pin", rank=4),
    "certs.choose": Action("choose", "enter", "ui.key.choose", priority=True, rank=1),
    "contact.next": Action("next", "f5", "ui.key.next", rank=1),
    "confirm.submit": Action("submit", "f5", "ui.key.submit", rank=1),
    "confirm.preview": Action("preview", "f6", "ui.key.preview", rank=3),
    "confirm.save_file": Action("save_file", "f7", "ui.key.save_file", rank=4),
    # History
    "history.filter": Action("filter", "f", "ui.key.filter", rank=2),
    "history.export": Action("export", "e", "ui.key.export", rank=2),
    "history.refresh": Action("refresh", "r", "ui.key.refresh", rank=4),
    "history.receipt": Action("save_receipt", "x", "ui.key.save_receipt", rank=2),
    "history.resend": Action("resend", "s", "ui.key.resend", rank=3),
    "history.discard": Action("discard", "d", "ui.key.discard", rank=3),
    "history.back": Action("app.switch_mode('wizard')", "escape", "ui.key.back", rank=2),
    # dialogs
    "pending.resend": Action("choose('resend')", "s", "ui.key.resend", rank=1),
    "pending.discard": Action("choose('discard')", "d", "ui.key.discard", rank=1),
    "pending.cancel": Action("cancel", "escape", "ui.key.back", rank=1),
    "dialog.yes": Action("answer(True)", "y,enter", "ui.key.yes", rank=1),
    "dialog.no": Action("answer(False)", "n,escape", "ui.key.no", rank=1),
    "pin.cancel": Action("cancel", "escape", "ui.key.cancel", rank=1),
    "change_pin.cancel": Action("cancel", "escape", "ui.key.cancel", rank=1),
    "module.cancel": Action("cancel", "escape", "ui.key.cancel", rank=1),
    "save.cancel": Action("cancel", "escape", "ui.key.cancel", rank=1),
    "help.close": Action("close", "escape,f1", "ui.key.close", rank=1),
}

#: what every full screen binds after its own keys (the footer shows them last)
APP_ACTIONS = ("app.quit", "app.help", "app.history", "app.wizard")


def keys_in_force(binding_id: str, keymap: Mapping[str, str]) -> list[str]:
    """The keys that run ``binding_id`` now: the ``[ui.keymap]`` entry when there is one, else the default."""
    return [k.strip() for k in (keymap.get(binding_id) or ACTIONS[binding_id].key).split(",") if k.strip()]


def key_display(app: App[Any], binding_id: str, keymap: Mapping[str, str]) -> str:
    """How the key(s) of ``binding_id`` in force are written (as the footer writes them): the one way a sentence
    names a key, so that a hint follows the keymap ("Nhấn {key} để nộp")."""
    action = ACTIONS[binding_id]
    shown = [app.get_key_display(Binding(key, action.action)) for key in keys_in_force(binding_id, keymap)]
    return " / ".join(shown)


def key_params(app: App[Any], keymap: Mapping[str, str]) -> dict[str, str]:
    """Every action's key in force as a sentence's parameter, named by its id with "_" for "." (``{confirm_submit}``,
    ``{app_history}``): a catalogue sentence that names a key takes it from here, never writes it."""
    return {binding_id.replace(".", "_"): key_display(app, binding_id, keymap) for binding_id in ACTIONS}


def quiet(binding_id: str) -> Binding:
    """The binding of ``binding_id`` without a description (not in the footer): for the app itself, so that its
    key also works over a dialog."""
    a = ACTIONS[binding_id]
    return Binding(a.key, a.action, id=binding_id, priority=a.priority, show=False)


def bindings(ids: Iterable[str], lang: Lang) -> list[Binding]:
    """The bindings of ``ids``, in the table's default keys and with descriptions in ``lang``."""
    made = []
    for binding_id in ids:
        a = ACTIONS[binding_id]
        made.append(Binding(a.key, a.action, t(a.description, lang), id=binding_id, priority=a.priority))
    return made


P = ParamSpec("P")
NodeT = TypeVar("NodeT", bound=DOMNode)


def localized(node: Callable[P, NodeT], lang: Lang) -> Callable[P, NodeT]:
    """``node`` (a screen class with ``ACTIONS``) with its bindings in ``lang``: call it as the class itself."""
    return cast(Callable[P, NodeT], _localized(cast(type[DOMNode], node), lang))


@cache
def _localized(node: type[DOMNode], lang: Lang) -> type[DOMNode]:
    ids: tuple[str, ...] = getattr(node, "ACTIONS", ())
    namespace: dict[str, Any] = {"BINDINGS": bindings(ids, lang), "__module__": node.__module__, "LANG": lang}
    # the same name: CSS type selectors (``PinScreen { ... }``) and DEFAULT_CSS scopes keep matching
    return type(node.__name__, (node,), namespace)
