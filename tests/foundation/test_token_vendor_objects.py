"""A token filled the way vendor software does it, with OpenSC's pkcs11-tool: Vietnamese labels, several
certificates, keys imported (not generated), a CA certificate without key. The service reads it correctly."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.conftest import DemoEnv
from tui_ibhxh.demo import SOFTHSM_MODULE, issue_certificate, make_name, new_rsa_key
from tui_ibhxh.services.token import TokenService

LABEL = "Token Kế toán"
SO_PIN, PIN = "87654321", "4321"


def tool(env: dict[str, str], *args: str) -> None:
    res = subprocess.run(
        ["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", LABEL, "--login", "--pin", PIN, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr


@pytest.fixture
def vendor_token(demo_env: DemoEnv, tmp_path: Path) -> Iterator[dict[str, bytes]]:
    env = demo_env.env
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", LABEL, "--so-pin", SO_PIN, "--pin", PIN],
        env=env,
        check=True,
        capture_output=True,
    )
    now = dt.datetime.now(dt.UTC)
    ca_key = new_rsa_key()
    ca_name = make_name("Vendor CA thử nghiệm", "Nhà cung cấp CA", None, None, None)
    ca = issue_certificate(ca_name, ca_key.public_key(), ca_name, ca_key, now, now + dt.timedelta(days=900), ca=True)
    ders = {"ca": ca.public_bytes(serialization.Encoding.DER)}
    for cka_id, who, mst in (
        ("0a", "Công ty Cổ phần Ánh Dương", "0312345678"),
        ("0b", "Chi nhánh Đà Nẵng", "0312345678-001"),
    ):
        key = new_rsa_key()
        name = make_name(who.upper(), who, "Phường Hải Châu", "Đà Nẵng", f"MST:{mst}")
        cert = issue_certificate(name, key.public_key(), ca_name, ca_key, now, now + dt.timedelta(days=365), ca=False)
        der = cert.public_bytes(serialization.Encoding.DER)
        ders[cka_id] = der
        (tmp_path / f"{cka_id}.crt").write_bytes(der)
        (tmp_path / f"{cka_id}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        (tmp_path / f"{cka_id}.pub").write_bytes(
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        label = f"Chứng thư số {who}"
        tool(
            env,
            "--write-object",
            str(tmp_path / f"{cka_id}.crt"),
            "--type",
            "cert",
            "--id",
            cka_id,
            "--label",
            label,
        )
        tool(
            env,
            "--write-object",
            str(tmp_path / f"{cka_id}.key"),
            "--type",
            "privkey",
            "--id",
            cka_id,
            "--label",
            label,
            "--usage-sign",
        )
        tool(
            env,
            "--write-object",
            str(tmp_path / f"{cka_id}.pub"),
            "--type",
            "pubkey",
            "--id",
            cka_id,
            "--label",
            label,
        )
    (tmp_path / "ca.crt").write_bytes(ders["ca"])
    tool(env, "--write-object", str(tmp_path / "ca.crt"), "--type", "cert", "--label", "Chứng thư CA gốc")
    try:
        yield ders
    finally:
        subprocess.run(["softhsm2-util", "--delete-token", "--token", LABEL], env=env, check=False, capture_output=True)


def test_vendor_objects_read_correctly(vendor_token: dict[str, bytes], demo_env: DemoEnv) -> None:
    svc = TokenService([Path(SOFTHSM_MODULE)], softhsm2_conf=demo_env.material.softhsm2_conf)
    try:
        tok = next(t for t in svc.list_tokens_sync() if t.label == LABEL)
        certs = {c.label: c for c in svc.certificates_sync(tok.serial)}
        assert set(certs) == {
            "Chứng thư số Công ty Cổ phần Ánh Dương",
            "Chứng thư số Chi nhánh Đà Nẵng",
            "Chứng thư CA gốc",
        }
        a = certs["Chứng thư số Công ty Cổ phần Ánh Dương"]
        assert a.key_id == "0A" and a.has_private_key and a.info.mst == "0312345678"
        assert a.info.der == vendor_token["0a"] and a.token_label == LABEL
        assert "O=Công ty Cổ phần Ánh Dương" in a.info.subject and "ST=Đà Nẵng" in a.info.subject
        b = certs["Chứng thư số Chi nhánh Đà Nẵng"]
        assert b.key_id == "0B" and b.has_private_key and b.info.mst == "0312345678-001"
        ca = certs["Chứng thư CA gốc"]
        assert not ca.has_private_key and ca.info.is_ca
        # after login the pairing is by private key, and the imported key signs
        svc.login_sync(tok.serial, PIN)
        after = {c.label: c for c in svc.certificates_sync(tok.serial)}
        assert after["Chứng thư số Chi nhánh Đà Nẵng"].has_private_key and not after["Chứng thư CA gốc"].has_private_key
        assert len(svc.signer(after["Chứng thư số Chi nhánh Đà Nẵng"]).sign(b"abc")) == 256
    finally:
        svc.close()
