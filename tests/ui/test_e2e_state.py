"""The TUI keeps telling the truth after a result, an interruption and a token removal (keys only; a real
simulator process and a SoftHSM copy of the demo token)."""

from __future__ import annotations

import shutil
import time
from urllib.parse import urlparse

import pytest
from textual.widgets import Input

from tests.flow.conftest import PIN, Flow, flow  # noqa: F401  (the fixture)
from tests.support.fault_proxy import ProxyThread
from tests.ui.conftest import Notes
from tests.ui.test_e2e_real import app_for, login
from tests.ui.until import plain, until
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.services.config import load_config
from tui_ibhxh.services.journal import EntryState, Journal
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.contact import ContactScreen
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.pending import ConfirmDialog, PendingDialog
from tui_ibhxh.ui.screens.pin import PinScreen
from tui_ibhxh.ui.screens.token import TokenScreen
from tui_ibhxh.ui.widgets.line_table import LineTable


def text(app: IbhxhApp, selector: str) -> str:
    return plain(app.screen.query_one(selector))


@pytest.mark.sim_delays(0.5, 0.5)
async def test_after_acceptance_the_procedure_screens_show_the_new_registration(
    flow: Flow,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Submit, stay in the procedure: when BHXH accepts, Chứng thư shows the new certificate as registered (the old
    one replaced), the config holds it, and choosing again offers no false "pending" — only the downgrade question."""
    app = app_for(flow, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(app, pilot, PIN)
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        await pilot.press("enter", "f5", "f5")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.sent)
        await until(
            pilot,
            lambda: (
                app.backend.state.registration is not None
                and app.backend.state.registration.certificate.serial == flow.new_serial
            ),
        )
        assert load_config(flow.config).unit().registered_cert_serial == flow.new_serial  # at once
        await pilot.press("escape", "escape")
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        await until(pilot, lambda: flow.new_serial in plain(screen.query_one("#registered")))
        await until(pilot, lambda: any(c.registered for c in screen.choices))
        states = {c.cert.info.serial: screen.state_text(c) for c in screen.choices}
        assert states[flow.new_serial] == "● đang đăng ký" and states[flow.registered_serial] == "↺ đã thay thế"
        selected = screen.selected()
        assert selected is not None and not selected.registered  # never the registered one
        await pilot.press("enter", "f5", "f5")  # the old certificate again: F5 asks, no "pending" claim
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and "SỚM HƠN" in dialog.text
        await pilot.press("n")
        assert isinstance(app.screen, ConfirmScreen) and not app.screen.sent
        assert "chưa có kết quả" not in text(app, "#progress")
        await pilot.press("ctrl+q")


async def test_a_dossier_that_could_not_be_sent_is_a_row_with_its_actions(
    flow: Flow,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The POST fails: History shows the dossier ("Chưa gửi được", reason, attempts); F5 on Xác nhận offers the same
    two choices; s re-sends it (the same key), and it becomes a transaction."""
    host, port = urlparse(flow.sim.base).hostname or "", urlparse(flow.sim.base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        app = app_for(flow, monkeypatch)
        async with app.run_test(size=(120, 40)) as pilot:
            await login(app, pilot, PIN)
            await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
            proxy.faults = [("POST", "/dossiers", "reset")] * 20
            await pilot.press("enter", "f5", "f5")
            await until(pilot, lambda: "lưu trong nhật ký" in text(app, "#progress"), timeout=60)
            pending = app.backend.state.pending
            assert pending is not None and pending.attempts >= 1
            await pilot.press("f5")  # again: the choice, not a pointer to a command
            await until(pilot, lambda: isinstance(app.screen, PendingDialog))
            await pilot.press("escape")
            await pilot.press("f3")
            await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            history = app.screen
            assert isinstance(history, HistoryScreen)
            await until(pilot, lambda: "Chưa gửi được" in str(history.query_one("#history", LineTable).get_row_at(0)))
            row = str(history.query_one("#history", LineTable).get_row_at(0))
            assert "I-VAN" in row  # the reason
            assert pending.key in text(app, "#detail") and "Số lần gửi" in text(app, "#detail")
            proxy.faults = []
            await pilot.press("s")
            await until(pilot, lambda: app.backend.state.pending is None, timeout=30)
            await until(pilot, lambda: pending.key in [tx.idempotency_key for tx in history.items.values()])
            assert "Chưa gửi được" not in str(history.query_one("#history", LineTable).get_row_at(0))
            await pilot.press("ctrl+q")
    with Journal(flow.journal) as journal:
        [entry] = journal.entries()
        assert entry.key == pending.key and entry.state in (EntryState.SUBMITTED, EntryState.FINAL)


async def test_a_pending_dossier_is_resent_at_login_in_the_open(
    flow: Flow,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    notes: Notes,
) -> None:
    """A dossier left pending by an earlier run goes out after the next login, and the user is told which one and
    how it went; discarding needs a yes and keeps the signed copy."""
    host, port = urlparse(flow.sim.base).hostname or "", urlparse(flow.sim.base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        proxy.faults = [("POST", "/dossiers", "reset")] * 20
        failed = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input=PIN + "\n")
        assert failed.returncode == 1, failed.stderr
        with Journal(flow.journal) as journal:
            [entry] = journal.entries()
        app = app_for(flow, monkeypatch)
        async with app.run_test(size=(80, 24)) as pilot:
            await login(app, pilot, PIN)  # the I-VAN still refuses the POST: told, kept, login not blocked
            await until(pilot, lambda: bool(notes.saying(entry.key)), timeout=60)
            assert isinstance(app.screen, CertificatesScreen)
            [note] = notes.saying(entry.key)
            assert "Chưa gửi lại được" in note.message
            await pilot.press("f3")
            await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await until(pilot, lambda: app.backend.state.pending is None)
            await pilot.press("ctrl+q")
    with Journal(flow.journal) as journal:
        got = journal.get(entry.key)
        assert got is not None and got.state is EntryState.DISCARDED and got.signed_xml == entry.signed_xml


async def test_history_opened_before_login_is_filled_after_login(
    flow: Flow,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No stale error: before login History says to log in; after login it shows the transactions."""
    assert flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input=PIN + "\n").returncode == 0
    app = app_for(flow, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TokenScreen) and bool(app.screen.tokens))
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert "Chưa đăng nhập" in text(app, "#history-state")
        await pilot.press("f2", "enter", *PIN, "enter")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen))
        await pilot.press("f3")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await until(pilot, lambda: len(history.items) == 1)
        await until(pilot, lambda: "● trực tiếp" in text(app, "#history-state"))
        assert "UNAUTHORIZED" not in text(app, "#history-state") and "Chưa đăng nhập" not in text(app, "#history-state")
        [tx] = history.items.values()
        assert tx.status in (TxStatus.SENT, TxStatus.RECEIVED, TxStatus.ACCEPTED)
        await pilot.press("ctrl+q")


async def test_token_removed_mid_flow_returns_to_step_1_and_offers_the_pin_when_back(
    flow: Flow,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    notes: Notes,
) -> None:
    """Unplugged on the Contact step: within 2 s a banner and the Token step; plugged back: the PIN dialog opens by
    itself, and the contact form still holds what was typed."""
    app = app_for(flow, monkeypatch)
    [store] = list((flow.home / "data" / "demo" / "tokens").iterdir())
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, PIN)
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        await pilot.press("enter")
        assert isinstance(app.screen, ContactScreen)
        field = app.screen.query_one("#f-nguoi_lhe", Input)
        field.value = "Trần Thị B"

        def kept() -> bool:  # in the draft, which outlives the screens
            draft = app.backend.state.draft
            return draft is not None and draft.contact is not None and draft.contact.nguoi_lhe == "Trần Thị B"

        await until(pilot, kept)
        unplugged = time.monotonic()
        shutil.move(store, flow.home / "unplugged")
        await until(pilot, lambda: isinstance(app.screen, TokenScreen), timeout=10)
        noticed = time.monotonic() - unplugged
        await until(pilot, lambda: bool(notes.saying("đã bị rút ra")))
        shutil.move(flow.home / "unplugged", store)
        await until(pilot, lambda: isinstance(app.screen, PinScreen), timeout=10)
        await pilot.press(*PIN, "enter")
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        await pilot.press("enter")
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.query_one("#f-nguoi_lhe", Input).value == "Trần Thị B"
        await pilot.press("ctrl+q")
    # the token list is polled every second: about 1 s here; the bound is generous for a loaded CI machine
    assert noticed < 5, noticed
