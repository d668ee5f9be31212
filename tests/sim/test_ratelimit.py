"""Rate limits (protocol §7): authenticated calls per unit, ``/auth/*`` per client address, in separate
budgets. A stranger flooding challenges for a unit never starves that unit's own calls; a challenge for an
unknown unit allocates nothing; the limiters' memory is bounded whatever names are requested."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.support.flood import pipelined_posts, random_unit, server_rss
from tests.support.sim_server import UNIT_A, UNIT_B, SimProcess, World, bearer, login, make_world
from tui_ibhxh.ivan_sim.app import make_app
from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.ratelimit import RateLimiter, address_key
from tui_ibhxh.ivan_sim.state import STATE


def _challenge_rows(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM challenges").fetchone()[0])


# --- the limiter itself ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_and_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 0.5, clock)
    assert limiter.take("a") is None and limiter.take("a") is None
    wait = limiter.take("a")
    assert wait is not None and wait == pytest.approx(2.0) and RateLimiter.retry_after(wait) == "2"
    clock.now += 2.0
    assert limiter.take("a") is None
    assert limiter.take("b") is None  # another key, another budget


def test_processes_share_a_budget_without_exceeding_it() -> None:
    """With ``--workers 2`` each process enforces half the budget: together never more than the whole."""
    alone, half = RateLimiter.share(5, 1.0, 1), RateLimiter.share(5, 1.0, 2)
    assert [alone.take("a") is None for _ in range(6)] == [True] * 5 + [False]
    assert [half.take("a") is None for _ in range(3)] == [True, True, False]
    wait = half.take("a")
    assert wait is not None and wait == pytest.approx(2.0, abs=0.1)  # refilled at 0.5/s


def test_idle_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(4, 2.0, clock)  # full again after 2 s idle
    for key in ("a", "b", "c"):
        limiter.take(key)
    clock.now += 1.0
    limiter.take("c")
    assert len(limiter) == 3
    clock.now += 1.5  # a and b idle 2.5 s (full: forgotten), c only 1.5 s
    limiter.take("d")
    assert len(limiter) == 2


def test_at_most_max_keys_least_recently_used_first_out() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 1e-6, clock, max_keys=3)
    for key in ("a", "b", "c"):
        assert limiter.take(key) is None
    assert limiter.take("a") is not None  # used again: now the most recent
    limiter.take("d")  # evicts b
    assert len(limiter) == 3
    assert limiter.take("a") is not None and limiter.take("c") is not None
    assert limiter.take("b") is None  # forgotten, so a fresh bucket


def test_random_keys_stay_bounded() -> None:
    limiter = RateLimiter(300, 50.0, Clock())
    for i in range(30_000):
        limiter.take(f"{i:x}" * 8)
    assert len(limiter) == limiter.max_keys


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same host's /64: one budget
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
        (None, "?"),
    ],
)
def test_address_key(remote: str | None, key: str) -> None:
    assert address_key(remote) == key


# --- separate budgets over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[tuple[World, str]]:
    # refills are slow (one request every 20 s), so the counts below do not depend on the test's speed
    world = make_world(tmp_path / "world", units=(UNIT_A, UNIT_B))
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3", rate_limit=(4, 0.05), auth_rate_limit=(6, 0.05))
    yield world, proc.start()
    proc.stop()


async def _get_statuses(s: aiohttp.ClientSession, url: str, token: str, n: int) -> tuple[list[int], str | None]:
    statuses, retry_after = [], None
    for _ in range(n):
        async with s.get(url, headers=bearer(token)) as r:
            statuses.append(r.status)
            if r.status == 429:
                retry_after = r.headers.get("Retry-After")
                data = await r.json()
                assert data["ma_loi"] == "RATE_LIMITED" and data["mota_loi"]
    return statuses, retry_after


async def test_429_with_retry_after_per_unit(limited: tuple[World, str]) -> None:
    world, base = limited
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)  # spends the address's budget only
        statuses, retry_after = await _get_statuses(s, f"{base}/units/{UNIT_A.ma_dvi}/registration", token, 5)
        assert statuses == [200, 200, 200, 200, 429]
        assert retry_after is not None and int(retry_after) >= 1
        # another unit has its own budget
        token_b = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        statuses, _ = await _get_statuses(s, f"{base}/units/{UNIT_B.ma_dvi}/registration", token_b, 1)
        assert statuses == [200]


async def test_auth_is_limited_per_client_address_not_per_unit(limited: tuple[World, str]) -> None:
    world, base = limited
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)  # 2 of the address's 6
        statuses = []
        for _ in range(5):
            async with s.post(f"{base}/auth/challenge", json={"ma_dvi": UNIT_A.ma_dvi}) as r:
                statuses.append(r.status)
                if r.status == 429:
                    assert int(r.headers["Retry-After"]) >= 1
                    assert (await r.json())["ma_loi"] == "RATE_LIMITED"
        assert statuses == [200, 200, 200, 200, 429]
        # the unit's own budget is untouched by all of that
        statuses, _ = await _get_statuses(s, f"{base}/units/{UNIT_A.ma_dvi}/registration", token, 4)
        assert statuses == [200, 200, 200, 200]


async def test_strangers_flooding_challenges_do_not_starve_the_unit(tmp_path: Path) -> None:
    """16 unauthenticated workers ask challenges for the victim's unit as fast as they can while the victim
    works with its token (default limits): the victim's calls succeed, and few challenges are stored."""
    world = make_world(tmp_path / "world", units=(UNIT_A,))
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3")
    base = proc.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            token = await login(s, base, UNIT_A.ma_dvi, world.registered)
            rows_before = _challenge_rows(proc.db)
            stop = asyncio.Event()
            refused = asyncio.Event()
            strangers: Counter[int] = Counter()

            async def stranger() -> None:
                while not stop.is_set():
                    async with s.post(f"{base}/auth/challenge", json={"ma_dvi": UNIT_A.ma_dvi}) as r:
                        strangers[r.status] += 1
                        if r.status == 429:
                            refused.set()
                        await r.read()

            start = time.monotonic()
            workers = [asyncio.create_task(stranger()) for _ in range(16)]
            try:
                await asyncio.wait_for(refused.wait(), 60)  # the flood is in full swing: the address is limited
                flood_before = strangers.total()
                victim: Counter[int] = Counter()
                for _ in range(100):  # about 3 s at the victim's pace
                    async with s.get(f"{base}/units/{UNIT_A.ma_dvi}/registration", headers=bearer(token)) as r:
                        victim[r.status] += 1
                    await asyncio.sleep(0.02)
                flood_during = strangers.total() - flood_before
            finally:
                stop.set()
                await asyncio.gather(*workers)
            elapsed = time.monotonic() - start
    finally:
        proc.stop()
    assert flood_during > 300, strangers  # the strangers really were flooding meanwhile
    assert victim[200] >= 95, victim
    # what strangers could store is bounded by the address's budget (default burst 60, 5 per second)
    assert _challenge_rows(proc.db) - rows_before <= 60 + 5 * elapsed + 5
    assert strangers[200] <= 60 + 5 * elapsed + 5, strangers


