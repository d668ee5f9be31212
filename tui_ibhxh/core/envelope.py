"""The BHXH transport envelope ``Hoso`` (I-VAN protocol v2 §3.2): build, parse, and verify completely.

I-VANs exchange forms as signed XML files, base64-encoded in ``Hoso/NoiDung/ThongTinHoSo/ToKhais/FileToKhai/
NoiDungFile``; the unit signs the envelope again into ``Hoso/CKy_Dvi``. Both signatures are the unit's (the
same certificate). :func:`verify_envelope` is the one check of a dossier for the client's self-verification,
``ibhxh verify`` and the simulator: the envelope's signature, its schema, each form's length, the form's
signature and schema, the same signer, and the unit identity in both; values are read only from the verified
elements (the envelope's content, then the form's content), never by a search of the document.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned deps

from tui_ibhxh.core.dossier import (
    TEN_THUTUC_05,
    ChangeDossier,
    DossierInvalid,
    Fields,
    build_dossier,
    dossier_from_root,
    format_ngay,
    serialise_validated,
    text_element,
    validate_against,
)
from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.receipt import SIGNATURE_CONTAINER as RECEIPT_CONTAINER
from tui_ibhxh.core.validation import normalise_mst
from tui_ibhxh.core.xmldsig import CONTAINER, Signer, TrustStore, enveloped_content, sign_document, verify_document
from tui_ibhxh.core.xmlsafe import DEFAULT_MAX_BYTES, XmlError, parse_xml

MA_THUTUC_05: Final = "05_SD-IVAN"
MA_TOKHAI_05: Final = "05/SĐ-IVAN"
MOTA_TOKHAI_05: Final = "Tờ khai thay đổi, bổ sung thông tin đăng ký sử dụng dịch vụ I-VAN"
TEN_FILE_05: Final = "05_SD-IVAN.xml"


class EnvelopeInvalid(XmlError):
    """The envelope (or a form inside it) is not acceptable; ``part`` says which: "envelope" or "form".

    ``cause`` is the underlying error (a signature or schema failure), or None for the envelope's own rules
    (FILE_LENGTH, FILE_COUNT, NOT_BASE64, NO_FORM, DIFFERENT_SIGNERS, UNIT_MISMATCH, MST_MISMATCH)."""

    def __init__(self, code: str, key: str, /, *, part: str, cause: XmlError | None = None, **params: object) -> None:
        super().__init__(code, key, **params)
        self.part = part
        self.cause = cause

    def message(self, lang: Lang = "vi") -> str:
        """One sentence: which part failed, and why."""
        part = t(f"envelope.part.{self.part}", lang, file=TEN_FILE_05)
        return t("envelope.failed", lang, part=part, reason=t(self.key, lang, **self.params))


@dataclass(frozen=True)
class FormFile:
    """One FileToKhai: a form, as the signed bytes it travels as."""

    content: bytes  # the signed form, exact bytes (NoiDungFile decoded)
    ma_to_khai: str = MA_TOKHAI_05
    mo_ta: str = MOTA_TOKHAI_05
    ten_file: str = TEN_FILE_05
    loai_file: str = ".xml"


@dataclass(frozen=True)
class Envelope:
    """Everything ``Hoso/NoiDung`` carries (IVAN_PROTOCOL.md §3.2)."""

    ma_ivan: str
    ten_ivan: str
    ten_doi_tuong: str  # the unit's name
    ma_so_bhxh: str  # mã đơn vị
    loai_doi_tuong: str
    ma_so_thue: str
    nguoi_ky: str
    dien_thoai: str
    co_quan_quan_ly: str  # BHXH office code, e.g. "903"
    ngay_lap: date
    files: tuple[FormFile, ...]
    ten_thu_tuc: str = TEN_THUTUC_05
    ma_thu_tuc: str = MA_THUTUC_05
    quy_trinh_iso: str = ""
    ky_khai: str = ""  # KyKeKhai as the document says; when not given, the month of NgayLap (mm/yyyy)

    def __post_init__(self) -> None:
        if not self.ky_khai:
            object.__setattr__(self, "ky_khai", f"{self.ngay_lap.month:02d}/{self.ngay_lap.year:04d}")

    @classmethod
    def for_form(cls, d: ChangeDossier, signed_form: bytes, *, ma_ivan: str) -> Envelope:
        """The envelope of form ``d`` (as signed): the unit and the I-VAN as the form names them; the signer is the
        unit's ``nguoi_ky``, else its contact person."""
        unit = d.unit
        return cls(
            ma_ivan=ma_ivan,
            ten_ivan=d.ten_ivan,
            ten_doi_tuong=unit.ten_dvi,
            ma_so_bhxh=unit.ma_dvi,
            loai_doi_tuong=unit.loai_doi_tuong,
            ma_so_thue=unit.mst,
            nguoi_ky=unit.nguoi_ky or d.contact.nguoi_lhe,
            dien_thoai=d.contact.dien_thoai,
            co_quan_quan_ly=unit.ma_co_quan_bhxh,
            ngay_lap=d.ngay_lap,
            files=(FormFile(content=signed_form),),
            ten_thu_tuc=d.ten_thutuc,
        )

    @property
    def ky_ke_khai(self) -> str:
        """The declaration period (mm/yyyy)."""
        return self.ky_khai


