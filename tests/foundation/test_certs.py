"""core.certs: reading certificates the Vietnamese way and every problem code, in both languages."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tui_ibhxh.core.certs import (
    CertificateError,
    CheckContext,
    check_certificate,
    load_certificates,
    parse_certificate,
    problem_message,
)
from tui_ibhxh.core.i18n import fmt_date
from tui_ibhxh.core.models import BLOCKING, CertInfo, ProblemCode
from tui_ibhxh.demo import issue_certificate, make_name, new_rsa_key

NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
MST = "0101234565"
CA_NAME = make_name("Test CA", "Tổ chức thử", None, None, None)
UNIT_NAME = make_name("CONG TY TNHH ABC", "Công ty TNHH ABC", "Phường Cầu Giấy", "Hà Nội", f"MST:{MST}")


@cache
def key(n: int) -> rsa.RSAPrivateKey:
    return new_rsa_key()


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@cache
def ca() -> CertInfo:
    return parse_certificate(
        der(
            issue_certificate(
                CA_NAME,
                key(0).public_key(),
                CA_NAME,
                key(0),
                NOW - dt.timedelta(days=400),
                NOW + dt.timedelta(days=4000),
                ca=True,
            )
        )
    )


def leaf(
    *,
    name: x509.Name = UNIT_NAME,
    start: int = -10,
    end: int = 365,
    ca_key: int = 0,
    is_ca: bool = False,
    usage: x509.KeyUsage | None = None,
) -> CertInfo:
    return parse_certificate(
        der(
            issue_certificate(
                name,
                key(1).public_key(),
                CA_NAME,
                key(ca_key),
                NOW + dt.timedelta(days=start),
                NOW + dt.timedelta(days=end),
                ca=is_ca,
                usage=usage,
            )
        )
    )


def ctx(**kw: object) -> CheckContext:
    base: dict[str, object] = {"now": NOW, "unit_mst": MST, "anchors": [ca()]}
    base.update(kw)
    return CheckContext(**base)  # type: ignore[arg-type]


def codes(info: CertInfo, *, has_key: bool = True, **kw: object) -> list[ProblemCode]:
    return [p.code for p in check_certificate(info, has_private_key=has_key, ctx=ctx(**kw))]


def test_parse_vietnamese_conventions() -> None:
    info = leaf()
    assert info.mst == MST and info.personal_id is None
    assert info.subject == f"UID=MST:{MST}, CN=CONG TY TNHH ABC, O=Công ty TNHH ABC, L=Phường Cầu Giấy, ST=Hà Nội, C=VN"
    assert info.issuer == "CN=Test CA, O=Tổ chức thử, C=VN"
    assert info.serial == info.serial.upper() and len(info.serial) % 2 == 0 and ":" not in info.serial
    assert int(info.serial, 16) > 0
    assert info.key_usage == {"digital_signature", "non_repudiation"} and not info.is_ca
    assert len(info.sha256) == 64 and info.key_bits == 2048 and info.signature_algorithm == "sha256_rsa"
    assert info.not_after - info.not_before == dt.timedelta(days=375)
    person = leaf(name=make_name("NGUYEN VAN A", "Cá nhân", None, None, "CCCD:001099012345"))
    assert person.mst is None and person.personal_id is not None
    assert (person.personal_id.kind, person.personal_id.value) == ("CCCD", "001099012345")


def test_load_pem_bundle_and_der() -> None:
    pem = x509.load_der_x509_certificate(ca().der).public_bytes(serialization.Encoding.PEM)
    assert [c.sha256 for c in load_certificates(pem + pem)] == [ca().sha256] * 2
    assert load_certificates(ca().der)[0].sha256 == ca().sha256
    with pytest.raises(CertificateError):
        parse_certificate(b"\x30\x03garbage")


def test_clean_certificate_has_no_problem() -> None:
    assert codes(leaf()) == []


@pytest.mark.parametrize(
    ("make", "has_key", "extra", "expected"),
    [
        (lambda: leaf(start=-400, end=-1), True, {}, ProblemCode.EXPIRED),
        (lambda: leaf(start=2, end=400), True, {}, ProblemCode.NOT_YET_VALID),
        (lambda: leaf(end=7), True, {}, ProblemCode.EXPIRES_SOON),
        (lambda: leaf(), False, {}, ProblemCode.NO_PRIVATE_KEY),
        (
            lambda: leaf(is_ca=True, usage=x509.KeyUsage(True, False, False, False, False, True, True, False, False)),
            True,
            {},
            ProblemCode.IS_CA,
        ),
        (
            lambda: leaf(name=make_name("XYZ", "Công ty XYZ", None, None, "MST:0309876547")),
            True,
            {},
            ProblemCode.MST_MISMATCH,
        ),
        (
            lambda: leaf(usage=x509.KeyUsage(False, False, True, False, False, False, False, False, False)),
            True,
            {},
            ProblemCode.NOT_FOR_SIGNING,
        ),
        (lambda: leaf(ca_key=2), True, {}, ProblemCode.UNTRUSTED),  # look-alike CA: same name, other key
        (lambda: leaf(), True, {"registered_sha256": None}, None),
    ],
)
def test_each_problem_code(make, has_key, extra, expected) -> None:  # type: ignore[no-untyped-def]
    info = make()
    found = codes(info, has_key=has_key, **extra)
    assert found == ([expected] if expected else [])


def test_same_as_registered_by_fingerprint_or_serial_and_issuer() -> None:
    info = leaf()
    assert codes(info, registered_sha256=info.sha256.lower()) == [ProblemCode.SAME_AS_REGISTERED]
    assert codes(info, registered_serial_issuer=(info.serial, info.issuer)) == [ProblemCode.SAME_AS_REGISTERED]
    assert codes(info, registered_serial_issuer=("01", info.issuer)) == []


def test_expires_soon_counts_days_and_does_not_block() -> None:
    [problem] = check_certificate(leaf(end=7), has_private_key=True, ctx=ctx())
    assert problem.days == 7 and not problem.blocking
    warnings = {ProblemCode.EXPIRES_SOON, ProblemCode.OLDER_THAN_REGISTERED, ProblemCode.REVOCATION_UNKNOWN}
    assert frozenset(ProblemCode) - warnings == BLOCKING
    assert codes(leaf(end=40)) == [] and codes(leaf(end=40), soon_days=60) == [ProblemCode.EXPIRES_SOON]


def test_older_than_the_registered_certificate_is_a_warning_with_both_dates() -> None:
    """Registering a certificate that expires before the one on record is a downgrade: flagged, not blocked (the
    user must acknowledge it explicitly), with both expiry dates in the words."""
    registered_until = NOW + dt.timedelta(days=700)
    info = leaf(end=300)
    [problem] = check_certificate(info, has_private_key=True, ctx=ctx(registered_not_after=registered_until))
    assert problem.code is ProblemCode.OLDER_THAN_REGISTERED and not problem.blocking
    text = problem_message(problem, info, "vi")
    assert fmt_date(info.not_after) in text and fmt_date(registered_until) in text
    assert codes(leaf(end=800), registered_not_after=registered_until) == []
    same = codes(info, registered_sha256=info.sha256, registered_not_after=registered_until)
    assert same == [ProblemCode.SAME_AS_REGISTERED]  # the registered one itself is not "older"


def test_missing_mst_is_its_own_message() -> None:
    info = leaf(name=make_name("CONG TY TNHH ABC", "Công ty TNHH ABC", None, None, None))
    [p] = check_certificate(info, has_private_key=True, ctx=ctx())
    assert p.code is ProblemCode.MST_MISMATCH
    assert "UID" in problem_message(p, info, "en", unit_mst=MST)


def test_untrusted_when_anchor_expired_or_absent() -> None:
    assert codes(leaf(), anchors=[]) == [ProblemCode.UNTRUSTED]


@pytest.mark.parametrize("code", list(ProblemCode))
def test_every_code_has_distinct_messages_in_both_languages(code: ProblemCode) -> None:
    from tui_ibhxh.core.models import Problem

    info = leaf()
    problem = Problem(code, days=5, detail="0309876547")
    vi = problem_message(problem, info, "vi", unit_mst=MST)
    en = problem_message(problem, info, "en", unit_mst=MST)
    assert vi and en and vi != en and "{" not in vi + en
    others = {
        problem_message(Problem(c, days=5, detail="0309876547"), info, "vi", unit_mst=MST)
        for c in ProblemCode
        if c is not code
    }
    assert vi not in others
    if code is ProblemCode.EXPIRES_SOON:
        assert "5 ngày" in vi and "5 days" in en
    if code is ProblemCode.MST_MISMATCH:
        assert "0309876547" in vi and MST in vi


def unit_cert_with(public_key: object) -> CertInfo:
    """A unit certificate of the test CA for another key (RSA of any size, EC on any curve)."""
    end = NOW + dt.timedelta(days=300)
    return parse_certificate(
        der(issue_certificate(UNIT_NAME, public_key, CA_NAME, key(0), NOW - dt.timedelta(days=1), end, ca=False))  # type: ignore[arg-type]
    )


def test_key_too_weak_is_blocking_with_the_key_named() -> None:
    info = unit_cert_with(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    [problem] = check_certificate(info, has_private_key=True, ctx=ctx())
    assert problem.code is ProblemCode.KEY_TOO_WEAK and problem.blocking
    assert "RSA 1024" in problem_message(problem, info, "vi") and "2048" in problem_message(problem, info, "en")


def test_ec_keys_only_on_p256_and_p384() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    found = {}
    for curve in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP256K1(), ec.SECP521R1()):
        found[curve.name] = codes(unit_cert_with(ec.generate_private_key(curve).public_key()))
    assert found == {
        "secp256r1": [],
        "secp384r1": [],
        "secp256k1": [ProblemCode.KEY_TOO_WEAK],
        "secp521r1": [ProblemCode.KEY_TOO_WEAK],
    }


def test_personal_certificates_are_not_the_units() -> None:
    """DOMAIN.md: a director's certificate issued inside the company carries the company's MST and a CCCD; it is a
    person's. So is a certificate with only a personal identifier, or one without an organisation."""
    director = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MobiFone IT"),
            x509.NameAttribute(NameOID.COMMON_NAME, "NGUYỄN HỒNG NHUNG"),
            x509.NameAttribute(NameOID.USER_ID, f"MST:{MST}-199"),
            x509.NameAttribute(NameOID.USER_ID, "CCCD:025199009534"),
        ]
    )
    info = leaf(name=director)
    [problem] = check_certificate(info, has_private_key=True, ctx=ctx(unit_mst=MST + "-199"))
    assert problem.code is ProblemCode.PERSONAL_CERTIFICATE and problem.blocking
    vi = problem_message(problem, info, "vi")
    assert "chứng thư cá nhân" in vi and "cần chứng thư số của đơn vị/công ty" in vi and "CCCD:025199009534" in vi
    for kind in ("CMND:012345678", "HC:B1234567"):
        person = leaf(name=make_name("NGUYEN VAN A", "Công ty TNHH ABC", None, None, kind))
        assert ProblemCode.PERSONAL_CERTIFICATE in codes(person)
    no_o = leaf(
        name=x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "ABC"), x509.NameAttribute(NameOID.USER_ID, f"MST:{MST}")]
        )
    )
    [problem] = check_certificate(no_o, has_private_key=True, ctx=ctx())
    assert problem.code is ProblemCode.PERSONAL_CERTIFICATE and "(O)" in problem_message(problem, no_o, "vi")


