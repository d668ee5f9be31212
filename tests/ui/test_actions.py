"""The action table (ui/actions.py) and the wizard's order (ui/wizard.py): every binding comes from the table in the
app's language, every id is published and remappable, and the steps follow each other as the router says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.screen import Screen

from tests.ui.conftest import MakeApp
from tests.ui.fake_backend import FakeBackend
from tests.ui.until import until
from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.ui import wizard
from tui_ibhxh.ui.actions import ACTIONS, APP_ACTIONS, localized
from tui_ibhxh.ui.screens.base import Answers, AppScreen, BaseScreen, Host
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.help import HelpScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.pending import ConfirmDialog
from tui_ibhxh.ui.screens.pin import PinScreen
from tui_ibhxh.ui.screens.token import TokenScreen

README = Path(__file__).resolve().parents[2] / "README.md"


def screen_classes() -> list[type[AppScreen[object]]]:
    """Every screen of the app (the subclasses of AppScreen that are not made by ``localized``)."""
    found: list[type[AppScreen[object]]] = []
    todo: list[type[AppScreen[object]]] = [AppScreen]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__dict__.get("ACTIONS") and "LANG" not in cls.__dict__:
            found.append(cls)
    return found


def test_the_readme_publishes_every_binding_id() -> None:
    """``[ui.keymap]`` remaps by id: the README's list is what users have; an id once there never goes."""
    block = README.read_text(encoding="utf-8").split("[ui.keymap]", 1)[1].split("```", 1)[0]
    published = set(re.findall(r"\b[a-z_]+\.[a-z_]+\b", block)) - {"actions.py"}
    assert published == set(ACTIONS)


def test_every_screen_binds_ids_of_the_table_and_full_screens_end_with_the_apps() -> None:
    classes = screen_classes()
    assert {c.__name__ for c in classes} >= {"TokenScreen", "HistoryScreen", "PinScreen", "HelpScreen"}
    for cls in classes:
        assert set(cls.ACTIONS) <= set(ACTIONS), cls
        ids_per_key: dict[str, str] = {}
        for binding_id in cls.ACTIONS:
            for key in ACTIONS[binding_id].key.split(","):
                assert key not in ids_per_key, (cls, key, binding_id, ids_per_key[key])  # one action per key
                ids_per_key[key] = binding_id
    full: list[type[BaseScreen]] = [*wizard.step_screens(), HistoryScreen]
    for step in full:
        assert step.ACTIONS[-len(APP_ACTIONS) :] == APP_ACTIONS, step


LANGS: list[Lang] = ["vi", "en"]


@pytest.mark.parametrize("lang", LANGS)
def test_bindings_are_made_in_the_language_with_their_ids(lang: Lang) -> None:
    made = localized(TokenScreen, lang)
    assert made is localized(TokenScreen, lang)  # once per screen and language
    assert isinstance(made, type) and issubclass(made, TokenScreen)
    assert made.__name__ == "TokenScreen"  # CSS type selectors keep matching
    descriptions = {b.id: b.description for b in made.BINDINGS if isinstance(b, Binding)}
    assert descriptions == {i: t(ACTIONS[i].description, lang) for i in TokenScreen.ACTIONS}


def test_a_screen_with_keys_must_be_made_in_a_language() -> None:
    with pytest.raises(TypeError, match="localized"):
        PinScreen(FakeBackend().tokens[0])


async def test_the_app_is_the_screens_host(make_app: MakeApp) -> None:
    host: Host = make_app()  # checked by mypy: the app has everything screens use of it
    assert host.steps == ("token", "certs", "contact", "confirm", "history")


async def test_a_dialogs_binding_is_remapped_by_its_id(make_app: MakeApp) -> None:
    app = make_app(keymap={"dialog.no": "q", "help.close": "f10"})
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TokenScreen))
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")  # replaced by f10
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, TokenScreen))
        answers: list[bool | None] = []
        app.push_screen(localized(ConfirmDialog, "vi")("?", "?"), answers.append)
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("q")
        await until(pilot, lambda: answers == [False])


def test_the_wizard_names_each_step_as_its_screen_does() -> None:
    """The stepper's names are known before the later steps' screens are imported (startup): they must be the
    names those screens report when done."""
    assert [cls.STEP for cls in wizard.step_screens()] == [name for name, _ in wizard.STEPS]
    assert (*(name for name, _ in wizard.STEPS), HistoryScreen.STEP) == wizard.NAMES


async def test_the_router_opens_the_next_step_and_counts_the_last(make_app: MakeApp) -> None:
    """The screens hand on their answers; which screen comes next is ui/wizard.py's."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TokenScreen) and bool(app.screen.tokens))
        assert app.steps_done == 0
        await pilot.press("enter", *"123456", "enter")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))
        assert app.steps_done == 1
        screen: Screen[object] = app.screen
        app.step_done("confirm", Answers())  # the last step: nothing opens, every step is behind
        assert app.screen is screen and app.steps_done == len(wizard.STEPS)
