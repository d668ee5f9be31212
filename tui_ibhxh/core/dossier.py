"""Form 05/SĐ-IVAN (file ``05_SD-IVAN.xml``, I-VAN protocol v2 §3.1): build, parse, XSD-validate.

It travels signed (``BHXH/CKy_Dvi``), inside the transport envelope of ``core.envelope``.

Values are written verbatim: nothing is stripped or normalised here (whitespace included), so
``parse_dossier(build_dossier(d)) == d`` holds exactly; trimming and checking what the user typed is the
job of ``core.validation`` / the UI before a :class:`ChangeDossier` is made. Characters XML 1.0 cannot
carry (control characters other than tab/LF/CR, U+FFFE/U+FFFF, lone surrogates) are refused by
:func:`build_dossier` with code INVALID_CHAR naming the field. ``Unit.co_quan_bhxh`` is not part of the
XML: it parses back as ``""``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Final

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned deps

from tui_ibhxh.core.i18n import VN_TZ
from tui_ibhxh.core.models import CertInfo, Contact, RegisteredCert, Unit
from tui_ibhxh.core.xmlsafe import DEFAULT_MAX_BYTES, XmlError, XmlRejected, invalid_xml_char, parse_xml

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class DossierInvalid(XmlError):
    """The dossier is not acceptable: code SCHEMA, INVALID_CHAR, or one of the :class:`XmlRejected` codes."""


def _vn_date(value: datetime) -> date:
    return value.astimezone(VN_TZ).date()


def format_ngay(value: date) -> str:
    """dd/mm/yyyy."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


_NGAY_RE: Final = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")


def parse_ngay(text: str) -> date:
    """dd/mm/yyyy -> date (ValueError when it is no such day)."""
    if not _NGAY_RE.fullmatch(text):
        raise ValueError(f"not dd/mm/yyyy: {text!r}")
    return date(int(text[6:]), int(text[3:5]), int(text[:2]))  # strptime costs ten times more (six per dossier)


def _normalise_serial(serial: str) -> str:
    return "".join(ch for ch in serial if ch not in " :-").upper()


@dataclass(frozen=True)
class CertSummary:
    """The TTCKY block: a certificate as the dossier describes it (dates in Vietnam time)."""

    serial: str  # upper-case hex, no separators
    subject: str
    issuer: str
    begin: date
    end: date

    @classmethod
    def from_cert(cls, info: CertInfo) -> CertSummary:
        return cls(
            serial=_normalise_serial(info.serial),
            subject=info.subject,
            issuer=info.issuer,
            begin=_vn_date(info.not_before),
            end=_vn_date(info.not_after),
        )

    @classmethod
    def from_registered(cls, reg: RegisteredCert) -> CertSummary:
        return cls(
            serial=_normalise_serial(reg.serial),
            subject=reg.subject,
            issuer=reg.issuer,
            begin=_vn_date(reg.not_before),
            end=_vn_date(reg.not_after),
        )


#: the procedure of form 05 (TEN_THUTUC in the form, TenThuTuc in the envelope)
TEN_THUTUC_05: Final = "Thay đổi, bổ sung thông tin đăng ký sử dụng dịch vụ I-VAN"


@dataclass(frozen=True)
class ChangeDossier:
    """Everything form 05/SĐ-IVAN carries (before signing)."""

    unit: Unit
    contact: Contact
    ngay_lap: date
    ten_ivan: str
    new_cert: CertSummary
    old_cert: CertSummary
    ma_yeucau: str  # UUID string: also the idempotency key of the submission
    ten_thutuc: str = TEN_THUTUC_05


# --- schema -------------------------------------------------------------------------------------------------

_local = threading.local()
#: compiling is serialised: two threads compiling their first schema at once can race in libxml2's one-time set-up
#: of the built-in types ("xmlSchemaPValAttrNodeValue, the given type is not a built-in type"), seen with the
#: simulator's verify pool at start, and every later compilation then fails too
_compiling = threading.Lock()