def validate_envelope(root_or_bytes: etree._Element | bytes) -> etree._Element:
    """Validate an envelope (signed or not) against ``data/envelope.xsd``; return its root."""
    return validate_against(root_or_bytes, "envelope.xsd")


def build_envelope(e: Envelope) -> bytes:
    """The unsigned envelope (an empty ``CKy_Dvi`` where the unit's signature goes), validated. ``DoDaiFile`` is
    the length of ``NoiDungFile`` (the base64 text)."""
    root = etree.Element("Hoso")
    noi_dung = etree.SubElement(root, "NoiDung")
    ivan = etree.SubElement(noi_dung, "ThongTinIVAN")
    text_element(ivan, "MaIVAN", e.ma_ivan)
    text_element(ivan, "TenIVAN", e.ten_ivan)
    dv = etree.SubElement(noi_dung, "ThongTinDonVi")
    text_element(dv, "TenDoiTuong", e.ten_doi_tuong)
    text_element(dv, "MaSoBHXH", e.ma_so_bhxh)
    text_element(dv, "LoaiDoiTuong", e.loai_doi_tuong)
    text_element(dv, "MaSoThue", e.ma_so_thue)
    text_element(dv, "NguoiKy", e.nguoi_ky)
    text_element(dv, "DienThoai", e.dien_thoai)
    text_element(dv, "CoQuanQuanLy", e.co_quan_quan_ly)
    hs = etree.SubElement(noi_dung, "ThongTinHoSo")
    text_element(hs, "TenThuTuc", e.ten_thu_tuc)
    text_element(hs, "MaThuTuc", e.ma_thu_tuc)
    text_element(hs, "KyKeKhai", e.ky_ke_khai)
    text_element(hs, "NgayLap", format_ngay(e.ngay_lap))
    text_element(hs, "SoLuongFile", str(len(e.files)))
    text_element(hs, "QuyTrinhISO", e.quy_trinh_iso)
    to_khais = etree.SubElement(hs, "ToKhais")
    for f in e.files:
        ftk = etree.SubElement(to_khais, "FileToKhai")
        encoded = base64.b64encode(f.content).decode("ascii")
        text_element(ftk, "MaToKhai", f.ma_to_khai)
        text_element(ftk, "MoTaToKhai", f.mo_ta)
        text_element(ftk, "TenFile", f.ten_file)
        text_element(ftk, "LoaiFile", f.loai_file)
        text_element(ftk, "DoDaiFile", str(len(encoded)))
        text_element(ftk, "NoiDungFile", encoded)
    etree.SubElement(root, "CKy_Dvi")
    return serialise_validated(root, validate_envelope)


