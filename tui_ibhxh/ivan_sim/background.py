"""The simulator on its own thread and event loop, for running it inside another program (``ibhxh demo``)."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.serve import serve


class BackgroundSimulator:
    """``with BackgroundSimulator(cfg) as url: ...`` — serves on 127.0.0.1 (a free port) until the block ends."""

    def __init__(self, config: SimConfig, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 20) -> None:
        self.config, self.host, self.port, self.timeout = config, host, port, timeout
        self.url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="ivan-sim", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(url: str) -> None:
                self.url = url
                self._ready.set()

            await serve(self.config, self.host, self.port, ready, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    def __enter__(self) -> str:
        self._thread.start()
        if not self._ready.wait(self.timeout) or self._error is not None:
            raise RuntimeError(f"the I-VAN simulator did not start: {self._error!r}")
        return self.url

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
