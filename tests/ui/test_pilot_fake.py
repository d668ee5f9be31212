"""Keyboard-only behaviour on the fake backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tests.ui.conftest import MakeApp, Notes
from tests.ui.fake_backend import PENDING, FakeBackend, transaction
from tests.ui.until import plain, select_cert, settled, until
from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.core.state import Feed, FeedState
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.contact import ContactScreen
from tui_ibhxh.ui.screens.help import HelpScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.pin import PinScreen
from tui_ibhxh.ui.screens.token import TokenScreen
from tui_ibhxh.ui.widgets.line_table import LineTable


def transactions(screen: HistoryScreen) -> list[Transaction]:
    """The transactions History shows (its rows but the pending dossier's)."""
    return [row for row in screen.rows if isinstance(row, Transaction)]


def screen_line(app: IbhxhApp, fragment: str) -> str:
    """The first line of the screen as drawn that holds ``fragment`` ("" if none)."""
    from tests.ui.test_colour_modes import screen_text

    return next((line for line in screen_text(app).splitlines() if fragment in line), "")


async def log_in(app: IbhxhApp, pilot: Pilot[int]) -> None:
    """Token → PIN → the Certificates step (the history follows from then on)."""
    await until(pilot, lambda: isinstance(app.screen, TokenScreen) and bool(app.screen.tokens))
    await pilot.press("enter", *"123456", "enter")
    await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))


async def open_history(app: IbhxhApp, pilot: Pilot[int]) -> HistoryScreen:
    """Logged in, then F3: History with the unit's transactions."""
    await log_in(app, pilot)
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.backend.state.history_loaded)
    await settled(pilot)
    assert isinstance(app.screen, HistoryScreen)
    return app.screen


async def test_whole_wizard_with_keys_only(make_app: MakeApp) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, TokenScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, PinScreen)
        await pilot.press(*"123456", "enter")
        await settled(pilot)
        assert isinstance(app.screen, CertificatesScreen)
        await pilot.press("enter")  # the usable certificate is preselected
        assert isinstance(app.screen, ContactScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CertificatesScreen)
        await pilot.press("enter", "f5")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("f5")
        await settled(pilot)
        [(choice, contact)] = backend.submitted
        assert choice.cert.label.endswith("(mới)") and contact.email == "ketoan@abc.vn"
        assert "GD202611240000004" in str(app.screen.query_one("#progress").render())
        await pilot.press("f3")
        await settled(pilot)
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("ctrl+q")
    assert app.return_code in (0, None)


async def test_blocked_certificate_cannot_continue(make_app: MakeApp, notes: Notes) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(app, pilot)
        await settled(pilot)
        await select_cert(pilot, "(đang đăng ký)")  # the registered certificate: SAME_AS_REGISTERED
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, CertificatesScreen)
        assert notes.saying("đang đăng ký")


