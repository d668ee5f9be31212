"""The five steps of the procedure, the current one highlighted (text marks, not colour alone).

``done`` is how many wizard steps are behind the user; by default every step before the current one. History is
its own mode, reachable from anywhere: there it shows how far the procedure really got."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_ibhxh.core.i18n import Lang, t

STEPS = ("token", "certs", "contact", "confirm", "history")


class Stepper(Static):
    DEFAULT_CSS = """
    Stepper { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, current: str, lang: Lang, *, done: int | None = None) -> None:
        super().__init__()
        self.current = current
        self.lang: Lang = lang
        self.done = done

    def show_done(self, done: int) -> None:
        self.done = done
        self.refresh()

    def render(self) -> Text:
        text = Text()
        index = STEPS.index(self.current)
        done = index if self.done is None else self.done
        for i, step in enumerate(STEPS):
            label = f"{i + 1} {t(f'ui.step.{step}', self.lang)}"
            if i == index:
                text.append(f"▶ {label}", style="bold reverse")
            elif i < done:
                text.append(f"✓ {label}", style="dim")
            else:
                text.append(f"  {label}")
            if i < len(STEPS) - 1:
                text.append("  ›  ", style="dim")
        return text
