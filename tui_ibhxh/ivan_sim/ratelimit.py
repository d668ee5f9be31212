"""Rate limiting (protocol §7): token buckets by key, with memory bounded whatever the keys are.

Two budgets use it: authenticated calls per unit (keys are units on record only) and the unauthenticated
``/auth/*`` endpoints per client address (:func:`address_key`), so a stranger flooding challenges for a unit
spends their own budget, never the unit's.

Memory: a bucket that has been idle long enough to refill completely is the same as no bucket, so it is
dropped (buckets are kept in least-recently-used order, which is also the order of their last update); on top
of that at most ``max_keys`` buckets are kept, the least recently used one is evicted first.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """One token bucket per key (``burst`` requests at once, refilled at ``per_second``), bounded in memory."""

    @classmethod
    def share(cls, burst: int, per_second: float, processes: int) -> RateLimiter:
        """One process's share of a budget that ``processes`` processes enforce each on its own (``--workers``):
        together they never allow more than the budget (a client served by one of them alone gets less)."""
        return cls(max(1, burst // processes), per_second / processes)

    def __init__(
        self,
        burst: int,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.burst = max(1, burst)
        self.per_second = max(per_second, 1e-6)
        self.max_keys = max(1, max_keys)
        self._clock = clock
        self._refill_time = self.burst / self.per_second  # idle this long = full again = forgettable
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        buckets = self._buckets
        while buckets:
            oldest = next(iter(buckets.values()))
            if now - oldest.updated < self._refill_time:
                return
            buckets.popitem(last=False)

    def take(self, key: str) -> float | None:
        """Take one request for ``key``; None when allowed, else the seconds to wait (Retry-After)."""
        now = self._clock()
        self._forget_idle(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self.per_second

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))


def address_key(remote: str | None) -> str:
    """The budget key of a client address: the address itself, or its /64 network for IPv6 (one host
    usually holds a whole /64, so per-address IPv6 keys would give it billions of budgets)."""
    if not remote:
        return "?"
    try:
        addr = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote[:64]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)
