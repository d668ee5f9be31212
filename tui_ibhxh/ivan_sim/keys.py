"""The simulator's "BHXH" signing key (software RSA) that signs confirmations (XACNHAN_GDICH).

Given in the config (PEM certificate + PEM key), or created on first start next to the database
(``bhxh.pem`` / ``bhxh.key.pem``, self-signed, clearly marked as a simulator key).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tui_ibhxh.ivan_sim.config import SimConfigError


@dataclass(frozen=True)
class SoftwareSigner:
    """RSA PKCS#1 v1.5 SHA-256 with a key in memory (the ``core.xmldsig`` Signer protocol)."""

    key: rsa.RSAPrivateKey
    certificate_der: bytes

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _self_signed() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bảo hiểm xã hội Việt Nam (I-VAN simulator)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "BHXH SIMULATOR - KHONG DUNG THAT"),
        ]
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def load_signer(cert_path: Path, key_path: Path) -> SoftwareSigner:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SimConfigError(f"cannot load the BHXH key pair {cert_path} / {key_path}: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SimConfigError(f"{key_path}: the BHXH key must be RSA")
    return SoftwareSigner(key=key, certificate_der=cert.public_bytes(serialization.Encoding.DER))


def bhxh_signer(cert_path: Path | None, key_path: Path | None, state_dir: Path) -> SoftwareSigner:
    """The configured key pair, else the one kept in ``state_dir`` (created the first time)."""
    if cert_path is not None or key_path is not None:
        if cert_path is None or key_path is None:
            raise SimConfigError("give both the BHXH certificate and its key")
        return load_signer(cert_path, key_path)
    cert_file, key_file = state_dir / "bhxh.pem", state_dir / "bhxh.key.pem"
    if not (cert_file.exists() and key_file.exists()):
        state_dir.mkdir(parents=True, exist_ok=True)
        key, cert = _self_signed()
        _write_private(
            key_file,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return load_signer(cert_file, key_file)
