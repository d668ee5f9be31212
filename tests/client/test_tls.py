"""TLS to the I-VAN: verified by default, a private CA accepted only through [ivan] ca_bundle, and every
failure a specific message (never retried as if it were a network glitch). HTTPS is served by a TLS proxy in
front of the simulator process; the certificates are real (cryptography), the handshake is Python's ssl."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import pki
from tests.support.fault_proxy import FaultProxy, ProxyThread
from tests.support.sim_server import UNIT_A, SimProcess, World, make_world
from tui_ibhxh.services.ivan_client import IvanClient, IvanError, RetryPolicy


@dataclass
class Tls:
    world: World
    ca_bundle: Path
    other_ca_bundle: Path
    good: str  # https URL whose certificate names 127.0.0.1
    wrong_name: str  # https URL whose certificate names only ivan.example.vn
    good_proxy: FaultProxy


def _server_context(tmp: Path, issued: pki.Issued, stem: str) -> ssl.SSLContext:
    cert = pki.write_pem(tmp / f"{stem}.pem", issued)
    key = tmp / f"{stem}.key"
    key.write_bytes(issued.key_pem)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tls]:
    tmp = tmp_path_factory.mktemp("tls")
    world = make_world(tmp / "world")
    sim = SimProcess(world.toml, tmp / "sim.sqlite3", delays=(0, 0))
    url = urlparse(sim.start())
    assert url.hostname and url.port
    tls_ca = pki.make_ca("I-VAN TLS CA thử nghiệm", key_index=10)
    other_ca = pki.make_ca("Another TLS CA", key_index=11)
    good_ctx = _server_context(tmp, pki.tls_server(tls_ca, "127.0.0.1", "localhost"), "good")
    wrong_ctx = _server_context(tmp, pki.tls_server(tls_ca, "ivan.example.vn", key_index=12), "wrong")
    try:
        with (
            ProxyThread(url.hostname, url.port, tls=good_ctx) as good,
            ProxyThread(url.hostname, url.port, tls=wrong_ctx) as wrong,
        ):
            yield Tls(
                world,
                pki.write_pem(tmp / "ca-bundle.pem", tls_ca),
                pki.write_pem(tmp / "other-ca.pem", other_ca),
                f"https://127.0.0.1:{good.port}",
                f"https://127.0.0.1:{wrong.port}",
                good,
            )
    finally:
        sim.stop()


async def _registration(base: str, ca_bundle: Path | None, world: World) -> str:
    soft = pki.SoftwareSigner(world.registered)

    async def sign(data: bytes) -> bytes:
        return soft.sign(data)

    client = IvanClient(base, ca_bundle=ca_bundle, retry=RetryPolicy(attempts=3, backoff=0.01))
    try:
        await client.authenticate(UNIT_A.ma_dvi, world.registered.der, sign)
        registration = await client.registration(UNIT_A.ma_dvi)
        return registration.certificate.serial
    finally:
        await client.close()


def test_private_ca_accepted_through_ca_bundle(tls: Tls) -> None:
    serial = asyncio.run(_registration(tls.good, tls.ca_bundle, tls.world))
    assert serial == tls.world.registered.info.serial
    assert any("/auth/challenge" in path for _, path, _ in tls.good_proxy.seen)


@pytest.mark.parametrize(
    ("which", "bundle", "reason"),
    [
        ("good", None, ("không nằm trong danh sách tin cậy", "not trusted")),  # on by default: private CA refused
        ("good", "other", ("không nằm trong danh sách tin cậy", "not trusted")),  # another CA's bundle: no help
        ("wrong_name", "ours", ("không cấp cho máy chủ 127.0.0.1", "not issued for the host 127.0.0.1")),
    ],
    ids=["default-refuses-private-ca", "other-ca", "host-name-mismatch"],
)
def test_unverifiable_certificate_is_a_specific_error_not_retried(
    tls: Tls, which: str, bundle: str | None, reason: tuple[str, str]
) -> None:
    base = tls.good if which == "good" else tls.wrong_name
    ca_bundle = {None: None, "other": tls.other_ca_bundle, "ours": tls.ca_bundle}[bundle]
    before = len(tls.good_proxy.seen)
    with pytest.raises(IvanError) as info:
        asyncio.run(_registration(base, ca_bundle, tls.world))
    assert info.value.key == "ivan.tls"
    vi, en = info.value.message("vi"), info.value.message("en")
    assert "chứng chỉ TLS" in vi and "[ivan] ca_bundle" in vi and "TLS certificate" in en
    assert base in vi and reason[0] in vi and reason[1] in en, (vi, en)
    assert len(tls.good_proxy.seen) == before  # no request crossed the refused handshake


def test_event_stream_refused_handshake_is_an_error_not_endless_reconnects(tls: Tls) -> None:
    async def first_event() -> None:
        client = IvanClient(tls.good, retry=RetryPolicy(attempts=3, backoff=0.01))
        client._token = "not-needed"  # the handshake fails before any use
        try:
            async for _ in client.events(UNIT_A.ma_dvi, reconnect_delay=0.01):
                return
        finally:
            await client.close()

    with pytest.raises(IvanError) as info:
        asyncio.run(asyncio.wait_for(first_event(), 10))
    assert info.value.key == "ivan.tls"


def test_an_unusual_handshake_failure_is_said_in_words_not_in_openssls(caplog: pytest.LogCaptureFixture) -> None:
    """A TLS failure that is none of the usual three (e.g. the server speaks plain HTTP on the TLS port): the
    sentence says the secure connection could not be set up; OpenSSL's text is in the log only."""
    import ssl
    from types import SimpleNamespace

    import aiohttp

    from tui_ibhxh.services.ivan_client import _tls_reason

    openssl = "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"
    key = SimpleNamespace(host="127.0.0.1", port=9, ssl=True)
    exc = aiohttp.ClientSSLError(key, ssl.SSLError(1, openssl))  # type: ignore[arg-type]
    with caplog.at_level("WARNING"):
        error = IvanError("ivan.tls", url="https://127.0.0.1:9/api/v1", reason=_tls_reason(exc, "https://127.0.0.1:9"))
    vi, en = error.message("vi"), error.message("en")
    assert "WRONG_VERSION" not in vi + en and "SSL" not in vi + en
    assert "kết nối bảo mật" in vi and "secure connection" in en
    assert any("WRONG_VERSION_NUMBER" in r.getMessage() for r in caplog.records)
