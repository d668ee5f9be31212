"""The event stream: one event per status change, monotonic ids, resume with Last-Event-ID, heartbeats."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.support.sim_server import CONTACT, UNIT_B, World, bearer, login, signed_dossier, submit, wait_final
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
