"""The token service against a real SoftHSM2 token (the demo token)."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pkcs11 import exceptions as p11e

from tests.conftest import DemoEnv
from tui_ibhxh.demo import DEMO_PIN, DEMO_TOKEN_LABEL, SOFTHSM_MODULE
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.token import TokenService


@pytest.fixture
def service(demo_env: DemoEnv) -> Iterator[TokenService]:
    svc = TokenService([Path(SOFTHSM_MODULE)], softhsm2_conf=demo_env.material.softhsm2_conf)
    yield svc
    svc.close()


def softhsm(demo_env: DemoEnv, *args: str) -> None:
    subprocess.run(["softhsm2-util", *args], env=demo_env.env, check=True, capture_output=True)


def demo_token(service: TokenService):  # type: ignore[no-untyped-def]
    return next(t for t in service.list_tokens_sync() if t.label == DEMO_TOKEN_LABEL)


def test_enumeration(service: TokenService) -> None:
    tokens = service.list_tokens_sync()
    tok = demo_token(service)
    assert tok.module == os.path.realpath(SOFTHSM_MODULE)
    assert tok.manufacturer == "SoftHSM project" and tok.model.startswith("SoftHSM")
    assert len(tok.serial) == 16 and tok.login_required
    assert not (tok.pin.count_low or tok.pin.final_try or tok.pin.locked)
    assert all(t.label for t in tokens), "SoftHSM's spare uninitialised slot must be hidden"


def test_certificates_paired_before_login(service: TokenService, demo_env: DemoEnv) -> None:
    certs = service.certificates_sync(demo_token(service).serial)
    by_label = {c.label: c for c in certs}
    assert len(certs) == 6
    keyed = {c.info.mst: c.has_private_key for c in certs if c.info.mst}
    assert keyed == {"0101234565": True, "0309876547": True}
    assert sum(c.info.mst == "0101234565" for c in certs) == 4  # registered, new, revoked, the director's
    ca = next(c for c in certs if c.info.is_ca)
    assert not ca.has_private_key and ca.key_id == ""
    assert "Chứng thư số Công ty TNHH ABC (mới)" in by_label
    m = demo_env.material
    assert {c.info.der for c in certs} >= {m.registered_cert_der, m.new_cert_der}


def test_login_sign_and_verify(service: TokenService, demo_env: DemoEnv) -> None:
    tok = demo_token(service)
    service.login_sync(tok.serial, DEMO_PIN)
    assert service.logged_in_serial == tok.serial
    new = next(c for c in service.certificates_sync(tok.serial) if c.info.der == demo_env.material.new_cert_der)
    assert new.has_private_key
    signer = service.signer(new)
    data = "Hồ sơ 05/SĐ-IVAN".encode()
    sig = signer.sign(data)
    pub = x509.load_der_x509_certificate(signer.certificate_der).public_key()
    assert isinstance(pub, rsa.RSAPublicKey)
    pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    sig2 = asyncio.run(signer.sign_async(data))
    assert sig2 == sig  # PKCS#1 v1.5 is deterministic


class _CountingSession:
    """The PKCS#11 session with its object searches counted."""

    def __init__(self, session: Any) -> None:
        self.session, self.searches = session, 0

    def get_objects(self, attrs: Any) -> Any:
        self.searches += 1
        return self.session.get_objects(attrs)

    def __getattr__(self, name: str) -> Any:  # close() and the rest: the session's own
        return getattr(self.session, name)


class _StaleKey:
    def sign(self, data: bytes, mechanism: Any) -> bytes:
        raise p11e.ObjectHandleInvalid()


def test_the_key_is_looked_up_once_per_session_and_found_again_when_stale(
    service: TokenService, demo_env: DemoEnv
) -> None:
    tok = demo_token(service)
    service.login_sync(tok.serial, DEMO_PIN)
    new = next(c for c in service.certificates_sync(tok.serial) if c.info.der == demo_env.material.new_cert_der)
    opened = service._open
    assert opened is not None
    counting = _CountingSession(opened.session)
    opened.session = counting
    signer = service.signer(new)
    first = signer.sign(b"a")
    assert [signer.sign(b"a") for _ in range(3)] == [first] * 3
    assert counting.searches == 1
    opened.keys[new.key_id] = _StaleKey()  # e.g. the handle of a key the token no longer has under that handle
    assert signer.sign(b"a") == first
    assert counting.searches == 2


