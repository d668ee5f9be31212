"""The footer of every full screen: the keys of the screen that fit, never half a key.

Textual's footer cuts the last keys at the screen's edge ("f2 Qu▏"). This one keeps, when they do not all fit, the
keys of the highest rank (``Action.rank`` in ui/actions.py: 1 first), in the screen's order; the others are in F1
and the command palette. The palette's own key (right-hand side) is said in the app's language."""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.ui.actions import ACTIONS

UNRANKED = 9  # a binding that is not in the action table (none is shown today): last


class Key(NamedTuple):
    """One key of the footer, as its FooterKey is made."""

    id: str  # the binding's id (else its action)
    key: str
    display: str
    description: str
    action: str
    disabled: bool
    tooltip: str


class Plan(NamedTuple):
    """What the footer shows at a width: compared with what it shows, to skip a recompose that changes nothing."""

    width: int
    keys: tuple[Key, ...]
    palette: Key | None


@runtime_checkable
class Ranked(Protocol):
    """A screen that ranks its keys itself (e.g. after the dossier is sent, History comes first)."""

    def key_rank(self, binding_id: str) -> int: ...


def rank(screen: object, binding_id: str | None) -> int:
    if binding_id not in ACTIONS:
        return UNRANKED
    return screen.key_rank(binding_id) if isinstance(screen, Ranked) else ACTIONS[binding_id].rank


def key_width(key_display: str, description: str) -> int:
    """Cells a (non-compact) footer key takes: " key " then "description "."""
    return cell_len(key_display) + 2 + cell_len(description) + 1


def fitting(widths: list[int], ranks: list[int], room: int) -> list[int]:
    """The indexes of the keys shown in ``room`` cells: by rank (then the screen's order) while they fit, returned
    in the screen's order."""
    chosen: list[int] = []
    used = 0
    for i in sorted(range(len(widths)), key=lambda i: (ranks[i], i)):
        if used + widths[i] <= room:
            chosen.append(i)
            used += widths[i]
    return sorted(chosen)


class KeyFooter(Footer):
    """A footer that shows the keys that fit, by rank (see the module's docstring)."""

    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self.lang: Lang = lang
        self.drawn_width = 0
        self.shown_ids: list[str] = []  # the binding ids shown, for tests and the help
        self.drawn: Plan | None = None

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.drawn_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)

    async def recompose(self) -> None:
        """Textual recomposes a footer at each bindings signal and at each resize, three times while the app starts
        (~10 ms each, before the first screen is painted: bench/startup.py): done here only when the keys shown
        would change."""
        if not self.is_attached or self._pruning:  # gone with its screen (as Textual's own recompose checks)
            return
        if self._bindings_ready and self.is_mounted and self._plan() == self.drawn:
            return
        await super().recompose()

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        plan = self._plan()
        self.drawn = plan
        self.drawn_width = plan.width
        self.shown_ids = [key.id for key in plan.keys]
        for key in plan.keys:
            shown = FooterKey(
                key.key, key.display, key.description, key.action, disabled=key.disabled, tooltip=key.tooltip
            )
            # made with the footer's look: a FooterKey starts compact, and its binding to the footer's (not compact)
            # then restyled it a second time (bench/startup.py)
            shown.set_reactive(FooterKey.compact, self.compact)
            yield shown.data_bind(compact=Footer.compact)
        if plan.palette is not None:
            key = plan.palette
            yield FooterKey(
                key.key, key.display, key.description, key.action, classes="-command-palette", disabled=key.disabled
            )

    def _plan(self) -> Plan:
        """The keys that fit the footer's width, by rank, in the screen's order; then the palette's key."""
        width = self.size.width or self.app.size.width
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys: list[tuple[Binding, bool, str]] = []
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding, enabled, tooltip))
        palette: Key | None = None
        room = width
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                binding = found.binding
                shown = self.app.get_key_display(binding)
                description = t("ui.key.palette", self.lang)
                palette = Key(
                    binding.id or binding.action, binding.key, shown, description, binding.action, not found.enabled, ""
                )
                room -= key_width(shown, description) + 2  # its left border and right padding
        displays = [self.app.get_key_display(b) for b, _, _ in keys]
        widths = [key_width(shown, b.description) for shown, (b, _, _) in zip(displays, keys, strict=True)]
        ranks = [rank(self.screen, b.id) for b, _, _ in keys]
        chosen: list[Key] = []
        for i in fitting(widths, ranks, room):
            b, enabled, tooltip = keys[i]
            chosen.append(Key(b.id or b.action, b.key, displays[i], b.description, b.action, not enabled, tooltip))
        return Plan(width, tuple(chosen), palette)
