"""The Textual application: the wizard (token → certificates → contact → confirm) and the history mode.

Screens are thin views over the ``Backend`` (services.workflow underneath); every service call runs in a
worker. Bindings have ids and can be remapped from ``[ui.keymap]`` (id = "keys").
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from tui_ibhxh.core.i18n import pin_state, pin_warnings, t
from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.ui import messages as _messages  # noqa: F401  (registers the UI sentences)
from tui_ibhxh.ui.backend import Backend
from tui_ibhxh.ui.screens.base import BaseScreen, translate_bindings
from tui_ibhxh.ui.screens.help import HelpScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.token import TokenScreen


def stylesheet() -> Path:
    """The app stylesheet: ``.textual.css`` at the repository root, shipped in the wheel as ui/app.tcss."""
    return Path(str(resources.files("tui_ibhxh.ui").joinpath("app.tcss")))


class IbhxhApp(App[int]):
    CSS_PATH = str(stylesheet())
    MODES = {"wizard": TokenScreen, "history": HistoryScreen}
    DEFAULT_MODE = "wizard"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Thoát", id="app.quit", priority=True),
        Binding("f1", "help", "Trợ giúp", id="app.help"),
        Binding("f3", "switch_mode('history')", "Lịch sử", id="app.history"),
        Binding("f2", "switch_mode('wizard')", "Quy trình", id="app.wizard"),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        backend: Backend,
        *,
        keymap: dict[str, str] | None = None,
        animations: bool = True,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.theme_config = theme
        self.wizard_done = 0  # wizard steps behind the user, shown by the History stepper
        self.keymap_config = dict(keymap or {})
        self.animations = animations
        if not animations:
            self.animation_level = "none"
        self.title = t("ui.title", backend.lang)
        unit = backend.unit
        self.sub_title = f"{unit.ten_dvi} ({unit.ma_dvi})"

    def on_mount(self) -> None:
        translate_bindings(self, self.backend.lang)
        if self.theme_config:
            if self.theme_config in self.available_themes:
                self.theme = self.theme_config
            else:
                known = ", ".join(sorted(self.available_themes))
                message = t("ui.theme_unknown", self.backend.lang, theme=self.theme_config, known=known)
                self.notify(message, severity="warning", timeout=15, markup=False)
        if self.keymap_config:
            self.set_keymap(self.keymap_config)

    async def on_unmount(self) -> None:
        await self.backend.close()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette lists every action of the current screen with its key, then Textual's own."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            node = active.node

            def run(action: str = binding.action, target: DOMNode = node) -> None:
                self.call_later(self.run_action, action, target)

            yield SystemCommand(f"{binding.description} ({self.get_key_display(binding)})", binding.id or "", run)
        yield from super().get_system_commands(screen)

    def pin_warnings(self, token: TokenInfo | None) -> list[str]:
        return pin_warnings(token.pin, self.backend.lang) if token is not None else []

    def pin_state(self, token: TokenInfo) -> str:
        return pin_state(token.pin, self.backend.lang)

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        key = screen.HELP_KEY if isinstance(screen, BaseScreen) else "ui.help.token"
        keys = [
            (self.get_key_display(b.binding), b.binding.description)
            for b in self.active_bindings.values()
            if b.binding.show and b.binding.description
        ]
        title = screen.query_one(".heading").render() if screen.query(".heading") else ""
        self.push_screen(HelpScreen(str(title), key, keys))
