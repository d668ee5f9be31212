"""The BHXH envelope ``Hoso`` (IVAN_PROTOCOL.md §3.2): each field, its schema, and ``verify_envelope``'s
checks, each failure naming the part that failed (the envelope, or the form inside it)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re

import pytest
from lxml import etree

from tests.support import pki
from tests.xml import sigtools as st
from tests.xml.conftest import Pki, make_dossier, make_envelope, signed_envelope
from tui_ibhxh.core.dossier import TEN_THUTUC_05, ChangeDossier, DossierInvalid, build_dossier
from tui_ibhxh.core.envelope import (
    MA_THUTUC_05,
    MA_TOKHAI_05,
    MOTA_TOKHAI_05,
    TEN_FILE_05,
    Envelope,
    EnvelopeInvalid,
    FormFile,
    VerifiedEnvelope,
    build_envelope,
    envelope_from_root,
    is_envelope,
    signature_place,
    stored_form,
    validate_envelope,
    verify_envelope,
)
from tui_ibhxh.core.i18n import has
from tui_ibhxh.core.xmldsig import DSIG_NS, TrustStore, enveloped_content, sign_document, verify_document
from tui_ibhxh.core.xmlsafe import parse_xml

ENVELOPE_PART = "the dossier envelope (Hoso)"
FORM_PART = f"form {TEN_FILE_05} inside the dossier"


@pytest.fixture(scope="module")
def form(p: Pki, dossier: ChangeDossier) -> bytes:
    """Form 05 signed by the unit's new certificate."""
    return sign_document(build_dossier(dossier), pki.SoftwareSigner(p.leaf))


@pytest.fixture(scope="module")
def envelope(dossier: ChangeDossier, form: bytes) -> Envelope:
    return make_envelope(dossier, form)


@pytest.fixture(scope="module")
def unsigned(envelope: Envelope) -> bytes:
    return build_envelope(envelope)


@pytest.fixture(scope="module")
def signed(p: Pki, unsigned: bytes) -> bytes:
    return sign_document(unsigned, pki.SoftwareSigner(p.leaf))


@pytest.fixture(scope="module")
def second_cert(p: Pki) -> pki.Issued:
    """Another valid certificate of the same unit (same MST, same CA), with a key of its own."""
    return pki.issue(p.ca, key_index=5)


def _failure(xml: bytes, p: Pki, **kw: object) -> EnvelopeInvalid:
    """The refusal of ``xml``; every reason renders in both languages and names its part."""
    kw.setdefault("trust", p.trust)
    with pytest.raises(EnvelopeInvalid) as info:
        verify_envelope(xml, **kw)  # type: ignore[arg-type]
    exc = info.value
    assert exc.part in ("envelope", "form") and has(exc.key)
    en, vi = exc.message("en"), exc.message("vi")
    assert (ENVELOPE_PART if exc.part == "envelope" else FORM_PART) in en
    assert ("phong bì hồ sơ (Hoso)" if exc.part == "envelope" else f"tờ khai {TEN_FILE_05}") in vi
    return exc


def _resign(p: Pki, unsigned_envelope: bytes, issued: pki.Issued | None = None) -> bytes:
    """What someone holding a valid certificate (by default the unit's own) can send: any envelope, signed."""
    return sign_document(unsigned_envelope, pki.SoftwareSigner(issued or p.leaf))


def _mutate(xml: bytes, old: bytes, new: bytes) -> bytes:
    assert xml.count(old) == 1, old
    return xml.replace(old, new)


def _set(xml: bytes, element: str, value: str) -> bytes:
    """``xml`` with the text of its one ``element`` replaced by ``value``."""
    out, n = re.subn(rf"<{element}>[^<]*</{element}>".encode(), f"<{element}>{value}</{element}>".encode(), xml)
    assert n == 1, element
    return out


def _carrying(p: Pki, envelope: Envelope, form_bytes: bytes, issued: pki.Issued | None = None) -> bytes:
    """A signed envelope carrying ``form_bytes`` (exactly) as its form."""
    return _resign(p, build_envelope(dataclasses.replace(envelope, files=(FormFile(content=form_bytes),))), issued)


# --- the fields (§3.2) --------------------------------------------------------------------------------------


