"""The demo CA's revocation data (protocol §8): its CRL and an OCSP responder (RFC 6960), signed by the CA's key.

One list of revoked serials (``--revoked``, the demo's revoked certificate) feeds both, and the BHXH rule
CERT_REVOKED too, so the CRL, OCSP and the simulator's own rejection never disagree. The CRL is regenerated when
half of its validity has passed; OCSP answers are signed per request (the responder is the CA itself).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp

from tui_ibhxh.ivan_sim.config import SimConfigError

CRL_CONTENT_TYPE: Final = "application/pkix-crl"
OCSP_CONTENT_TYPE: Final = "application/ocsp-response"
_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def crl_path(name: str) -> str:
    """The path (under ``/api/v1``) where the CA ``name`` publishes its CRL."""
    return f"/pki/{name}.crl"


OCSP_PATH: Final = "/pki/ocsp"


@dataclass
class Authority:
    """A CA whose revocation data the simulator publishes."""

    name: str
    cert: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    revoked: dict[int, dt.datetime]  # serial → revocation time
    validity: dt.timedelta = dt.timedelta(hours=1)
    _crl: bytes = field(default=b"", repr=False)
    _crl_at: dt.datetime | None = field(default=None, repr=False)

    def crl(self, now: dt.datetime) -> bytes:
        """The current CRL (DER), regenerated once half its validity has passed."""
        if self._crl_at is None or now - self._crl_at > self.validity / 2 or now < self._crl_at:
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(self.cert.subject)
                .last_update(now)
                .next_update(now + self.validity)
                .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
                )
            )
            for serial, when in sorted(self.revoked.items()):
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(serial)
                    .revocation_date(when)
                    .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                    .build()
                )
            self._crl = builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
            self._crl_at = now
        return self._crl

    def _hashes(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        """The CA's (name hash, key hash) in a CertID made with ``algorithm``."""
        name = hashes.Hash(algorithm)
        name.update(self.cert.subject.public_bytes())
        spki = self.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        key_bits = _subject_public_key_bits(spki)
        key = hashes.Hash(algorithm)
        key.update(key_bits)
        return name.finalize(), key.finalize()

    def ocsp(self, request_der: bytes, now: dt.datetime) -> bytes:
        """The DER OCSP response to a DER request: good / revoked for this CA's serials, ``unauthorized`` for
        another CA's, ``malformedRequest`` for garbage."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        algorithm = request.hash_algorithm
        if algorithm.name not in _HASHES:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if (request.issuer_name_hash, request.issuer_key_hash) != self._hashes(algorithm):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        revoked_at = self.revoked.get(request.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=_HASHES[algorithm.name](),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + self.validity,
            revocation_time=revoked_at,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.cert)
        nonce = _nonce(request)
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _subject_public_key_bits(spki_der: bytes) -> bytes:
    """The subjectPublicKey BIT STRING's content (without its unused-bits octet) of a DER SubjectPublicKeyInfo."""
    from asn1crypto import keys

    info = keys.PublicKeyInfo.load(spki_der)
    bits: bytes = info["public_key"].contents[1:]
    return bits


def load_authority(
    name: str, cert_path: Path, key_path: Path, revoked: dict[int, dt.datetime], validity: float
) -> Authority:
    """The CA ``name`` from its PEM certificate and unencrypted PEM key (SimConfigError in words otherwise)."""
    if _NAME_RE.fullmatch(name) is None:
        raise SimConfigError(f"the CA name '{name}' must be letters, digits, '.', '_' or '-' (it is a URL path)")
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SimConfigError(f"cannot load the CA key pair {cert_path} / {key_path}: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SimConfigError(f"{key_path}: the CA key must be RSA or EC")
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise SimConfigError(f"{key_path} is not the key of {cert_path}")
    return Authority(name, cert, key, dict(revoked), dt.timedelta(seconds=validity))
