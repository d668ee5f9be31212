"""services.ivan_client against the simulator process (software keys): the event stream resumes with
Last-Event-ID after a cut or the expiry of its token, without missing or repeating events; errors become
specific messages."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import pki
from tests.support.fault_proxy import FaultProxy, ProxyThread
from tests.support.sim_server import CONTACT, UNIT_A, UNIT_B, SimProcess, dossier_key, make_world, signed_dossier
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.services.ivan_client import IvanClient, IvanError, RetryPolicy, TxEvent


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


def test_events_outlive_the_token_exactly_once(tmp_path: Path) -> None:
    """Tokens live 1.5 s and dossiers are submitted back to back for three lifetimes: the client renews its
    token at each ``event: expired`` (with the signer it authenticated with), resumes with Last-Event-ID,
    and sees every status change exactly once, without ever reporting the stream as lost."""
    world = make_world(tmp_path / "world", units=(UNIT_B,), settings="token_ttl = 1.5")
    sim = SimProcess(world.toml, tmp_path / "sim.sqlite3", delays=(0, 0), heartbeat=0.3)
    base = sim.start()
    signatures = 0
    soft = pki.SoftwareSigner(world.unit_b)

    async def counting_signer(data: bytes) -> bytes:
        nonlocal signatures
        signatures += 1
        return soft.sign(data)

    async def scenario() -> tuple[list[TxEvent], list[bool], set[tuple[str, TxStatus]]]:
        connections: list[bool] = []
        seen: list[TxEvent] = []
        async with IvanClient(base.removesuffix("/api/v1"), retry=RetryPolicy(attempts=3, backoff=0.05)) as client:
            await client.authenticate(UNIT_B.ma_dvi, world.unit_b.der, counting_signer)
            opened = asyncio.Event()

            def connection(up: bool) -> None:
                connections.append(up)
                opened.set()

            async def consume() -> None:
                async for event in client.events(UNIT_B.ma_dvi, reconnect_delay=0.1, on_connection=connection):
                    seen.append(event)

            task = asyncio.create_task(consume())
            await asyncio.wait_for(opened.wait(), 10)
            codes: list[str] = []
            async with IvanClient(base.removesuffix("/api/v1")) as submitter:
                await submitter.authenticate(UNIT_B.ma_dvi, world.unit_b.der, signer(world.unit_b))
                deadline = time.monotonic() + 4.5
                while time.monotonic() < deadline:
                    body = signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
                    result = await submitter.submit(UNIT_B.ma_dvi, body, dossier_key(body))
                    codes.append(result.transaction.ma_gdich)
                    await asyncio.sleep(0.02)
                final = [await submitter.transaction(code) for code in codes]
                while any(not tx.status.final for tx in final):
                    await asyncio.sleep(0.05)
                    final = [await submitter.transaction(tx.ma_gdich) for tx in final]
            expected = {(tx.ma_gdich, entry.status) for tx in final for entry in tx.timeline}
            deadline = time.monotonic() + 20
            while len(seen) < len(expected) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # anything repeated would arrive now
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return seen, connections, expected

    try:
        seen, connections, expected = asyncio.run(scenario())
    finally:
        sim.stop()
    got = [(e.transaction.ma_gdich, e.transaction.status) for e in seen]
    assert len(expected) >= 3 * 20  # a steady stream of events across the expiries
    assert len(got) == len(set(got)) and set(got) == expected  # every change exactly once
    ids = [int(e.id) for e in seen]
    assert ids == sorted(ids)
    assert signatures >= 3  # authenticated once, then renewed at least at two expiries
    assert connections and all(connections), connections  # a renewal is not a lost connection


def test_events_survive_a_failed_renewal(tmp_path: Path) -> None:
    """The I-VAN fails (503) when the client renews its token at an ``event: expired``: the stream is
    reported lost, then renewed and resumed, instead of ending the event stream for good."""
    world = make_world(tmp_path / "world", units=(UNIT_B,), settings="token_ttl = 1.5")
    sim = SimProcess(world.toml, tmp_path / "sim.sqlite3", delays=(0, 0), heartbeat=0.3)
    url = urlparse(sim.start())
    retry = RetryPolicy(attempts=2, backoff=0.01)

    async def scenario(proxy: FaultProxy) -> tuple[list[TxStatus], list[bool]]:
        connections: list[bool] = []
        seen: list[TxStatus] = []
        async with IvanClient(f"http://127.0.0.1:{proxy.port}", retry=retry) as client:
            await client.authenticate(UNIT_B.ma_dvi, world.unit_b.der, signer(world.unit_b))
            proxy.faults = [("POST", "/auth/challenge", "503")] * retry.attempts  # the next renewal fails
            back = asyncio.Event()

            def connection(up: bool) -> None:
                connections.append(up)
                if up and False in connections:
                    back.set()

            async def consume() -> None:
                async for event in client.events(UNIT_B.ma_dvi, reconnect_delay=0.1, on_connection=connection):
                    seen.append(event.transaction.status)
                    if event.transaction.status.final:
                        return

            task = asyncio.create_task(consume())
            await asyncio.wait_for(back.wait(), 15)  # the token expired, could not be renewed at once, then was
            body = signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
            await client.submit(UNIT_B.ma_dvi, body, dossier_key(body))
            await asyncio.wait_for(task, 15)
        return seen, connections

    try:
        with ProxyThread(url.hostname or "", url.port or 0) as proxy:
            seen, connections = asyncio.run(scenario(proxy))
            assert not proxy.faults  # both failures were served
    finally:
        sim.stop()
    assert seen == [TxStatus.SENT, TxStatus.RECEIVED, TxStatus.REJECTED]
    assert connections[:2] == [True, False] and connections[-1] is True
