"""The aiohttp application factory of the simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from aiohttp import web

from tui_ibhxh.core.certs import CertificateError, load_certificates
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.ivan_sim.config import SimConfig, SimConfigError
from tui_ibhxh.ivan_sim.events import follow_events
from tui_ibhxh.ivan_sim.keys import bhxh_signer
from tui_ibhxh.ivan_sim.lifecycle import run_lifecycle
from tui_ibhxh.ivan_sim.middleware import json_errors, log_requests
from tui_ibhxh.ivan_sim.pki import Authority, load_authority
from tui_ibhxh.ivan_sim.ratelimit import RateLimiter
from tui_ibhxh.ivan_sim.routes import add_routes
from tui_ibhxh.ivan_sim.seed import seed_unit
from tui_ibhxh.ivan_sim.state import STATE, SimState, Worker
from tui_ibhxh.ivan_sim.store import Store


def load_anchors(config: SimConfig) -> list[CertInfo]:
    anchors: list[CertInfo] = []
    for path in config.trust:
        try:
            anchors.extend(load_certificates(path.read_bytes()))
        except OSError as exc:
            raise SimConfigError(f"cannot read trust anchor {path}: {exc.strerror or exc}") from None
        except CertificateError:
            raise SimConfigError(f"{path} is not a PEM or DER certificate") from None
    return anchors


def load_pki(config: SimConfig) -> Authority | None:
    """The CA whose revocation data is published, when one is configured; its revoked serials are the
    simulator's (the same list CERT_REVOKED uses), revoked as of now."""
    if config.ca_cert is None and config.ca_key is None:
        return None
    if config.ca_cert is None or config.ca_key is None:
        raise SimConfigError("give both the CA certificate and its key to publish its CRL and OCSP")
    now = datetime.now(UTC).replace(microsecond=0)
    revoked = {int(serial, 16): now for serial in config.revoked}
    return load_authority(config.ca_name, config.ca_cert, config.ca_key, revoked, config.pki_validity)


def build_state(config: SimConfig, worker: Worker | None = None) -> SimState:
    """Open the store, load keys and anchors, register the seed units."""
    worker = worker or Worker()
    anchors = load_anchors(config)
    signer = bhxh_signer(config.bhxh_cert, config.bhxh_key, config.db_path.parent)
    authority = load_pki(config)
    store = Store(config.db_path)
    try:
        for seed in config.seed:
            try:
                seed_unit(store, seed.unit, seed.contact, seed.certificate_der())
            except CertificateError:
                raise SimConfigError(f"unit {seed.unit.ma_dvi}: the registered certificate is not readable") from None
    except BaseException:
        store.close()
        raise
    return SimState(
        config=config,
        store=store,
        anchors=anchors,
        trust=TrustStore(anchors) if anchors else None,
        signer=signer,
        limiter=RateLimiter.share(config.rate_burst, config.rate_per_second, worker.count),
        auth_limiter=RateLimiter.share(config.auth_rate_burst, config.auth_rate_per_second, worker.count),
        verify_pool=ThreadPoolExecutor(max_workers=2, thread_name_prefix="ivan-sim-verify"),
        authority=authority,
        worker=worker,
    )


def make_app(config: SimConfig, state: SimState | None = None, worker: Worker | None = None) -> web.Application:
    """The simulator as an aiohttp application (store opened now; lifecycle task runs while it serves)."""
    state = state or build_state(config, worker)
    app = web.Application(
        client_max_size=config.max_body,
        middlewares=[log_requests, json_errors(config.max_body)],
    )
    app[STATE] = state
    add_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(run_lifecycle(state), name="ivan-sim-lifecycle")]
        if not state.worker.alone:
            tasks.append(asyncio.create_task(follow_events(state.store, state.broadcaster), name="ivan-sim-follow"))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        state.verify_pool.shutdown(wait=True)
        state.store.close()

    async def end_streams(app: web.Application) -> None:
        state.broadcaster.close()  # before aiohttp waits for the open handlers

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(end_streams)
    return app
