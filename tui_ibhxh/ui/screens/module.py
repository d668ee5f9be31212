"""``m`` on the Token screen: point the app at a token vendor's PKCS#11 module (most are not registered with
p11-kit). The module must load; it is then used at once and remembered in the config."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static

from tui_ibhxh.ui.screens.base import Dialog


class ModuleScreen(Dialog[bool]):
    DEFAULT_CSS = """
    ModuleScreen { align: center middle; }
    ModuleScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
                              padding: 1 2; background: $surface; }
    ModuleScreen #module-found { margin-top: 1; }
    ModuleScreen OptionList { height: auto; max-height: 6; }
    ModuleScreen #module-error { color: $error; height: auto; }
    """
    ACTIONS = ("module.cancel",)

    def compose(self) -> ComposeResult:
        suggestions = self.backend.module_suggestions()
        with Vertical():
            yield Static(self.tr("ui.module.title"), classes="heading")
            yield Static(self.tr("ui.module.explain"))
            field = Input(placeholder=self.tr("ui.module.placeholder"), id="module-path")
            field.cursor_blink = self.host.animations
            yield field
            if suggestions:
                yield Static(self.tr("ui.module.found"), id="module-found")
                yield OptionList(*(str(p) for p in suggestions), id="module-suggestions")
            yield Static("", id="module-error")

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
            seen = await self.backend.add_module(path)
        except Exception as exc:  # the dialog stays, with the reason
            self.query_one("#module-error", Static).update(Text(self.told(exc)))
            field.disabled = False
            field.focus()
            return
        self.app.notify(self.tr("ui.module.added", path=path, count=len(seen)), markup=False)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
