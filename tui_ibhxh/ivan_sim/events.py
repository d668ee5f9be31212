"""Live updates (protocol §6): ``text/event-stream`` of stored events, resumable with ``Last-Event-ID``.

Every status change is stored as an event (global monotonically increasing id) in the same SQLite
transaction as the change itself. A stream always reads from the store, so a resumed stream replays exactly
the events after the id it was given, then waits for the next notification (or sends a heartbeat comment).

A stream lives no longer than the bearer token that opened it: at the token's expiry it sends
``event: expired`` (no id, so the reader's Last-Event-ID stays the last delivered event) and closes, whether
events are flowing or not. The reader re-authenticates and resumes with Last-Event-ID; nothing is lost.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from tui_ibhxh.ivan_sim.errors import error_body
from tui_ibhxh.ivan_sim.middleware import SENT_STATUS
from tui_ibhxh.ivan_sim.store import Store


class Broadcaster:
    """Wakes the streams of one unit when new events are stored."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self.closing = False

    def close(self) -> None:
        """The server is stopping: every open stream ends now (its readers reconnect elsewhere or later)."""
        self.closing = True
        for ma_dvi in list(self._waiters):
            self.notify(ma_dvi)

    def subscribe(self, ma_dvi: str) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(ma_dvi, set()).add(fut)
        return fut

    def unsubscribe(self, ma_dvi: str, fut: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(ma_dvi)
        if waiters is not None:
            waiters.discard(fut)
            if not waiters:
                del self._waiters[ma_dvi]
        if not fut.done():
            fut.cancel()

    def notify(self, ma_dvi: str) -> None:
        for fut in self._waiters.pop(ma_dvi, set()):
            if not fut.done():
                fut.set_result(None)


#: how often a process looks for events the other processes of ``--workers`` stored (one query per look)
FOLLOW_INTERVAL = 0.05


async def follow_events(store: Store, broadcaster: Broadcaster, interval: float = FOLLOW_INTERVAL) -> None:
    """With several processes on one database, wake this process's streams of the units that got events stored
    by any process. Streams still read everything from the store (ids are committed in order: the write lock is
    exclusive), so this only decides when they look; a stream subscribes before it reads, so no event is missed."""
    last = await store.run(store.max_event_id)
    while True:
        await asyncio.sleep(interval)
        units, last = await store.run(store.units_with_events_after, last)
        for ma_dvi in units:
            broadcaster.notify(ma_dvi)


def parse_last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        n = int(value.strip())
    except ValueError:
        return None
    return n if n >= 0 else None


def format_event(event_id: int, data: str) -> bytes:
    return f"id: {event_id}\nevent: transaction\ndata: {data}\n\n".encode()


def format_expired() -> bytes:
    """The last message of a stream whose token has expired (no ``id:``: it is not a transaction event)."""
    data = json.dumps(error_body("TOKEN_EXPIRED"), ensure_ascii=False)
    return f"event: expired\ndata: {data}\n\n".encode()


EventsAfter = Callable[[int], Awaitable[list[tuple[int, str]]]]


async def stream_events(
    request: web.Request,
    *,
    ma_dvi: str,
    after: int,
    events_after: EventsAfter,
    broadcaster: Broadcaster,
    heartbeat: float,
    expires_at: float,
    clock: Callable[[], float] = time.time,
) -> web.StreamResponse:
    """Serve the unit's events after ``after`` until the server stops, the reader leaves or ``expires_at``
    (epoch seconds, the bearer token's expiry) passes."""
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    request[SENT_STATUS] = resp.status  # for the access log when the reader goes away
    last = after

    def left() -> float:
        return expires_at - clock()

    try:
        await resp.write(b"retry: 1000\n: connected\n\n")
        while not broadcaster.closing and left() > 0:
            fut = broadcaster.subscribe(ma_dvi)
            try:
                rows = await events_after(last)
                for event_id, data in rows:
                    if left() <= 0:
                        break
                    await resp.write(format_event(event_id, data))
                    last = event_id
                if rows:
                    continue
                wait = min(heartbeat, left())
                if wait <= 0:
                    break
                try:
                    await asyncio.wait_for(asyncio.shield(fut), wait)
                except TimeoutError:
                    if left() > 0:
                        await resp.write(b": heartbeat\n\n")
            finally:
                broadcaster.unsubscribe(ma_dvi, fut)
        if not broadcaster.closing:
            await resp.write(format_expired())
    except (ConnectionResetError, ConnectionError):
        pass
    return resp
