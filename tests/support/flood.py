"""Hostile load for the simulator's rate limits: many small requests, as cheaply as the client side allows.

:func:`pipelined_posts` writes HTTP/1.1 requests in batches on one keep-alive connection and reads the
answers back (aiohttp's client costs more per request than the server answering it), so a test can send
100,000 requests in seconds. :func:`server_rss` reads a process's resident memory (Linux ``/proc``).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse


def random_unit(size: int = 1024) -> dict[str, str]:
    """A challenge request for a unit name nobody has: ``size`` random hex characters."""
    return {"ma_dvi": secrets.token_hex(size // 2)}


async def pipelined_posts(
    base: str, path: str, count: int, body: Callable[[], dict[str, str]], *, batch: int = 200
) -> Counter[int]:
    """POST ``count`` JSON bodies to ``{base}{path}`` on one connection, ``batch`` at a time; the statuses."""
    url = urlparse(base)
    assert url.hostname is not None and url.port is not None
    target = f"{url.path}{path}".encode()
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    statuses: Counter[int] = Counter()
    try:
        sent = 0
        while sent < count:
            n = min(batch, count - sent)
            requests = []
            for _ in range(n):
                data = json.dumps(body()).encode()
                head = b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                requests.append(head % (target, url.hostname.encode(), len(data)) + data)
            writer.write(b"".join(requests))
            await writer.drain()
            for _ in range(n):
                statuses[int((await reader.readline()).split()[1])] += 1
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
            sent += n
    finally:
        writer.close()
    return statuses


def server_rss(pid: int) -> int:
    """Resident memory of process ``pid`` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")
