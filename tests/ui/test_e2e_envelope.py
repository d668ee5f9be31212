"""F7 on Xác nhận with the real backend (a real simulator process, a SoftHSM copy of the demo token): the signed
envelope is saved where the user says, journalled as handed over, and nothing is sent."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.flow.conftest import PIN, Flow, flow  # noqa: F401  (the fixture)
from tests.ui.test_e2e_real import app_for, login
from tests.ui.until import plain, until
from tui_ibhxh.core.envelope import verify_envelope
from tui_ibhxh.services.journal import EntryState, Journal
from tui_ibhxh.ui.screens.certificates import CertificatesScreen
from tui_ibhxh.ui.screens.confirm import ConfirmScreen
from tui_ibhxh.ui.screens.save_path import SavePathDialog


async def test_f7_saves_the_signed_envelope_instead_of_sending(
    flow: Flow,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = app_for(flow, monkeypatch)
    target = flow.home / "tai-len" / "05_SD-IVAN_thu.xml"
    async with app.run_test(size=(120, 40)) as pilot:
        await login(app, pilot, PIN)
        await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and bool(app.screen.choices))
        await pilot.press("enter", "f5")
        assert isinstance(app.screen, ConfirmScreen)
        confirm = app.screen
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, SavePathDialog))
        field = app.screen.query_one("#save-path", Input)
        assert "05_SD-IVAN_TA1234A_" in field.value  # the provider's naming, in the default place
        field.value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: confirm.sent, timeout=30)
        assert str(target) in plain(confirm.query_one("#progress"))
        await pilot.press("ctrl+q")
    verified = verify_envelope(target.read_bytes(), pinned_cert_der=_new_der(flow))
    with Journal(flow.journal) as journal:
        [entry] = journal.entries()
    assert entry.state is EntryState.HANDED_OVER and entry.file_path == str(target)
    assert entry.key == verified.form.ma_yeucau and entry.ma_gdich is None  # never sent


def _new_der(f: Flow) -> bytes:
    from tui_ibhxh.demo import demo_material
    from tui_ibhxh.services.paths import app_paths

    return demo_material(app_paths({"IBHXH_HOME": str(f.home)})).new_cert_der
