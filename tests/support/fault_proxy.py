"""An HTTP proxy in front of the simulator that injects network faults for client tests.

Every request is forwarded on its own upstream connection with ``Connection: close``, so one client
connection carries one request. ``faults`` is a list of (method, path fragment, action); the first rule
matching a request is consumed and applied to it:
  "drop_response" forward the request, let the server answer, then cut the client connection without
                  relaying a byte of the answer (the POST happened; the client never learns it)
  "reset"         read the request, then abort the client connection (nothing reaches the server)
  "503" / "429" / "404" ...  answer that status with a JSON error body without contacting the server
``persistent`` rules have the same form but are never consumed (an endpoint that is down for good).
  "cut_after_event" stream the answer until one complete ``event:`` block went through, then cut
Requests that match no rule pass through (responses are streamed, so the event stream works).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.tls = tls  # serve HTTPS to the client (the upstream stays plain HTTP)
        self.faults: list[tuple[str, str, str]] = []
        self.persistent: list[tuple[str, str, str]] = []
        self.seen: list[tuple[str, str, str]] = []
        self.heads: list[bytes] = []  # request heads, in order
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def _action(self, method: str, path: str) -> str:
        for i, (m, fragment, action) in enumerate(self.faults):
            if m == method and fragment in path:
                del self.faults[i]
                return action
        for m, fragment, action in self.persistent:
            if m == method and fragment in path:
                return action
        return "pass"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        method, path = request.split(b" ", 2)[:2]
        action = self._action(method.decode(), path.decode())
        self.seen.append((method.decode(), path.decode(), action))
        self.heads.append(request.partition(b"\r\n\r\n")[0])
        try:
            if action == "reset":
                writer.transport.abort()
                return
            if action.isdigit():
                codes = {"503": "SE999", "429": "RATE_LIMITED", "404": "NOT_FOUND"}
                body = json.dumps(
                    {
                        "ma_loi": codes.get(action, "SE999"),
                        "mota_loi": "Lỗi thử nghiệm",
                        "detail": "injected",
                    }
                ).encode()
                extra = "Retry-After: 1\r\n" if action == "429" else ""
                writer.write(
                    f"HTTP/1.1 {action} Injected\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                writer.close()
                return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            up_writer.write(_close_after(request))
            await up_writer.drain()
            if action == "drop_response":
                await up_reader.read(65536)  # the server answered: the transaction exists
                up_writer.close()
                writer.transport.abort()
                return
            relayed = b""
            while data := await up_reader.read(65536):
                writer.write(data)
                await writer.drain()
                relayed += data
                mark = relayed.find(b"event: transaction")
                if action == "cut_after_event" and mark >= 0 and relayed.find(b"\n\n", mark) >= 0:
                    up_writer.close()
                    writer.transport.abort()
                    return
            up_writer.close()
            writer.close()
        except (ConnectionError, OSError):
            writer.transport.abort()


def _close_after(request: bytes) -> bytes:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


class ProxyThread:
    """The proxy on its own event loop in a thread, so subprocess clients can go through it."""

    def __init__(self, upstream_host: str, upstream_port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.proxy = FaultProxy(upstream_host, upstream_port, tls=tls)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self.proxy

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
