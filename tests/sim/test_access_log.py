"""The simulator logs one line per request: time, method, path, status, duration; never a body or a token.
A reader closing its event stream is logged as such, not as a server error."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

from tests.support.sim_server import CONTACT, UNIT_A, SimProcess, World, bearer, login, signed_dossier, submit
from tests.support.sse import SseReader

LINE = re.compile(r"^\d\d:\d\d:\d\d (GET|POST|PUT|DELETE) /\S* \d{3} \d+\.\dms( client closed| cancelled)?$")


def _log_lines(sim: SimProcess, since: int) -> list[str]:
    return sim.log.read_text(encoding="utf-8").splitlines()[since:]


async def _wait_for(sim: SimProcess, since: int, fragment: str) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = _log_lines(sim, since)
        if any(fragment in line for line in lines):
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError(f"{fragment!r} not logged: {_log_lines(sim, since)}")


async def test_one_line_per_request_without_bodies_or_tokens(world: World, base: str, sim_process: SimProcess) -> None:
    since = len(_log_lines(sim_process, 0))
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)
        body = signed_dossier(UNIT_A, CONTACT, new=world.new, old=world.registered)
        status, tx = await submit(s, base, token, UNIT_A.ma_dvi, body)
        assert status == 202
        url = f"{base}/units/{UNIT_A.ma_dvi}/events"
        async with s.get(url, headers=bearer(token)) as r:
            assert await SseReader(r).wait_comment("connected", 5)
        lines = await _wait_for(sim_process, since, "/events ")
    requests = [line for line in lines if LINE.match(line)]
    assert len(requests) == len(lines), [line for line in lines if not LINE.match(line)]
    paths = [line.split()[2] for line in requests]
    assert paths.count(f"/api/v1/units/{UNIT_A.ma_dvi}/dossiers") == 1 and "/api/v1/auth/token" in paths
    (events,) = [line for line in requests if "/events " in line]
    assert " 200 " in events, events  # the reader left: logged with what it got
    text = "\n".join(lines)
    assert token not in text and "<BHXH" not in text and UNIT_A.mst not in text and tx["ma_gdich"] not in text


async def test_stopping_ends_open_streams_cleanly(world: World, base: str, sim_process: SimProcess) -> None:
    since = len(_log_lines(sim_process, 0))
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)
        async with s.get(f"{base}/units/{UNIT_A.ma_dvi}/events", headers=bearer(token)) as r:
            assert await SseReader(r).wait_comment("connected", 5)
            assert await asyncio.to_thread(sim_process.stop) == 0  # SIGTERM: a clean shutdown
    (events,) = [line for line in _log_lines(sim_process, since) if "/events " in line]
    assert LINE.match(events) and " 200 " in events and " 500 " not in events, events
    assert not events.endswith(" cancelled"), events  # the stream was ended by the server, not cut by the timeout
