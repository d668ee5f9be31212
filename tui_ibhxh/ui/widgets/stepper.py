"""The steps of the procedure, the current one highlighted (text marks, not colour alone).

``steps`` are the step names in order (the wizard router's: ui/wizard.py); ``done`` is how many are behind the
user, by default every step before the current one. History is its own mode, reachable from anywhere: there it
shows how far the procedure really got."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_ibhxh.core.i18n import Lang, t


class Stepper(Static):
    DEFAULT_CSS = """
    Stepper { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, current: str, lang: Lang, steps: tuple[str, ...], *, done: int | None = None) -> None:
        super().__init__()
        self.current = current
        self.steps = steps
        self.lang: Lang = lang
        self.done = done

    def show_done(self, done: int) -> None:
        self.done = done
        self.refresh()

    def render(self) -> Text:
        text = Text()
        index = self.steps.index(self.current)
        done = index if self.done is None else self.done
        for i, step in enumerate(self.steps):
            label = f"{i + 1} {t(f'ui.step.{step}', self.lang)}"
            if i == index:
                text.append(f"▶ {label}", style="bold reverse")
            elif i < done:
                text.append(f"✓ {label}", style="dim")
            else:
                text.append(f"  {label}")
            if i < len(self.steps) - 1:
                text.append(" › ", style="dim")
        return text