def _ngay_lap(hs: Fields) -> date:
    """NgayLap as a date: the schema's pattern lets days no calendar has through (31/02/2026)."""
    try:
        return hs.date("NgayLap")
    except DossierInvalid as exc:
        raise EnvelopeInvalid(exc.code, exc.key, part="envelope", cause=exc, **exc.params) from None


def envelope_from_root(root: etree._Element) -> Envelope:
    """An :class:`Envelope` from a parsed root (a verified envelope's content): validates it, decodes each form,
    checks SoLuongFile and each DoDaiFile. Raises :class:`EnvelopeInvalid` (part "envelope")."""
    try:
        validate_envelope(root)
    except DossierInvalid as exc:
        raise EnvelopeInvalid(exc.code, exc.key, part="envelope", cause=exc, **exc.params) from None
    hs_element = root.find("NoiDung/ThongTinHoSo")
    assert hs_element is not None  # guaranteed by the schema
    hs = Fields(hs_element)
    files: list[FormFile] = []
    for ftk_element in hs_element.findall("ToKhais/FileToKhai"):
        ftk = Fields(ftk_element)
        name = ftk.text("TenFile", "")
        encoded = ftk.text("NoiDungFile", "")
        compact = "".join(encoded.split())
        try:
            content = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise EnvelopeInvalid("NOT_BASE64", "envelope.NOT_BASE64", part="envelope", file=name) from None
        declared = int(ftk.text("DoDaiFile", ""))
        if declared not in (len(compact), len(content)):  # the base64 text's length (the decoded one tolerated)
            raise EnvelopeInvalid(
                "FILE_LENGTH",
                "envelope.FILE_LENGTH",
                part="envelope",
                file=name,
                declared=declared,
                actual=len(compact),
            )
        files.append(
            FormFile(
                content=content,
                ma_to_khai=ftk.text("MaToKhai", ""),
                mo_ta=ftk.text("MoTaToKhai", ""),
                ten_file=name,
                loai_file=ftk.text("LoaiFile", ""),
            )
        )
    declared_count = int(hs.text("SoLuongFile", ""))
    if declared_count != len(files):
        raise EnvelopeInvalid(
            "FILE_COUNT", "envelope.FILE_COUNT", part="envelope", declared=declared_count, actual=len(files)
        )
    ivan = Fields(root.find("NoiDung/ThongTinIVAN"))
    dv = Fields(root.find("NoiDung/ThongTinDonVi"))
    return Envelope(
        ma_ivan=ivan.text("MaIVAN", ""),
        ten_ivan=ivan.text("TenIVAN", ""),
        ten_doi_tuong=dv.text("TenDoiTuong", ""),
        ma_so_bhxh=dv.text("MaSoBHXH", ""),
        loai_doi_tuong=dv.text("LoaiDoiTuong", ""),
        ma_so_thue=dv.text("MaSoThue", ""),
        nguoi_ky=dv.text("NguoiKy", ""),
        dien_thoai=dv.text("DienThoai", ""),
        co_quan_quan_ly=dv.text("CoQuanQuanLy", ""),
        ngay_lap=_ngay_lap(hs),
        files=tuple(files),
        ten_thu_tuc=hs.text("TenThuTuc", ""),
        ma_thu_tuc=hs.text("MaThuTuc", ""),
        quy_trinh_iso=hs.text("QuyTrinhISO", ""),
        ky_khai=hs.text("KyKeKhai", ""),
    )


def form_file(envelope: Envelope, name: str = TEN_FILE_05) -> FormFile:
    """The one form ``name`` the envelope carries (NO_FORM when none; DUPLICATE_FORM when several: which one a
    reader took would be a guess)."""
    found = [f for f in envelope.files if f.ten_file == name]
    if not found:
        raise EnvelopeInvalid("NO_FORM", "envelope.NO_FORM", part="envelope", file=name)
    if len(found) > 1:
        raise EnvelopeInvalid("DUPLICATE_FORM", "envelope.DUPLICATE_FORM", part="envelope", file=name, count=len(found))
    return found[0]


