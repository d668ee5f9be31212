"""The event stream: one event per status change, monotonic ids, resume with Last-Event-ID, heartbeats; a
stream ends with its token (``event: expired``) whatever the traffic."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.sim_server import (
    CONTACT,
    UNIT_B,
    SimProcess,
    World,
    bearer,
    login,
    make_world,
    signed_dossier,
    submit,
    wait_final,
)
from tests.support.sse import SseReader


async def test_resume_with_last_event_id_misses_and_repeats_nothing(world: World, base: str) -> None:
    url = f"{base}/units/{UNIT_B.ma_dvi}/events"
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        # 1. a live stream, then a submission: its first event arrives, then the connection is lost
        async with s.get(url, headers=bearer(token)) as r:
            assert r.status == 200 and r.content_type == "text/event-stream"
            reader = SseReader(r)
            assert await reader.wait_comment("connected", 5)
            # signed by the registered certificate: rejected (CERT_SAME_AS_REGISTERED), registration unchanged
            body1 = signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
            status, tx1 = await submit(s, base, token, UNIT_B.ma_dvi, body1)
            assert status == 202
            first = await reader.next_event(5)
            assert first is not None
            first_id, kind, data = first
            assert kind == "transaction" and data["ma_gdich"] == tx1["ma_gdich"] and data["status"] == "SENT"
        # 2. meanwhile the transaction ends and another one runs its whole course
        await wait_final(s, base, token, tx1["ma_gdich"])
        body2 = signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
        status, tx2 = await submit(s, base, token, UNIT_B.ma_dvi, body2)
        assert status == 202
        await wait_final(s, base, token, tx2["ma_gdich"])
        # 3. resume: exactly the events after first_id, in order, then only heartbeats
        headers = {**bearer(token), "Last-Event-ID": str(first_id)}
        async with s.get(url, headers=headers) as r:
            reader = SseReader(r)
            got: list[tuple[int, str, dict[str, Any]]] = []
            for _ in range(5):
                event = await reader.next_event(5)
                assert event is not None, got
                got.append(event)
            ids = [e[0] for e in got]
            assert ids == sorted(ids) and len(set(ids)) == 5 and ids[0] > first_id
            assert [(e[2]["ma_gdich"], e[2]["status"]) for e in got] == [
                (tx1["ma_gdich"], "RECEIVED"),
                (tx1["ma_gdich"], "REJECTED"),
                (tx2["ma_gdich"], "SENT"),
                (tx2["ma_gdich"], "RECEIVED"),
                (tx2["ma_gdich"], "REJECTED"),
            ]
            assert got[1][2]["ma_loi"] == "CERT_SAME_AS_REGISTERED"
            # nothing more, but heartbeats (0.3 s in these tests)
            assert await reader.wait_comment("heartbeat", 3)
            assert await reader.next_event(0.5) is None


async def test_events_need_a_token_of_the_unit(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{base}/units/{UNIT_B.ma_dvi}/events") as r:
        assert r.status == 401


@contextlib.asynccontextmanager
async def traffic(s: aiohttp.ClientSession, base: str, world: World) -> AsyncIterator[list[str]]:
    """Dossiers of unit B submitted back to back (three events each) while the block runs; the transaction
    codes. The submitter logs in again whenever its own token expires."""
    stop = asyncio.Event()
    codes: list[str] = []

    async def run() -> None:
        token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        while not stop.is_set():
            body = signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
            status, tx = await submit(s, base, token, UNIT_B.ma_dvi, body)
            if status == 401:
                token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
                continue
            assert status == 202, tx
            codes.append(tx["ma_gdich"])
            await asyncio.sleep(0.02)

    task = asyncio.create_task(run())
    try:
        yield codes
    finally:
        stop.set()
        await task


async def test_stream_ends_with_its_token_whatever_the_traffic(tmp_path: Path) -> None:
    ttl = 2.0
    world = make_world(tmp_path / "world", units=(UNIT_B,), settings=f"token_ttl = {ttl}")
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3", heartbeat=1.0)  # events come far more often
    base = proc.start()
    try:
        async with aiohttp.ClientSession() as s:
            token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
            logged_in = time.monotonic()
            url = f"{base}/units/{UNIT_B.ma_dvi}/events"
            got: list[tuple[int, str, dict[str, Any]]] = []
            async with s.get(url, headers=bearer(token)) as r, traffic(s, base, world) as codes:
                assert r.status == 200
                reader = SseReader(r)
                while time.monotonic() - logged_in < ttl + 10:
                    if (event := await reader.next_event(ttl + 10)) is None:
                        break
                    got.append(event)
                ended = time.monotonic() - logged_in
                assert reader.closed, f"the stream outlived its token ({len(got)} events, {ended:.1f} s)"
                last_id = max(e[0] for e in got[:-1])
                # the stream's reader goes on where it stopped with a new token: nothing is lost
                token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
                async with s.get(url, headers={**bearer(token), "Last-Event-ID": str(last_id)}) as again:
                    resumed = await SseReader(again).next_event(10)
            assert len(codes) >= 3
    finally:
        proc.stop()
    *events, expired = got
    assert expired[1:] == (
        "expired",
        {"ma_loi": "TOKEN_EXPIRED", "mota_loi": expired[2]["mota_loi"], "detail": expired[2]["detail"]},
    )
    assert expired[0] == -1 and expired[2]["mota_loi"] and expired[2]["detail"]  # no id: not a transaction
    assert len(events) >= 3 and all(kind == "transaction" for _, kind, _ in events)
    assert ttl - 1.0 <= ended <= ttl + 5.0, ended  # at the token's expiry, not at a later heartbeat
    assert resumed is not None and resumed[0] == last_id + 1 and resumed[1] == "transaction"