def test_layout_matches_protocol(unsigned: bytes, envelope: Envelope, form: bytes) -> None:
    assert unsigned.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Hoso><NoiDung><ThongTinIVAN><MaIVAN>')
    assert unsigned.endswith(b"</NoiDung><CKy_Dvi/></Hoso>")  # the empty place of the unit's signature
    assert b"\n  " not in unsigned  # compact, never pretty-printed
    root = parse_xml(unsigned)
    assert [c.tag for c in root] == ["NoiDung", "CKy_Dvi"]
    nd = root[0]
    assert [c.tag for c in nd] == ["ThongTinIVAN", "ThongTinDonVi", "ThongTinHoSo"]
    assert [(c.tag, c.text) for c in nd[0]] == [("MaIVAN", "00040"), ("TenIVAN", "Công ty Cổ phần I-VAN Việt")]
    assert [(c.tag, c.text or "") for c in nd[1]] == [
        ("TenDoiTuong", "Công ty TNHH Xây dựng Hà Nội"),
        ("MaSoBHXH", "TA1234A"),
        ("LoaiDoiTuong", "1"),
        ("MaSoThue", "0101234565"),
        ("NguoiKy", "Nguyễn Văn An"),
        ("DienThoai", "0912345678"),
        ("CoQuanQuanLy", "903"),
    ]
    hs = nd[2]
    assert [(c.tag, c.text or "") for c in hs][:-1] == [
        ("TenThuTuc", TEN_THUTUC_05),
        ("MaThuTuc", "05_SD-IVAN"),
        ("KyKeKhai", "11/2026"),
        ("NgayLap", "24/11/2026"),
        ("SoLuongFile", "1"),
        ("QuyTrinhISO", ""),
    ]
    (to_khais,) = hs.findall("ToKhais")
    (ftk,) = to_khais
    assert [c.tag for c in ftk] == ["MaToKhai", "MoTaToKhai", "TenFile", "LoaiFile", "DoDaiFile", "NoiDungFile"]
    assert ftk.findtext("MaToKhai") == "05/SĐ-IVAN" == MA_TOKHAI_05
    assert ftk.findtext("MoTaToKhai") == MOTA_TOKHAI_05
    assert ftk.findtext("TenFile") == "05_SD-IVAN.xml" == TEN_FILE_05
    assert ftk.findtext("LoaiFile") == ".xml"
    assert MA_THUTUC_05 in ftk.findtext("TenFile")  # the form code names the file
    content = ftk.findtext("NoiDungFile")
    assert ftk.findtext("DoDaiFile") == str(len(content))  # the length of the base64 text
    assert base64.b64decode(content, validate=True) == form  # the signed form, exact bytes
    assert "\n" not in content


def test_round_trip(unsigned: bytes, envelope: Envelope) -> None:
    assert envelope_from_root(parse_xml(unsigned)) == envelope
    assert validate_envelope(unsigned).tag == "Hoso"


def test_ky_ke_khai_is_read_as_the_document_says(p: Pki, envelope: Envelope) -> None:
    """A signed envelope whose KyKeKhai is not the month of NgayLap reports what it says (no invented value)."""
    xml = build_envelope(envelope).replace(
        f"<KyKeKhai>{envelope.ky_ke_khai}</KyKeKhai>".encode(), b"<KyKeKhai>01/2027</KyKeKhai>"
    )
    assert envelope_from_root(validate_envelope(xml)).ky_ke_khai == "01/2027"


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (dt.date(2026, 11, 24), "11/2026"),
        (dt.date(2026, 1, 1), "01/2026"),
        (dt.date(2026, 12, 31), "12/2026"),
        (dt.date(2027, 2, 28), "02/2027"),
    ],
)
def test_ky_ke_khai_is_the_month_of_ngay_lap(envelope: Envelope, day: dt.date, period: str) -> None:
    e = dataclasses.replace(envelope, ngay_lap=day, ky_khai="")  # not given: the month of NgayLap
    assert e.ky_ke_khai == period
    hs = parse_xml(build_envelope(e)).find("NoiDung/ThongTinHoSo")
    assert hs.findtext("KyKeKhai") == period
    assert hs.findtext("NgayLap") == f"{day.day:02d}/{day.month:02d}/{day.year}"


