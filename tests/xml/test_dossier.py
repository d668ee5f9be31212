"""Building, parsing and XSD-validating the change dossier (protocol §3)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from lxml import etree

from tests.support import pki
from tests.xml.conftest import Pki
from tui_ibhxh.core.dossier import (
    TEN_THUTUC_05,
    CertSummary,
    ChangeDossier,
    DossierInvalid,
    build_dossier,
    dossier_from_root,
    parse_dossier,
    validate_dossier,
)
from tui_ibhxh.core.i18n import has, t
from tui_ibhxh.core.models import RegisteredCert, Unit
from tui_ibhxh.core.xmlsafe import parse_xml

TTDVI_ORDER = [
    "TEN_DVI", "MA_DVI", "MST", "DIACHI_LHE", "EMAIL", "DIEN_THOAI", "NGUOI_LHE", "DIADIEM", "NGAY_LAP",
    "TEN_IVAN", "TEN_THUTUC",
]  # fmt: skip


def test_layout_matches_protocol(dossier: ChangeDossier) -> None:
    """§3.1: BHXH/DKI_BHXH (TTDVI, TTCKY_DVI, TTCKY_CU, MA_YEUCAU), then the empty CKy_Dvi for the signature."""
    xml = build_dossier(dossier)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<BHXH><DKI_BHXH><TTDVI><TEN_DVI>')
    assert xml.endswith(b"</MA_YEUCAU></DKI_BHXH><CKy_Dvi/></BHXH>")
    assert b"LOAI_DKY" not in xml  # v1's, gone: the form code says what the dossier is
    root = parse_xml(xml)
    assert [c.tag for c in root] == ["DKI_BHXH", "CKy_Dvi"]
    dki = root[0]
    assert [c.tag for c in dki] == ["TTDVI", "TTCKY_DVI", "TTCKY_CU", "MA_YEUCAU"]
    assert [c.tag for c in dki.find("TTDVI")] == TTDVI_ORDER
    assert dki.findtext("TTDVI/TEN_THUTUC") == TEN_THUTUC_05 == dossier.ten_thutuc
    assert TEN_THUTUC_05 == "Thay đổi, bổ sung thông tin đăng ký sử dụng dịch vụ I-VAN"
    assert dki.findtext("TTDVI/TEN_IVAN") == dossier.ten_ivan
    for block in ("TTCKY_DVI", "TTCKY_CU"):
        assert [c.tag for c in dki.find(f"{block}/TTCKY")] == ["SERIAL", "SUBJECT", "ISSUER", "BEGIN", "END"]
    assert dki.findtext("TTDVI/NGAY_LAP") == "24/11/2026"
    assert dki.findtext("TTDVI/TEN_DVI") == "Công ty TNHH Xây dựng Hà Nội"
    assert dki.findtext("MA_YEUCAU") == dossier.ma_yeucau
    assert b"\n  " not in xml  # compact, never pretty-printed


def test_round_trip(dossier: ChangeDossier) -> None:
    assert parse_dossier(build_dossier(dossier)) == dossier


def test_round_trip_keeps_special_characters_and_whitespace(dossier: ChangeDossier) -> None:
    d = dataclasses.replace(
        dossier,
        unit=Unit("TA1234A", "0101234565-001", "  A & B <C> \"D\" 'E'  ", diadiem=""),
        contact=dataclasses.replace(dossier.contact, diachi_lhe="Dòng 1\r\nDòng 2\tTab ", nguoi_lhe=""),
    )
    xml = build_dossier(d)
    assert b"&amp; B &lt;C&gt;" in xml
    assert parse_dossier(xml) == d


def test_cert_summary_from_cert_uses_vietnam_dates(p: Pki) -> None:
    # 20:00 UTC is already the next day in Hà Nội (UTC+7)
    leaf = pki.issue(
        p.ca,
        not_before=dt.datetime(2026, 1, 1, 20, 0, tzinfo=dt.UTC),
        not_after=dt.datetime(2027, 1, 1, 16, 59, tzinfo=dt.UTC),
        serial=0x0ABCDEF,
    )
    s = CertSummary.from_cert(leaf.info)
    assert (s.begin, s.end) == (dt.date(2026, 1, 2), dt.date(2027, 1, 1))
    assert s.serial == "ABCDEF"
    assert s.subject == leaf.info.subject and s.issuer == leaf.info.issuer


def test_cert_summary_from_registered(p: Pki) -> None:
    info = p.leaf.info
    reg = RegisteredCert(
        serial=":".join(info.serial[i : i + 2] for i in range(0, len(info.serial), 2)).lower(),
        subject=info.subject,
        issuer=info.issuer,
        not_before=info.not_before,
        not_after=info.not_after,
        sha256=info.sha256,
    )
    assert CertSummary.from_registered(reg) == CertSummary.from_cert(info)


@pytest.mark.parametrize(
    ("field", "value"),
    [("ten_dvi", "Công ty\x00"), ("ma_dvi", "TA\x1b1"), ("diadiem", "Hà Nội\x0c"), ("ten_dvi", "x\ufffe")],
)
def test_build_refuses_characters_xml_cannot_carry(dossier: ChangeDossier, field: str, value: str) -> None:
    d = dataclasses.replace(dossier, unit=dataclasses.replace(dossier.unit, **{field: value}))
    with pytest.raises(DossierInvalid) as info:
        build_dossier(d)
    assert info.value.code == "INVALID_CHAR"
    assert field.upper() in info.value.message("vi") and field.upper() in info.value.message("en")


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"unit": Unit("ta-1", "0101234565", "X")}, "MA_DVI"),
        ({"unit": Unit("TA1", "01012345", "X")}, "MST"),
        ({"unit": Unit("TA1", "0101234565", "")}, "TEN_DVI"),
        ({"ten_ivan": ""}, "TEN_IVAN"),
        ({"ma_yeucau": "not-a-uuid"}, "MA_YEUCAU"),
        ({"ten_thutuc": ""}, "TEN_THUTUC"),
    ],
)
def test_build_validates_against_the_schema(dossier: ChangeDossier, change: dict[str, object], element: str) -> None:
    with pytest.raises(DossierInvalid) as info:
        build_dossier(dataclasses.replace(dossier, **change))  # type: ignore[arg-type]
    exc = info.value
    assert exc.code == "SCHEMA"
    assert element in str(exc.params["element"])
    assert element in exc.message("en") and element in exc.message("vi")


def _mutate(xml: bytes, old: bytes, new: bytes) -> bytes:
    assert old in xml
    return xml.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<NGAY_LAP>24/11/2026</NGAY_LAP>", b"<NGAY_LAP>2026-11-24</NGAY_LAP>"),
        ("<TEN_THUTUC>Thay đổi, bổ sung thông tin đăng ký sử dụng dịch vụ I-VAN</TEN_THUTUC>".encode(), b""),
        (b"<DKI_BHXH>", b"<DKI_BHXH><LOAI_DKY>2</LOAI_DKY>"),  # v1's element is no longer part of the form
        (b"<MA_DVI>TA1234A</MA_DVI><MST>0101234565</MST>", b"<MST>0101234565</MST><MA_DVI>TA1234A</MA_DVI>"),
        (b"</DKI_BHXH>", b"</DKI_BHXH><EXTRA/>"),
        (b"<CKy_Dvi/>", b"<CKy_Dvi/><EXTRA/>"),  # nothing after the signature's container
        (b"<CKy_Dvi/>", b"<CKy_Dvi/><CKy_Dvi/>"),
        (b"<CKy_Dvi/>", b"<CKy_Dvi><MA_DVI>EVIL</MA_DVI></CKy_Dvi>"),  # only an XMLDSig element inside it
        (b"<CKy_Dvi/>", b"<CKy_Dvi>EVIL</CKy_Dvi>"),
        (b"<DKI_BHXH>", b"<CKy_Dvi/><DKI_BHXH>"),
        (b"</DKI_BHXH>", b"</DKI_BHXH><ds:Object xmlns:ds='http://www.w3.org/2000/09/xmldsig#'/><Z/>"),
        (b"<MA_DVI>", b"<MA_DVI><B>x</B>"),
    ],
)
def test_parse_rejects_schema_violations(dossier: ChangeDossier, old: bytes, new: bytes) -> None:
    with pytest.raises(DossierInvalid) as info:
        parse_dossier(_mutate(build_dossier(dossier), old, new))
    assert info.value.code == "SCHEMA"
    assert info.value.params["line"] == 2


def test_impossible_date_is_a_schema_error(dossier: ChangeDossier) -> None:
    xml = _mutate(build_dossier(dossier), b"<NGAY_LAP>24/11/2026", b"<NGAY_LAP>31/02/2026")
    with pytest.raises(DossierInvalid) as info:
        parse_dossier(xml)
    assert info.value.code == "SCHEMA" and info.value.params["element"] == "NGAY_LAP"


def test_schema_accepts_a_signature_in_cky_dvi_only(dossier: ChangeDossier) -> None:
    """The schema leaves the signature's structure to core.xmldsig but only lets it sit in BHXH/CKy_Dvi."""
    sig = b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>'
    unsigned = build_dossier(dossier)
    assert parse_dossier(_mutate(unsigned, b"<CKy_Dvi/>", b"<CKy_Dvi>" + sig + b"</CKy_Dvi>")) == dossier
    assert parse_dossier(_mutate(unsigned, b"<CKy_Dvi/>", b"")) == dossier  # not yet signed, no container
    for old, new in (
        (b"<CKy_Dvi/>", sig),  # v1's place: the root's last child
        (b"<CKy_Dvi/>", b"<CKy_Dvi/>" + sig),
        (b"<DKI_BHXH>", sig + b"<DKI_BHXH>"),
        (b"</MA_YEUCAU>", b"</MA_YEUCAU><CKy_Dvi>" + sig + b"</CKy_Dvi>"),  # inside DKI_BHXH
    ):
        with pytest.raises(DossierInvalid) as info:
            parse_dossier(_mutate(unsigned, old, new))
        assert info.value.code == "SCHEMA"


