"""Per-unit rate limiting: 429 with Retry-After, other units unaffected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.sim_server import UNIT_A, UNIT_B, SimProcess, World, bearer, login, make_world


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[tuple[World, str]]:
    world = make_world(tmp_path / "world", units=(UNIT_A, UNIT_B))
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3", rate_limit=(4, 0.5))
    yield world, proc.start()
    proc.stop()


async def test_429_with_retry_after(limited: tuple[World, str]) -> None:
    world, base = limited
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)  # 2 requests of the burst of 4
        statuses = []
        retry_after = None
        for _ in range(4):
            async with s.get(f"{base}/units/{UNIT_A.ma_dvi}/registration", headers=bearer(token)) as r:
                statuses.append(r.status)
                if r.status == 429:
                    retry_after = r.headers.get("Retry-After")
                    data = await r.json()
                    assert data["ma_loi"] == "RATE_LIMITED" and data["mota_loi"]
        assert statuses == [200, 200, 429, 429]
        assert retry_after is not None and int(retry_after) >= 1
        # another unit has its own budget
        assert await login(s, base, UNIT_B.ma_dvi, world.unit_b)
