"""Property test: any unit/contact values XML can carry build, sign, verify and round-trip exactly, as a form
and inside the envelope (both signed, then checked by verify_envelope).

Decision (documented in core.dossier): values are written verbatim, never stripped — leading/trailing spaces,
tabs, CR/LF, XML special characters all survive; characters XML 1.0 cannot carry are refused by
build_dossier with INVALID_CHAR (never invalid XML).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import pki
from tests.xml.conftest import Pki, make_dossier, make_envelope, signed_envelope
from tui_ibhxh.core.dossier import ChangeDossier, DossierInvalid, build_dossier, dossier_from_root
from tui_ibhxh.core.envelope import verify_envelope
from tui_ibhxh.core.models import Contact, Unit
from tui_ibhxh.core.xmldsig import sign_document, verify_document
from tui_ibhxh.core.xmlsafe import invalid_xml_char

VIETNAMESE = "aăâbdđeêioôơuưyAĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
SPECIAL = "&<>\"' \t\r\n;#]]>-->"

xml_char = st.one_of(
    st.sampled_from(VIETNAMESE),
    st.sampled_from(SPECIAL),
    st.characters(min_codepoint=0x20, max_codepoint=0xFFFD, exclude_categories=["Cs"]),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=["Cs", "Cn"]),
)
text = st.text(xml_char, max_size=40)
required_text = st.text(xml_char, min_size=1, max_size=40)
ma_dvi = st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)
mst = st.from_regex(r"[0-9]{10}(-[0-9]{3})?", fullmatch=True)


@pytest.fixture(scope="module")
def base(p: Pki) -> ChangeDossier:
    return make_dossier(p)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    unit=st.builds(Unit, ma_dvi=ma_dvi, mst=mst, ten_dvi=required_text, diadiem=text),
    contact=st.builds(Contact, diachi_lhe=text, dien_thoai=text, email=text, nguoi_lhe=text),
    ten_ivan=required_text,
)
def test_build_sign_verify_round_trip(p: Pki, base: ChangeDossier, unit: Unit, contact: Contact, ten_ivan: str) -> None:
    d = dataclasses.replace(base, unit=unit, contact=contact, ten_ivan=ten_ivan)
    unsigned = build_dossier(d)
    signed = sign_document(unsigned, pki.SoftwareSigner(p.leaf))
    assert signed.startswith(unsigned[: unsigned.rindex(b"<CKy_Dvi/>")])  # content bytes untouched
    verified = verify_document(signed, trust=p.trust)
    assert dossier_from_root(verified.root) == d


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    unit=st.builds(Unit, ma_dvi=ma_dvi, mst=mst, ten_dvi=required_text, diadiem=text),
    nguoi_ky=text,
    dien_thoai=text,
    co_quan=text,
    ma_ivan=st.from_regex(r"[A-Za-z0-9_./\-]{1,40}", fullmatch=True),
    ngay_lap=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
)
def test_envelope_build_sign_verify_round_trip(
    p: Pki,
    base: ChangeDossier,
    unit: Unit,
    nguoi_ky: str,
    dien_thoai: str,
    co_quan: str,
    ma_ivan: str,
    ngay_lap: dt.date,
) -> None:
    d = dataclasses.replace(base, unit=unit, ngay_lap=ngay_lap)
    overrides = {"nguoi_ky": nguoi_ky, "dien_thoai": dien_thoai, "co_quan_quan_ly": co_quan, "ma_ivan": ma_ivan}
    signed = signed_envelope(d, p.leaf, None, **overrides)
    verified = verify_envelope(signed, trust=p.trust)
    assert verified.form == d
    assert verified.envelope == make_envelope(d, verified.form_xml, **overrides)
    assert verified.envelope.ky_ke_khai == f"{ngay_lap.month:02d}/{ngay_lap.year}"


bad_char = st.sampled_from([chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=text,
    bad=bad_char,
    suffix=text,
    field=st.sampled_from(["ten_dvi", "diadiem", "email", "nguoi_lhe"]),
)
def test_characters_xml_cannot_carry_are_refused(
    base: ChangeDossier, prefix: str, bad: str, suffix: str, field: str
) -> None:
    value = prefix + bad + suffix
    assert invalid_xml_char(value) is not None
    if field in ("ten_dvi", "diadiem"):
        d = dataclasses.replace(base, unit=dataclasses.replace(base.unit, **{field: value}))
    else:
        d = dataclasses.replace(base, contact=dataclasses.replace(base.contact, **{field: value}))
    with pytest.raises(DossierInvalid) as info:
        build_dossier(d)
    assert info.value.code == "INVALID_CHAR"
    assert info.value.params["field"] == field.upper()
