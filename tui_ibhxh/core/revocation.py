"""Is a certificate revoked? The pure decisions over a CRL (RFC 5280) or an OCSP answer (RFC 6960).

Fetching (time-bounded), caching until ``nextUpdate`` and the choice between OCSP and CRL live in
``services.revocation``; here are the URLs a certificate names, the OCSP request, and the verdicts. An answer
counts only when it is signed by the certificate's issuer (or, for OCSP, by a responder the issuer delegated with
id-kp-OCSPSigning), names that issuer, and is current at the check time: anything else says *unknown*, never
*good*. CRLs are accepted in DER and PEM (some Vietnamese CAs serve PEM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # cryptography is imported where a CRL or an OCSP answer is read, not when the app starts
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

#: how far a producer's clock may run ahead of ours before its answer is refused as "from the future"
CLOCK_SKEW: Final = timedelta(minutes=5)


class RevocationState(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class UnknownReason(StrEnum):
    """Why the revocation state is not known (each has its own sentence for the user)."""

    PENDING = "pending"  # the check is under way
    OFFLINE = "offline"  # neither the OCSP responder nor the CRL could be fetched
    NO_URL = "no_url"  # the certificate names no OCSP responder and no CRL distribution point
    STALE = "stale"  # the CRL (or OCSP answer) is past its nextUpdate
    INVALID = "invalid"  # an answer came but cannot be trusted (signature, issuer, format, "unknown" status)


@dataclass(frozen=True)
class Revocation:
    """The revocation state of one certificate at one time, and where it came from."""

    state: RevocationState
    reason: UnknownReason | None = None  # UNKNOWN only
    source: str = ""  # the URL that answered (or the one that failed)
    revoked_at: datetime | None = None
    next_update: datetime | None = None  # until when the answer holds (None: no promise)

    @classmethod
    def unknown(cls, reason: UnknownReason, source: str = "") -> Revocation:
        return cls(RevocationState.UNKNOWN, reason=reason, source=source)


PENDING: Final = Revocation.unknown(UnknownReason.PENDING)


class RevocationDataError(ValueError):
    """The bytes are not a CRL / OCSP answer we can read."""


@dataclass(frozen=True)
class RevocationUrls:
    """Where a certificate says its revocation state is published (http/https only: LDAP is not fetched)."""

    ocsp: tuple[str, ...] = ()
    crl: tuple[str, ...] = ()


def _x509(der: bytes) -> x509.Certificate:
    from cryptography import x509

    return x509.load_der_x509_certificate(der)


def _http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def revocation_urls(cert_der: bytes) -> RevocationUrls:
    """The AIA OCSP URLs and the CRL distribution points of a certificate."""
    from cryptography import x509

    cert = _x509(cert_der)
    ocsp_urls: list[str] = []
    crl_urls: list[str] = []
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp_urls = [
            d.access_location.value
            for d in aia
            if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        for point in cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value:
            crl_urls.extend(n.value for n in point.full_name or () if isinstance(n, x509.UniformResourceIdentifier))
    except x509.ExtensionNotFound:
        pass
    return RevocationUrls(tuple(u for u in ocsp_urls if _http(u)), tuple(u for u in crl_urls if _http(u)))


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL in DER or PEM."""
    from cryptography import x509

    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data.strip())
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise RevocationDataError(f"not a readable CRL: {exc}") from None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _verify_signature(key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> bool:
    """True when ``signature`` over ``data`` verifies with ``key`` (RSA PKCS#1 v1.5 or ECDSA)."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def _may_sign_crls(issuer: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.crl_sign)


def crl_decision(data: bytes, cert_der: bytes, issuer_der: bytes, *, now: datetime, source: str = "") -> Revocation:
    """The state of ``cert_der`` by a CRL (DER or PEM) that ``issuer_der`` must have signed, at ``now``."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        crl = load_crl(data)
    except RevocationDataError:
        return Revocation.unknown(UnknownReason.INVALID, source)
    cert, issuer = _x509(cert_der), _x509(issuer_der)
    key = issuer.public_key()
    try:
        signed = (
            crl.issuer == issuer.subject
            and _may_sign_crls(issuer)
            and isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
            and crl.is_signature_valid(key)
        )
    except (TypeError, ValueError, UnsupportedAlgorithm):
        signed = False
    if not signed or crl.last_update_utc > now + CLOCK_SKEW:
        return Revocation.unknown(UnknownReason.INVALID, source)
    next_update = crl.next_update_utc
    if next_update is not None and next_update < now:
        return Revocation(RevocationState.UNKNOWN, UnknownReason.STALE, source, next_update=next_update)
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is not None:
        return Revocation(
            RevocationState.REVOKED, source=source, revoked_at=entry.revocation_date_utc, next_update=next_update
        )
    return Revocation(RevocationState.GOOD, source=source, next_update=next_update)


def crl_next_update(data: bytes) -> datetime | None:
    """Until when a CRL holds (None when it does not say or cannot be read): the cache keeps it that long."""
    try:
        return load_crl(data).next_update_utc
    except RevocationDataError:
        return None


def ocsp_request(cert_der: bytes, issuer_der: bytes) -> bytes:
    """A DER OCSPRequest for one certificate (CertID hashed with SHA-1, which every responder supports)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    builder = ocsp.OCSPRequestBuilder().add_certificate(_x509(cert_der), _x509(issuer_der), hashes.SHA1())
    return builder.build().public_bytes(serialization.Encoding.DER)


def _responder_is(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    from cryptography import x509

    if response.responder_name is not None:
        return response.responder_name == cert.subject
    # ResponderID byKey: SHA-1 of the subjectPublicKey bits, which is what a method-1 key identifier is
    return response.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def _signer(response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime) -> x509.Certificate | None:
    """The issuer itself, or a responder certificate in the answer that the issuer signed for OCSP."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.x509.oid import ExtendedKeyUsageOID

    if _responder_is(response, issuer):
        return issuer
    for candidate in response.certificates:
        if not _responder_is(response, candidate):
            continue
        try:
            candidate.verify_directly_issued_by(issuer)
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
            continue
        if (
            ExtendedKeyUsageOID.OCSP_SIGNING in eku
            and candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc
        ):
            return candidate
    return None


def ocsp_decision(data: bytes, cert_der: bytes, issuer_der: bytes, *, now: datetime, source: str = "") -> Revocation:
    """The state of ``cert_der`` by an OCSP answer, checked against ``issuer_der`` at ``now``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    try:
        response = ocsp.load_der_ocsp_response(data)
    except ValueError:
        return Revocation.unknown(UnknownReason.INVALID, source)
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return Revocation.unknown(UnknownReason.INVALID, source)
    cert, issuer = _x509(cert_der), _x509(issuer_der)
    signer = _signer(response, issuer, now)
    if signer is None or not _verify_signature(
        signer.public_key(), response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
    ):
        return Revocation.unknown(UnknownReason.INVALID, source)
    wanted = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    for single in response.responses:
        if (
            single.serial_number != cert.serial_number
            or single.issuer_key_hash != wanted.issuer_key_hash
            or single.issuer_name_hash != wanted.issuer_name_hash
        ):
            continue
        next_update = single.next_update_utc
        if single.this_update_utc > now + CLOCK_SKEW:
            return Revocation.unknown(UnknownReason.INVALID, source)
        if next_update is not None and next_update < now:
            return Revocation(RevocationState.UNKNOWN, UnknownReason.STALE, source, next_update=next_update)
        if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
            return Revocation(
                RevocationState.REVOKED, source=source, revoked_at=single.revocation_time_utc, next_update=next_update
            )
        if single.certificate_status is ocsp.OCSPCertStatus.GOOD:
            return Revocation(RevocationState.GOOD, source=source, next_update=next_update)
        return Revocation.unknown(UnknownReason.INVALID, source)
    return Revocation.unknown(UnknownReason.INVALID, source)


def ocsp_next_update(data: bytes) -> datetime | None:
    """Until when an OCSP answer holds (None when it does not say): the cache keeps it that long."""
    from cryptography.x509 import ocsp

    try:
        response = ocsp.load_der_ocsp_response(data)
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return None
        return min((s.next_update_utc for s in response.responses if s.next_update_utc is not None), default=None)
    except ValueError:
        return None
