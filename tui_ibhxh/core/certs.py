"""X.509 certificates as the app sees them: asn1crypto -> CertInfo, Vietnamese conventions, problem checks.

Vietnamese organisation certificates carry the tax code in the subject's UID attribute as ``MST:0101234565``;
personal ones use ``CCCD:``/``CMND:``. Serial numbers are shown as upper-case hex without separators.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from asn1crypto import pem, x509

from tui_ibhxh.core.i18n import VN_TZ, Lang, fmt_date, t
from tui_ibhxh.core.models import CertInfo, Problem, ProblemCode, SubjectId, TokenCert
from tui_ibhxh.core.revocation import Revocation, RevocationState, UnknownReason
from tui_ibhxh.core.validation import mst_ok, normalise_mst

if TYPE_CHECKING:  # cryptography is imported where a chain or a name is checked, not when the app starts
    from cryptography import x509 as cx509

_SHORT_NAMES = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "country_name": "C",
    "email_address": "E",
    "user_id": "UID",
    "serial_number": "SERIALNUMBER",
    "street_address": "STREET",
    "title": "T",
    "given_name": "GN",
    "surname": "SN",
    "telephone_number": "telephoneNumber",
    "domain_component": "DC",
    "name": "name",
    "pseudonym": "pseudonym",
    "dn_qualifier": "dnQualifier",
    "postal_code": "postalCode",
}

SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
DEFAULT_SOON_DAYS = 30
#: the shortest key accepted for signing, by key algorithm (protocol §3.3: RSA at least 2048 bits)
MIN_KEY_BITS: Final = {"rsa": 2048, "rsassa_pss": 2048, "dsa": 2048, "ec": 256}
#: the EC curves accepted for signing (P-256, P-384)
EC_CURVES: Final = frozenset({"secp256r1", "secp384r1"})
#: the longest chain looked for, leaf and anchor included
MAX_CHAIN_DEPTH: Final = 6


class CertificateError(ValueError):
    """The bytes are not a certificate we can read."""


#: string types by ASN.1 tag, for attribute values a CA encoded with another type than the standard says
_STRING_CODECS: Final = {
    12: "utf-8",
    19: "latin-1",
    20: "latin-1",
    22: "latin-1",
    26: "latin-1",
    28: "utf-32-be",
    30: "utf-16-be",
}


def _atv_value(atv: x509.NameTypeAndValue) -> str:
    """An attribute's value as text. Real CAs put e.g. telephoneNumber in a UTF8String where X.520 says
    PrintableString: the value is read by its own tag rather than the certificate refused."""
    try:
        value = atv["value"].native
    except ValueError:
        _class, _method, tag, _header, contents, *_ = atv.children[1]
        codec = _STRING_CODECS.get(tag)
        if codec is None:
            raise
        return bytes(contents).decode(codec, errors="replace")
    return value if isinstance(value, str) else str(value)


def _name_fields(name: x509.Name) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = []
    for rdn in name.chosen:
        for atv in rdn:
            type_name = atv["type"].native
            fields.append((_SHORT_NAMES.get(type_name, atv["type"].dotted), _atv_value(atv)))
    return tuple(fields)


def format_name(fields: Sequence[tuple[str, str]]) -> str:
    """RFC 4514 order (most specific first): ``CN=..., O=..., C=VN``."""
    return ", ".join(f"{k}={v}" for k, v in reversed(fields))


def format_serial(number: int) -> str:
    """Upper-case hex without separators, whole bytes (``0A1B``, never ``A1B``)."""
    text = format(number, "X")
    return text.zfill(len(text) + len(text) % 2)


def parse_subject_id(value: str) -> SubjectId | None:
    """``MST:0101234565`` -> SubjectId("MST", "0101234565"); None when there is no ``PREFIX:`` form."""
    if ":" not in value:
        return None
    kind, _, ident = value.partition(":")
    kind, ident = kind.strip().upper(), ident.strip()
    if not kind or not ident:
        return None
    return SubjectId(kind, ident)


def parse_certificate(der: bytes) -> CertInfo:
    """The certificate as the app sees it; parsed once per DER (a signing and its check, every verification of a
    dossier by the same signer, the token listing every second: the same certificates again and again)."""
    return _parse_certificate(bytes(der))


@lru_cache(maxsize=1024)
def _parse_certificate(der: bytes) -> CertInfo:
    try:
        cert = x509.Certificate.load(der)
        tbs = cert["tbs_certificate"]
        subject_fields = _name_fields(cert.subject)
        issuer_fields = _name_fields(cert.issuer)
        validity = tbs["validity"]
        not_before = validity["not_before"].native
        not_after = validity["not_after"].native
        key_usage = cert.key_usage_value
        basic = cert.basic_constraints_value
        public_key = cert.public_key
        key_bits = public_key.bit_size
        key_algorithm = public_key.algorithm
        key_curve = public_key.curve[1] if key_algorithm == "ec" else ""
        sig_algo = cert["signature_algorithm"]["algorithm"].native
    except (ValueError, TypeError, KeyError) as exc:  # asn1crypto raises these on malformed input
        raise CertificateError(f"not a readable X.509 certificate: {exc}") from exc
    ids = tuple(
        sid for short, value in subject_fields if short == "UID" if (sid := parse_subject_id(value)) is not None
    )
    return CertInfo(
        der=der,
        serial=format_serial(cert.serial_number),
        subject=format_name(subject_fields),
        issuer=format_name(issuer_fields),
        subject_fields=subject_fields,
        issuer_fields=issuer_fields,
        common_name=next((v for k, v in reversed(subject_fields) if k == "CN"), ""),
        ids=ids,
        not_before=not_before,
        not_after=not_after,
        key_usage=frozenset(key_usage.native) if key_usage is not None else frozenset(),
        is_ca=bool(basic is not None and basic["ca"].native),
        sha256=hashlib.sha256(der).hexdigest().upper(),
        key_algorithm=str(key_algorithm),
        key_bits=int(key_bits),
        signature_algorithm=str(sig_algo),
        key_curve=str(key_curve),
    )


def load_certificates(data: bytes) -> list[CertInfo]:
    """Every certificate in a PEM bundle, or the one certificate of a DER file."""
    if pem.detect(data):
        return [parse_certificate(der) for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [parse_certificate(data)]


def unit_signing_certs(certs: Iterable[TokenCert], mst: str, at: datetime) -> list[TokenCert]:
    """The unit's certificates that can sign at ``at``: its MST, their private key on the token, within their
    validity, not a CA (what authenticates to the I-VAN, and what ``ibhxh check`` may suggest)."""
    return [
        c
        for c in certs
        if c.has_private_key and c.info.mst == mst and c.info.not_before <= at <= c.info.not_after and not c.info.is_ca
    ]


def has_key_usage_extension(info: CertInfo) -> bool:
    return x509.Certificate.load(info.der).key_usage_value is not None


def usable_for_signing(info: CertInfo) -> bool:
    """True when key usage allows digital signatures (absent key usage means unrestricted)."""
    if not has_key_usage_extension(info):
        return True
    return bool(info.key_usage & SIGNING_USAGES)


def key_too_weak(info: CertInfo) -> bool:
    """True when the certificate's key is shorter than :data:`MIN_KEY_BITS` allows, or on an EC curve outside
    :data:`EC_CURVES`: the one rule behind both a refused signature (protocol §3.3) and the KEY_TOO_WEAK problem."""
    if info.key_algorithm == "ec" and info.key_curve not in EC_CURVES:
        return True
    minimum = MIN_KEY_BITS.get(info.key_algorithm)
    return minimum is not None and info.key_bits < minimum


def personal_certificate(info: CertInfo) -> bool:
    """True for a person's certificate: a personal identifier (CCCD/CMND/HC) beside or instead of the MST, or no
    organisation (O) in the subject. Such a certificate is not the unit's, even when it carries the unit's MST (a
    director's certificate issued inside the company)."""
    return info.personal_id is not None or not info.organisation.strip()


def _name_key(name: cx509.Name) -> tuple[frozenset[tuple[str, str]], ...]:
    """A distinguished name for comparison: attribute types and values per RDN, in order; values compared
    without case and with white space folded (as LDAP matches them)."""
    return tuple(
        frozenset((a.oid.dotted_string, " ".join(str(a.value).split()).casefold()) for a in rdn) for rdn in name.rdns
    )


def names_issuer_serial(info: CertInfo, issuer_name: str, serial_number: str) -> bool:
    """True when an issuer name (RFC 4514 string) and a decimal serial number, as in an XMLDSig
    ``X509IssuerSerial``, designate the certificate ``info``."""
    from cryptography import x509 as cx509

    try:
        serial = int(serial_number.strip())
        issuer = cx509.Name.from_rfc4514_string(issuer_name.strip())
    except ValueError:
        return False
    if serial != int(info.serial, 16):
        return False
    return _name_key(issuer) == _name_key(_x509(info.der).issuer)


@lru_cache(maxsize=512)
def _x509(der: bytes) -> cx509.Certificate:
    from cryptography import x509 as cx509

    return cx509.load_der_x509_certificate(der)


@dataclass(frozen=True)
class TrustPath:
    """The outcome of path validation: the chain found (leaf first, trust anchor last), or why there is none."""

    chain: tuple[CertInfo, ...] = ()
    reason: str = ""  # the validator's words (English, for logs) when there is no chain

    @property
    def trusted(self) -> bool:
        return bool(self.chain)

    @property
    def issuer(self) -> CertInfo | None:
        """The certificate that issued the leaf (None when there is no chain or the leaf is itself an anchor)."""
        return self.chain[1] if len(self.chain) > 1 else None


def within_validity(info: CertInfo, at: datetime) -> datetime:
    """``at`` moved into the validity period of ``info``: the time its issuers must be valid at."""
    return min(max(at, info.not_before), info.not_after)


def validate_path(
    cert: CertInfo,
    anchors: Sequence[CertInfo],
    intermediates: Iterable[CertInfo] = (),
    *,
    at: datetime,
) -> TrustPath:
    """Path validation by ``cryptography.x509.verification`` (RFC 5280 with the Web PKI's CA profile): a chain
    from ``cert`` through ``intermediates`` (from the token, from KeyInfo) to one of ``anchors``, every issuer a
    CA (basicConstraints, pathLen, keyUsage keyCertSign, RSA of at least 2048 bits) and valid at the time; the
    leaf's own extensions are its problems' business (NOT_FOR_SIGNING, IS_CA, ...), not the path's.

    The leaf's validity is checked by the callers (EXPIRED, CERT_EXPIRED): the chain is validated at ``at``
    moved into the leaf's validity period, so an expired certificate is expired, not also "untrusted".
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

    if not anchors:
        return TrustPath(reason="no trust anchor is configured")
    known = {c.der: c for c in (cert, *anchors, *intermediates)}
    others = [_x509(der) for der in known if der != cert.der]
    builder = (
        PolicyBuilder()
        .store(Store([_x509(a.der) for a in anchors]))
        .time(within_validity(cert, at))
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
    )
    try:
        verified = builder.build_client_verifier().verify(_x509(cert.der), others)
    except VerificationError as exc:
        return TrustPath(reason=str(exc))
    chain = []
    for c in verified.chain:
        der = c.public_bytes(serialization.Encoding.DER)
        chain.append(known.get(der) or parse_certificate(der))
    return TrustPath(tuple(chain))


@dataclass(frozen=True)
class CheckContext:
    """What a certificate is checked against."""

    now: datetime
    unit_mst: str | None = None
    anchors: Sequence[CertInfo] = ()
    intermediates: Sequence[CertInfo] = ()  # CA certificates found beside it (on the token)
    registered_sha256: str | None = None
    registered_serial_issuer: tuple[str, str] | None = None
    registered_not_after: datetime | None = None
    soon_days: int = DEFAULT_SOON_DAYS
    revocation: Mapping[str, Revocation] = field(default_factory=dict)  # by certificate SHA-256
    unchecked: Revocation | None = None  # what a checkable certificate absent from ``revocation`` shows (PENDING)


def revocation_checkable(info: CertInfo, path: TrustPath) -> bool:
    """Whether the revocation of ``info`` is worth asking its CA: an end-entity certificate with a validated path
    (its issuer signs the CRL or OCSP answer). An untrusted or CA certificate is refused for other reasons."""
    return not info.is_ca and path.issuer is not None


def revocation_problem(revocation: Revocation | None) -> Problem | None:
    """REVOKED (blocking) or REVOCATION_UNKNOWN (with why) for a revocation verdict; None when good or unchecked."""
    if revocation is None or revocation.state is RevocationState.GOOD:
        return None
    if revocation.state is RevocationState.REVOKED:
        when = fmt_date(revocation.revoked_at) if revocation.revoked_at is not None else ""
        return Problem(ProblemCode.REVOKED, detail=when, source=revocation.source)
    return Problem(ProblemCode.REVOCATION_UNKNOWN, detail=str(revocation.reason or ""), source=revocation.source)


def days_left(not_after: datetime, now: datetime) -> int:
    """Days until ``not_after`` as people count them, by the calendar in Vietnam: a certificate ending on 03/12
    "expires in 7 days" all through 26/11, as the date shown beside the count says (a running 24-hour count
    would say 6 a second after provisioning a 7-day certificate)."""
    return (not_after.astimezone(VN_TZ).date() - now.astimezone(VN_TZ).date()).days


def check_certificate(info: CertInfo, *, has_private_key: bool, ctx: CheckContext) -> list[Problem]:
    """Every problem of ``info`` for signing the unit's change dossier, in a fixed order."""
    problems: list[Problem] = []
    if info.not_after < ctx.now:
        problems.append(Problem(ProblemCode.EXPIRED))
    elif info.not_before > ctx.now:
        problems.append(Problem(ProblemCode.NOT_YET_VALID))
    else:
        days = days_left(info.not_after, ctx.now)
        if days < ctx.soon_days:
            problems.append(Problem(ProblemCode.EXPIRES_SOON, days=days))
    if not has_private_key:
        problems.append(Problem(ProblemCode.NO_PRIVATE_KEY))
    if info.is_ca:
        problems.append(Problem(ProblemCode.IS_CA))
    elif personal_certificate(info):
        problems.append(Problem(ProblemCode.PERSONAL_CERTIFICATE, detail=_personal_detail(info)))
    if ctx.unit_mst is not None and (info.mst is None or normalise_mst(info.mst) != normalise_mst(ctx.unit_mst)):
        problems.append(Problem(ProblemCode.MST_MISMATCH, detail=info.mst or ""))
    if not usable_for_signing(info):
        problems.append(Problem(ProblemCode.NOT_FOR_SIGNING))
    if key_too_weak(info):
        problems.append(Problem(ProblemCode.KEY_TOO_WEAK, detail=key_description(info)))
    path = validate_path(info, ctx.anchors, ctx.intermediates, at=ctx.now)
    if not path.trusted:
        problems.append(Problem(ProblemCode.UNTRUSTED))
    unchecked = ctx.unchecked if revocation_checkable(info, path) else None
    revoked = revocation_problem(ctx.revocation.get(info.sha256, unchecked))
    if revoked is not None:
        problems.append(revoked)
    same = ctx.registered_sha256 is not None and info.sha256 == ctx.registered_sha256.upper()
    if ctx.registered_serial_issuer is not None:
        same = same or ctx.registered_serial_issuer == (info.serial, info.issuer)
    if same:
        problems.append(Problem(ProblemCode.SAME_AS_REGISTERED))
    elif ctx.registered_not_after is not None and info.not_after < ctx.registered_not_after:
        problems.append(Problem(ProblemCode.OLDER_THAN_REGISTERED, detail=fmt_date(ctx.registered_not_after)))
    return problems


def key_description(info: CertInfo) -> str:
    """``RSA 1024 bit`` / ``EC secp224r1``: the key, as the KEY_TOO_WEAK message names it."""
    if info.key_algorithm == "ec":
        return f"EC {info.key_curve or info.key_bits}"
    return f"{info.key_algorithm.upper()} {info.key_bits} bit"


def _personal_detail(info: CertInfo) -> str:
    person = info.personal_id
    return f"{person.kind}:{person.value}" if person is not None else ""


_UNKNOWN_REASONS: Final = frozenset(str(r) for r in UnknownReason)


def problem_message(problem: Problem, info: CertInfo, lang: Lang, *, unit_mst: str | None = None) -> str:
    """The sentence that explains ``problem`` of ``info`` to the user."""
    code = problem.code
    if code is ProblemCode.EXPIRED:
        return t("problem.EXPIRED", lang, date=fmt_date(info.not_after))
    if code is ProblemCode.EXPIRES_SOON:
        return t("problem.EXPIRES_SOON", lang, date=fmt_date(info.not_after), count=problem.days or 0)
    if code is ProblemCode.NOT_YET_VALID:
        return t("problem.NOT_YET_VALID", lang, date=fmt_date(info.not_before))
    if code is ProblemCode.OLDER_THAN_REGISTERED:
        return t(f"problem.{code}", lang, date=fmt_date(info.not_after), registered=problem.detail)
    if code is ProblemCode.MST_MISMATCH:
        if not problem.detail:
            return t("problem.MST_MISSING", lang, unit=unit_mst or "?")
        key = "problem.MST_MISMATCH" if mst_ok(problem.detail) else "problem.MST_INVALID"
        return t(key, lang, found=problem.detail, unit=unit_mst or "?")
    if code is ProblemCode.PERSONAL_CERTIFICATE:
        key = "problem.PERSONAL_CERTIFICATE" if problem.detail else "problem.PERSONAL_NO_O"
        return t(key, lang, person=problem.detail)
    if code is ProblemCode.KEY_TOO_WEAK:
        return t("problem.KEY_TOO_WEAK", lang, key=problem.detail or key_description(info))
    if code is ProblemCode.REVOKED:
        return t("problem.REVOKED", lang, date=problem.detail or "?", source=problem.source or "?")
    if code is ProblemCode.REVOCATION_UNKNOWN:
        reason = problem.detail if problem.detail in _UNKNOWN_REASONS else UnknownReason.PENDING
        return t(f"problem.REVOCATION_UNKNOWN.{reason}", lang, source=problem.source or "?")
    return t(f"problem.{code}", lang)