def load_schema(name: str) -> etree.XMLSchema:
    """The compiled XSD ``data/{name}``: one per thread (lxml validators are not shared between threads)."""
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(name)
    if schema is None:
        xsd = resources.files("tui_ibhxh").joinpath(f"data/{name}").read_bytes()
        with _compiling:
            schema = etree.XMLSchema(etree.fromstring(xsd, etree.XMLParser(resolve_entities=False, no_network=True)))
        cache[name] = schema
    return schema


def validate_against(root_or_bytes: etree._Element | bytes, xsd: str) -> etree._Element:
    """Parse bytes safely (:func:`parse_xml`) and validate against ``data/{xsd}``; return the root element.
    Raises :class:`DossierInvalid` (an ``XmlRejected`` code, or SCHEMA with line, element and problem)."""
    if isinstance(root_or_bytes, bytes):
        try:
            root = parse_xml(root_or_bytes, max_bytes=DEFAULT_MAX_BYTES)
        except XmlRejected as exc:
            raise DossierInvalid(exc.code, exc.key, **exc.params) from None
    else:
        root = root_or_bytes
    schema = load_schema(xsd)
    if not schema.validate(root):
        first = schema.error_log[0] if len(schema.error_log) else schema.error_log.last_error
        problem = first.message if first is not None else "invalid"
        line = first.line if first is not None else 0
        element = (first.path if first is not None else None) or f"/{etree.QName(root).localname}"
        raise DossierInvalid("SCHEMA", "xml.SCHEMA", line=line, element=element, problem=problem)
    return root


def validate_dossier(root_or_bytes: etree._Element | bytes) -> etree._Element:
    """Validate a form 05 (signed or not) against ``data/dossier.xsd``; return its root element."""
    return validate_against(root_or_bytes, "dossier.xsd")


# --- build --------------------------------------------------------------------------------------------------


def text_element(parent: etree._Element, tag: str, text: str) -> etree._Element:
    """A child ``tag`` holding ``text`` verbatim; a character XML cannot carry is refused naming the field."""
    bad = invalid_xml_char(text)
    if bad is not None:
        raise DossierInvalid("INVALID_CHAR", "xml.INVALID_CHAR", field=tag, codepoint=bad)
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


def _ttcky(parent: etree._Element, tag: str, cert: CertSummary) -> None:
    block = etree.SubElement(parent, tag)
    ttcky = etree.SubElement(block, "TTCKY")
    text_element(ttcky, "SERIAL", cert.serial)
    text_element(ttcky, "SUBJECT", cert.subject)
    text_element(ttcky, "ISSUER", cert.issuer)
    text_element(ttcky, "BEGIN", format_ngay(cert.begin))
    text_element(ttcky, "END", format_ngay(cert.end))


def build_dossier(d: ChangeDossier) -> bytes:
    """The unsigned form 05 (UTF-8, XML declaration, compact; an empty ``CKy_Dvi`` where the unit's signature
    goes), validated against the XSD. Raises :class:`DossierInvalid` (INVALID_CHAR, SCHEMA) when the values
    cannot make a valid form."""
    root = etree.Element("BHXH")
    dki = etree.SubElement(root, "DKI_BHXH")
    tt = etree.SubElement(dki, "TTDVI")
    text_element(tt, "TEN_DVI", d.unit.ten_dvi)
    text_element(tt, "MA_DVI", d.unit.ma_dvi)
    text_element(tt, "MST", d.unit.mst)
    text_element(tt, "DIACHI_LHE", d.contact.diachi_lhe)
    text_element(tt, "EMAIL", d.contact.email)
    text_element(tt, "DIEN_THOAI", d.contact.dien_thoai)
    text_element(tt, "NGUOI_LHE", d.contact.nguoi_lhe)
    text_element(tt, "DIADIEM", d.unit.diadiem)
    text_element(tt, "NGAY_LAP", format_ngay(d.ngay_lap))
    text_element(tt, "TEN_IVAN", d.ten_ivan)
    text_element(tt, "TEN_THUTUC", d.ten_thutuc)
    _ttcky(dki, "TTCKY_DVI", d.new_cert)
    _ttcky(dki, "TTCKY_CU", d.old_cert)
    text_element(dki, "MA_YEUCAU", d.ma_yeucau)
    etree.SubElement(root, "CKy_Dvi")
    return serialise_validated(root, validate_dossier)


