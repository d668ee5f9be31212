"""The submit round-trip on loopback, as the workflow does it once the user pressed "Nộp" and the checks passed:
build the form, sign it and its envelope on the token (SoftHSM), verify the envelope (the check before it leaves),
commit it to the journal (SQLite, fsync), POST it to the I-VAN simulator and read its 202. The figure is the p50
of that whole path (recording the answer in the journal comes after the 202 and is shown apart); the baseline,
measured in the same run over the same client session, is one ``GET /health`` of the same simulator (a bare
loopback round-trip). The stages' own p50 are given too, to show where time goes.

    python -m bench.submit [-n 100]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench._stats import Timing
from tests.support.sim_server import SimProcess
from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier
from tui_ibhxh.core.envelope import Envelope, build_envelope, verify_envelope
from tui_ibhxh.core.models import TokenCert, TxStatus
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.demo import DEMO_IVAN_NAME, DEMO_PIN, SOFTHSM_MODULE, DemoMaterial, provision
from tui_ibhxh.services.ivan_client import IvanClient
from tui_ibhxh.services.journal import Journal
from tui_ibhxh.services.paths import app_paths
from tui_ibhxh.services.signing import sign_xml
from tui_ibhxh.services.token import TokenService

MA_IVAN = "00040"


@dataclass(frozen=True)
class SubmitTimes:
    round_trip: Timing  # sign → verify → journal → POST → 202
    baseline: Timing  # GET /health, same session
    sign: Timing  # form + envelope signed on the token, envelope verified
    journal: Timing  # the signed dossier committed (fsync)
    post: Timing  # POST → 202
    answer: Timing  # after the 202 (not in the round-trip): the transaction recorded in the journal


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    t0 = time.perf_counter()
    await fn()
    return time.perf_counter() - t0


async def _run(n: int, m: DemoMaterial, sim_base: str, tmp: Path) -> SubmitTimes:
    service = TokenService([Path(SOFTHSM_MODULE)], softhsm2_conf=m.softhsm2_conf)
    journal = Journal(tmp / "journal.sqlite3")
    client = IvanClient(sim_base.removesuffix("/api/v1"))
    trust = TrustStore.from_pem(m.ca_pem.read_bytes())
    try:
        token = next(t for t in service.list_tokens_sync() if t.label == m.token_label)
        service.login_sync(token.serial, DEMO_PIN)
        cert: TokenCert = next(c for c in service.certificates_sync(token.serial) if c.info.der == m.new_cert_der)
        await client.authenticate(m.unit.ma_dvi, cert.info.der, service.signer(cert).sign_async)
        new = CertSummary.from_cert(cert.info)
        old = CertSummary.from_cert(parse_certificate(m.registered_cert_der))

        times: dict[str, list[float]] = {k: [] for k in ("all", "sign", "journal", "post", "answer", "base")}

        async def one() -> None:
            key = str(uuid.uuid4())
            d = ChangeDossier(m.unit, m.contact, dt.date.today(), DEMO_IVAN_NAME, new, old, key)
            t0 = time.perf_counter()
            form = await sign_xml(service, cert, build_dossier(d))
            signed = await sign_xml(service, cert, build_envelope(Envelope.for_form(d, form, ma_ivan=MA_IVAN)))
            verify_envelope(signed, pinned_cert_der=cert.info.der, trust=trust)
            t1 = time.perf_counter()
            await asyncio.to_thread(journal.record_signed, key, m.unit.ma_dvi, cert.info.serial, signed)
            t2 = time.perf_counter()
            result = await client.submit(m.unit.ma_dvi, signed, key)
            t3 = time.perf_counter()
            await asyncio.to_thread(journal.mark_submitted, key, result.transaction)
            t4 = time.perf_counter()
            assert result.transaction.status is TxStatus.SENT
            stages = (("all", t3 - t0), ("sign", t1 - t0), ("journal", t2 - t1), ("post", t3 - t2), ("answer", t4 - t3))
            for name, value in stages:
                times[name].append(value)
            # not timed: the dossier finished, so the journal takes the next one (one unfinished per unit)
            done = replace(result.transaction, status=TxStatus.ACCEPTED)
            await asyncio.to_thread(journal.update_status, key, done)

        async def health() -> None:
            session = client._ensure_session()
            async with session.get(f"{sim_base}/health") as response:
                await response.read()
                assert response.status == 200

        for _ in range(3):  # warm-up: sessions, caches, the simulator's first requests
            await one()
            await health()
        for name in times:
            times[name].clear()
        for _ in range(n):  # alternately: a load that comes and goes touches both
            await one()
            times["base"].append(await _timed(health))
        return SubmitTimes(
            Timing("submit round-trip (p50)", times["all"]),
            Timing("GET /health (loopback)", times["base"]),
            Timing("  sign x2 + verify envelope", times["sign"]),
            Timing("  journal commit (fsync)", times["journal"]),
            Timing("  POST -> 202", times["post"]),
            Timing("then: the answer journalled", times["answer"]),
        )
    finally:
        await client.close()
        journal.close()
        service.close()


def run(n: int) -> SubmitTimes:
    tmp = Path(tempfile.mkdtemp(prefix="ibhxh-bench-submit-"))
    # the simulator reads the demo (its unit, CA and BHXH key) from <db dir>/home, as tests/flow does
    material, _ = provision(app_paths(home=tmp / "home"))
    sim = SimProcess(
        None, tmp / "sim.sqlite3", delays=(0, 0), rate_limit=(10**6, 10.0**6), extra_args=("--seed", "demo")
    )
    base = sim.start()
    try:
        return asyncio.run(_run(n, material, base, tmp))
    finally:
        sim.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100)
    args = parser.parse_args(argv)
    r = run(args.n)
    print(f"{'measure':<34} {'p50 ms':>8} {'p99 ms':>8}")
    for t in (r.round_trip, r.sign, r.journal, r.post, r.answer, r.baseline):
        print(f"{t.name:<34} {t.p50 * 1e3:>8.2f} {t.p99 * 1e3:>8.2f}")
    print(f"round-trip / baseline: {r.round_trip.p50 / r.baseline.p50:.1f}x (n={args.n})")


if __name__ == "__main__":
    main()
