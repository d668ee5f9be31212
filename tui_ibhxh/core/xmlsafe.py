"""Hardened XML parsing for everything that comes from outside (dossiers, receipts, I-VAN answers).

Rules: UTF-8 only, size-limited, no DOCTYPE at all (so no DTDs, no entities, no XXE, no billion laughs),
no network. A DOCTYPE is refused by a byte scan *before* libxml2 sees the document, so hostile input costs
one linear scan.

Errors are :class:`XmlRejected` with a stable ``code`` and an i18n ``key``; every error of the XML modules
(dossier, signature, receipt) derives from :class:`XmlError` so callers can render them the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from tui_ibhxh.core.i18n import Lang, t

if TYPE_CHECKING:  # lxml is imported with the first document parsed; XmlError is needed before that (the CLI's)
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned deps

DEFAULT_MAX_BYTES: Final = 1_048_576


class XmlError(Exception):
    """Base of every XML error: a stable ``code``, an i18n message ``key`` and its ``params``."""

    def __init__(self, code: str, key: str, /, **params: object) -> None:
        self.code = code
        self.key = key
        self.params: dict[str, object] = params
        super().__init__(f"{code}: {t(key, 'en', **params)}")

    def message(self, lang: Lang = "vi") -> str:
        """The user-facing sentence in ``lang``."""
        return t(self.key, lang, **self.params)


class XmlRejected(XmlError):
    """The bytes are not acceptable XML (codes TOO_LARGE, NOT_UTF8, DOCTYPE, MALFORMED, EMPTY)."""


# <!DOCTYPE and <!ENTITY are case-sensitive in XML; refusing any case is stricter and costs nothing.
_DTD_RE: Final = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_DECL_RE: Final = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\?>")
_ENC_RE: Final = re.compile(rb"""encoding\s*=\s*(["'])([A-Za-z0-9._\-]*)\1""")


def safe_parser() -> etree.XMLParser:
    """A new hardened parser (lxml parsers must not be shared between threads)."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


_INVALID_CHAR_RE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def invalid_xml_char(text: str) -> str | None:
    """The first character of ``text`` XML 1.0 cannot carry, as ``"0001"`` (hex code point), else None.

    Refused: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE and U+FFFF.
    """
    found = _INVALID_CHAR_RE.search(text)  # one regular expression: a loop in Python cost 0.1 ms per receipt
    return None if found is None else f"{ord(found.group()):04X}"


def check_bytes(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """The pre-parse checks of :func:`parse_xml` (size, UTF-8, declared encoding, DTD)."""
    if len(data) > max_bytes:
        raise XmlRejected("TOO_LARGE", "xml.TOO_LARGE", size=len(data), max=max_bytes)
    if not data.strip():
        raise XmlRejected("EMPTY", "xml.EMPTY")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlRejected("NOT_UTF8", "xml.NOT_UTF8", detail=f"invalid byte at offset {exc.start}") from None
    decl = _DECL_RE.match(data)
    if decl is not None:
        enc = _ENC_RE.search(decl.group(0))
        if enc is not None and enc.group(2).upper().replace(b"_", b"-") not in (b"UTF-8", b"UTF8"):
            raise XmlRejected("NOT_UTF8", "xml.NOT_UTF8", detail=f"declared encoding {enc.group(2).decode('ascii')}")
    if _DTD_RE.search(data) is not None:
        raise XmlRejected("DOCTYPE", "xml.DOCTYPE")


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted XML bytes safely and return the root element.

    Raises :class:`XmlRejected` with code TOO_LARGE, EMPTY, NOT_UTF8, DOCTYPE or MALFORMED (with line/column).
    Whitespace, comments and processing instructions are kept (the document may be signed).
    """
    from lxml import etree

    check_bytes(data, max_bytes=max_bytes)
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        problem = (exc.msg or str(exc)).strip()
        raise XmlRejected("MALFORMED", "xml.MALFORMED", line=line, column=column, problem=problem) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # belt and braces
        raise XmlRejected("DOCTYPE", "xml.DOCTYPE")
    return root