async def test_invalid_contact_blocks_and_explains(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(app, pilot)
        await settled(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ContactScreen)
        screen.query_one("#f-email", Input).value = "ketoan@"
        await until(pilot, lambda: "E-mail không hợp lệ" in plain(screen.query_one("#e-email")))
        await pilot.press("f5")
        await settled(pilot)
        assert isinstance(app.screen, ContactScreen)


async def test_keymap_remaps_a_binding_and_f1_help(make_app: MakeApp) -> None:
    app = make_app(keymap={"app.history": "f9"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f3")
        await settled(pilot)
        assert isinstance(app.screen, TokenScreen)
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)


async def test_english(make_app: MakeApp) -> None:
    app = make_app(FakeBackend("en"), lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        descriptions = {b.binding.description for b in app.active_bindings.values()}
        assert {"Quit", "Help", "History", "Enter PIN"} <= descriptions


async def test_history_filter_export_and_live_update(make_app: MakeApp, tmp_path: Path) -> None:
    """e asks where (prefilled in the default folder, not the current directory) and writes the rows the filter
    shows."""
    from tui_ibhxh.ui.screens.save_path import SavePathDialog

    backend = FakeBackend()
    backend.exports_dir = tmp_path / "tui-ibhxh"
    backend.events_script = [transaction(3, TxStatus.ACCEPTED, minutes_ago=5)]
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        assert screen.items["GD202611240000003"].status is TxStatus.ACCEPTED  # live event applied
        table = screen.query_one("#history", LineTable)
        assert table.row_count == 3
        await pilot.press("f", "f", "f")  # all → sent → received → accepted
        assert table.row_count == 2
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, SavePathDialog))
        field = app.screen.query_one("#save-path", Input)
        assert field.value == str(tmp_path / "tui-ibhxh" / "lich-su-giao-dich-TA1234A.csv")
        assert backend.exported == []  # nothing written before the user says where
        await pilot.press("enter")
        await until(pilot, lambda: bool(backend.exported))
        [path] = backend.exported
        assert path == tmp_path / "tui-ibhxh" / "lich-su-giao-dich-TA1234A.csv"
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
        assert lines[0].startswith("Mã giao dịch") and len(lines) == 3  # the header and the two accepted ones
        assert all("Chấp nhận (Thành công)" in line for line in lines[1:])
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, SavePathDialog))
        await pilot.press("escape")  # gives up: nothing more written
        await until(pilot, lambda: app.screen is screen)
        await settled(pilot)
        assert len(backend.exported) == 1
        await pilot.press("ctrl+q")


async def test_history_hands_files_to_the_browser_under_textual_serve(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, notes: Notes
) -> None:
    """Under ``textual serve`` the files go to the user's browser, not to the server's disk: no path asked."""
    import io

    delivered: list[tuple[str, bytes, str | None]] = []

    def deliver_binary(self: IbhxhApp, file: io.BytesIO, *, save_filename: str, mime_type: str) -> str:
        delivered.append((save_filename, file.getvalue(), mime_type))
        return "delivery"

    monkeypatch.setattr(IbhxhApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(IbhxhApp, "deliver_binary", deliver_binary)
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        await pilot.press("e")
        await until(pilot, lambda: len(delivered) == 1)
        name, data, mime = delivered[0]
        assert name == "lich-su-giao-dich-TA1234A.csv" and mime == "text/csv"
        assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 4  # header + 3 transactions
        await pilot.press("down", "x")  # the rejected one: final
        await until(pilot, lambda: len(delivered) == 3)
        chosen = screen.selected()
        assert isinstance(chosen, Transaction)
        assert [d[0] for d in delivered[1:]] == [f"xac-nhan-{chosen.ma_gdich}.xml", f"xac-nhan-{chosen.ma_gdich}.html"]
        assert app.screen is screen and backend.exported == [] and backend.saved == []
        assert notes.saying("cho trình duyệt")


async def test_escape_goes_back_to_the_procedure(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        assert screen.query_one(LineTable).has_focus  # the table has the keys, Esc still reaches the screen
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))
        assert app.current_mode == "wizard"


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_the_footer_shows_no_half_key_at_80_columns(make_app: MakeApp, lang: Lang) -> None:
    """At 80 columns the footer shows the keys that fit by their rank (ui/actions.py), filter/export/confirmation
    among them, each whole; every key of the screen is still in F1's help and in the command palette."""
    from textual.widgets._footer import FooterKey

    from tui_ibhxh.ui.actions import ACTIONS

    app = make_app(FakeBackend(lang), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        keys = list(screen.query(FooterKey))
        assert sum(key.outer_size.width for key in keys) <= 80
        shown = {key.action for key in keys}
        for binding_id in ("history.filter", "history.export", "history.receipt"):
            assert ACTIONS[binding_id].action in shown
        footer = screen_line(app, "^p")
        for key in keys:
            assert f"{key.description}" in footer, (key.description, footer)
        palette = " ".join(c.title for c in app.get_system_commands(app.screen))
        offered = [a.binding for a in screen.active_bindings.values() if a.enabled and a.binding.id in screen.ACTIONS]
        assert offered and all(binding.description in palette for binding in offered), palette


@pytest.mark.parametrize("size", [(80, 24)])
async def test_ctrl_q_always_quits_even_from_a_modal(make_app: MakeApp, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, PinScreen)
        await pilot.press("ctrl+q")
    assert not app.is_running


async def test_command_palette_lists_and_runs_the_screen_actions(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert any(title.startswith("Lịch sử (") for title in titles)
        assert any(title.startswith("Nhập PIN (") for title in titles)
        history = next(c for c in commands if c.title.startswith("Lịch sử ("))
        assert "app.history" not in history.help  # no raw id on screen
        history.callback()
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))


