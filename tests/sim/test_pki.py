"""The simulator's PKI endpoints (protocol §8), served by a real simulator process on loopback: the CA's CRL and
its OCSP responder carry ``--revoked`` (one list, also behind CERT_REVOKED), and the client's revocation checker
reads both; ``--pki-port`` serves the same at the fixed address the certificates name."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.x509 import ocsp

from tests.support import pki
from tests.support.sim_server import REVOKED_SERIAL, SimProcess, World, make_world
from tui_ibhxh.core.revocation import RevocationState, ocsp_request
from tui_ibhxh.services.revocation import RevocationChecker, Subject


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pki_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = make_world(tmp_path_factory.mktemp("pki-world"))
    pki.write_pem(world.dir / "ca-cert.pem", world.ca)
    (world.dir / "ca.key.pem").write_bytes(world.ca.key_pem)
    return world


@pytest.fixture(scope="module")
def pki_port() -> int:
    return _free_port()


@pytest.fixture(scope="module")
def pki_sim(pki_world: World, pki_port: int) -> Iterator[SimProcess]:
    proc = SimProcess(
        pki_world.toml,
        pki_world.dir / "sim.sqlite3",
        extra_args=(
            "--ca-cert",
            str(pki_world.dir / "ca-cert.pem"),
            "--ca-key",
            str(pki_world.dir / "ca.key.pem"),
            "--ca-name",
            "test-ca",
            "--pki-port",
            str(pki_port),
            "--revoked",
            "0A:1B:2C",
        ),
    )
    proc.start()
    yield proc
    proc.stop()


async def test_crl_lists_every_revoked_serial(pki_world: World, pki_sim: SimProcess) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{pki_sim.base}/pki/test-ca.crl") as r:
        assert r.status == 200 and r.content_type == "application/pkix-crl"
        crl = x509.load_der_x509_crl(await r.read())
    assert crl.is_signature_valid(pki_world.ca.cert.public_key())  # type: ignore[arg-type]
    assert crl.issuer == pki_world.ca.cert.subject and crl.next_update_utc is not None
    assert {c.serial_number for c in crl} == {REVOKED_SERIAL, 0x0A1B2C}  # from sim.toml and from --revoked
    async with aiohttp.ClientSession() as s, s.get(f"{pki_sim.base}/pki/other.crl") as r:
        assert r.status == 404 and (await r.json())["ma_loi"] == "NOT_FOUND"


async def test_ocsp_answers_for_the_same_list(pki_world: World, pki_sim: SimProcess) -> None:
    revoked = pki.issue(pki_world.ca, key_index=7, serial=0x0A1B2C)
    good = pki.issue(pki_world.ca, key_index=7)
    statuses = []
    for cert in (revoked, good):
        body = ocsp_request(cert.der, pki_world.ca.der)
        headers = {"Content-Type": "application/ocsp-request"}
        async with aiohttp.ClientSession() as s, s.post(f"{pki_sim.base}/pki/ocsp", data=body, headers=headers) as r:
            assert r.status == 200 and r.content_type == "application/ocsp-response"
            statuses.append(ocsp.load_der_ocsp_response(await r.read()).certificate_status)
    assert statuses == [ocsp.OCSPCertStatus.REVOKED, ocsp.OCSPCertStatus.GOOD]
    stranger = pki.issue(pki_world.rogue_ca, key_index=7)
    for body, status in (
        (ocsp_request(stranger.der, pki_world.rogue_ca.der), ocsp.OCSPResponseStatus.UNAUTHORIZED),
        (b"garbage", ocsp.OCSPResponseStatus.MALFORMED_REQUEST),
    ):
        async with aiohttp.ClientSession() as s, s.post(f"{pki_sim.base}/pki/ocsp", data=body) as r:
            assert ocsp.load_der_ocsp_response(await r.read()).response_status is status


async def test_the_client_reads_them_at_the_fixed_port(
    pki_world: World, pki_sim: SimProcess, pki_port: int, tmp_path: Path
) -> None:
    """Certificates naming http://127.0.0.1:<pki-port>/…: the simulator (on its own free port) answers there too."""
    fixed = f"http://127.0.0.1:{pki_port}/api/v1/pki"
    revoked = pki.issue(pki_world.ca, key_index=7, serial=0x0A1B2C, ocsp_url=f"{fixed}/ocsp")
    by_crl = pki.issue(pki_world.ca, key_index=7, serial=REVOKED_SERIAL, crl_url=f"{fixed}/test-ca.crl")
    good = pki.issue(pki_world.ca, key_index=7, ocsp_url=f"{fixed}/ocsp", crl_url=f"{fixed}/test-ca.crl")
    checker = RevocationChecker(tmp_path, timeout=5)
    verdicts = await checker.check_all([Subject(c.der, pki_world.ca.der) for c in (revoked, by_crl, good)])
    assert [v.state for v in verdicts] == [RevocationState.REVOKED, RevocationState.REVOKED, RevocationState.GOOD]
    assert [v.source.rsplit("/", 1)[1] for v in verdicts] == ["ocsp", "test-ca.crl", "ocsp"]


def test_without_a_ca_there_is_nothing_to_publish(tmp_path: Path) -> None:
    world = make_world(tmp_path / "w")
    proc = SimProcess(world.toml, tmp_path / "sim.sqlite3")
    base = proc.start()
    try:
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/pki/demo-ca.crl", timeout=10)
        assert refused.value.code == 404
    finally:
        proc.stop()
