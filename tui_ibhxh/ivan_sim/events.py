"""Live updates (protocol §6): ``text/event-stream`` of stored events, resumable with ``Last-Event-ID``.

Every status change is stored as an event (global monotonically increasing id) in the same SQLite
transaction as the change itself. A stream always reads from the store, so a resumed stream replays exactly
the events after the id it was given, then waits for the next notification (or sends a heartbeat comment).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from tui_ibhxh.ivan_sim.middleware import SENT_STATUS


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


EventsAfter = Callable[[int], Awaitable[list[tuple[int, str]]]]
StillAllowed = Callable[[], Awaitable[bool]]


async def stream_events(
    request: web.Request,
    *,
    ma_dvi: str,
    after: int,
    events_after: EventsAfter,
    broadcaster: Broadcaster,
    heartbeat: float,
    still_allowed: StillAllowed,
) -> web.StreamResponse:
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
    try:
        await resp.write(b"retry: 1000\n: connected\n\n")
        while not broadcaster.closing:
            fut = broadcaster.subscribe(ma_dvi)
            try:
                rows = await events_after(last)
                for event_id, data in rows:
                    await resp.write(format_event(event_id, data))
                    last = event_id
                if rows:
                    continue
                try:
                    await asyncio.wait_for(asyncio.shield(fut), heartbeat)
                except TimeoutError:
                    if not await still_allowed():
                        break
                    await resp.write(b": heartbeat\n\n")
            finally:
                broadcaster.unsubscribe(ma_dvi, fut)
    except (ConnectionResetError, ConnectionError):
        pass
    return resp