@dataclass(frozen=True)
class VerifiedEnvelope:
    """A dossier whose two signatures, schemas and consistency checked out; read values only from here."""

    envelope: Envelope
    form: ChangeDossier
    form_xml: bytes  # the signed form, exact bytes
    certificate: CertInfo  # the one certificate that signed both


def verify_envelope(
    xml: bytes,
    *,
    trust: TrustStore | None = None,
    pinned_cert_der: bytes | None = None,
    check_time: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerifiedEnvelope:
    """Check a dossier completely (see the module docstring); raise :class:`EnvelopeInvalid` naming the part."""
    try:
        outer = verify_document(
            xml, trust=trust, pinned_cert_der=pinned_cert_der, check_time=check_time, max_bytes=max_bytes
        )
    except XmlError as exc:
        raise EnvelopeInvalid(exc.code, exc.key, part="envelope", cause=exc, **exc.params) from None
    envelope = envelope_from_root(outer.content)
    form_part = form_file(envelope)
    try:
        inner = verify_document(
            form_part.content,
            trust=trust,
            pinned_cert_der=pinned_cert_der,
            check_time=check_time,
            max_bytes=max_bytes,
        )
    except XmlError as exc:
        raise EnvelopeInvalid(exc.code, exc.key, part="form", cause=exc, **exc.params) from None
    if inner.certificate.der != outer.certificate.der:
        raise EnvelopeInvalid(
            "DIFFERENT_SIGNERS",
            "envelope.DIFFERENT_SIGNERS",
            part="form",
            outer=outer.certificate.serial,
            inner=inner.certificate.serial,
        )
    try:
        form = dossier_from_root(inner.content)
    except XmlError as exc:
        raise EnvelopeInvalid(exc.code, exc.key, part="form", cause=exc, **exc.params) from None
    if envelope.ma_so_bhxh != form.unit.ma_dvi:
        raise EnvelopeInvalid(
            "UNIT_MISMATCH",
            "envelope.UNIT_MISMATCH",
            part="envelope",
            envelope=envelope.ma_so_bhxh,
            form=form.unit.ma_dvi,
        )
    if normalise_mst(envelope.ma_so_thue) != normalise_mst(form.unit.mst):
        raise EnvelopeInvalid(
            "MST_MISMATCH", "envelope.MST_MISMATCH", part="envelope", envelope=envelope.ma_so_thue, form=form.unit.mst
        )
    return VerifiedEnvelope(envelope=envelope, form=form, form_xml=form_part.content, certificate=outer.certificate)


def sign_dossier(d: ChangeDossier, signer: Signer, *, ma_ivan: str) -> bytes:
    """Form and envelope signed in one call (the signer runs in this thread: software keys, scripts, tests; the
    app signs on the token step by step, with the same builders)."""
    signed_form = sign_document(build_dossier(d), signer)
    return sign_document(build_envelope(Envelope.for_form(d, signed_form, ma_ivan=ma_ivan)), signer)


def _root_tag(xml: bytes) -> str | None:
    try:
        return str(parse_xml(xml).tag)
    except XmlError:
        return None


def is_envelope(xml: bytes) -> bool:
    """True for a BHXH transport envelope (root ``Hoso``)."""
    return _root_tag(xml) == "Hoso"


def signature_place(xml: bytes) -> str | None:
    """Where a signed document of the app keeps its signature: ``CKy_Dvi`` for what a unit signs (the forms, the
    envelope), the root's last child for BHXH's confirmation (``XACNHAN_GDICH``)."""
    root = _root_tag(xml)
    if root == "BHXH":
        try:
            if parse_xml(xml).find("XACNHAN_GDICH") is not None:
                return RECEIPT_CONTAINER
        except XmlError:
            pass
    return CONTAINER


def stored_form(xml: bytes) -> ChangeDossier:
    """The form of an envelope that was verified when it was received (the simulator stores only those): read
    from the signed content of both, without checking the signatures again."""
    envelope = envelope_from_root(enveloped_content(parse_xml(xml)))
    return dossier_from_root(enveloped_content(parse_xml(form_file(envelope).content)))