def test_so_luong_file_and_each_file(envelope: Envelope, form: bytes) -> None:
    other = FormFile(content="<x>Tệp đính kèm</x>".encode(), ma_to_khai="PL", mo_ta="", ten_file="pl.xml")
    e = dataclasses.replace(envelope, files=(envelope.files[0], other))
    xml = build_envelope(e)
    hs = parse_xml(xml).find("NoiDung/ThongTinHoSo")
    assert hs.findtext("SoLuongFile") == "2"
    files = hs.findall("ToKhais/FileToKhai")
    assert [f.findtext("TenFile") for f in files] == [TEN_FILE_05, "pl.xml"]
    for f, content in zip(files, (form, other.content), strict=True):
        assert f.findtext("DoDaiFile") == str(len(f.findtext("NoiDungFile")))
        assert base64.b64decode(f.findtext("NoiDungFile")) == content
    assert envelope_from_root(parse_xml(xml)) == e


def test_values_are_written_verbatim(envelope: Envelope) -> None:
    e = dataclasses.replace(envelope, nguoi_ky="  A & <B> \"C\" 'D' ", dien_thoai="", co_quan_quan_ly="")
    xml = build_envelope(e)
    assert b"&amp; &lt;B&gt;" in xml
    assert envelope_from_root(parse_xml(xml)) == e


def test_build_refuses_characters_xml_cannot_carry(envelope: Envelope) -> None:
    with pytest.raises(DossierInvalid) as info:
        build_envelope(dataclasses.replace(envelope, nguoi_ky="Nguyễn\x00"))
    assert info.value.code == "INVALID_CHAR" and "NguoiKy" in info.value.message("en")


# --- the schema ---------------------------------------------------------------------------------------------

REQUIRED = [
    "NoiDung", "ThongTinIVAN", "MaIVAN", "TenIVAN", "ThongTinDonVi", "TenDoiTuong", "MaSoBHXH", "LoaiDoiTuong",
    "MaSoThue", "NguoiKy", "DienThoai", "CoQuanQuanLy", "ThongTinHoSo", "TenThuTuc", "MaThuTuc", "KyKeKhai",
    "NgayLap", "SoLuongFile", "QuyTrinhISO", "ToKhais", "FileToKhai", "MaToKhai", "MoTaToKhai", "TenFile",
    "LoaiFile", "DoDaiFile", "NoiDungFile",
]  # fmt: skip


def _schema_error(xml: bytes) -> DossierInvalid:
    with pytest.raises(DossierInvalid) as info:
        validate_envelope(xml)
    assert info.value.code == "SCHEMA"
    assert info.value.message("vi") and info.value.message("en")
    return info.value


def test_every_element_is_listed(unsigned: bytes) -> None:
    root = parse_xml(unsigned)
    assert sorted(el.tag for el in root.iter() if el.tag not in ("Hoso", "CKy_Dvi")) == sorted(REQUIRED)


@pytest.mark.parametrize("element", REQUIRED)
def test_each_element_is_required(unsigned: bytes, element: str) -> None:
    root = parse_xml(unsigned)
    el = root.find(f".//{element}")
    el.getparent().remove(el)
    exc = _schema_error(etree.tostring(root, encoding="UTF-8"))
    assert element in exc.message("en")  # "Missing child element(s). Expected is ( X )" or "X is not expected"


@pytest.mark.parametrize(
    "element", ["TenIVAN", "TenDoiTuong", "TenThuTuc", "MaToKhai", "TenFile", "LoaiFile", "MaIVAN", "LoaiDoiTuong"]
)
def test_required_values_are_not_empty(unsigned: bytes, element: str) -> None:
    assert str(_schema_error(_set(unsigned, element, "")).params["element"]).endswith(element)