def test_xml_rejections_become_dossier_invalid() -> None:
    with pytest.raises(DossierInvalid) as info:
        parse_dossier(b'<!DOCTYPE x [<!ENTITY a "b">]><BHXH/>')
    assert info.value.code == "DOCTYPE"
    with pytest.raises(DossierInvalid) as info:
        validate_dossier(b"<BHXH><DKI_BHXH>")
    assert info.value.code == "MALFORMED"


def test_co_quan_bhxh_is_not_in_the_xml(dossier: ChangeDossier) -> None:
    d = dataclasses.replace(dossier, unit=dataclasses.replace(dossier.unit, co_quan_bhxh="BHXH cơ sở Cầu Giấy"))
    xml = build_dossier(d)
    assert "Cầu Giấy".encode() not in xml.split(b"<DIADIEM>")[1].split(b"</TTDVI>")[0]
    assert parse_dossier(xml).unit.co_quan_bhxh == ""
    assert dossier_from_root(parse_xml(xml)) == dossier


def test_messages_exist_in_both_languages() -> None:
    for key in (
        "xml.SCHEMA",
        "xml.INVALID_CHAR",
        "xml.DOCTYPE",
        "xml.MALFORMED",
        "xml.NOT_UTF8",
        "xml.TOO_LARGE",
    ):
        assert has(key)
    assert t("xml.TOO_LARGE", "vi", size=2, max=1) != t("xml.TOO_LARGE", "en", size=2, max=1)


def test_validate_accepts_element(dossier: ChangeDossier) -> None:
    root = etree.fromstring(build_dossier(dossier))
    assert validate_dossier(root) is root


def test_comments_do_not_truncate_values(dossier: ChangeDossier) -> None:
    xml = _mutate(build_dossier(dossier), b"<MST>0101234565", b"<MST>0101<!-- x -->234565")
    assert parse_dossier(xml) == dossier
