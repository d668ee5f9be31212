"""The token on the user's own machine while the app runs on the server: a real ``p11-kit server`` serves the
flow's SoftHSM token on a unix socket, and the app, with no SoftHSM configuration of its own, reaches it through
p11-kit-client.so (found in the platform's module directory) because P11_KIT_SERVER_ADDRESS is set."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.flow.conftest import PIN, Forward, workflow
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.demo import DEMO_CERTS
from tui_ibhxh.services.errors import UserError


def test_tokens_and_certs_come_through_the_forward(forwarded: Forward) -> None:
    flow = forwarded.flow
    assert "softhsm" not in flow.config.read_text(encoding="utf-8") and "SOFTHSM2_CONF" not in flow.env()
    tokens = flow.run("tokens", "--json")
    assert tokens.returncode == 0, tokens.stderr
    [token] = json.loads(tokens.stdout)
    assert token["label"] == "DEMO TOKEN" and token["forwarded"] is True
    assert token["module"].endswith("/p11-kit-client.so")
    text = flow.run("tokens")
    assert "DEMO TOKEN" in text.stdout and "⇄ token trên máy của bạn, qua SSH" in text.stdout
    certs = flow.run("certs", "--json")
    assert certs.returncode == 0, certs.stderr
    rows = json.loads(certs.stdout)
    assert len(rows) == len(DEMO_CERTS) and {r["token_label"] for r in rows} == {"DEMO TOKEN"}
    assert [r["serial"] for r in rows if r["usable"]] == [flow.new_serial]


def test_submit_wait_reaches_accepted_through_the_forward(forwarded: Forward) -> None:
    flow = forwarded.flow
    res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--wait", input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    assert "Chấp nhận (Thành công)" in res.stdout + res.stderr
    assert PIN not in res.stdout + res.stderr


def test_change_pin_on_the_forwarded_token(forwarded: Forward) -> None:
    flow = forwarded.flow
    new = "40817263"
    res = flow.run("token", "change-pin", "--pin-stdin", input=f"{PIN}\n{new}\n{new}\n")
    assert res.returncode == 0, res.stderr
    assert "Trạng thái mã PIN: bình thường" in res.stdout
    short = flow.run("token", "change-pin", "--pin-stdin", input=f"{new}\n123\n123\n")
    assert "từ 4 đến 255 ký tự" in short.stderr, short.stderr  # SoftHSM's own rule, read through the forward
    res = flow.run("registration", "--pin-stdin", input=new + "\n")  # the new PIN opens the token
    assert res.returncode == 0, res.stderr


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # see the next test
def test_server_stopped_mid_flow_is_an_unplug_then_the_flow_resumes(forwarded: Forward) -> None:
    flow, server = forwarded.flow, forwarded.server

    async def scenario() -> None:
        async with workflow(flow) as wf:
            [token] = await wf.list_tokens()
            assert token.forwarded and token.label == "DEMO TOKEN"
            await wf.login(token, PIN)
            await wf.connect()
            [choice] = [c for c in await wf.choices() if c.cert.info.serial == flow.new_serial]
            contact = wf.default_contact()

            await asyncio.to_thread(server.stop)  # SSH closed / p11-kit server stopped between "choose" and "Nộp"
            with pytest.raises(UserError) as info:
                await wf.submit(choice, contact)
            assert info.value.key == "token.forward_lost"
            assert "như khi rút token ra" in info.value.message("vi") and "ssh -R" in info.value.message("vi")
            assert "as if it were unplugged" in info.value.message("en")
            assert wf.journal.unfinished() == [] and wf.journal.entries() == []  # nothing half-done
            assert await wf.list_tokens() == []
            assert [n.key for n in wf.tokens.notices] == ["token.forward_none"]

            await asyncio.to_thread(server.start)  # forwarded again: log in again and finish
            [token] = await wf.list_tokens()
            assert wf.tokens.notices == []
            await wf.login(token, PIN)
            tx = await wf.submit(choice, contact)
            final = await wf.follow(tx.ma_gdich, poll_interval=0.5, timeout=30)
            assert final.status is TxStatus.ACCEPTED

    asyncio.run(scenario())


def test_pkcs11_errors_in_finalisers_are_not_printed() -> None:
    """python-pkcs11 ends a search cut short by a dropped forward in ``__del__``, which raises again; Python would
    print that traceback on stderr, over the TUI. The token service's hook logs those and passes on the rest."""
    from types import SimpleNamespace

    from pkcs11 import exceptions as p11e

    from tui_ibhxh.services.token import _quiet_unraisable

    passed: list[object] = []
    hook = _quiet_unraisable(passed.append)
    hook(SimpleNamespace(exc_value=p11e.DeviceError()))
    assert passed == []
    other = SimpleNamespace(exc_value=ValueError("x"))
    hook(other)
    assert passed == [other]