@pytest.mark.parametrize(
    ("element", "value", "valid"),
    [
        ("MaSoBHXH", "TA1234A", True),
        ("MaSoBHXH", "ta1234a", False),
        ("MaSoBHXH", "TA-1234", False),
        ("MaSoBHXH", "TA1234A ", False),
        ("MaSoBHXH", "A" * 21, False),
        ("MaSoThue", "0101234565", True),
        ("MaSoThue", "0101234565-001", True),  # a branch
        ("MaSoThue", "001085012345", True),  # a personal identification number (12 digits)
        ("MaSoThue", "010123456", False),
        ("MaSoThue", "0101234565-01", False),
        ("MaSoThue", "0101234565001", False),
        ("MaSoThue", "01012345AB", False),
        ("MaIVAN", "00040", True),
        ("MaIVAN", "I VAN", False),
        ("KyKeKhai", "13/2026", False),
        ("KyKeKhai", "11-2026", False),
        ("KyKeKhai", "1/2026", False),
        ("NgayLap", "2026-11-24", False),
        ("NgayLap", "32/11/2026", False),
        ("SoLuongFile", "0", False),
        ("SoLuongFile", "x", False),
        ("DoDaiFile", "-1", False),
        ("DoDaiFile", "4k", False),
        ("NoiDungFile", "", False),
        ("NoiDungFile", "@@@@", False),  # not base64
        ("NoiDungFile", "QUJD", True),
        ("NoiDungFile", "QUJDR", False),  # truncated
        ("NoiDungFile", "QR==", False),  # non-zero padding bits
    ],
)
def test_field_patterns(unsigned: bytes, element: str, value: str, valid: bool) -> None:
    xml = _set(unsigned, element, value)
    if valid:
        assert validate_envelope(xml) is not None
    else:
        assert element in str(_schema_error(xml).params["element"])


def test_build_validates_against_the_schema(envelope: Envelope) -> None:
    for change, element in (({"ma_so_bhxh": "ta-1"}, "MaSoBHXH"), ({"ma_so_thue": "123"}, "MaSoThue")):
        with pytest.raises(DossierInvalid) as info:
            build_envelope(dataclasses.replace(envelope, **change))  # type: ignore[arg-type]
        assert info.value.code == "SCHEMA" and element in str(info.value.params["element"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"</NoiDung>", b"<Extra/></NoiDung>"),
        (b"<CKy_Dvi/>", b"<CKy_Dvi/><Extra/>"),
        (b"<CKy_Dvi/>", b"<CKy_Dvi/><CKy_Dvi/>"),
        (b"<CKy_Dvi/>", b"<CKy_Dvi><NoiDung/></CKy_Dvi>"),  # only an XMLDSig element in the signature's place
        (b"<CKy_Dvi/>", b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>'),  # only inside CKy_Dvi
        (b"</ToKhais>", b"<NoiDung/></ToKhais>"),
        (b"<Hoso>", b'<Hoso xmlns="urn:x">'),
    ],
)
def test_schema_refuses_other_shapes(unsigned: bytes, old: bytes, new: bytes) -> None:
    _schema_error(_mutate(unsigned, old, new))


def test_is_envelope_and_signature_place(signed: bytes, form: bytes) -> None:
    assert is_envelope(signed) and not is_envelope(form) and not is_envelope(b"garbage")
    assert signature_place(signed) == signature_place(form) == "CKy_Dvi"
    assert signature_place(b"<BHXH><XACNHAN_GDICH/></BHXH>") is None  # BHXH's confirmation: the root's last child


# --- verify_envelope: the whole check -----------------------------------------------------------------------


def test_verify_round_trip(p: Pki, signed: bytes, form: bytes, envelope: Envelope, dossier: ChangeDossier) -> None:
    for kw in ({"trust": p.trust}, {"pinned_cert_der": p.leaf.der}, {"trust": p.trust, "check_time": pki.now()}):
        verified = verify_envelope(signed, **kw)
        assert isinstance(verified, VerifiedEnvelope)
        assert verified.envelope == envelope
        assert verified.form == dossier
        assert verified.form_xml == form  # the form's exact bytes
        assert verified.certificate.der == p.leaf.der
    root = parse_xml(signed)
    assert [c.tag for c in root] == ["NoiDung", "CKy_Dvi"] and root[-1][0].tag == f"{{{DSIG_NS}}}Signature"
    assert stored_form(signed) == dossier


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<CoQuanQuanLy>903", b"<CoQuanQuanLy>904"),
        ("<NguoiKy>Nguyễn Văn An".encode(), "<NguoiKy>Nguyễn Văn Ân".encode()),
        (b"<MaIVAN>00040", b"<MaIVAN>00041"),
        (b"<SoLuongFile>1", b"<SoLuongFile>01"),
        (b"<QuyTrinhISO></QuyTrinhISO>", b"<QuyTrinhISO>x</QuyTrinhISO>"),
        (b"<CKy_Dvi>", b'<CKy_Dvi a="1">'),
    ],
)
def test_envelope_tampered(p: Pki, signed: bytes, old: bytes, new: bytes) -> None:
    exc = _failure(_mutate(signed, old, new), p)
    assert (exc.code, exc.part) == ("INVALID", "envelope")


