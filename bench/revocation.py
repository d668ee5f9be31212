"""Path validation and revocation checks, each as a ratio against a baseline measured in the same run.

    python -m bench.revocation [-n 200]

Path validation (``core.certs.validate_path``, cryptography's verifier, leaf → intermediate → root) against one
bare signature check (``verify_directly_issued_by``). Revocation (``services.revocation``) of one certificate
against an in-process CA on loopback: OCSP fetched, OCSP from the cache, CRL fetched; baseline: a plain GET of a
few bytes from the same server over the same kind of session.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from bench._stats import Timing, measure, table
from tests.support import pki
from tui_ibhxh.core.certs import validate_path
from tui_ibhxh.ivan_sim.pki import Authority
from tui_ibhxh.services.revocation import RevocationChecker, Subject


async def ameasure(name: str, fn: Callable[[], Awaitable[object]], *, n: int, warmup: int = 3) -> Timing:
    """``measure`` for a coroutine function."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return Timing(name, samples)


async def run(n: int) -> str:
    root = pki.make_ca("Bench Root", key_index=0)
    inter = pki.make_ca("Bench Sub CA", key_index=3, parent=root)
    leaf = pki.issue(inter, key_index=1)
    signature = measure("one signature check", lambda: leaf.cert.verify_directly_issued_by(inter.cert), n=n)
    path = measure(
        "path leaf→sub CA→root", lambda: validate_path(leaf.info, [root.info], [inter.info], at=pki.now()), n=n
    )
    authority = Authority("bench", inter.cert, inter.key, {}, dt.timedelta(hours=1))

    async def ping_handler(request: web.Request) -> web.Response:
        return web.Response(body=b"ok")

    async def crl_handler(request: web.Request) -> web.Response:
        return web.Response(body=authority.crl(pki.now()))

    async def ocsp_handler(request: web.Request) -> web.Response:
        return web.Response(body=authority.ocsp(await request.read(), pki.now()))

    app = web.Application()
    app.router.add_get("/ping", ping_handler)
    app.router.add_get("/bench.crl", crl_handler)
    app.router.add_post("/ocsp", ocsp_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    by_ocsp = Subject(pki.issue(inter, key_index=1, ocsp_url=f"{base}/ocsp").der, inter.der)
    by_crl = Subject(pki.issue(inter, key_index=1, crl_url=f"{base}/bench.crl").der, inter.der)

    async def ping() -> None:
        async with aiohttp.ClientSession() as s, s.get(f"{base}/ping") as r:
            await r.read()

    try:
        with tempfile.TemporaryDirectory() as tmp:
            cold, warm = RevocationChecker(None), RevocationChecker(Path(tmp))
            baseline = await ameasure("GET a few bytes", ping, n=n)
            rows = [
                (await ameasure("OCSP fetched + verified", lambda: cold.check(by_ocsp), n=n), baseline),
                (await ameasure("OCSP from the cache", lambda: warm.check(by_ocsp), n=n), baseline),
                (await ameasure("CRL fetched + verified", lambda: cold.check(by_crl), n=n), baseline),
            ]
    finally:
        await runner.cleanup()
    return table([(path, signature), *rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args(argv)
    print(asyncio.run(run(args.n)))


if __name__ == "__main__":
    main()