def test_mst_compared_without_the_branch_dash_and_an_invalid_one_said_so() -> None:
    branch = leaf(name=make_name("CHI NHANH ABC", "Công ty TNHH ABC", None, None, "MST:0100686209-199"))
    assert codes(branch, unit_mst="0100686209199") == []
    assert codes(branch, unit_mst="0100686209-199") == []
    wrong = leaf(name=make_name("ABC", "Công ty TNHH ABC", None, None, "MST:0101234567"))
    [problem] = check_certificate(wrong, has_private_key=True, ctx=ctx())
    assert problem.code is ProblemCode.MST_MISMATCH
    assert "không hợp lệ" in problem_message(problem, wrong, "vi", unit_mst=MST)
    assert "check digit" in problem_message(problem, wrong, "en", unit_mst=MST)


def test_real_subjects_diacritics_several_uids_title_and_telephone_by_name() -> None:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CÔNG TY CỔ PHẦN CÔNG NGHỆ NCCA"),
            x509.NameAttribute(NameOID.TITLE, "Kế toán trưởng"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.20"), "+84 24 3555 5555"),  # as a UTF8String, as CAs do
            x509.NameAttribute(NameOID.COMMON_NAME, "CÔNG TY TNHH ĐẦU TƯ ÂU VIỆT"),
            x509.NameAttribute(NameOID.USER_ID, "MST:0106793535"),
            x509.NameAttribute(NameOID.USER_ID, "MNS:1234567"),
        ]
    )
    info = leaf(name=name)
    assert info.common_name == "CÔNG TY TNHH ĐẦU TƯ ÂU VIỆT"
    assert [(i.kind, i.value) for i in info.ids] == [("MST", "0106793535"), ("MNS", "1234567")]
    assert "T=Kế toán trưởng" in info.subject and "telephoneNumber=+84 24 3555 5555" in info.subject
    assert "2.5.4" not in info.subject and info.mst == "0106793535" and info.personal_id is None