# --- unknown units allocate nothing ------------------------------------------------------------------------


async def test_unknown_units_leave_no_limiter_state_and_no_row(tmp_path: Path) -> None:
    app = make_app(SimConfig(db_path=tmp_path / "sim.sqlite3", auth_rate_burst=10**9, auth_rate_per_second=1e9))
    state = app[STATE]
    async with TestServer(app) as server, aiohttp.ClientSession() as s:
        for i in range(300):
            path = "/api/v1/auth/challenge" if i % 2 else "/api/v1/auth/token"
            body = {**random_unit(), "challenge": "AAAA", "certificate": "AAAA", "signature": "AAAA"}
            async with s.post(server.make_url(path), json=body) as r:
                assert r.status == 404 and (await r.json())["ma_loi"] == "UNIT_NOT_FOUND"
        assert len(state.limiter) == 0  # units' budgets: only for units with a live token
        assert len(state.auth_limiter) == 1  # one client address
    assert _challenge_rows(tmp_path / "sim.sqlite3") == 0


async def test_100k_random_unit_names_do_not_grow_the_simulator(tmp_path: Path) -> None:
    """100,000 challenge requests with random 1 kB unit names (all 404, none refused by the address's limit)
    grow the simulator process by less than 10 MB and store nothing."""
    world = make_world(tmp_path / "world", units=(UNIT_A,), settings="auth_rate_limit = [1000000000, 1e9]")
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3")
    base = proc.start()
    assert proc.proc is not None
    try:
        connections = 16

        async def flood(count: int) -> Counter[int]:
            results = await asyncio.gather(
                *(pipelined_posts(base, "/auth/challenge", count, random_unit) for _ in range(connections))
            )
            return sum(results, Counter())

        assert await flood(500) == {404: 500 * connections}  # warm-up: buffers, caches, allocator arenas
        before = server_rss(proc.proc.pid)
        assert await flood(100_000 // connections) == {404: 100_000}
        growth = server_rss(proc.proc.pid) - before
    finally:
        proc.stop()
    assert growth < 10 * 2**20, f"the simulator grew by {growth / 2**20:.1f} MiB"
    assert _challenge_rows(proc.db) == 0
