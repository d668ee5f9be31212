"""The token pulled out in the middle of the procedure (in-process workflow, real simulator, SoftHSM):
a clear error, nothing journalled or lost, and the procedure resumes once the token is back."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from tests.flow.conftest import PIN, Flow, workflow
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.services.errors import UserError


def test_token_removed_mid_flow_then_resumed(flow: Flow) -> None:
    [store] = list((flow.home / "data" / "demo" / "tokens").iterdir())
    away = flow.home / "unplugged"

    async def scenario() -> None:
        async with workflow(flow) as wf:
            [token] = [t for t in await wf.list_tokens() if t.label == "DEMO TOKEN"]
            await wf.login(token, PIN)
            await wf.connect()
            [choice] = [c for c in await wf.choices() if c.cert.info.serial == flow.new_serial]
            contact = wf.default_contact()

            shutil.move(store, away)  # unplugged between "choose" and "Nộp"
            with pytest.raises(UserError) as info:
                await wf.submit(choice, contact)
            assert info.value.key == "token.removed"
            assert "Cắm lại token" in info.value.message("vi")
            assert wf.journal.unfinished() == [] and wf.journal.entries() == []  # nothing half-done
            assert [t.label for t in await wf.list_tokens()] == []

            shutil.move(away, store)  # plugged back: log in again and finish
            [token] = [t for t in await wf.list_tokens() if t.label == "DEMO TOKEN"]
            await wf.login(token, PIN)
            tx = await wf.submit(choice, contact)
            final = await wf.follow(tx.ma_gdich, poll_interval=0.5, timeout=30)
            assert final.status is TxStatus.ACCEPTED
            assert wf.registration is not None and wf.registration.certificate.serial == flow.new_serial
            [entry] = wf.journal.entries()
            assert entry.status is TxStatus.ACCEPTED

    asyncio.run(scenario())
