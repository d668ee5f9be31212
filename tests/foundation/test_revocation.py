"""Revocation: the verdicts over CRLs (DER and PEM) and OCSP answers (core.revocation), and the checker that fetches
them (services.revocation) against a CRL and an OCSP responder served in-process on loopback: OCSP first, CRL
next, every fetch bounded in time, answers cached until nextUpdate, an unreachable CA a verdict (offline)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support import pki
from tui_ibhxh.core.certs import CheckContext, check_certificate, problem_message
from tui_ibhxh.core.models import ProblemCode
from tui_ibhxh.core.revocation import (
    PENDING,
    Revocation,
    RevocationState,
    UnknownReason,
    crl_decision,
    ocsp_decision,
    ocsp_request,
    revocation_urls,
)
from tui_ibhxh.ivan_sim.pki import Authority
from tui_ibhxh.services.revocation import RevocationChecker, Subject

NOW = pki.now()
REVOKED_AT = NOW - dt.timedelta(days=2)


@pytest.fixture(scope="module")
def ca() -> pki.Issued:
    return pki.make_ca("Test CA (revocation)", key_index=0)


def authority(ca: pki.Issued, *revoked: pki.Issued, hours: int = 1) -> Authority:
    return Authority(
        "test-ca", ca.cert, ca.key, {r.cert.serial_number: REVOKED_AT for r in revoked}, dt.timedelta(hours=hours)
    )


# --- the pure verdicts ---------------------------------------------------------------------------------------
def test_crl_in_der_and_pem(ca: pki.Issued) -> None:
    bad, good = pki.issue(ca, key_index=1), pki.issue(ca, key_index=2)
    der = authority(ca, bad).crl(NOW)
    pem = x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)
    for data in (der, pem, b"\n" + pem):
        verdict = crl_decision(data, bad.der, ca.der, now=NOW, source="u")
        assert verdict.state is RevocationState.REVOKED and verdict.revoked_at == REVOKED_AT
        assert crl_decision(data, good.der, ca.der, now=NOW).state is RevocationState.GOOD


def test_crl_out_of_date_forged_or_garbage_is_unknown(ca: pki.Issued) -> None:
    leaf = pki.issue(ca, key_index=1)
    crl = authority(ca, leaf).crl(NOW)
    stale = crl_decision(crl, leaf.der, ca.der, now=NOW + dt.timedelta(hours=2))
    assert (stale.state, stale.reason) == (RevocationState.UNKNOWN, UnknownReason.STALE)
    other = pki.make_ca("Test CA (revocation)", key_index=4)  # same name, another key
    forged = Authority("x", other.cert, other.key, {}, dt.timedelta(hours=1)).crl(NOW)
    assert crl_decision(forged, leaf.der, ca.der, now=NOW).reason is UnknownReason.INVALID
    assert crl_decision(b"not a crl", leaf.der, ca.der, now=NOW).reason is UnknownReason.INVALID


def test_ocsp_good_revoked_and_refusals(ca: pki.Issued) -> None:
    bad, good = pki.issue(ca, key_index=1), pki.issue(ca, key_index=2)
    auth = authority(ca, bad)
    revoked = ocsp_decision(auth.ocsp(ocsp_request(bad.der, ca.der), NOW), bad.der, ca.der, now=NOW)
    assert revoked.state is RevocationState.REVOKED and revoked.revoked_at == REVOKED_AT
    answer = auth.ocsp(ocsp_request(good.der, ca.der), NOW)
    assert ocsp_decision(answer, good.der, ca.der, now=NOW).state is RevocationState.GOOD
    # the answer is about another certificate: it says nothing about this one
    assert ocsp_decision(answer, bad.der, ca.der, now=NOW).reason is UnknownReason.INVALID
    late = ocsp_decision(answer, good.der, ca.der, now=NOW + dt.timedelta(hours=2))
    assert late.reason is UnknownReason.STALE
    other = pki.make_ca("Other CA", key_index=4)
    stranger = pki.issue(other, key_index=2)
    unauthorized = auth.ocsp(ocsp_request(stranger.der, other.der), NOW)
    assert ocsp_decision(unauthorized, stranger.der, other.der, now=NOW).reason is UnknownReason.INVALID
    impostor = Authority("x", other.cert, other.key, {}, dt.timedelta(hours=1))
    assert (
        ocsp_decision(impostor.ocsp(ocsp_request(good.der, other.der), NOW), good.der, ca.der, now=NOW).reason
        is UnknownReason.INVALID
    )


def test_problems_from_verdicts(ca: pki.Issued) -> None:
    leaf = pki.issue(ca, key_index=1, mst="0101234565")
    base = CheckContext(now=NOW, unit_mst="0101234565", anchors=[ca.info])

    def codes(**kw: object) -> list[tuple[ProblemCode, bool]]:
        ctx = CheckContext(**{**base.__dict__, **kw})
        return [(p.code, p.blocking) for p in check_certificate(leaf.info, has_private_key=True, ctx=ctx)]

    assert codes() == []  # not asked: nothing said
    assert codes(unchecked=PENDING) == [(ProblemCode.REVOCATION_UNKNOWN, False)]
    revoked = Revocation(RevocationState.REVOKED, source="http://ca/ocsp", revoked_at=REVOKED_AT)
    assert codes(revocation={leaf.info.sha256: revoked}) == [(ProblemCode.REVOKED, True)]
    offline = Revocation.unknown(UnknownReason.OFFLINE, "http://ca/ocsp")
    [(code, blocking)] = codes(revocation={leaf.info.sha256: offline})
    assert code is ProblemCode.REVOCATION_UNKNOWN and not blocking
    messages = set()
    for reason in UnknownReason:
        ctx = CheckContext(**{**base.__dict__, "revocation": {leaf.info.sha256: Revocation.unknown(reason, "U")}})
        [problem] = check_certificate(leaf.info, has_private_key=True, ctx=ctx)
        messages.add(problem_message(problem, leaf.info, "vi"))
        assert problem_message(problem, leaf.info, "en") != problem_message(problem, leaf.info, "vi")
    assert len(messages) == len(UnknownReason)  # each reason says why in its own words


# --- the checker, against an in-process CA on loopback ------------------------------------------------------
@dataclass
class FakeCa:
    """A CA's CRL and OCSP responder on 127.0.0.1, steerable."""

    authority: Authority
    base: str = ""
    pem: bool = False  # serve the CRL as PEM
    ocsp_status: int = 200  # 404: the responder is down
    crl_status: int = 200
    hang: bool = False  # accept and never answer
    hits: list[str] = field(default_factory=list)

    async def crl(self, request: web.Request) -> web.StreamResponse:
        self.hits.append("crl")
        if self.hang:
            await asyncio.Event().wait()
        if self.crl_status != 200:
            return web.Response(status=self.crl_status)
        data = self.authority.crl(pki.now())
        if self.pem:
            data = x509.load_der_x509_crl(data).public_bytes(serialization.Encoding.PEM)
        return web.Response(body=data)

    async def ocsp(self, request: web.Request) -> web.StreamResponse:
        self.hits.append("ocsp")
        if self.hang:
            await asyncio.Event().wait()
        if self.ocsp_status != 200:
            return web.Response(status=self.ocsp_status)
        return web.Response(body=self.authority.ocsp(await request.read(), pki.now()))


