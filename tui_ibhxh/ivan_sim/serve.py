"""Run the simulator until SIGINT/SIGTERM; report the URL once it accepts connections.

``workers`` > 1: as many processes, each its own event loop, SQLite connection and listening socket on the same
port (SO_REUSEPORT: the kernel spreads the connections), so the verification of dossiers uses every core (one
process is bound to one by the GIL). They share everything through the database (see ``state.Worker``). The
first process starts the others (``python -m tui_ibhxh.ivan_sim.serve``, its settings on their standard input,
which then stays open: its end, at the first process's exit or death, stops them) and reports the URL once
they all listen; one that dies is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from tui_ibhxh.ivan_sim.app import make_app
from tui_ibhxh.ivan_sim.config import SimConfig
from tui_ibhxh.ivan_sim.routes import PREFIX
from tui_ibhxh.ivan_sim.state import Worker

PKI_HOST = "127.0.0.1"
WORKER_CHECK_INTERVAL = 0.5  # seconds between two looks at whether the worker processes still run


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


@dataclass(frozen=True)
class WorkerSpec:
    """What the first process hands to each other one (pickled on its standard input)."""

    config: SimConfig
    host: str
    port: int
    worker: Worker


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def _spawn_worker(spec: WorkerSpec, index: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_ibhxh.ivan_sim.serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None
    proc.stdin.write(pickle.dumps(WorkerSpec(spec.config, spec.host, spec.port, Worker(index, spec.worker.count))))
    proc.stdin.flush()
    return proc


def _start_workers(spec: WorkerSpec, indexes: range | None = None) -> list[subprocess.Popen[bytes]]:
    """The worker processes ``indexes`` (all the others by default), once each says it listens."""
    procs = [_spawn_worker(spec, index) for index in (range(1, spec.worker.count) if indexes is None else indexes)]
    for proc in procs:  # each says "ready" once it listens
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != b"ready":
            _stop_workers(procs)
            raise OSError(f"a worker process of the simulator did not start (exit code {proc.wait()})")
    return procs


async def _keep_workers(spec: WorkerSpec, procs: list[subprocess.Popen[bytes]]) -> None:
    """Start again a worker process that died (killed, crashed): until then its share of the lifecycle, the
    transactions it accepted (``Store.due``), would not move. ``procs[i]`` is worker ``i + 1``."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(WORKER_CHECK_INTERVAL)
        for i, proc in enumerate(procs):
            if proc.poll() is None:
                continue
            logging.getLogger("tui_ibhxh.ivan_sim").warning(
                "worker process %d ended (exit code %s): starting it again", i + 1, proc.returncode
            )
            _close_pipes(proc)
            started = loop.run_in_executor(None, _start_workers, spec, range(i + 1, i + 2))
            try:
                [procs[i]] = await asyncio.shield(started)
            except OSError as exc:  # tried again at the next check
                logging.getLogger("tui_ibhxh.ivan_sim").warning("worker process %d did not start: %s", i + 1, exc)
            except asyncio.CancelledError:  # stopping: the one being started is stopped with the others
                with contextlib.suppress(OSError):
                    [procs[i]] = await started
                raise


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.stdin is not None:
            proc.stdin.close()  # their signal to stop
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def serve(
    config: SimConfig,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
    workers: int = 1,
) -> None:
    """Serve ``config`` on ``host:port`` (0 = any free port) until ``stop`` is set or a signal arrives, in
    ``workers`` processes."""
    worker = Worker(0, max(1, workers))
    app = make_app(config, worker=worker)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    procs: list[subprocess.Popen[bytes]] = []
    keeper: asyncio.Task[None] | None = None
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True, reuse_port=not worker.alone)
        await site.start()
        real_port = runner.addresses[0][1]
        if not worker.alone:
            spec = WorkerSpec(config, host, real_port, worker)
            procs = await asyncio.get_running_loop().run_in_executor(None, _start_workers, spec)
            keeper = asyncio.create_task(_keep_workers(spec, procs), name="ivan-sim-workers")
        if config.pki_port:
            await _pki_site(runner, config.pki_port)
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{real_port}{PREFIX}")
        stop = stop or asyncio.Event()
        _stop_on_signals(stop)
        await stop.wait()
    finally:
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await runner.cleanup()
        if procs:
            await asyncio.get_running_loop().run_in_executor(None, _stop_workers, procs)


async def serve_worker(spec: WorkerSpec) -> None:
    """One of the other processes: serve until the first process closes our standard input (or a signal)."""
    app = make_app(spec.config, worker=spec.worker)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        await web.TCPSite(runner, spec.host, spec.port, reuse_address=True, reuse_port=True).start()
        loop.add_reader(sys.stdin.fileno(), stop.set)  # readable only at its end: nothing more is written
        _stop_on_signals(stop)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        loop.remove_reader(sys.stdin.fileno())
        await runner.cleanup()


def worker_main() -> None:
    spec = pickle.load(sys.stdin.buffer)
    if not isinstance(spec, WorkerSpec):
        raise SystemExit("expected the settings of a worker process on standard input")
    setup_logging()
    asyncio.run(serve_worker(spec))


if __name__ == "__main__":  # through the module, so the pickled WorkerSpec is the same class
    from tui_ibhxh.ivan_sim.serve import worker_main as main

    main()
