"""What every handler of one simulator instance shares."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiohttp import web

from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.ivan_sim.batch import GroupCommit
from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.errors import ApiError
from tui_ibhxh.ivan_sim.events import Broadcaster
from tui_ibhxh.ivan_sim.keys import SoftwareSigner
from tui_ibhxh.ivan_sim.pki import Authority
from tui_ibhxh.ivan_sim.ratelimit import RateLimiter, address_key
from tui_ibhxh.ivan_sim.store import Store
from tui_ibhxh.ivan_sim.verify import AcceptedForms


class KnownGrants:
    """Bearer tokens this process has already looked up (token SHA-256 -> unit, expiry), so a request with one
    needs no trip to the store. A token never changes once issued and dies only by expiring, which is checked on
    every use, so this is exactly what the store would answer. Unknown tokens are not kept; bounded (oldest out)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._grants: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def get(self, digest: str) -> tuple[str, float] | None:
        return self._grants.get(digest)

    def put(self, digest: str, grant: tuple[str, float]) -> None:
        self._grants[digest] = grant
        while len(self._grants) > self.capacity:
            self._grants.popitem(last=False)


@dataclass(frozen=True)
class Worker:
    """Which of the processes serving one database this is (``--workers``). They share everything through the
    database; the transactions it accepted are the ones it moves along (``Store.due``)."""

    index: int = 0
    count: int = 1

    @property
    def alone(self) -> bool:
        return self.count == 1

    @property
    def part(self) -> tuple[int, int]:
        """(index, count): this process's share of the lifecycle (``Store.due``)."""
        return self.index, self.count


@dataclass
class SimState:
    config: SimConfig
    store: Store
    anchors: list[CertInfo]
    trust: TrustStore | None
    signer: SoftwareSigner
    limiter: RateLimiter  # authenticated calls, per unit (keys: units with a live token only)
    auth_limiter: RateLimiter  # the unauthenticated /auth/* endpoints, per client address
    verify_pool: ThreadPoolExecutor  # XML + signature checks, off the event loop
    authority: Authority | None = None  # the CA whose CRL and OCSP answers are published (protocol §8)
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    commits: GroupCommit = field(init=False)  # the group commit of submissions and lifecycle steps on ``store``
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # a new transaction is due soon
    worker: Worker = field(default_factory=Worker)
    grants: KnownGrants = field(default_factory=KnownGrants)  # on the event loop only
    forms: AcceptedForms = field(default_factory=AcceptedForms)  # verified forms awaiting their decision

    def __post_init__(self) -> None:
        self.commits = GroupCommit(self.store)

    def rate_limit(self, ma_dvi: str) -> None:
        """Spend one request of the unit's budget (authenticated calls only), or 429."""
        _take(self.limiter, ma_dvi, f"too many requests for unit {ma_dvi}")

    def rate_limit_client(self, request: web.BaseRequest) -> None:
        """Spend one request of the client address's budget for ``/auth/*``, or 429 (before anything else)."""
        key = address_key(request.remote)
        _take(self.auth_limiter, key, f"too many authentication requests from {key}")


def _take(limiter: RateLimiter, key: str, what: str) -> None:
    wait = limiter.take(key)
    if wait is not None:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"{what}; retry in {wait:.1f} s",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )


STATE: web.AppKey[SimState] = web.AppKey("ivan_sim_state", SimState)
