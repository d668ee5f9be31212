"""Run the simulator until SIGINT/SIGTERM; report the URL once it accepts connections."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable

from aiohttp import web

from tui_ibhxh.ivan_sim.app import make_app
from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.routes import PREFIX

PKI_HOST = "127.0.0.1"


async def _pki_site(runner: web.AppRunner, port: int) -> None:
    """Also listen on the fixed loopback port the CA's certificates name for their CRL and OCSP (the demo's: its
    simulator otherwise runs on a free port). Busy: the revocation data is unreachable, everything else works."""
    try:
        await web.TCPSite(runner, PKI_HOST, port, reuse_address=True).start()
    except OSError as exc:
        logging.getLogger("tui_ibhxh.ivan_sim").warning(
            "the CRL/OCSP address http://%s:%s is not served (%s): revocation checks will say 'offline'",
            PKI_HOST,
            port,
            exc.strerror or exc,
        )


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("tui_ibhxh.ivan_sim")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = True  # its warnings also reach the app's log file (services.logs)


async def serve(
    config: SimConfig,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Serve ``config`` on ``host:port`` (0 = any free port) until ``stop`` is set or a signal arrives."""
    app = make_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        real_port = runner.addresses[0][1]
        if config.pki_port:
            await _pki_site(runner, config.pki_port)
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{real_port}{PREFIX}")
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