def serialise_validated(root: etree._Element, validate: Callable[[bytes], etree._Element]) -> bytes:
    """The compact UTF-8 bytes of ``root`` with the XML declaration, validated as parsed back (so the schema
    errors carry line numbers of exactly the bytes returned)."""
    data: bytes = XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    validate(data)
    return data


# --- parse --------------------------------------------------------------------------------------------------


class Fields:
    """The element children of one container by tag, found in one pass (the first of each tag, as ``find`` would):
    a ``find`` per value cost a tenth of the verification of a dossier. Values are read only from these elements."""

    def __init__(self, parent: etree._Element | None) -> None:
        self.parent = parent
        self.children: dict[str, etree._Element] = {}
        for child in parent if parent is not None else ():
            if isinstance(child.tag, str):
                self.children.setdefault(child.tag, child)

    def text(self, tag: str, default: str | None = None) -> str:
        """The text of ``tag``, all of it (a comment must not truncate a value: <MST>0101<!---->234567</MST>);
        ``default`` when there is no such element, else SCHEMA (cannot happen after validation)."""
        el = self.children.get(tag)
        if el is not None:
            return "".join(el.itertext())
        if default is not None:
            return default
        line = self.parent.sourceline if self.parent is not None else 0
        raise DossierInvalid("SCHEMA", "xml.SCHEMA", line=line or 0, element=tag, problem="missing")

    def date(self, tag: str) -> date:
        """The dd/mm/yyyy date in ``tag``: SCHEMA when no calendar has it (the schemas' patterns let 31/02 through)."""
        text = self.text(tag)
        try:
            return parse_ngay(text)
        except ValueError:
            el = self.children.get(tag)
            line = el.sourceline if el is not None and el.sourceline else 0
            raise DossierInvalid(
                "SCHEMA", "xml.SCHEMA", line=line, element=tag, problem=f"'{text}' is not a calendar date"
            ) from None


def _cert(parent: etree._Element, tag: str) -> CertSummary:
    block = parent.find(f"{tag}/TTCKY")
    if block is None:
        raise DossierInvalid("SCHEMA", "xml.SCHEMA", line=0, element=tag, problem="missing")
    f = Fields(block)
    return CertSummary(
        serial=f.text("SERIAL"),
        subject=f.text("SUBJECT"),
        issuer=f.text("ISSUER"),
        begin=f.date("BEGIN"),
        end=f.date("END"),
    )


def dossier_from_root(root: etree._Element) -> ChangeDossier:
    """A :class:`ChangeDossier` from an already parsed root (e.g. ``VerifiedDocument.content``); validates it."""
    validate_dossier(root)
    dki = root.find("DKI_BHXH")
    assert dki is not None  # guaranteed by the schema
    tt = Fields(dki.find("TTDVI"))
    return ChangeDossier(
        unit=Unit(
            ma_dvi=tt.text("MA_DVI"),
            mst=tt.text("MST"),
            ten_dvi=tt.text("TEN_DVI"),
            diadiem=tt.text("DIADIEM"),
            co_quan_bhxh="",
        ),
        contact=Contact(
            diachi_lhe=tt.text("DIACHI_LHE"),
            dien_thoai=tt.text("DIEN_THOAI"),
            email=tt.text("EMAIL"),
            nguoi_lhe=tt.text("NGUOI_LHE"),
        ),
        ngay_lap=tt.date("NGAY_LAP"),
        ten_ivan=tt.text("TEN_IVAN"),
        new_cert=_cert(dki, "TTCKY_DVI"),
        old_cert=_cert(dki, "TTCKY_CU"),
        ma_yeucau=Fields(dki).text("MA_YEUCAU"),
        ten_thutuc=tt.text("TEN_THUTUC"),
    )


def parse_dossier(xml: bytes) -> ChangeDossier:
    """Parse (safely) and validate a dossier, signed or not. Raises :class:`DossierInvalid`.

    This does not verify the signature: for a signed form, verify first with ``core.xmldsig`` and pass
    ``VerifiedDocument.content`` to :func:`dossier_from_root` (``core.envelope.verify_envelope`` does it all).
    """
    return dossier_from_root(validate_dossier(xml))