def test_envelope_signature_broken(p: Pki, signed: bytes, unsigned: bytes) -> None:
    value = parse_xml(signed).findtext(f"CKy_Dvi/{{{DSIG_NS}}}Signature/{{{DSIG_NS}}}SignatureValue")
    flipped = value[:10] + ("B" if value[10] == "A" else "A") + value[11:]
    exc = _failure(_mutate(signed, value.encode(), flipped.encode()), p)
    assert (exc.code, exc.part) == ("INVALID", "envelope")
    assert _failure(unsigned, p).code == "NO_SIGNATURE"
    v1_place = _mutate(signed, b"<CKy_Dvi>", b"").replace(b"</CKy_Dvi>", b"")  # the root's last child
    exc = _failure(v1_place, p)
    assert (exc.code, exc.part) == ("SIGNATURE_NOT_LAST", "envelope")


def test_form_re_encoded_inside_a_re_signed_envelope(p: Pki, envelope: Envelope, form: bytes) -> None:
    """Whoever holds a valid certificate can sign an envelope: the form inside still needs its own valid
    signature — a changed form, a form without signature, a form signed outside the profile are refused."""
    tampered = _mutate(form, b"<EMAIL>ketoan@abc.vn", b"<EMAIL>ke-gian@evil.example")
    exc = _failure(_carrying(p, envelope, tampered), p)
    assert (exc.code, exc.part) == ("INVALID", "form")
    exc = _failure(_carrying(p, envelope, build_dossier(make_dossier(p))), p)
    assert (exc.code, exc.part) == ("NO_SIGNATURE", "form")
    v1_place = _mutate(form, b"<CKy_Dvi>", b"").replace(b"</CKy_Dvi>", b"")
    exc = _failure(_carrying(p, envelope, v1_place), p)
    assert (exc.code, exc.part) == ("SIGNATURE_NOT_LAST", "form")
    copy_in_key_info = _mutate(form, b"</KeyInfo>", b"<DKI_BHXH><MA_DVI>EVIL</MA_DVI></DKI_BHXH></KeyInfo>")
    exc = _failure(_carrying(p, envelope, copy_in_key_info), p)
    assert (exc.code, exc.part) == ("OBJECT_NOT_ALLOWED", "form")


def test_form_not_a_valid_document(p: Pki, envelope: Envelope, dossier: ChangeDossier, form: bytes) -> None:
    for content, code in (
        (b"not xml", "MALFORMED"),
        (b'<!DOCTYPE BHXH [<!ENTITY x "y">]><BHXH>&x;</BHXH>', "DOCTYPE"),
        (form.decode().encode("utf-16"), "NOT_UTF8"),
    ):
        exc = _failure(_carrying(p, envelope, content), p)
        assert (exc.code, exc.part) == (code, "form")
    # signed, but not form 05 (v1's LOAI_DKY): the schema of the form
    v1 = _mutate(build_dossier(dossier), b"<DKI_BHXH>", b"<DKI_BHXH><LOAI_DKY>2</LOAI_DKY>")
    exc = _failure(_carrying(p, envelope, sign_document(v1, pki.SoftwareSigner(p.leaf))), p)
    assert (exc.code, exc.part) == ("SCHEMA", "form")


