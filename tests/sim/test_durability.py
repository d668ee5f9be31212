"""SIGKILL mid-lifecycle, restart on the same database: the transaction continues; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support import pki
from tests.support.sim_server import (
    CONTACT,
    UNIT_A,
    SimProcess,
    World,
    bearer,
    get_json,
    login,
    make_world,
    signed_dossier,
    submit,
    wait_final,
)
from tests.support.sse import SseReader


@pytest.fixture
def durable(tmp_path: Path) -> Iterator[tuple[World, SimProcess]]:
    world = make_world(tmp_path / "world", units=(UNIT_A,))
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3", delays=(1.0, 1.5), heartbeat=5)
    yield world, proc
    proc.kill()


async def _status(s: aiohttp.ClientSession, base: str, token: str, ma_gdich: str) -> str:
    status, tx = await get_json(s, f"{base}/transactions/{ma_gdich}", token)
    assert status == 200, tx
    return str(tx["status"])


async def _first_submission(world: World, proc: SimProcess) -> tuple[str, str, bytes, dict[str, Any]]:
    """Start the simulator and submit a change of unit A: the address, the token, the body and its transaction."""
    base = proc.start()
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)
        body = signed_dossier(UNIT_A, CONTACT, new=world.new, old=world.registered)
        status, tx = await submit(s, base, token, UNIT_A.ma_dvi, body)
    assert status == 202 and tx["status"] == "SENT", tx
    return base, token, body, tx


async def test_sigkill_mid_lifecycle_then_restart(durable: tuple[World, SimProcess]) -> None:
    world, proc = durable
    base, token, body1, tx1 = await _first_submission(world, proc)
    # not final yet: no confirmation
    url = f"{base}/transactions/{tx1['ma_gdich']}/receipt"
    async with aiohttp.ClientSession() as s, s.get(url, headers=bearer(token)) as r:
        assert r.status == 409
        assert (await r.json())["ma_loi"] == "RECEIPT_NOT_READY"
    proc.kill()  # SIGKILL while SENT

    base = proc.start()
    async with aiohttp.ClientSession() as s:
        # the token survived too (stored); the same submission again is the same transaction
        status, again = await submit(s, base, token, UNIT_A.ma_dvi, body1)
        assert status == 200 and again["ma_gdich"] == tx1["ma_gdich"]
        final1 = await wait_final(s, base, token, tx1["ma_gdich"], timeout=10)
        assert final1["status"] == "ACCEPTED"
        assert [e["status"] for e in final1["timeline"]] == ["SENT", "RECEIVED", "ACCEPTED"]

        # a second change, killed while RECEIVED
        newer = pki.issue(world.ca, mst=UNIT_A.mst, key_index=7, days=900)
        body2 = signed_dossier(UNIT_A, CONTACT, new=newer, old=world.new)
        status, tx2 = await submit(s, base, token, UNIT_A.ma_dvi, body2)
        assert status == 202
        deadline = time.monotonic() + 5
        while await _status(s, base, token, tx2["ma_gdich"]) != "RECEIVED":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    proc.kill()  # SIGKILL while RECEIVED

    base = proc.start()
    async with aiohttp.ClientSession() as s:
        final2 = await wait_final(s, base, token, tx2["ma_gdich"], timeout=10)
        assert final2["status"] == "ACCEPTED"
        assert [e["status"] for e in final2["timeline"]] == ["SENT", "RECEIVED", "ACCEPTED"]
        status, reg = await get_json(s, f"{base}/units/{UNIT_A.ma_dvi}/registration", token)
        assert reg["version"] == 3 and reg["certificate"]["sha256"] == newer.info.sha256
        status, page = await get_json(s, f"{base}/units/{UNIT_A.ma_dvi}/transactions", token)
        assert [tx["ma_gdich"] for tx in page["items"]] == [tx2["ma_gdich"], tx1["ma_gdich"]]
        # every status change is in the event log exactly once, in order
        headers = {**bearer(token), "Last-Event-ID": "0"}
        async with s.get(f"{base}/units/{UNIT_A.ma_dvi}/events", headers=headers) as r:
            reader = SseReader(r)
            events = []
            while (event := await reader.next_event(1.0)) is not None:
                events.append(event)
        assert [(e[2]["ma_gdich"], e[2]["status"]) for e in events] == [
            (tx1["ma_gdich"], "SENT"),
            (tx1["ma_gdich"], "RECEIVED"),
            (tx1["ma_gdich"], "ACCEPTED"),
            (tx2["ma_gdich"], "SENT"),
            (tx2["ma_gdich"], "RECEIVED"),
            (tx2["ma_gdich"], "ACCEPTED"),
        ]
    assert proc.stop() == 0  # a clean SIGTERM shutdown


async def test_a_retry_is_the_same_transaction_after_the_trust_anchors_changed(
    durable: tuple[World, SimProcess],
) -> None:
    """A retry is answered from its idempotency record, even when its dossier would no longer be accepted."""
    world, proc = durable
    _, token, body, first = await _first_submission(world, proc)
    proc.stop()
    pki.write_pem(world.dir / "ca.pem", world.rogue_ca)  # the unit's CA is no longer trusted
    base = proc.start()
    async with aiohttp.ClientSession() as s:
        status, again = await submit(s, base, token, UNIT_A.ma_dvi, body)
        assert status == 200 and again["ma_gdich"] == first["ma_gdich"], again
        fresh = signed_dossier(UNIT_A, CONTACT, new=world.new, old=world.registered)
        status, refused = await submit(s, base, token, UNIT_A.ma_dvi, fresh)
        assert status == 422 and refused["ma_loi"] == "CERT_UNTRUSTED", refused