@pytest.fixture
async def fake_ca(ca: pki.Issued) -> AsyncIterator[FakeCa]:
    server = FakeCa(authority(ca))
    app = web.Application()
    app.router.add_get("/ca.crl", server.crl)
    app.router.add_post("/ocsp", server.ocsp)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


def _subject(leaf: pki.Issued, ca: pki.Issued) -> Subject:
    return Subject(leaf.der, ca.der)


async def test_ocsp_then_crl_in_pem(ca: pki.Issued, fake_ca: FakeCa, tmp_path: Path) -> None:
    leaf = pki.issue(ca, key_index=1, crl_url=f"{fake_ca.base}/ca.crl", ocsp_url=f"{fake_ca.base}/ocsp")
    fake_ca.authority.revoked[leaf.cert.serial_number] = REVOKED_AT
    checker = RevocationChecker(tmp_path / "cache", timeout=5)
    verdict = await checker.check(_subject(leaf, ca))
    assert verdict.state is RevocationState.REVOKED and verdict.source == f"{fake_ca.base}/ocsp"
    assert fake_ca.hits == ["ocsp"]
    fake_ca.ocsp_status, fake_ca.pem = 503, True  # the responder is down: the CRL, served as PEM, answers
    checker = RevocationChecker(tmp_path / "other-cache", timeout=5)
    verdict = await checker.check(_subject(leaf, ca))
    assert verdict.state is RevocationState.REVOKED and verdict.source == f"{fake_ca.base}/ca.crl"


