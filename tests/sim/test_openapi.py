"""The OpenAPI document matches the application's routes (and is served)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tui_ibhxh.ivan_sim.app import make_app
from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.openapi import openapi_document
from tui_ibhxh.ivan_sim.routes import PREFIX
from tui_ibhxh.ivan_sim.state import STATE


def _routed(tmp_path: Path) -> set[tuple[str, str]]:
    app = make_app(SimConfig(db_path=tmp_path / "sim.sqlite3"))
    state = app[STATE]
    state.store.close()
    state.verify_pool.shutdown()
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        assert isinstance(path, str) and path.startswith(PREFIX)
        found.add((route.method, path.removeprefix(PREFIX)))
    return found


def test_every_route_documented_and_every_documented_path_routed(tmp_path: Path) -> None:
    doc = openapi_document()
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    routed = _routed(tmp_path)
    assert routed == documented
    assert doc["openapi"].startswith("3.")
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["responses"], op


async def test_document_is_served(base: str) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{base}/openapi.json") as r:
        assert r.status == 200
        assert await r.json() == openapi_document()
