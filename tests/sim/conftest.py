"""One simulator process per test module (delays 0), on a world of software certificates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sim_server import SimProcess, World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("sim-world"))


@pytest.fixture(scope="module")
def sim_process(world: World) -> Iterator[SimProcess]:
    # every test logs in: the per-address budget of /auth/* is not what these modules test (test_ratelimit does)
    proc = SimProcess(world.toml, world.dir / "sim.sqlite3", delays=(0, 0), heartbeat=0.3, auth_rate_limit=(1000, 100))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def base(sim_process: SimProcess) -> str:
    return sim_process.base
