"""The TUI driven with keys only against a real simulator process and a SoftHSM copy of the demo token:
the whole update ending with ACCEPTED appearing in History by live update; wrong PIN; token removed."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tests.flow.conftest import PIN, Flow, Forward, flow, forwarded  # noqa: F401  (fixtures)
from tests.ui.until import until
from tui_ibhxh.core.models import TokenInfo, TxStatus
from tui_ibhxh.launch import build_backend
from tui_ibhxh.services.config import load_config
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.contact import ContactScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.pin import PinScreen
from tui_ibhxh.ui.screens.save_path import SavePathDialog
from tui_ibhxh.ui.screens.token import TokenScreen
from tui_ibhxh.ui.widgets.line_table import LineTable


def app_for(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> IbhxhApp:  # noqa: F811
    monkeypatch.setenv("IBHXH_HOME", str(flow.home))
    cfg = load_config(flow.config)
    return IbhxhApp(build_backend(cfg, "vi"), animations=False)


def tokens_shown(app: IbhxhApp) -> bool:
    """The Token step with its list in the table (drawn after the list itself arrives)."""
    screen = app.screen
    return isinstance(screen, TokenScreen) and bool(screen.tokens) and screen.query_one("#tokens").row_count > 0  # type: ignore[attr-defined]


def hold_token_polling(app: IbhxhApp, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The token list beneath is not looked at again until the event is set. A test that takes the token away
    then presses F5 means the signing to meet the loss first: on a loaded machine (tests in parallel) the poller
    could see it first and take the app back to the Token step."""
    tokens = app.backend.wf.tokens  # type: ignore[attr-defined]
    gate, polling = asyncio.Event(), tokens.list_tokens

    async def when_allowed() -> list[TokenInfo]:
        await gate.wait()
        return list(await polling())

    monkeypatch.setattr(tokens, "list_tokens", when_allowed)
    return gate


async def login(app: IbhxhApp, pilot: Pilot[int], pin: str) -> None:
    await until(pilot, lambda: tokens_shown(app))
    await pilot.press("enter")
    assert isinstance(app.screen, PinScreen)
    await pilot.press(*pin, "enter")


@pytest.mark.sim_delays(1.0, 1.5)
async def test_update_with_keys_only_until_accepted_live(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = app_for(flow, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, PIN)
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        assert screen.selected() is not None and screen.selected().cert.info.serial == flow.new_serial  # type: ignore[union-attr]
        await pilot.press("enter")
        assert isinstance(app.screen, ContactScreen)
        await pilot.press("f5")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("f5")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.sent)
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and bool(app.screen.items))
        history = app.screen
        assert isinstance(history, HistoryScreen)
        [tx] = history.items.values()
        assert tx.status is not TxStatus.ACCEPTED  # still on its way: what follows is the live update
        await until(pilot, lambda: next(iter(history.items.values())).status is TxStatus.ACCEPTED, timeout=30)
        assert "Chấp nhận (Thành công)" in str(history.query_one("#history", LineTable).get_row_at(0))
        assert "● trực tiếp" in str(history.query_one("#history-state").render())  # fed by the event stream
        # x: where (prefilled in $IBHXH_HOME/files), then BHXH's confirmation as signed XML and form 01/TB-GD
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, SavePathDialog))
        xml = flow.home / "files" / f"xac-nhan-{tx.ma_gdich}.xml"
        assert app.screen.query_one("#save-path", Input).value == str(xml)
        await pilot.press("enter")
        html = xml.with_suffix(".html")
        await until(pilot, html.exists)
        assert "chữ ký số hợp lệ" in html.read_text(encoding="utf-8")
        assert b"XACNHAN_GDICH" in xml.read_bytes()
        await pilot.press("ctrl+q")
    assert app.backend.state.registration is not None
    assert app.backend.state.registration.certificate.serial == flow.new_serial


async def test_wrong_pin_keeps_the_dialog_with_the_reason(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = app_for(flow, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "999999")
        await until(pilot, lambda: "Mã PIN không đúng" in str(app.screen.query_one("#pin-error").render()))
        assert isinstance(app.screen, PinScreen)
        await pilot.press(*PIN, "enter")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))
        await pilot.press("ctrl+q")