def test_different_certificates(p: Pki, dossier: ChangeDossier, second_cert: pki.Issued) -> None:
    assert second_cert.info.mst == p.leaf.info.mst  # the same unit, both certificates valid and trusted
    for form_signer, envelope_signer in ((p.leaf, second_cert), (second_cert, p.leaf), (p.old_leaf, p.leaf)):
        # (p.old_leaf has the same key as p.leaf: the certificate must be the same, not only the key)
        exc = _failure(signed_envelope(dossier, form_signer, envelope_signer), p)
        assert (exc.code, exc.part) == ("DIFFERENT_SIGNERS", "form")
        assert exc.params == {"outer": envelope_signer.info.serial, "inner": form_signer.info.serial}
        assert envelope_signer.info.serial in exc.message("en") and form_signer.info.serial in exc.message("vi")
    assert verify_envelope(signed_envelope(dossier, second_cert), trust=p.trust).certificate.der == second_cert.der


def test_pinned_certificate(p: Pki, signed: bytes, dossier: ChangeDossier, second_cert: pki.Issued) -> None:
    exc = _failure(signed, p, trust=None, pinned_cert_der=second_cert.der)
    assert (exc.code, exc.part) == ("CERT_MISMATCH", "envelope")
    exc = _failure(signed_envelope(dossier, second_cert, p.leaf), p, trust=None, pinned_cert_der=p.leaf.der)
    assert (exc.code, exc.part) == ("CERT_MISMATCH", "form")


def _signed_with(p: Pki, unsigned: bytes, element: str, value: str) -> bytes:
    """The envelope with one field set before it is signed: a signature cannot vouch for a wrong value."""
    return _resign(p, _set(unsigned, element, value))


def test_do_dai_file(p: Pki, unsigned: bytes, form: bytes) -> None:
    length = len(base64.b64encode(form))
    for declared in (length - 1, length + 1, 0, len(form) + 1):
        exc = _failure(_signed_with(p, unsigned, "DoDaiFile", str(declared)), p)
        assert (exc.code, exc.part) == ("FILE_LENGTH", "envelope")
        assert exc.params == {"file": TEN_FILE_05, "declared": declared, "actual": length}
    # the decoded length is tolerated (some providers count the file's bytes)
    assert verify_envelope(_signed_with(p, unsigned, "DoDaiFile", str(len(form))), trust=p.trust)


def test_so_luong_file(p: Pki, unsigned: bytes) -> None:
    for declared in (2, 100):
        exc = _failure(_signed_with(p, unsigned, "SoLuongFile", str(declared)), p)
        assert (exc.code, exc.part) == ("FILE_COUNT", "envelope")
        assert exc.params == {"declared": declared, "actual": 1}


def test_ngay_lap_must_be_a_calendar_day(p: Pki, unsigned: bytes) -> None:
    """The schema's pattern lets 31/02 through: refused with SCHEMA, never an unhandled error."""
    exc = _failure(_signed_with(p, unsigned, "NgayLap", "31/02/2026"), p)
    assert (exc.code, exc.part, exc.params["element"]) == ("SCHEMA", "envelope", "NgayLap")


def test_envelope_schema_checked_after_its_signature(p: Pki, unsigned: bytes) -> None:
    exc = _failure(_resign(p, _mutate(unsigned, b"</NoiDung>", b"<Extra/></NoiDung>")), p)
    assert (exc.code, exc.part) == ("SCHEMA", "envelope")


def test_unit_mismatch(p: Pki, dossier: ChangeDossier) -> None:
    exc = _failure(signed_envelope(dossier, p.leaf, ma_so_bhxh="TB9999B"), p)
    assert (exc.code, exc.part) == ("UNIT_MISMATCH", "envelope")
    assert exc.params == {"envelope": "TB9999B", "form": "TA1234A"}
    assert "TB9999B" in exc.message("vi") and "TA1234A" in exc.message("en")


def test_mst_mismatch(p: Pki, dossier: ChangeDossier) -> None:
    for other in ("0309999999", "0101234565-001", "001085012345"):
        exc = _failure(signed_envelope(dossier, p.leaf, ma_so_thue=other), p)
        assert (exc.code, exc.part) == ("MST_MISMATCH", "envelope")
        assert exc.params == {"envelope": other, "form": "0101234565"}


