"""A small software PKI for tests (``cryptography``): CAs, Vietnamese-style leaf certificates, a Signer.

Usage::

    from tests.support import pki

    ca = pki.make_ca("Test Root CA")                          # self-signed CA, key pki.rsa_key(0)
    leaf = pki.issue(ca, cn="CONG TY TNHH ABC", mst="0101234565",
                     o="Công ty TNHH ABC", l="Cầu Giấy", st="Hà Nội")
    leaf.der, leaf.pem, leaf.info                            # DER bytes, PEM bytes, core CertInfo
    signer = pki.SoftwareSigner(leaf)                        # core.xmldsig.Signer
    pki.write_pem(tmp_path / "ca.pem", ca)                   # for command-line tools

RSA key generation is the slow part: :func:`rsa_key` hands out a small per-process pool of 2048-bit keys by
index (generated on first use, then cached), so a whole test session generates only a handful. Different
indexes give different keys; pass ``key_index`` to make e.g. a look-alike CA (same name, other key).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.models import CertInfo

UTC = dt.UTC
KEY_USAGES = (
    "digital_signature",
    "content_commitment",  # = nonRepudiation
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@cache
def rsa_key(index: int = 0, bits: int = 2048) -> rsa.RSAPrivateKey:
    """The ``index``-th RSA key of this process (2048 bits unless said; cached: generated once)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def info(self) -> CertInfo:
        return parse_certificate(self.der)

    @property
    def name(self) -> x509.Name:
        return self.cert.subject


def name(
    cn: str,
    *,
    o: str | None = None,
    ou: str | None = None,
    l: str | None = None,  # noqa: E741 - the X.500 attribute is called L
    st: str | None = None,
    c: str | None = "VN",
    uids: tuple[str, ...] = (),
) -> x509.Name:
    """An X.500 name; ``uids`` are UID values such as ``"MST:0101234565"`` (OID 0.9.2342.19200300.100.1.1)."""
    attrs = []
    if c:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, c))
    if st:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, st))
    if l:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, l))
    if o:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.extend(x509.NameAttribute(NameOID.USER_ID, uid) for uid in uids)
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _build(
    subject: x509.Name,
    issuer_name: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    key: rsa.RSAPrivateKey,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    is_ca: bool,
    key_usage: tuple[str, ...] | None,
    serial: int | None,
    path_length: int | None = None,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    if key_usage is not None:
        unknown = set(key_usage) - set(KEY_USAGES)
        if unknown:
            raise ValueError(f"unknown key usages {unknown}; use {KEY_USAGES}")
        flags = {u: u in key_usage for u in KEY_USAGES}
        builder = builder.add_extension(x509.KeyUsage(**flags, encipher_only=False, decipher_only=False), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def make_ca(
    cn: str = "Test Root CA",
    *,
    key_index: int = 0,
    o: str | None = "Bộ Thông tin và Truyền thông (TEST)",
    parent: Issued | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    serial: int | None = None,
    path_length: int | None = None,
    key_usage: tuple[str, ...] = ("digital_signature", "key_cert_sign", "crl_sign"),
) -> Issued:
    """A CA certificate: self-signed root, or an intermediate when ``parent`` is given."""
    key = rsa_key(key_index)
    subject = name(cn, o=o)
    start = not_before or now() - dt.timedelta(days=365)
    end = not_after or now() + dt.timedelta(days=3650)
    cert = _build(
        subject,
        parent.name if parent else subject,
        parent.key if parent else key,
        key,
        not_before=start,
        not_after=end,
        is_ca=True,
        key_usage=key_usage,
        serial=serial,
        path_length=path_length,
    )
    return Issued(cert, key)


def issue(
    ca: Issued,
    *,
    cn: str = "CONG TY TNHH ABC",
    mst: str | None = "0101234565",
    uids: tuple[str, ...] = (),
    o: str | None = "Công ty TNHH ABC",
    l: str | None = "Cầu Giấy",  # noqa: E741
    st: str | None = "Hà Nội",
    key_index: int = 1,
    key_bits: int = 2048,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 365,
    key_usage: tuple[str, ...] | None = ("digital_signature", "content_commitment"),
    is_ca: bool = False,
    serial: int | None = None,
    subject: x509.Name | None = None,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
) -> Issued:
    """A leaf certificate issued by ``ca``: UID ``MST:<mst>`` (plus ``uids``), Vietnamese O/L/ST, C=VN.

    Validity defaults to [now - 1 day, not_before + ``days``]; ``key_usage=None`` omits the extension; ``subject``
    replaces the whole name; ``crl_url`` / ``ocsp_url`` add a CRL distribution point / an AIA OCSP responder.
    """
    key = rsa_key(key_index, key_bits)
    start = not_before or now() - dt.timedelta(days=1)
    end = not_after or start + dt.timedelta(days=days)
    all_uids = ((f"MST:{mst}",) if mst else ()) + uids
    cert = _build(
        subject or name(cn, o=o, l=l, st=st, uids=all_uids),
        ca.name,
        ca.key,
        key,
        not_before=start,
        not_after=end,
        is_ca=is_ca,
        key_usage=key_usage,
        serial=serial,
        crl_url=crl_url,
        ocsp_url=ocsp_url,
    )
    return Issued(cert, key)


@dataclass(frozen=True)
class SoftwareSigner:
    """``core.xmldsig.Signer`` with the key in memory: RSA PKCS#1 v1.5 over SHA-256 (the signer hashes)."""

    issued: Issued

    @property
    def certificate_der(self) -> bytes:
        return self.issued.der

    def sign(self, data: bytes) -> bytes:
        return self.issued.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def write_pem(path: Path, *items: Issued, key: bool = False) -> Path:
    """Write the certificates (and with ``key=True`` the first one's private key before them) as PEM."""
    data = (items[0].key_pem if key else b"") + b"".join(i.pem for i in items)
    path.write_bytes(data)
    return path


def tls_server(ca: Issued, *hosts: str, key_index: int = 9) -> Issued:
    """A TLS server certificate from ``ca`` for the given DNS names / IP addresses (subjectAltName)."""
    import ipaddress

    key = rsa_key(key_index)
    alt: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    start = now() - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(hosts[0], o="I-VAN thử nghiệm"))
        .issuer_name(ca.name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(cert, key)