def test_sign_requires_login(service: TokenService) -> None:
    tok = demo_token(service)
    cert = next(c for c in service.certificates_sync(tok.serial) if c.has_private_key)
    with pytest.raises(UserError) as info:
        service.signer(cert).sign(b"x")
    assert info.value.key == "token.not_logged_in"


def test_wrong_pin_is_specific_and_never_logged(
    service: TokenService, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "987654"
    with pytest.raises(UserError) as info:
        service.login_sync(demo_token(service).serial, secret)
    # SoftHSM raises CKF_USER_PIN_COUNT_LOW after a wrong PIN (and never locks): the message follows the flag
    low = demo_token(service).pin.count_low
    assert info.value.key == ("token.pin_incorrect_low" if low else "token.pin_incorrect")
    assert info.value.message("vi").startswith("Mã PIN không đúng.")
    assert info.value.message("en").startswith("Wrong PIN")
    service.login_sync(demo_token(service).serial, DEMO_PIN)  # the right PIN still works
    assert not demo_token(service).pin.count_low
    out, err = capfd.readouterr()
    texts = [caplog.text, out, err, repr(info.value), str(info.value), str(info.value.params)]
    assert not any(secret in text for text in texts)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_unknown_token_serial(service: TokenService) -> None:
    with pytest.raises(UserError) as info:
        service.login_sync("0000000000000000", DEMO_PIN)
    assert info.value.key == "token.not_found"


def test_insertion_and_removal_seen_within_a_second(service: TokenService, demo_env: DemoEnv) -> None:
    label = "Token cắm nóng"

    async def scenario() -> tuple[float, float]:
        seen: asyncio.Queue[set[str]] = asyncio.Queue()

        async def watch() -> None:
            async for tokens in service.watch(interval=0.2):
                await seen.put({t.label for t in tokens})

        task = asyncio.create_task(watch())
        try:
            first = await asyncio.wait_for(seen.get(), 5)
            assert DEMO_TOKEN_LABEL in first and label not in first
            t0 = time.monotonic()
            await asyncio.to_thread(
                softhsm,
                demo_env,
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                "1111",
                "--pin",
                "2222",
            )
            while label not in await asyncio.wait_for(seen.get(), 5):
                pass
            inserted = time.monotonic() - t0
            t1 = time.monotonic()
            await asyncio.to_thread(softhsm, demo_env, "--delete-token", "--token", label)
            while label in await asyncio.wait_for(seen.get(), 5):
                pass
            return inserted, time.monotonic() - t1
        finally:
            task.cancel()

    inserted, removed = asyncio.run(scenario())
    assert inserted < 1.5 and removed < 1.5


def test_missing_and_broken_module(tmp_path: Path) -> None:
    svc = TokenService([tmp_path / "libnothere.so"])
    with pytest.raises(UserError) as info:
        svc.list_tokens_sync()
    assert info.value.key == "token.module_missing" and "libnothere.so" in info.value.message("vi")
    broken = tmp_path / "libbroken.so"
    broken.write_bytes(b"this is not a shared object")
    svc2 = TokenService([broken])
    with pytest.raises(UserError) as info2:
        svc2.list_tokens_sync()
    assert info2.value.key == "token.module_broken" and "libbroken.so" in info2.value.message("en")
    with pytest.raises(UserError) as info3:
        TokenService([]).list_tokens_sync()
    assert info3.value.key == "token.no_module"


def test_a_broken_module_does_not_hide_working_ones(tmp_path: Path, demo_env: DemoEnv) -> None:
    svc = TokenService(
        [tmp_path / "libnothere.so", Path(SOFTHSM_MODULE)], softhsm2_conf=demo_env.material.softhsm2_conf
    )
    assert any(t.label == DEMO_TOKEN_LABEL for t in svc.list_tokens_sync())
    assert [e.key for e in svc.module_errors] == ["token.module_missing"]


def test_calls_run_on_one_thread(service: TokenService) -> None:
    import threading

    idents = set()

    async def many() -> None:
        await asyncio.gather(*(service.run(lambda: idents.add(threading.get_ident())) for _ in range(20)))

    asyncio.run(many())
    assert len(idents) == 1 and threading.get_ident() not in idents
    assert os.environ.get("SOFTHSM2_CONF")