def test_mst_compared_without_the_branch_dash(p: Pki, dossier: ChangeDossier) -> None:
    branch = make_dossier(p, mst="0101234565-001")
    assert verify_envelope(signed_envelope(branch, p.leaf), trust=p.trust).form.unit.mst == "0101234565-001"
    exc = _failure(signed_envelope(branch, p.leaf, ma_so_thue="0101234565-002"), p)
    assert exc.code == "MST_MISMATCH"
    assert verify_envelope(signed_envelope(dossier, p.leaf), trust=p.trust).envelope.ma_so_thue == "0101234565"


def test_form_missing(p: Pki, envelope: Envelope, form: bytes) -> None:
    other = FormFile(content=form, ten_file="04_DK-IVAN.xml")
    exc = _failure(_resign(p, build_envelope(dataclasses.replace(envelope, files=(other,)))), p)
    assert (exc.code, exc.part) == ("NO_FORM", "envelope")
    assert TEN_FILE_05 in exc.message("en")


def test_untrusted_signer(p: Pki, dossier: ChangeDossier) -> None:
    """A look-alike CA (same name, other key): refused for the envelope, and for the form on its own."""
    exc = _failure(signed_envelope(dossier, p.rogue_leaf), p)
    assert (exc.code, exc.part) == ("UNTRUSTED", "envelope")
    exc = _failure(signed_envelope(dossier, p.rogue_leaf, p.leaf), p)
    assert (exc.code, exc.part) == ("UNTRUSTED", "form")
    lookalike = TrustStore([p.lookalike_ca.der])
    assert verify_envelope(signed_envelope(dossier, p.rogue_leaf), trust=lookalike).certificate.der == (
        p.rogue_leaf.der
    )


def test_expired_signer_only_with_a_time(p: Pki, dossier: ChangeDossier) -> None:
    expired = signed_envelope(dossier, p.old_leaf)
    assert verify_envelope(expired, trust=p.trust).certificate.der == p.old_leaf.der  # BHXH rejects it later
    exc = _failure(expired, p, check_time=pki.now())
    assert (exc.code, exc.part) == ("CERT_EXPIRED", "envelope")


def test_weak_key(p: Pki, dossier: ChangeDossier, envelope: Envelope) -> None:
    """RSA-1024 signatures, cryptographically valid (made by xmlsec: our signer refuses such keys), by a
    certificate of the trusted CA: refused in the envelope, and in the form inside a sound envelope."""
    weak = pki.issue(p.ca, key_index=1, key_bits=1024)
    weak_form = st.xmlsec_sign(st.with_template(build_dossier(dossier), st.template()), weak)
    weak_envelope = build_envelope(dataclasses.replace(envelope, files=(FormFile(content=weak_form),)))
    exc = _failure(st.xmlsec_sign(st.with_template(weak_envelope, st.template()), weak), p)
    assert (exc.code, exc.part) == ("KEY_TOO_WEAK", "envelope")
    assert "1024" in exc.message("en")
    exc = _failure(_resign(p, weak_envelope), p)
    assert (exc.code, exc.part) == ("KEY_TOO_WEAK", "form")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EMPTY"),
        (b"<Hoso><NoiDung></Hoso>", "MALFORMED"),
        (b'<!DOCTYPE Hoso [<!ENTITY x "y">]><Hoso>&x;</Hoso>', "DOCTYPE"),
    ],
)
def test_envelope_not_a_valid_document(p: Pki, data: bytes, code: str) -> None:
    exc = _failure(data, p)
    assert (exc.code, exc.part) == (code, "envelope")


# --- values come only from the verified elements ------------------------------------------------------------

#: an unsigned, forged copy of the envelope's content (another unit, another tax code)
FORGED = b"<NoiDung><ThongTinDonVi><MaSoBHXH>EVIL1</MaSoBHXH><MaSoThue>0309999999</MaSoThue></ThongTinDonVi></NoiDung>"


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (b"</KeyInfo>", FORGED + b"</KeyInfo>", "OBJECT_NOT_ALLOWED"),  # unsigned KeyInfo
        (b"</X509Data>", FORGED + b"</X509Data>", "OBJECT_NOT_ALLOWED"),
        (b"<CKy_Dvi>", b"<CKy_Dvi>" + FORGED, "BAD_STRUCTURE"),  # beside the signature
        (b"</CKy_Dvi>", b"</CKy_Dvi>" + FORGED, "SIGNATURE_NOT_LAST"),  # after it
        (b"</Signature>", b"<Object>" + FORGED + b"</Object></Signature>", "OBJECT_NOT_ALLOWED"),
        (b"<NoiDung>", FORGED + b"<NoiDung>", "INVALID"),  # a second NoiDung before the signed one
        (b"</ToKhais>", b"<FileToKhai>" + FORGED + b"</FileToKhai></ToKhais>", "INVALID"),
    ],
)
def test_smuggled_copies_are_refused(p: Pki, signed: bytes, old: bytes, new: bytes, code: str) -> None:
    exc = _failure(_mutate(signed, old, new), p)
    assert (exc.code, exc.part) == (code, "envelope")