async def test_theme_from_config_and_unknown_theme_explained(notes: Notes) -> None:
    ansi = IbhxhApp(FakeBackend(), animations=False, theme="ansi-dark")
    async with ansi.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert ansi.theme == "ansi-dark"
    assert not notes.seen
    wrong = IbhxhApp(FakeBackend(), animations=False, theme="hong-ha")
    async with wrong.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert wrong.theme == "textual-dark"
        (note,) = notes
        assert '"hong-ha"' in note.message and "ansi-dark" in note.message and note.severity == "warning"


def test_launch_applies_mouse_and_theme_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_ibhxh import launch
    from tui_ibhxh.services.config import parse_config

    monkeypatch.setenv("IBHXH_HOME", str(tmp_path))
    unit = '[ivan]\nurl = "http://127.0.0.1:9"\n[units.a]\nma_dvi = "TA1234A"\nmst = "0101234565"\nten_dvi = "ABC"\n'
    text = unit + '[ui]\ntheme = "ansi-dark"\nmouse = false\n'
    cfg = parse_config(text, tmp_path / "config.toml")
    seen: dict[str, object] = {}

    def fake_run(self: IbhxhApp, **kwargs: object) -> int:
        seen.update(kwargs, theme=self.theme_config)
        return 0

    monkeypatch.setattr(IbhxhApp, "run", fake_run)
    assert launch.run_tui(cfg, "vi") == 0
    assert seen == {"mouse": False, "theme": "ansi-dark"}


async def test_history_stepper_shows_how_far_the_procedure_got(make_app: MakeApp) -> None:
    from tui_ibhxh.ui.widgets.stepper import Stepper

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("f3")
        await settled(pilot)
        text = str(app.screen.query_one(Stepper).render())
        assert "✓" not in text and "▶ 5" in text  # nothing done yet: the procedure is at the token step
        await pilot.press("f2", "enter", *"123456", "enter")
        await settled(pilot)
        assert isinstance(app.screen, CertificatesScreen)
        await pilot.press("enter", "f5", "f3")  # at the confirm step: token, certificate, contact are behind
        await settled(pilot)
        text = str(app.screen.query_one(Stepper).render())
        assert text.count("✓") == 3 and "✓ 3" in text and "✓ 4" not in text
        await pilot.press("f2", "f5")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.sent
        await pilot.press("f3")
        await settled(pilot)
        assert str(app.screen.query_one(Stepper).render()).count("✓") == 4


async def test_history_polls_while_the_stream_is_down_and_says_so(make_app: MakeApp, notes: Notes) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        state_line = screen.query_one("#history-state")
        assert "● trực tiếp" in str(state_line.render())
        backend.set_feed(FeedState(Feed.POLLING))
        await until(pilot, lambda: "↻ cập nhật mỗi 10 giây" in str(state_line.render()))
        (note,) = notes.saying("Mất luồng sự kiện")
        assert note.severity == "warning"
        backend.set_feed(FeedState(Feed.LIVE))
        await until(pilot, lambda: "● trực tiếp" in str(state_line.render()))
        assert notes.saying("Đã kết nối lại")


