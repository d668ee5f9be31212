"""A minimal server-sent-events reader for tests."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class SseReader:
    response: aiohttp.ClientResponse
    comments: list[str] = field(default_factory=list)
    closed: bool = False  # the server ended the stream

    async def next_event(self, timeout: float) -> tuple[int, str, dict[str, Any]] | None:
        """The next event (id, type, JSON data; id -1 for an event without one, e.g. ``expired``), or None
        when ``timeout`` passes first or the stream ends (then ``closed`` is set)."""
        deadline = time.monotonic() + timeout
        event_id: int | None = None
        kind = "message"
        data: list[str] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                raw = await asyncio.wait_for(self.response.content.readline(), left)
            except TimeoutError:
                return None
            if not raw:
                self.closed = True
                return None
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    return -1 if event_id is None else event_id, kind, json.loads("\n".join(data))
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())

    async def wait_comment(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while text not in self.comments:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            event = await self.next_event(min(left, 0.2))
            # an event right after the comment (a lifecycle step of a transaction made just before) is fine;
            # one before it is not
            assert event is None or text in self.comments, f"unexpected event {event}"
        return True
