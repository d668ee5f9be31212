"""X.509 certificates as the app sees them: asn1crypto -> CertInfo, Vietnamese conventions, problem checks.

Vietnamese organisation certificates carry the tax code in the subject's UID attribute as ``MST:0101234567``;
personal ones use ``CCCD:``/``CMND:``. Serial numbers are shown as upper-case hex without separators.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from asn1crypto import pem, x509
from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature

from tui_ibhxh.core.i18n import Lang, fmt_date, t
from tui_ibhxh.core.models import CertInfo, Problem, ProblemCode, SubjectId

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
}

SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
DEFAULT_SOON_DAYS = 30
#: the shortest key accepted for signing, by key algorithm (protocol §3.3: RSA at least 2048 bits)
MIN_KEY_BITS: Final = {"rsa": 2048, "rsassa_pss": 2048, "dsa": 2048, "ec": 256}


class CertificateError(ValueError):
    """The bytes are not a certificate we can read."""


def _name_fields(name: x509.Name) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = []
    for rdn in name.chosen:
        for atv in rdn:
            type_name = atv["type"].native
            short = _SHORT_NAMES.get(type_name, atv["type"].dotted)
            value = atv["value"].native
            fields.append((short, value if isinstance(value, str) else str(value)))
    return tuple(fields)


def format_name(fields: Sequence[tuple[str, str]]) -> str:
    """RFC 4514 order (most specific first): ``CN=..., O=..., C=VN``."""
    return ", ".join(f"{k}={v}" for k, v in reversed(fields))


def format_serial(number: int) -> str:
    """Upper-case hex without separators, whole bytes (``0A1B``, never ``A1B``)."""
    text = format(number, "X")
    return text.zfill(len(text) + len(text) % 2)


def parse_subject_id(value: str) -> SubjectId | None:
    """``MST:0101234567`` -> SubjectId("MST", "0101234567"); None when there is no ``PREFIX:`` form."""
    if ":" not in value:
        return None
    kind, _, ident = value.partition(":")
    kind, ident = kind.strip().upper(), ident.strip()
    if not kind or not ident:
        return None
    return SubjectId(kind, ident)


def parse_certificate(der: bytes) -> CertInfo:
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
    )


def load_certificates(data: bytes) -> list[CertInfo]:
    """Every certificate in a PEM bundle, or the one certificate of a DER file."""
    if pem.detect(data):
        return [parse_certificate(der) for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [parse_certificate(data)]


def has_key_usage_extension(info: CertInfo) -> bool:
    return x509.Certificate.load(info.der).key_usage_value is not None


def usable_for_signing(info: CertInfo) -> bool:
    """True when key usage allows digital signatures (absent key usage means unrestricted)."""
    if not has_key_usage_extension(info):
        return True
    return bool(info.key_usage & SIGNING_USAGES)


def key_too_weak(info: CertInfo) -> bool:
    """True when the certificate's key is shorter than :data:`MIN_KEY_BITS` allows: the one rule behind both
    a refused signature (protocol §3.3) and a certificate flagged as unfit for signing."""
    minimum = MIN_KEY_BITS.get(info.key_algorithm)
    return minimum is not None and info.key_bits < minimum


def _name_key(name: cx509.Name) -> tuple[frozenset[tuple[str, str]], ...]:
    """A distinguished name for comparison: attribute types and values per RDN, in order; values compared
    without case and with white space folded (as LDAP matches them)."""
    return tuple(
        frozenset((a.oid.dotted_string, " ".join(str(a.value).split()).casefold()) for a in rdn) for rdn in name.rdns
    )


def names_issuer_serial(info: CertInfo, issuer_name: str, serial_number: str) -> bool:
    """True when an issuer name (RFC 4514 string) and a decimal serial number, as in an XMLDSig
    ``X509IssuerSerial``, designate the certificate ``info``."""
    try:
        serial = int(serial_number.strip())
        issuer = cx509.Name.from_rfc4514_string(issuer_name.strip())
    except ValueError:
        return False
    if serial != int(info.serial, 16):
        return False
    return _name_key(issuer) == _name_key(cx509.load_der_x509_certificate(info.der).issuer)


def _issued_by(child: CertInfo, parent: CertInfo) -> bool:
    if child.issuer_fields != parent.subject_fields:
        return False
    try:
        cx509.load_der_x509_certificate(child.der).verify_directly_issued_by(
            cx509.load_der_x509_certificate(parent.der)
        )
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_at(info: CertInfo, at: datetime | None) -> bool:
    return at is None or info.not_before <= at <= info.not_after


def chains_to_anchor(
    cert: CertInfo,
    anchors: Sequence[CertInfo],
    intermediates: Iterable[CertInfo] = (),
    *,
    at: datetime | None,
    max_depth: int = 6,
) -> bool:
    """True when a chain of CA certificates valid at ``at`` leads from ``cert`` to a trust anchor
    (``at=None``: validity periods are not checked, only names and signatures).

    Issuers are matched by name *and* signature, so a look-alike CA (same name, other key) does not count.
    """
    anchor_hashes = {a.sha256 for a in anchors}
    pool = [c for c in intermediates if c.is_ca and c.sha256 not in anchor_hashes]
    current = cert
    seen: set[str] = set()
    for _ in range(max_depth):
        if current.sha256 in anchor_hashes:
            return True
        seen.add(current.sha256)
        anchor = next((a for a in anchors if _valid_at(a, at) and _issued_by(current, a)), None)
        if anchor is not None:
            return True
        parent = next((c for c in pool if c.sha256 not in seen and _valid_at(c, at) and _issued_by(current, c)), None)
        if parent is None:
            return False
        current = parent
    return False


@dataclass(frozen=True)
class CheckContext:
    """What a certificate is checked against."""

    now: datetime
    unit_mst: str | None = None
    anchors: Sequence[CertInfo] = ()
    intermediates: Sequence[CertInfo] = ()
    registered_sha256: str | None = None
    registered_serial_issuer: tuple[str, str] | None = None
    registered_not_after: datetime | None = None
    soon_days: int = DEFAULT_SOON_DAYS


def normalise_mst(value: str) -> str:
    return "".join(value.split()).upper()


def check_certificate(info: CertInfo, *, has_private_key: bool, ctx: CheckContext) -> list[Problem]:
    """Every problem of ``info`` for signing the unit's change dossier, in a fixed order."""
    problems: list[Problem] = []
    if info.not_after < ctx.now:
        problems.append(Problem(ProblemCode.EXPIRED))
    elif info.not_before > ctx.now:
        problems.append(Problem(ProblemCode.NOT_YET_VALID))
    else:
        days = (info.not_after - ctx.now).days
        if days < ctx.soon_days:
            problems.append(Problem(ProblemCode.EXPIRES_SOON, days=days))
    if not has_private_key:
        problems.append(Problem(ProblemCode.NO_PRIVATE_KEY))
    if info.is_ca:
        problems.append(Problem(ProblemCode.IS_CA))
    if ctx.unit_mst is not None and (info.mst is None or normalise_mst(info.mst) != normalise_mst(ctx.unit_mst)):
        problems.append(Problem(ProblemCode.MST_MISMATCH, detail=info.mst or ""))
    if not usable_for_signing(info):
        problems.append(Problem(ProblemCode.NOT_FOR_SIGNING))
    if not chains_to_anchor(info, ctx.anchors, ctx.intermediates, at=ctx.now):
        problems.append(Problem(ProblemCode.UNTRUSTED))
    same = ctx.registered_sha256 is not None and info.sha256 == ctx.registered_sha256.upper()
    if ctx.registered_serial_issuer is not None:
        same = same or ctx.registered_serial_issuer == (info.serial, info.issuer)
    if same:
        problems.append(Problem(ProblemCode.SAME_AS_REGISTERED))
    elif ctx.registered_not_after is not None and info.not_after < ctx.registered_not_after:
        problems.append(Problem(ProblemCode.OLDER_THAN_REGISTERED, detail=fmt_date(ctx.registered_not_after)))
    return problems


def problem_message(problem: Problem, info: CertInfo, lang: Lang, *, unit_mst: str | None = None) -> str:
    code = problem.code
    if code is ProblemCode.EXPIRED or code is ProblemCode.EXPIRES_SOON:
        return t(f"problem.{code}", lang, date=fmt_date(info.not_after), days=problem.days)
    if code is ProblemCode.NOT_YET_VALID:
        return t("problem.NOT_YET_VALID", lang, date=fmt_date(info.not_before))
    if code is ProblemCode.OLDER_THAN_REGISTERED:
        return t(f"problem.{code}", lang, date=fmt_date(info.not_after), registered=problem.detail)
    if code is ProblemCode.MST_MISMATCH:
        if not problem.detail:
            return t("problem.MST_MISSING", lang, unit=unit_mst or "?")
        return t("problem.MST_MISMATCH", lang, found=problem.detail, unit=unit_mst or "?")
    return t(f"problem.{code}", lang)