async def test_history_saves_the_bhxh_confirmation_of_a_final_transaction(
    make_app: MakeApp, notes: Notes, tmp_path: Path
) -> None:
    """x on a final transaction asks where, prefilled with xac-nhan-<code>.xml in the default folder; the HTML
    goes beside it."""
    from tui_ibhxh.ui.screens.save_path import SavePathDialog

    backend = FakeBackend()
    backend.exports_dir = tmp_path
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        first = screen.selected()
        assert isinstance(first, Transaction) and not first.status.final  # the newest one is still "Đã tiếp nhận"
        await pilot.press("x")
        await settled(pilot)
        assert app.screen is screen and backend.saved == [] and notes.saying("chưa kết thúc")
        await pilot.press("down", "x")
        await until(pilot, lambda: isinstance(app.screen, SavePathDialog))
        chosen = screen.selected()
        assert isinstance(chosen, Transaction)
        assert "Xác nhận của BHXH" in plain(app.screen.query_one(".heading"))
        field = app.screen.query_one("#save-path", Input)
        assert field.value == str(tmp_path / f"xac-nhan-{chosen.ma_gdich}.xml")
        await pilot.press("enter")
        await until(pilot, lambda: bool(backend.saved))
        assert backend.saved == [chosen.ma_gdich]
        assert notes.saying(f"xac-nhan-{chosen.ma_gdich}.html")


async def test_add_a_vendor_module_from_the_token_screen(make_app: MakeApp, notes: Notes) -> None:
    from textual.widgets import Input

    from tui_ibhxh.services.errors import UserError
    from tui_ibhxh.ui.screens.module import ModuleScreen

    backend = FakeBackend()
    backend.tokens = []
    backend.module_error = UserError("token.module_not_pkcs11", path="/usr/lib/libz.so.1")
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("m")
        assert isinstance(app.screen, ModuleScreen)
        await pilot.press(*"/usr/lib/libz.so.1", "enter")
        await settled(pilot)
        assert isinstance(app.screen, ModuleScreen)  # refused: the dialog stays with the reason
        assert "không phải thư viện PKCS#11" in str(app.screen.query_one("#module-error").render())
        backend.module_error = None
        field = app.screen.query_one("#module-path", Input)
        field.value = ""
        await pilot.press("tab", "down", "enter")  # pick the second module found on this machine
        assert field.value == "/usr/lib/x86_64-linux-gnu/libshuttle_p11v220.so" and field.has_focus
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, TokenScreen)
        assert backend.modules_added == [Path("/usr/lib/x86_64-linux-gnu/libshuttle_p11v220.so")]
        assert notes.saying("Đã thêm trình điều khiển")
        await pilot.press("m", "escape")
        assert isinstance(app.screen, TokenScreen)