def test_wrapped_envelope_is_refused(p: Pki, signed: bytes) -> None:
    """The signed envelope moved inside a forged one (under its NoiDung, or as the forged one's whole body)."""
    body = signed.split(b"?>\n", 1)[1]
    for forged in (
        b"<Hoso>" + FORGED.replace(b"</NoiDung>", body + b"</NoiDung>") + b"<CKy_Dvi/></Hoso>",
        b"<Hoso>" + FORGED + b"<CKy_Dvi>" + body + b"</CKy_Dvi></Hoso>",
    ):
        assert _failure(forged, p).code == "SIGNATURE_NOT_LAST"
    # the signed NoiDung kept in a wrapper, the forged one in its place, the original signature in CKy_Dvi
    root = parse_xml(signed)
    wrapper = etree.Element("WRAP")
    wrapper.append(root[0])
    root.insert(0, etree.fromstring(FORGED))
    root.insert(1, wrapper)
    assert _failure(etree.tostring(root), p).code == "INVALID"


def test_comments_cannot_change_what_is_read(p: Pki, signed: bytes, dossier: ChangeDossier) -> None:
    """Comments are outside the signed content (C14N without comments): they verify, and cannot truncate."""
    xml = _mutate(signed, b"<MaSoBHXH>TA1234A", b"<MaSoBHXH>TA12<!-- EVIL -->34A")
    xml = _mutate(xml, b"<MaSoThue>0101234565", b"<MaSoThue>0101<!-- 0309999999 -->234565")
    verified = verify_envelope(xml, trust=p.trust)
    assert (verified.envelope.ma_so_bhxh, verified.envelope.ma_so_thue) == ("TA1234A", "0101234565")
    assert verified.form == dossier


def test_a_second_form_of_the_same_name_is_refused(
    p: Pki, envelope: Envelope, dossier: ChangeDossier, form: bytes
) -> None:
    """Two FileToKhai named 05_SD-IVAN.xml (the second an unsigned, forged form): which one a reader takes would be
    a guess, so the dossier is refused (exactly one, as everywhere in the profile)."""
    forged = build_dossier(dataclasses.replace(dossier, contact=dataclasses.replace(dossier.contact, email="x@evil")))
    two = (FormFile(content=form), FormFile(content=forged))
    xml = _resign(p, build_envelope(dataclasses.replace(envelope, files=two)))
    with pytest.raises(EnvelopeInvalid) as info:
        verify_envelope(xml, trust=p.trust)
    assert info.value.code == "DUPLICATE_FORM" and info.value.part == "envelope"
    with pytest.raises(EnvelopeInvalid):
        stored_form(xml)


def test_values_read_from_the_signed_content(p: Pki, signed: bytes) -> None:
    """The envelope object is built from what the Reference covers: the root without its Signature."""
    content = enveloped_content(verify_document(signed, trust=p.trust).root)
    assert envelope_from_root(content) == verify_envelope(signed, trust=p.trust).envelope
    assert not list(content.iter(f"{{{DSIG_NS}}}*"))


def test_reason_messages_in_both_languages() -> None:
    for code in (
        "FILE_LENGTH", "FILE_COUNT", "NOT_BASE64", "NO_FORM", "DUPLICATE_FORM", "DIFFERENT_SIGNERS",
        "UNIT_MISMATCH", "MST_MISMATCH",
    ):  # fmt: skip
        assert has(f"envelope.{code}")
    for part in ("envelope", "form"):
        assert has(f"envelope.part.{part}")
