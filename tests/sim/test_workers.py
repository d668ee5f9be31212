"""``--workers 2``: two processes on one database behave as one simulator. Concurrent twins make one transaction;
an event stream served by one process carries the changes committed by the other (the submissions, each on a
connection of its own, are spread by the kernel over both, and each process moves along those it accepted);
killing the first process stops the other and a restart continues on the same database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sqlite3
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

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

N = 12  # transactions, each submitted twice at once


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[World, SimProcess]]:
    world = make_world(tmp_path / "world", units=(UNIT_B,))
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3", delays=(0, 0), heartbeat=0.3, extra_args=("--workers", "2"))
    yield world, proc
    proc.kill()


async def _submit_fresh(base: str, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """On a connection of its own: the kernel spreads new connections over the processes."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        return await submit(s, base, token, UNIT_B.ma_dvi, body)


def _child(pid: int) -> int:
    """The one other process, started by ``pid``."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    [other] = [int(p) for p in out.split()]
    return other


def _other(pid: int) -> int:
    """A descriptor that becomes readable when the one other process (started by ``pid``) has exited."""
    return os.pidfd_open(_child(pid))


def _workers(db_path: Path) -> set[int]:
    """The processes that accepted transactions."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return {w for (w,) in db.execute("SELECT DISTINCT worker FROM transactions")}


def _exits_within(pidfd: int, seconds: float) -> bool:
    try:
        return bool(select.select([pidfd], [], [], seconds)[0])
    finally:
        os.close(pidfd)


async def test_two_processes_are_one_simulator(two: tuple[World, SimProcess]) -> None:
    world, proc = two
    base = proc.start()
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        async with s.get(f"{base}/units/{UNIT_B.ma_dvi}/events", headers=bearer(token)) as r:
            reader = SseReader(r)
            assert await reader.wait_comment("connected", 5)
            bodies = [signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b) for _ in range(N)]
            answers = await asyncio.gather(*(_submit_fresh(base, token, b) for b in bodies for _ in range(2)))
            by_body = [answers[2 * i : 2 * i + 2] for i in range(N)]
            for pair in by_body:  # one 202 and one 200 with the same transaction (whichever came first)
                assert sorted(status for status, _ in pair) == [200, 202], pair
                assert pair[0][1]["ma_gdich"] == pair[1][1]["ma_gdich"]
            ma_gdich = {pair[0][1]["ma_gdich"] for pair in by_body}
            assert len(ma_gdich) == N
            # twins race, and one process can win them all: more on connections of their own until both made some
            for _ in range(40):
                if _workers(proc.db) == {0, 1}:
                    break
                body = signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
                status, tx = await _submit_fresh(base, token, body)
                assert status == 202, tx
                ma_gdich.add(tx["ma_gdich"])
            for tx in ma_gdich:
                final = await wait_final(s, base, token, tx)
                assert [e["status"] for e in final["timeline"]] == ["SENT", "RECEIVED", "REJECTED"]
            got: list[tuple[int, str, dict[str, Any]]] = []
            while len(got) < 3 * len(ma_gdich):
                event = await reader.next_event(5)
                assert event is not None, got
                got.append(event)
            assert await reader.next_event(0.5) is None
    ids = [e[0] for e in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    statuses: dict[str, list[str]] = defaultdict(list)
    for _, _, data in got:
        statuses[data["ma_gdich"]].append(data["status"])
    assert statuses == {tx: ["SENT", "RECEIVED", "REJECTED"] for tx in ma_gdich}
    assert _workers(proc.db) == {0, 1}  # both processes took some (else nothing crossed)

    # SIGKILL of the first process: the other one stops by itself; a restart serves the same transactions
    assert proc.proc is not None
    other = _other(proc.proc.pid)
    proc.kill()
    assert _exits_within(other, 10)
    base = proc.start()
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        status, again = await submit(s, base, token, UNIT_B.ma_dvi, bodies[0])
        assert status == 200 and again["ma_gdich"] in ma_gdich
        async with s.get(f"{base}/units/{UNIT_B.ma_dvi}/events", headers={**bearer(token), "Last-Event-ID": "0"}) as r:
            reader = SseReader(r)
            replay = []
            while (event := await reader.next_event(1.0)) is not None:
                replay.append(event)
    assert [e[0] for e in replay] == ids
    assert proc.proc is not None
    other = _other(proc.proc.pid)
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(10) == 0
    assert _exits_within(other, 10)


async def test_a_dead_worker_is_started_again(two: tuple[World, SimProcess]) -> None:
    """SIGKILL of the other process: the first starts it again, and the new one accepts submissions and moves them
    along (the transactions a process accepted are its share of the lifecycle)."""
    world, proc = two
    base = proc.start()
    assert proc.proc is not None
    killed = _child(proc.proc.pid)
    os.kill(killed, signal.SIGKILL)
    for _ in range(100):
        await asyncio.sleep(0.1)
        with contextlib.suppress(ValueError):  # none while it is being started again
            if (started := _child(proc.proc.pid)) != killed:
                break
    else:
        pytest.fail("the killed worker process was not started again")
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # on connections of their own, until the kernel gives one to the new one
            status, tx = await _submit_fresh(
                base, token, signed_dossier(UNIT_B, CONTACT, new=world.unit_b, old=world.unit_b)
            )
            assert status == 202, tx
            with contextlib.closing(sqlite3.connect(proc.db)) as db:
                [(worker,)] = db.execute("SELECT worker FROM transactions WHERE ma_gdich = ?", (tx["ma_gdich"],))
            if worker == 1:
                break
        else:
            pytest.fail("no submission reached the new worker process")
        final = await wait_final(s, base, token, tx["ma_gdich"])
    assert [e["status"] for e in final["timeline"]] == ["SENT", "RECEIVED", "REJECTED"]
    assert _child(proc.proc.pid) == started
