"""services.ivan_client against the simulator process (software keys): the event stream resumes with
Last-Event-ID after a cut, without missing or repeating events; errors become specific messages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import pki
from tests.support.fault_proxy import ProxyThread
from tests.support.sim_server import CONTACT, UNIT_A, UNIT_B, SimProcess, dossier_key, make_world, signed_dossier
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.services.ivan_client import IvanClient, IvanError, RetryPolicy


def signer(issued: pki.Issued):  # type: ignore[no-untyped-def]
    soft = pki.SoftwareSigner(issued)

    async def sign(data: bytes) -> bytes:
        return soft.sign(data)

    return sign


@pytest.fixture
def world_sim(tmp_path: Path):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path / "world")
    sim = SimProcess(world.toml, tmp_path / "sim.sqlite3", delays=(0.3, 0.3), heartbeat=0.3)
    base = sim.start()
    yield world, sim, base
    sim.stop()


def test_events_resume_after_cut(world_sim) -> None:  # type: ignore[no-untyped-def]
    world, _sim, base = world_sim
    url = urlparse(base)

    async def scenario(proxy_port: int, proxy) -> list[TxStatus]:  # type: ignore[no-untyped-def]
        client = IvanClient(f"http://127.0.0.1:{proxy_port}", retry=RetryPolicy(attempts=3, backoff=0.05))
        try:
            await client.authenticate(UNIT_A.ma_dvi, world.registered.der, signer(world.registered))
            seen: list[TxStatus] = []

            async def consume() -> None:
                async for event in client.events(UNIT_A.ma_dvi, reconnect_delay=0.1):
                    seen.append(event.transaction.status)
                    if event.transaction.status.final:
                        return

            task = asyncio.create_task(consume())
            while not any("/events" in p for _, p, _ in proxy.seen):
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            body = signed_dossier(UNIT_A, CONTACT, new=world.new, old=world.registered)
            result = await client.submit(UNIT_A.ma_dvi, body, dossier_key(body))
            assert result.created and result.transaction.status is TxStatus.SENT
            await asyncio.wait_for(task, 20)
            return seen
        finally:
            await client.close()

    with ProxyThread(url.hostname or "", url.port or 0) as proxy:
        proxy.faults = [("GET", "/events", "cut_after_event")]
        statuses = asyncio.run(scenario(proxy.port, proxy))
        event_heads = [h for h in proxy.heads if b"/events" in h.split(b"\r\n")[0]]
    assert statuses == [TxStatus.SENT, TxStatus.RECEIVED, TxStatus.ACCEPTED]
    assert len(event_heads) >= 2
    assert b"last-event-id:" in event_heads[1].lower()


def test_errors_are_specific(world_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    world, _sim, base = world_sim

    async def scenario() -> None:
        client = IvanClient(base.removesuffix("/api/v1"), retry=RetryPolicy(attempts=2, backoff=0.01))
        try:
            with pytest.raises(IvanError) as info:  # the certificate of another unit
                await client.authenticate(UNIT_B.ma_dvi, world.registered.der, signer(world.registered))
            assert info.value.status in (401, 403) and info.value.message("vi")
            await client.authenticate(UNIT_A.ma_dvi, world.registered.der, signer(world.registered))
            with pytest.raises(IvanError) as other:
                await client.registration(UNIT_B.ma_dvi)
            assert other.value.status == 403
            with pytest.raises(IvanError) as bad:
                await client.submit(UNIT_A.ma_dvi, b"<BHXH>", "00000000-0000-4000-8000-000000000001")
            assert bad.value.status == 400 and bad.value.ma_loi == "XML_INVALID"
        finally:
            await client.close()
        down = IvanClient("http://127.0.0.1:9", retry=RetryPolicy(attempts=2, backoff=0.01))
        try:
            with pytest.raises(IvanError) as gone:
                await down.registration(UNIT_A.ma_dvi)
            assert gone.value.key == "ivan.unreachable" and "127.0.0.1:9" in gone.value.message("vi")
        finally:
            await down.close()

    asyncio.run(scenario())
