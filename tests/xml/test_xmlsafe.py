"""parse_xml refuses hostile or non-UTF-8 input, quickly, before libxml2 builds anything."""

from __future__ import annotations

import time

import pytest

from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.xmlsafe import XmlRejected, invalid_xml_char, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<BHXH>&lol9;</BHXH>"""

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE BHXH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<BHXH><TEN_DVI>&xxe;</TEN_DVI></BHXH>"""

XXE_NETWORK = b"""<!DOCTYPE BHXH SYSTEM "http://127.0.0.1:9/evil.dtd"><BHXH/>"""
PARAMETER_ENTITY = b"""<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x"> %p;]><r/>"""
LOWERCASE_DOCTYPE = b"""<!doctype html><r/>"""


def _rejected(data: bytes, **kw: int) -> XmlRejected:
    start = time.perf_counter()
    with pytest.raises(XmlRejected) as info:
        parse_xml(data, **kw)
    assert time.perf_counter() - start < 0.2, "hostile input must be rejected quickly"
    return info.value


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, XXE_NETWORK, PARAMETER_ENTITY, LOWERCASE_DOCTYPE])
def test_any_dtd_is_refused(data: bytes) -> None:
    exc = _rejected(data)
    assert exc.code == "DOCTYPE"
    assert exc.key == "xml.DOCTYPE"
    assert "DOCTYPE" in exc.message("vi") and "DOCTYPE" in exc.message("en")


def test_entity_reference_without_dtd_is_malformed() -> None:
    assert _rejected(b"<BHXH>&xxe;</BHXH>").code == "MALFORMED"


def test_oversize_rejected_before_parsing() -> None:
    big = b"<BHXH>" + b"<A>x</A>" * 700_000 + b"</BHXH>"  # ~5.6 MB
    exc = _rejected(big)
    assert exc.code == "TOO_LARGE"
    assert exc.params["max"] == 1_048_576
    assert _rejected(b"<BHXH>" + b"x" * 100 + b"</BHXH>", max_bytes=50).code == "TOO_LARGE"


@pytest.mark.parametrize(
    "data",
    [
        "<BHXH>Hà Nội</BHXH>".encode("latin-1", errors="replace").replace(b"?", b"\xe0"),  # Latin-1 bytes
        '<?xml version="1.0" encoding="UTF-16"?><BHXH>x</BHXH>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="ISO-8859-1"?><BHXH>x</BHXH>',  # ASCII body, foreign declaration
        b"<?xml version='1.0' encoding='windows-1258'?><BHXH>x</BHXH>",
        b"<BHXH>\xff\xfe</BHXH>",
    ],
)
def test_non_utf8_refused(data: bytes) -> None:
    assert _rejected(data).code == "NOT_UTF8"


def test_utf8_declarations_and_bom_accepted() -> None:
    for decl in (b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='utf-8'?>", b""):
        root = parse_xml(b"\xef\xbb\xbf" + decl + "<BHXH>Hà Nội</BHXH>".encode())
        assert root.text == "Hà Nội"


def test_malformed_reports_line_and_column() -> None:
    exc = _rejected(b"<BHXH>\n  <A>x</B>\n</BHXH>")
    assert exc.code == "MALFORMED"
    assert exc.params["line"] == 2
    assert int(str(exc.params["column"])) > 0
    assert "2" in t(exc.key, "vi", **exc.params)


@pytest.mark.parametrize("data", [b"", b"   \n", b"<BHXH>", b"not xml", b"<a/><b/>"])
def test_empty_or_broken(data: bytes) -> None:
    assert _rejected(data).code in ("EMPTY", "MALFORMED")


def test_deep_nesting_is_bounded() -> None:
    data = b"<a>" * 100_000 + b"</a>" * 100_000
    assert _rejected(data).code == "MALFORMED"  # libxml2's depth limit without huge_tree


def test_keeps_whitespace_comments_and_cdata() -> None:
    root = parse_xml(b"<r> <a>x<![CDATA[<y>]]></a><!-- c --></r>")
    assert root.text == " "
    assert root[0].text == "x<y>"
    assert len(root) == 2


def test_invalid_xml_char() -> None:
    assert invalid_xml_char("Hà Nội\t\r\n&<>") is None
    assert invalid_xml_char("a\x00") == "0000"
    assert invalid_xml_char("a\x1fb") == "001F"
    assert invalid_xml_char("\ufffe") == "FFFE"
    assert invalid_xml_char("\ud800") == "D800"
