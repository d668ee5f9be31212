"""Keys as the user has them: hints follow ``[ui.keymap]``, the command palette lists the app's own commands (in the
app's language, with their keys, found without diacritics), and the contact form types like a text field."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Input

from tests.ui.conftest import MakeApp
from tests.ui.test_colour_modes import screen_text
from tests.ui.test_snapshots import to_confirm, to_contact
from tests.ui.until import plain, settled, until
from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.core.validation import CONTACT_FIELDS
from tui_ibhxh.ui.actions import ACTIONS
from tui_ibhxh.ui.palette import AppCommands, fold
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.contact import ContactScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.token import TokenScreen
from tui_ibhxh.ui.widgets.footer import KeyFooter

REMAP = {"confirm.submit": "ctrl+s", "app.history": "f9"}


async def test_hints_name_the_keys_in_force(make_app: MakeApp) -> None:
    """With confirm.submit on ctrl+s and app.history on f9, every sentence that names them says so; the keys
    work."""
    app = make_app(keymap=REMAP)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_confirm(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        ready = plain(screen.query_one("#progress"))
        assert "^s" in ready and "f5" not in ready.lower()
        footer = screen_text(app).splitlines()[-1]
        assert f"^s {t('ui.key.submit', 'vi')}" in footer and f"f9 {t('ui.key.history', 'vi')}" in footer
        await pilot.press("f1")  # the help's sentence names them too
        await settled(pilot)
        help_text = " ".join(screen_text(app).split())
        assert "^s ký trên token" in help_text
        await pilot.press("escape")
        await settled(pilot)
        await pilot.press("f5")  # no longer the key
        await settled(pilot)
        assert not screen.sent
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert screen.sent
        done = " ".join(plain(screen.query_one("#progress")).split())
        assert "Nhấn f9 để theo dõi" in done and "F3" not in done and "f3" not in done
        # sent: F5 is no longer offered, History is
        assert "confirm.submit" not in screen.query_one(KeyFooter).shown_ids
        assert "app.history" in screen.query_one(KeyFooter).shown_ids
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))


async def test_the_token_hint_follows_a_remapped_login_key(make_app: MakeApp) -> None:
    app = make_app(keymap={"token.login": "ctrl+l"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, TokenScreen)
        assert "^l nhập mã PIN" in plain(app.screen.query_one("#token-state"))


def command_titles(app: object) -> list[str]:
    from tui_ibhxh.ui.app import IbhxhApp

    assert isinstance(app, IbhxhApp)
    return [command.title for command in app.get_system_commands(app.screen)]


async def test_the_palette_lists_the_apps_commands_translated_with_keys(make_app: MakeApp) -> None:
    for lang in ("vi", "en"):
        lang_: Lang = lang
        app = make_app(lang=lang_)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot)
            titles = command_titles(app)
            screen = app.screen
            assert isinstance(screen, TokenScreen)
            expected = {f"{t(ACTIONS[i].description, lang_)} ({app.key(i)})" for i in screen.ACTIONS}
            assert set(titles) == expected, titles  # only the app's, none of Textual's ("Cursor down", "Quit"...)
            for title in titles:
                assert "." not in title.split("(")[0]  # no raw id such as history.export


async def test_the_palette_finds_without_diacritics_and_runs(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        provider = AppCommands(app.screen)
        hits = [hit async for hit in provider.search("lich su")]
        assert [str(hit.text) for hit in hits] == [f"{t('ui.key.history', 'vi')} (f3)"]
        assert fold("Lịch sử Đăng ký") == "Lich su Dang ky"
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette_input = app.screen.query_one(Input)
        assert palette_input.placeholder == t("ui.palette.placeholder", "vi")
        await pilot.press(*"lich", "space", *"su")
        await until(pilot, lambda: "Lịch sử (f3)" in screen_text(app), what="the hit")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="History")


async def test_contact_starts_in_the_first_field_and_end_backspace_deletes_one_character(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_contact(pilot)
        screen = app.screen
        assert isinstance(screen, ContactScreen)
        first = screen.query_one(f"#f-{CONTACT_FIELDS[0]}", Input)
        assert app.focused is first
        before = first.value
        await pilot.press("end", "backspace")
        assert first.value == before[:-1]
        await pilot.press("tab")  # the next field: End, Backspace the same (no select-all on focus)
        second = screen.query_one(f"#f-{CONTACT_FIELDS[1]}", Input)
        assert app.focused is second
        phone = second.value
        await pilot.press("9")  # typed into the field, not over a selection of all of it
        assert len(second.value) == len(phone) + 1 and "9" in second.value
        await pilot.press("end", "backspace", "backspace")
        assert second.value == phone[:-1]


async def test_historys_hints_follow_the_keymap_too(make_app: MakeApp) -> None:
    """The mechanism is the app's (``hint``): History's sentences that name a key say the key in force."""
    from tests.ui.fake_backend import PENDING, FakeBackend
    from tests.ui.test_pilot_fake import open_history

    backend = FakeBackend()
    backend.pending = PENDING
    app = make_app(backend, keymap={"history.resend": "ctrl+r", "history.discard": "f8"})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        line = plain(screen.query_one("#history-state"))
        assert "^r gửi lại" in line and "f8 hủy" in line


async def test_the_palette_says_no_match_in_the_apps_language(make_app: MakeApp) -> None:
    """Nothing matches: said in the app's language, naming the help key in force (not Textual's English)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        hits = [hit async for hit in AppCommands(app.screen).search("zzzz")]
        assert [str(hit.text) for hit in hits] == [t("ui.palette.no_match", "vi", query="zzzz", app_help="f1")]
        assert "Không có lệnh nào" in str(hits[0].text)
