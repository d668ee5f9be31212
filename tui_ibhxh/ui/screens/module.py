"""``m`` on the Token screen: point the app at a token vendor's PKCS#11 module (most are not registered with
p11-kit). The module must load; it is then used at once and remembered in the config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from tui_ibhxh.core.i18n import t
from tui_ibhxh.ui.screens.base import error_text, translate_bindings

if TYPE_CHECKING:
    from tui_ibhxh.ui.app import IbhxhApp


class ModuleScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ModuleScreen { align: center middle; }
    ModuleScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
                              padding: 1 2; background: $surface; }
    ModuleScreen #module-found { margin-top: 1; }
    ModuleScreen OptionList { height: auto; max-height: 6; }
    ModuleScreen #module-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Hủy", id="module.cancel")]

    @property
    def ibhxh(self) -> IbhxhApp:
        from tui_ibhxh.ui.app import IbhxhApp

        return cast(IbhxhApp, self.app)

    def tr(self, key: str, **params: object) -> str:
        return t(key, self.ibhxh.backend.lang, **params)

    def compose(self) -> ComposeResult:
        suggestions = self.ibhxh.backend.module_suggestions()
        with Vertical():
            yield Static(self.tr("ui.module.title"), classes="heading")
            yield Static(self.tr("ui.module.explain"))
            field = Input(placeholder=self.tr("ui.module.placeholder"), id="module-path")
            field.cursor_blink = self.ibhxh.animations
            yield field
            if suggestions:
                yield Static(self.tr("ui.module.found"), id="module-found")
                yield OptionList(*(str(p) for p in suggestions), id="module-suggestions")
            yield Static("", id="module-error")

    def on_mount(self) -> None:
        translate_bindings(self, self.ibhxh.backend.lang)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        field = self.query_one("#module-path", Input)
        field.value = str(event.option.prompt)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            return
        self.query_one("#module-error", Static).update(self.tr("ui.module.checking"))
        event.input.disabled = True
        self.add(Path(path).expanduser())

    @work(exclusive=True, exit_on_error=False, group="module")
    async def add(self, path: Path) -> None:
        field = self.query_one("#module-path", Input)
        try:
            seen = await self.ibhxh.backend.add_module(path)
        except Exception as exc:
            self.query_one("#module-error", Static).update(Text(error_text(exc, self.ibhxh.backend.lang)))
            field.disabled = False
            field.focus()
            return
        self.ibhxh.notify(self.tr("ui.module.added", path=path, tokens=len(seen)), markup=False)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
