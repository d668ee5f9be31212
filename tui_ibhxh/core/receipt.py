"""BHXH's confirmation of a transaction (form 01/TB-GD, I-VAN protocol v1 §6): ``BHXH/XACNHAN_GDICH``.

Build (unsigned; the simulator signs it with ``core.xmldsig.sign_document``), parse, verify against the
configured BHXH certificate, and render to HTML through ``data/receipt.xsl``.

XML formats: ``NGAY_THONGBAO`` is dd/mm/yyyy; ``NGAY_GDICH`` and the signer's ``TIME`` are ISO-8601 with
offset, written in Vietnam time (UTC+7). ``MA_LOI``/``MOTA_LOI`` are left out when None. Values are
written verbatim.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Final

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned deps

from tui_ibhxh.core.dossier import format_ngay, parse_ngay
from tui_ibhxh.core.i18n import VN_TZ
from tui_ibhxh.core.xmldsig import DSIG_NS, SignatureInvalid, Signer, sign_document, verify_document
from tui_ibhxh.core.xmlsafe import (
    DEFAULT_MAX_BYTES,
    XmlError,
    XmlRejected,
    invalid_xml_char,
    parse_xml,
    safe_parser,
)

KQUA_ACCEPTED: Final = "1"
KQUA_REJECTED: Final = "2"
_XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class ReceiptInvalid(XmlError):
    """The confirmation is not usable: code STRUCTURE, INVALID_CHAR or an :class:`XmlRejected` code."""


@dataclass(frozen=True)
class ReceiptSigner:
    """The TTCKY_BHXH/TTCKY block: who signed the confirmation for BHXH, and when."""

    subject: str
    serial: str
    time: datetime  # timezone-aware


@dataclass(frozen=True)
class Receipt:
    """Thông báo xác nhận giao dịch điện tử (01/TB-GD)."""

    ten_dvi: str
    ten_coquan: str
    ma_dvi: str
    mst: str
    diadiem: str
    ngay_thongbao: date
    so_hso: str
    ten_gdich: str
    maloai_hso: str
    ngay_gdich: datetime  # timezone-aware
    ma_gdich: str
    ma_kqua: str  # KQUA_ACCEPTED "1" / KQUA_REJECTED "2"
    kqua: str  # "Chấp nhận (Thành công)" / "Từ chối"
    ma_loi: str | None = None
    mota_loi: str | None = None
    signer: ReceiptSigner | None = None

    @property
    def accepted(self) -> bool:
        return self.ma_kqua == KQUA_ACCEPTED


@dataclass(frozen=True)
class ReceiptCheck:
    """Outcome of :func:`verify_receipt`; ``receipt`` is only set when the signature verified."""

    receipt: Receipt | None
    valid: bool
    reason_code: str | None = None
    reason_key: str | None = None
    reason_params: tuple[tuple[str, object], ...] = ()


# --- build --------------------------------------------------------------------------------------------------


def _iso(value: datetime, field: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ReceiptInvalid("STRUCTURE", "receipt.STRUCTURE", detail=f"{field} has no time zone")
    return value.astimezone(VN_TZ).isoformat()


def _sub(parent: etree._Element, tag: str, text: str) -> None:
    bad = invalid_xml_char(text)
    if bad is not None:
        raise ReceiptInvalid("INVALID_CHAR", "receipt.INVALID_CHAR", field=tag, codepoint=bad)
    etree.SubElement(parent, tag).text = text


def build_receipt(r: Receipt) -> bytes:
    """The unsigned confirmation XML (UTF-8, XML declaration, compact)."""
    root = etree.Element("BHXH")
    xn = etree.SubElement(root, "XACNHAN_GDICH")
    tt = etree.SubElement(xn, "TTDVI")
    _sub(tt, "TEN_DVI", r.ten_dvi)
    _sub(tt, "TEN_COQUAN", r.ten_coquan)
    _sub(tt, "MA_DVI", r.ma_dvi)
    _sub(tt, "MST", r.mst)
    _sub(tt, "DIADIEM", r.diadiem)
    _sub(tt, "NGAY_THONGBAO", format_ngay(r.ngay_thongbao))
    gd = etree.SubElement(xn, "TTGDICH")
    _sub(gd, "SO_HSO", r.so_hso)
    _sub(gd, "TEN_GDICH", r.ten_gdich)
    _sub(gd, "MALOAI_HSO", r.maloai_hso)
    _sub(gd, "NGAY_GDICH", _iso(r.ngay_gdich, "NGAY_GDICH"))
    _sub(gd, "MA_GDICH", r.ma_gdich)
    _sub(gd, "MA_KQUA", r.ma_kqua)
    _sub(gd, "KQUA", r.kqua)
    if r.ma_loi is not None:
        _sub(gd, "MA_LOI", r.ma_loi)
    if r.mota_loi is not None:
        _sub(gd, "MOTA_LOI", r.mota_loi)
    if r.signer is not None:
        ttcky = etree.SubElement(etree.SubElement(xn, "TTCKY_BHXH"), "TTCKY")
        _sub(ttcky, "SUBJECT", r.signer.subject)
        _sub(ttcky, "SERIAL", r.signer.serial)
        _sub(ttcky, "TIME", _iso(r.signer.time, "TIME"))
    data: bytes = _XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return data


# --- parse --------------------------------------------------------------------------------------------------


def _bad(detail: str) -> ReceiptInvalid:
    return ReceiptInvalid("STRUCTURE", "receipt.STRUCTURE", detail=detail)


def _one(parent: etree._Element, tag: str, *, required: bool = True) -> etree._Element | None:
    found = parent.findall(tag)
    if len(found) > 1:
        raise _bad(f"{tag} appears {len(found)} times")
    if not found:
        if required:
            raise _bad(f"{etree.QName(parent).localname}/{tag} is missing")
        return None
    return found[0]


def _leaf(parent: etree._Element, tag: str, *, required: bool = True) -> str | None:
    el = _one(parent, tag, required=required)
    if el is None:
        return None
    if any(isinstance(c.tag, str) for c in el):
        raise _bad(f"{tag} must hold text only")
    return "".join(el.itertext())


def _req(parent: etree._Element, tag: str) -> str:
    value = _leaf(parent, tag)
    assert value is not None
    return value


def _parse_iso(text: str, tag: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _bad(f"{tag} '{text}' is not an ISO-8601 time") from None
    if value.tzinfo is None:
        raise _bad(f"{tag} '{text}' has no time zone offset")
    return value


def receipt_from_root(root: etree._Element) -> Receipt:
    """A :class:`Receipt` from a parsed root (e.g. ``VerifiedDocument.content``)."""
    if root.tag != "BHXH":
        raise _bad(f"root element is {root.tag}, not BHXH")
    children = [c for c in root if isinstance(c.tag, str)]
    names = [c.tag for c in children]
    if names not in (["XACNHAN_GDICH"], ["XACNHAN_GDICH", f"{{{DSIG_NS}}}Signature"]):
        raise _bad("BHXH must hold XACNHAN_GDICH (and its signature) only")
    xn = children[0]
    tt = _one(xn, "TTDVI")
    gd = _one(xn, "TTGDICH")
    assert tt is not None and gd is not None
    ngay_tb = _req(tt, "NGAY_THONGBAO")
    try:
        ngay_thongbao = parse_ngay(ngay_tb)
    except ValueError:
        raise _bad(f"NGAY_THONGBAO '{ngay_tb}' is not dd/mm/yyyy") from None
    signer = None
    block = _one(xn, "TTCKY_BHXH", required=False)
    if block is not None:
        ttcky = _one(block, "TTCKY")
        assert ttcky is not None
        signer = ReceiptSigner(
            subject=_req(ttcky, "SUBJECT"),
            serial=_req(ttcky, "SERIAL"),
            time=_parse_iso(_req(ttcky, "TIME"), "TIME"),
        )
    return Receipt(
        ten_dvi=_req(tt, "TEN_DVI"),
        ten_coquan=_req(tt, "TEN_COQUAN"),
        ma_dvi=_req(tt, "MA_DVI"),
        mst=_req(tt, "MST"),
        diadiem=_req(tt, "DIADIEM"),
        ngay_thongbao=ngay_thongbao,
        so_hso=_req(gd, "SO_HSO"),
        ten_gdich=_req(gd, "TEN_GDICH"),
        maloai_hso=_req(gd, "MALOAI_HSO"),
        ngay_gdich=_parse_iso(_req(gd, "NGAY_GDICH"), "NGAY_GDICH"),
        ma_gdich=_req(gd, "MA_GDICH"),
        ma_kqua=_req(gd, "MA_KQUA").strip(),
        kqua=_req(gd, "KQUA"),
        ma_loi=_leaf(gd, "MA_LOI", required=False),
        mota_loi=_leaf(gd, "MOTA_LOI", required=False),
        signer=signer,
    )


def parse_receipt(xml: bytes) -> Receipt:
    """Parse (safely) a confirmation, signed or not, WITHOUT checking its signature .

    Raises :class:`ReceiptInvalid`.
    """
    try:
        root = parse_xml(xml, max_bytes=DEFAULT_MAX_BYTES)
    except XmlRejected as exc:
        raise ReceiptInvalid(exc.code, exc.key, **exc.params) from None
    return receipt_from_root(root)


#: BHXH's signature ends the confirmation's root (the unit's CKy_Dvi is for what the unit signs)
SIGNATURE_CONTAINER: Final = None


def sign_receipt(r: Receipt, signer: Signer) -> bytes:
    """The confirmation, signed by BHXH's key (the simulator's, or a test's)."""
    return sign_document(build_receipt(r), signer, container=SIGNATURE_CONTAINER)