async def test_token_removed_before_submit(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = app_for(flow, monkeypatch)
    [store] = list((flow.home / "data" / "demo" / "tokens").iterdir())
    async with app.run_test(size=(120, 40)) as pilot:
        await login(app, pilot, PIN)
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        await pilot.press("enter", "f5")
        assert isinstance(app.screen, ConfirmScreen)
        gate = hold_token_polling(app, monkeypatch)
        shutil.move(store, flow.home / "unplugged")
        await pilot.press("f5")
        await until(pilot, lambda: "Token đã bị rút ra" in str(app.screen.query_one("#progress").render()))
        assert not app.screen.sent
        gate.set()
        await pilot.press("ctrl+q")
    assert not flow.journal.exists() or b"BHXH" not in flow.journal.read_bytes()


async def test_token_list_is_live_unplug_and_replug(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The token screen follows the real SoftHSM store without a restart (the service polls every second)."""
    app = app_for(flow, monkeypatch)
    [store] = list((flow.home / "data" / "demo" / "tokens").iterdir())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: tokens_shown(app))
        screen = app.screen
        assert isinstance(screen, TokenScreen)
        assert [t.label for t in screen.tokens] == ["DEMO TOKEN"]
        unplugged = time.monotonic()
        shutil.move(store, flow.home / "unplugged")
        await until(pilot, lambda: not screen.tokens, timeout=10)
        seen_after = time.monotonic() - unplugged
        await until(pilot, lambda: "Chưa cắm token" in str(screen.query_one("#token-state").render()))
        await pilot.press("enter")  # nothing to log in to: no PIN dialog
        assert isinstance(app.screen, TokenScreen)
        shutil.move(flow.home / "unplugged", store)
        # the list, then its table (drawn after it: wait for the table itself)
        await until(pilot, lambda: screen.query_one("#tokens", DataTable).row_count == 1, timeout=10)
        assert [t.label for t in screen.tokens] == ["DEMO TOKEN"]
        await pilot.press("ctrl+q")
    assert seen_after < 5, seen_after  # about a second of polling; generous for a loaded CI machine


async def test_vendor_module_added_from_the_token_screen(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The configured module is not there: no token; m, the real SoftHSM module's path, Enter → the token
    appears, and the config remembers the module for the next start."""
    from tui_ibhxh.demo import SOFTHSM_MODULE
    from tui_ibhxh.ui.screens.module import ModuleScreen

    text = flow.config.read_text(encoding="utf-8")
    flow.config.write_text(text.replace(f'modules = ["{SOFTHSM_MODULE}"]', 'modules = ["/opt/hang/p11.so"]'))
    app = app_for(flow, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TokenScreen) and app.backend.state.tokens_known)
        screen = app.screen
        assert isinstance(screen, TokenScreen) and not screen.tokens
        await pilot.press("m")
        assert isinstance(app.screen, ModuleScreen)
        await pilot.press(*SOFTHSM_MODULE, "enter")
        await until(pilot, lambda: isinstance(app.screen, TokenScreen) and bool(screen.tokens), timeout=10)
        assert [t.label for t in screen.tokens] == ["DEMO TOKEN"]
        await pilot.press("ctrl+q")
    assert [str(p) for p in load_config(flow.config).token.modules] == ["/opt/hang/p11.so", SOFTHSM_MODULE]


# python-pkcs11 finishes the object search interrupted by the drop in a __del__ that raises again: the app's own
# sys.unraisablehook logs it quietly, but pytest replaces that hook during a test and reports a warning instead
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_forwarded_token_in_the_token_step_then_the_forward_drops(
    forwarded: Forward,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The token served by p11-kit server on "the user's machine": marked ⇄ on the Token screen, the procedure
    runs on it; stopping the server before "Nộp" is reported like an unplug, in words; then the list empties and
    says that nothing is forwarded."""
    app = app_for(forwarded.flow, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: tokens_shown(app))
        token_screen = app.screen
        assert isinstance(token_screen, TokenScreen)
        [token] = token_screen.tokens
        assert token.forwarded and token.label == "DEMO TOKEN"
        assert "⇄ DEMO TOKEN" in str(token_screen.query_one("#tokens").get_row_at(0))  # type: ignore[attr-defined]
        flags = token_screen.query_one("#token-flags")
        await until(pilot, lambda: "Token trên máy của bạn, qua SSH" in str(flags.render()))
        await login(app, pilot, PIN)
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        await pilot.press("enter", "f5")
        assert isinstance(app.screen, ConfirmScreen)
        gate = hold_token_polling(app, monkeypatch)
        forwarded.server.stop()
        await pilot.press("f5")
        progress = app.screen.query_one("#progress")
        await until(pilot, lambda: "Mất kết nối tới token trên máy của bạn" in str(progress.render()))
        assert not app.screen.sent
        gate.set()
        await until(pilot, lambda: not token_screen.tokens, timeout=10)  # the Token screen still polls beneath
        notices = token_screen.query_one("#token-notices")
        await until(pilot, lambda: "Chưa thấy token nào trên máy của bạn qua SSH" in str(notices.render()))
        await pilot.press("ctrl+q")
    journal = forwarded.flow.journal
    assert not journal.exists() or b"BHXH" not in journal.read_bytes()


async def test_change_pin_from_the_token_screen_on_softhsm(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """p on the real SoftHSM token: the token's rule (4–255) shown, a wrong current PIN explained as at login, the
    change made, its PIN flags said; the new PIN then opens the token."""
    from tui_ibhxh.ui.screens.change_pin import ChangePinScreen

    new = "61524307"
    app = app_for(flow, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: tokens_shown(app))
        await pilot.press("p")
        dialog = app.screen
        assert isinstance(dialog, ChangePinScreen)
        await until(pilot, lambda: "4–255 ký tự" in str(dialog.query_one("#change-pin-rule").render()))
        await pilot.press(*"99999999", "enter", *new, "enter", *new, "enter")
        await until(pilot, lambda: "Mã PIN không đúng" in str(dialog.query_one("#change-pin-error").render()))
        await pilot.press(*PIN, "enter", *new, "enter", *new, "enter")
        await until(pilot, lambda: isinstance(app.screen, TokenScreen))
        await pilot.press("enter")
        await pilot.press(*new, "enter")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))
        await pilot.press("ctrl+q")