async def test_live_change_updates_its_row_in_place_and_respects_the_filter(make_app: MakeApp) -> None:
    from dataclasses import replace

    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        table = screen.query_one("#history", LineTable)
        await pilot.press("down")  # the cursor on the second row stays there
        received = next(tx for tx in transactions(screen) if tx.status is TxStatus.RECEIVED)
        row = screen.row_index(received)
        assert row is not None
        backend.pushed.put_nowait(replace(received, status=TxStatus.REJECTED, ma_loi="CE013", mota_loi="MST sai"))
        await settled(pilot)
        assert table.get_cell(row, "error") == "CE013"
        assert "Từ chối" in table.get_cell(row, "status")
        assert "CE013" in screen_line(app, f" {received.ma_gdich} ")  # drawn again, not only in the data
        assert table.row_count == 3 and table.cursor_row == 1
        # filtered on "Từ chối": a transaction leaving that status leaves the table
        await pilot.press("f", "f", "f", "f")
        await settled(pilot)
        assert {tx.status for tx in transactions(screen)} == {TxStatus.REJECTED} and table.row_count == 2
        moved = screen.items[received.ma_gdich]
        backend.pushed.put_nowait(replace(moved, status=TxStatus.ACCEPTED, ma_loi=None, mota_loi=None))
        await settled(pilot)
        assert table.row_count == 1 and screen.row_index(received) is None


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_every_status_is_shown_whole_at_80_columns(make_app: MakeApp, lang: Lang) -> None:
    """ "✓ Chấp nhận (Thành công)", the pending dossier's "⚠ Chưa gửi được (3)", the codes and dates: never cut,
    whatever arrives live (the columns' widths come from the data's shapes, not from the rows present)."""
    from dataclasses import replace

    backend = FakeBackend(lang)
    backend.history = [transaction(1, TxStatus.SENT)]
    backend.pending = PENDING
    app = make_app(backend, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        for status in (TxStatus.RECEIVED, TxStatus.ACCEPTED, TxStatus.REJECTED):
            backend.pushed.put_nowait(replace(backend.history[0], status=status))
            await settled(pilot)
            line = screen_line(app, " GD202611240000001 ")
            assert f"{screen.status_cell(status)} " in line and "24/11/2026 09:30" in line, line
        pending = screen_line(app, t("ui.pending.status", lang))
        assert f"{t('ui.pending.status', lang)} (3) " in pending and pending.startswith(" — "), pending
        assert screen_line(app, "Công ty TNHH ABC (TA1234A)")  # the heading: the unit code, uncut


async def test_the_history_state_line_tells_empty_from_filtered_out(make_app: MakeApp) -> None:
    backend = FakeBackend()
    backend.history = [transaction(1, TxStatus.ACCEPTED)]
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        await pilot.press("f")  # "Đã gửi": none
        await until(
            pilot, lambda: "Không có giao dịch nào ở trạng thái «Đã gửi»" in plain(screen.query_one("#history-state"))
        )
    empty = FakeBackend()
    empty.history = []
    app = make_app(empty)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        assert "Chưa có giao dịch nào" in plain(screen.query_one("#history-state"))


async def test_change_pin_dialog_moves_field_to_field_and_keeps_no_pin(make_app: MakeApp) -> None:
    from textual.widgets import Input

    from tui_ibhxh.ui.screens.change_pin import ChangePinScreen

    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("p")
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChangePinScreen)
        assert "6–8 ký tự" in str(dialog.query_one("#change-pin-rule").render())
        await pilot.press(*"123456", "enter", *"2468", "enter", *"2468", "enter")  # too short for 6–8
        error = dialog.query_one("#change-pin-error")
        await until(pilot, lambda: "từ 6 đến 8 ký tự" in str(error.render()))
        assert app.screen is dialog
        assert all(field.value == "" for field in dialog.query(Input))  # nothing typed is kept
        assert dialog.focused is dialog.query_one("#change-pin-old")
        await pilot.press(*"123456", "enter", *"24681357", "enter", *"24681357", "enter")
        await until(pilot, lambda: isinstance(app.screen, TokenScreen))
        assert [t.serial for t in backend.pin_changes] == ["1cb6cd3bfafc11bb"]
        await pilot.press("ctrl+q")


async def test_a_slow_ca_never_freezes_the_certificates_step(make_app: MakeApp) -> None:
    """The revocation check runs in a worker: while the CA is silent the rows say "checking" and the keys work;
    its answers rewrite the rows in place (the revoked one is refused in words), asked once."""
    import asyncio

    backend = FakeBackend()
    gate = asyncio.Event()
    backend.revocation_gate = gate
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(app, pilot)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        table = screen.query_one("#choices", DataTable)

        def cell(row: int) -> str:
            return str(table.get_cell(str(row), "state"))

        await until(pilot, lambda: "đang kiểm tra" in cell(0) and "đang kiểm tra" in cell(1), what="checking rows")
        await pilot.press("down")
        await until(pilot, lambda: table.cursor_row == 1, what="the cursor to move while the CA is silent")
        await until(pilot, lambda: "Đang kiểm tra" in plain(screen.query_one("#certs-problems")), what="the problems")
        gate.set()
        await until(pilot, lambda: "thu hồi" in cell(1), what="the revoked row")
        assert "dùng được" in cell(0) and backend.revocation_checks == 1
        assert "thu hồi (ngày 21/11/2026" in plain(screen.query_one("#certs-problems"))
        await pilot.press("enter")  # refused, in words, on the same screen
        await settled(pilot)
        assert isinstance(app.screen, CertificatesScreen)


def many(n: int) -> list[Transaction]:
    """``n`` transactions a week apart, newest first, the four statuses in turn."""
    statuses = [TxStatus.ACCEPTED, TxStatus.REJECTED, TxStatus.RECEIVED, TxStatus.SENT]
    return [transaction(i, statuses[i % 4], minutes_ago=60 * 24 * 7 * i) for i in range(1, n + 1)]


