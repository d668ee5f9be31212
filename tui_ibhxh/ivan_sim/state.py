"""What every handler of one simulator instance shares."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiohttp import web

from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.errors import ApiError
from tui_ibhxh.ivan_sim.events import Broadcaster
from tui_ibhxh.ivan_sim.keys import SoftwareSigner
from tui_ibhxh.ivan_sim.ratelimit import RateLimiter
from tui_ibhxh.ivan_sim.store import Store


@dataclass
class SimState:
    config: SimConfig
    store: Store
    anchors: list[CertInfo]
    trust: TrustStore | None
    signer: SoftwareSigner
    limiter: RateLimiter
    verify_pool: ThreadPoolExecutor  # XML + signature checks, off the event loop
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # a new transaction is due soon

    def rate_limit(self, ma_dvi: str) -> None:
        wait = self.limiter.take(ma_dvi)
        if wait is not None:
            raise ApiError(
                429,
                "RATE_LIMITED",
                f"too many requests for unit {ma_dvi}; retry in {wait:.1f} s",
                headers={"Retry-After": RateLimiter.retry_after(wait)},
            )


STATE: web.AppKey[SimState] = web.AppKey("ivan_sim_state", SimState)