def verify_receipt(xml: bytes, bhxh_cert_der: bytes) -> ReceiptCheck:
    """Verify BHXH's signature (pinned to ``bhxh_cert_der``) and read the receipt from the verified tree.

    Never raises for bad input: ``valid=False`` with ``reason_code``/``reason_key`` (an ``xml.*``, ``sig.*``
    or ``receipt.*`` message key, rendered with ``t(reason_key, lang, **dict(reason_params))``).
    """
    try:
        verified = verify_document(xml, pinned_cert_der=bhxh_cert_der, container=SIGNATURE_CONTAINER)
        receipt = receipt_from_root(verified.content)
    except (SignatureInvalid, ReceiptInvalid, XmlError) as exc:
        return ReceiptCheck(
            receipt=None,
            valid=False,
            reason_code=exc.code,
            reason_key=exc.key,
            reason_params=tuple(exc.params.items()),
        )
    return ReceiptCheck(receipt=receipt, valid=True)


# --- HTML ---------------------------------------------------------------------------------------------------

_local = threading.local()


def _stylesheet() -> etree.XSLT:
    xslt: etree.XSLT | None = getattr(_local, "xslt", None)
    if xslt is None:
        data = resources.files("tui_ibhxh").joinpath("data/receipt.xsl").read_bytes()
        xslt = etree.XSLT(etree.fromstring(data, safe_parser()), access_control=etree.XSLTAccessControl.DENY_ALL)
        _local.xslt = xslt
    return xslt


def render_html(xml: bytes, *, signature_status: str | None = None) -> str:
    """The confirmation laid out like form 01/TB-GD, as a standalone HTML page (Vietnamese).

    ``signature_status`` is shown under the signer block (e.g. ``services.report.receipt_check_text``). Every value
    is escaped by the XSLT serialiser; the stylesheet may not read files or the network. Raises :class:`ReceiptInvalid`
    when the XML is not a confirmation.
    """
    try:
        root = parse_xml(xml, max_bytes=DEFAULT_MAX_BYTES)
    except XmlRejected as exc:
        raise ReceiptInvalid(exc.code, exc.key, **exc.params) from None
    receipt_from_root(root)  # refuse anything that is not a confirmation
    params = {}
    if signature_status is not None:
        params["signature_status"] = etree.XSLT.strparam(signature_status)
    result = _stylesheet()(root.getroottree(), **params)
    return str(result)