async def test_history_reads_older_pages_as_the_user_scrolls(make_app: MakeApp, tmp_path: Path) -> None:
    """The I-VAN's history is read a page at a time: what fills the screen and a page ahead, more as the cursor
    nears the end; the CSV export reads the rest first (it holds every matching transaction). How far ahead depends on
    the table's height when it is first laid out, so the bounds are loose."""
    backend = FakeBackend()
    backend.history = many(200)
    backend.page_size = 10
    backend.exports_dir = tmp_path
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        table = screen.query_one(LineTable)
        state_line = screen.query_one("#history-state")
        loaded = len(backend.state.transactions)
        assert table.row_count == loaded and table.page_rows < loaded <= 60 and backend.pages_read[0] == 10
        assert f"{loaded} giao dịch mới nhất đã tải" in plain(state_line)
        await pilot.press("end")
        await settled(pilot)
        assert table.cursor_row == loaded - 1 and table.row_count > loaded  # read on as the user went down
        assert len(backend.state.transactions) < 200
        await pilot.press("f", "f", "f")  # "Chấp nhận": every transaction is matched, the unread pages too
        await pilot.press("e", "enter")
        await until(pilot, lambda: bool(backend.exported))
        lines = backend.exported[0].read_bytes().decode("utf-8-sig").splitlines()
        assert len(lines) == 1 + 50 and backend.state.history_next is None
        await settled(pilot)
        assert "mới nhất đã tải" not in plain(state_line)


async def test_a_filter_reads_on_until_a_screenful_matches(make_app: MakeApp) -> None:
    """Filtered on a status the newest page lacks: older pages are read until the screen fills (not "none with
    this status" while the I-VAN has more)."""
    backend = FakeBackend()
    backend.history = [
        *(transaction(i, TxStatus.ACCEPTED, minutes_ago=i) for i in range(1, 101)),
        *(transaction(i, TxStatus.REJECTED, minutes_ago=i) for i in range(101, 131)),
    ]
    backend.page_size = 10
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        assert TxStatus.REJECTED not in {tx.status for tx in backend.state.transactions.values()}
        await pilot.press("f", "f", "f", "f")  # "Từ chối"
        await settled(pilot)
        table = screen.query_one(LineTable)
        assert table.row_count > table.page_rows  # a screenful of rejections, read from older pages
        assert {tx.status for tx in transactions(screen)} == {TxStatus.REJECTED}
        assert "Không có giao dịch nào" not in plain(screen.query_one("#history-state"))


async def test_the_table_moves_by_key_and_by_click(make_app: MakeApp) -> None:
    """Down/PageDown/End/PageUp/Home move the cursor (the table scrolls to keep it in view); a click selects the
    row under it; the detail follows the cursor."""
    backend = FakeBackend()
    backend.history = many(60)
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(app, pilot)
        table = screen.query_one(LineTable)
        page = table.page_rows
        await pilot.press("down", "pagedown")
        assert table.cursor_row == 1 + page and table.last_visible_row >= table.cursor_row
        await pilot.press("end")
        assert table.cursor_row == 59 and table.last_visible_row == 59
        await pilot.press("pageup")
        assert table.cursor_row == 59 - page
        await pilot.press("home")
        assert table.cursor_row == 0 and round(table.scroll_y) == 0
        await pilot.click(LineTable, offset=(3, 3))  # the header, then rows 0, 1, 2
        await settled(pilot)
        assert table.cursor_row == 2
        chosen = screen.selected()
        assert isinstance(chosen, Transaction) and chosen.ma_gdich in plain(screen.query_one("#detail"))


async def test_the_ivans_words_are_shown_as_written_never_as_markup(make_app: MakeApp) -> None:
    """BHXH's reason and a kept send error may hold brackets ("[KyKeKhai]", "[ivan] url"): shown whole, never
    read as Rich markup (which would drop them silently)."""
    backend = FakeBackend()
    backend.history = [transaction(1, TxStatus.REJECTED, ma_loi="SCHEMA", mota_loi="Thiếu phần tử [KyKeKhai]")]
    app = make_app(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        await until(pilot, lambda: "[KyKeKhai]" in plain(screen.query_one("#detail", Static)))