async def test_one_crl_fetch_for_many_certificates_and_cached_until_next_update(
    ca: pki.Issued, fake_ca: FakeCa, tmp_path: Path
) -> None:
    leaves = [pki.issue(ca, key_index=i, crl_url=f"{fake_ca.base}/ca.crl") for i in (1, 2, 3)]
    checker = RevocationChecker(tmp_path / "cache", timeout=5)
    verdicts = await checker.check_all([_subject(x, ca) for x in leaves])
    assert [v.state for v in verdicts] == [RevocationState.GOOD] * 3
    assert fake_ca.hits == ["crl"]
    fake_ca.crl_status = 500  # the CA is down now: the cached CRL holds until its nextUpdate
    again = await RevocationChecker(tmp_path / "cache", timeout=5).check(_subject(leaves[0], ca))
    assert again.state is RevocationState.GOOD and fake_ca.hits == ["crl"]
    later = NOW + dt.timedelta(hours=2)  # past nextUpdate: asked again, and the CA is down
    expired = await RevocationChecker(tmp_path / "cache", timeout=5).check(_subject(leaves[0], ca), now=later)
    assert (expired.state, expired.reason) == (RevocationState.UNKNOWN, UnknownReason.OFFLINE)
    assert fake_ca.hits == ["crl", "crl"]


async def test_no_url_and_unreachable(ca: pki.Issued, tmp_path: Path) -> None:
    checker = RevocationChecker(tmp_path, timeout=2)
    plain = pki.issue(ca, key_index=1)
    assert (await checker.check(_subject(plain, ca))).reason is UnknownReason.NO_URL
    closed = _closed_port()
    gone = pki.issue(
        ca, key_index=1, crl_url=f"http://127.0.0.1:{closed}/ca.crl", ocsp_url=f"http://127.0.0.1:{closed}/o"
    )
    verdict = await checker.check(_subject(gone, ca))
    assert (verdict.state, verdict.reason) == (RevocationState.UNKNOWN, UnknownReason.OFFLINE)


async def test_a_ca_that_never_answers_is_bounded_in_time(ca: pki.Issued, fake_ca: FakeCa, tmp_path: Path) -> None:
    fake_ca.hang = True
    leaf = pki.issue(ca, key_index=1, crl_url=f"{fake_ca.base}/ca.crl", ocsp_url=f"{fake_ca.base}/ocsp")
    started = time.monotonic()
    verdict = await RevocationChecker(tmp_path, timeout=0.5).check(_subject(leaf, ca))
    assert verdict.reason is UnknownReason.OFFLINE
    assert time.monotonic() - started < 10  # two fetches of 0.5 s each, with room for a slow machine


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_ca_urls_in_an_empty_network_namespace(ca: pki.Issued, tmp_path: Path) -> None:
    """A real Vietnamese CA's CRL URL (DOMAIN.md), checked where nothing can leave the machine: offline, in words."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -n is not available here")
    leaf = pki.issue(
        ca,
        key_index=1,
        crl_url="http://crl3.fis.com.vn/fptca-sha256-2025.crl",
        ocsp_url="http://ocsp.vnpt-ca.vn/responder",
    )
    (tmp_path / "leaf.der").write_bytes(leaf.der)
    (tmp_path / "ca.der").write_bytes(ca.der)
    script = (
        "import asyncio, sys; from pathlib import Path;"
        "from tui_ibhxh.services.revocation import RevocationChecker, Subject;"
        f"d = Path({str(tmp_path)!r});"
        "s = Subject((d/'leaf.der').read_bytes(), (d/'ca.der').read_bytes());"
        "v = asyncio.run(RevocationChecker(None, timeout=3).check(s));"
        "print(v.state, v.reason, v.source)"
    )
    out = subprocess.run(
        [unshare, "-n", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert out.returncode == 0, out.stderr
    state, reason, source = out.stdout.split()
    assert (state, reason) == ("unknown", "offline") and source.startswith("http://")


def test_urls_read_from_the_certificate(ca: pki.Issued) -> None:
    leaf = pki.issue(ca, key_index=1, crl_url="http://a/ca.crl", ocsp_url="http://a/ocsp")
    urls = revocation_urls(leaf.der)
    assert (urls.ocsp, urls.crl) == (("http://a/ocsp",), ("http://a/ca.crl",))
    ldap = pki.issue(ca, key_index=1, crl_url="ldap://a/cn=ca")
    assert revocation_urls(ldap.der).crl == ()
