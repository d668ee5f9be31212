"""BHXH's confirmation (XACNHAN_GDICH): build, sign, verify against the BHXH certificate, render to HTML."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.support import pki
from tests.xml.conftest import Pki
from tui_ibhxh.core.i18n import VN_TZ, has, t
from tui_ibhxh.core.receipt import (
    KQUA_ACCEPTED,
    KQUA_REJECTED,
    Receipt,
    ReceiptInvalid,
    ReceiptSigner,
    build_receipt,
    parse_receipt,
    render_html,
    sign_receipt,
    verify_receipt,
)
from tui_ibhxh.core.xmldsig import sign_document
from tui_ibhxh.core.xmlsafe import parse_xml


def make_receipt(p: Pki, **kw: object) -> Receipt:
    r = Receipt(
        ten_dvi="Công ty TNHH Xây dựng Hà Nội",
        ten_coquan="BHXH cơ sở Cầu Giấy",
        ma_dvi="TA1234A",
        mst="0101234565",
        diadiem="Hà Nội",
        ngay_thongbao=dt.date(2026, 11, 26),
        so_hso="HS-000123",
        ten_gdich="Thay đổi thông tin đăng ký sử dụng dịch vụ I-VAN",
        maloai_hso="05/SĐ-IVAN",
        ngay_gdich=dt.datetime(2026, 11, 24, 3, 15, 30, tzinfo=dt.UTC),
        ma_gdich="GD-20261124-0001",
        ma_kqua=KQUA_ACCEPTED,
        kqua="Chấp nhận (Thành công)",
        signer=ReceiptSigner(
            subject=p.bhxh.info.subject,
            serial=p.bhxh.info.serial,
            time=dt.datetime(2026, 11, 26, 9, 0, tzinfo=VN_TZ),
        ),
    )
    return dataclasses.replace(r, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def receipt(p: Pki) -> Receipt:
    return make_receipt(p)


@pytest.fixture(scope="module")
def signed(p: Pki, receipt: Receipt) -> bytes:
    return sign_receipt(receipt, pki.SoftwareSigner(p.bhxh))


def test_layout(receipt: Receipt) -> None:
    root = parse_xml(build_receipt(receipt))
    assert root.tag == "BHXH" and [c.tag for c in root] == ["XACNHAN_GDICH"]
    xn = root[0]
    assert [c.tag for c in xn] == ["TTDVI", "TTGDICH", "TTCKY_BHXH"]
    assert [c.tag for c in xn[0]] == ["TEN_DVI", "TEN_COQUAN", "MA_DVI", "MST", "DIADIEM", "NGAY_THONGBAO"]
    assert [c.tag for c in xn[1]] == [
        "SO_HSO", "TEN_GDICH", "MALOAI_HSO", "NGAY_GDICH", "MA_GDICH", "MA_KQUA", "KQUA",
    ]  # fmt: skip
    assert xn.findtext("TTDVI/NGAY_THONGBAO") == "26/11/2026"
    assert xn.findtext("TTGDICH/NGAY_GDICH") == "2026-11-24T10:15:30+07:00"  # written in Vietnam time
    assert [c.tag for c in xn.find("TTCKY_BHXH/TTCKY")] == ["SUBJECT", "SERIAL", "TIME"]


def test_round_trip(p: Pki, receipt: Receipt) -> None:
    assert parse_receipt(build_receipt(receipt)) == receipt
    rejected = make_receipt(p, ma_kqua=KQUA_REJECTED, kqua="Từ chối", ma_loi="CE013", mota_loi="MST sai", signer=None)
    assert parse_receipt(build_receipt(rejected)) == rejected
    assert not rejected.accepted and receipt.accepted


def test_naive_time_refused(p: Pki) -> None:
    with pytest.raises(ReceiptInvalid):
        build_receipt(make_receipt(p, ngay_gdich=dt.datetime(2026, 11, 24, 10, 0)))
    with pytest.raises(ReceiptInvalid) as info:
        build_receipt(make_receipt(p, kqua="x\x07"))
    assert info.value.code == "INVALID_CHAR"


def test_signed_receipt_verifies(p: Pki, signed: bytes, receipt: Receipt) -> None:
    check = verify_receipt(signed, p.bhxh.der)
    assert check.valid and check.reason_code is None
    assert check.receipt == receipt


def test_tampered_receipt_is_invalid(p: Pki, signed: bytes) -> None:
    tampered = signed.replace("Chấp nhận (Thành công)".encode(), "Chấp nhận (Thành côngg)".encode())
    check = verify_receipt(tampered, p.bhxh.der)
    assert not check.valid and check.receipt is None
    assert check.reason_code == "INVALID" and check.reason_key == "sig.INVALID"
    assert t(check.reason_key, "vi", **dict(check.reason_params))


def test_wrong_bhxh_certificate_is_invalid(p: Pki, signed: bytes, receipt: Receipt) -> None:
    check = verify_receipt(signed, p.leaf.der)
    assert (check.valid, check.reason_code) == (False, "CERT_MISMATCH")
    forged = sign_receipt(receipt, pki.SoftwareSigner(p.leaf))  # signed by someone else
    assert verify_receipt(forged, p.bhxh.der).reason_code == "CERT_MISMATCH"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EMPTY"),
        (b"garbage", "MALFORMED"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><BHXH/>', "DOCTYPE"),
        (b"<BHXH><XACNHAN_GDICH/></BHXH>", "NO_SIGNATURE"),
    ],
)
def test_bad_input_never_raises(p: Pki, data: bytes, code: str) -> None:
    check = verify_receipt(data, p.bhxh.der)
    assert not check.valid and check.reason_code == code
    assert check.reason_key is not None and has(check.reason_key)


def test_signed_but_not_a_receipt(p: Pki) -> None:
    other = sign_document(b"<BHXH><DKI_BHXH/></BHXH>", pki.SoftwareSigner(p.bhxh), container=None)
    check = verify_receipt(other, p.bhxh.der)
    assert (check.valid, check.reason_code, check.reason_key) == (False, "STRUCTURE", "receipt.STRUCTURE")


def test_render_html(p: Pki, signed: bytes) -> None:
    html = render_html(signed, signature_status="Chữ ký số của BHXH trên thông báo hợp lệ.")
    for text in (
        "BẢO HIỂM XÃ HỘI VIỆT NAM",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "THÔNG BÁO",
        "Xác nhận giao dịch điện tử",
        "Công ty TNHH Xây dựng Hà Nội",
        "BHXH cơ sở Cầu Giấy",
        "GD-20261124-0001",
        "24/11/2026 10:15:30",
        "Chấp nhận (Thành công)",
        "Chữ ký số của BHXH trên thông báo hợp lệ.",
        p.bhxh.info.serial,
    ):
        assert text in html, text
    assert html.startswith("<!DOCTYPE html>")


def test_render_html_escapes_content(p: Pki) -> None:
    evil = make_receipt(
        p,
        ten_dvi="<script>alert('x')</script>",
        kqua='Từ chối"><img src=x onerror=alert(1)>',
        ma_kqua=KQUA_REJECTED,
        ma_loi="<b>E</b>",
        mota_loi="a & b",
    )
    html = render_html(build_receipt(evil), signature_status="<i>status</i>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<b>E</b>" not in html and "<i>status</i>" not in html
    assert "a &amp; b" in html
    assert "(Thông báo không có chữ ký số)" in html  # unsigned input is labelled


def test_render_html_refuses_non_receipts() -> None:
    with pytest.raises(ReceiptInvalid):
        render_html(b"<BHXH><DKI_BHXH/></BHXH>")
    with pytest.raises(ReceiptInvalid) as info:
        render_html(b'<!DOCTYPE BHXH SYSTEM "file:///etc/passwd"><BHXH/>')
    assert info.value.code == "DOCTYPE"


def test_stylesheet_cannot_read_files(p: Pki, receipt: Receipt) -> None:
    """The XSLT runs with every file/network access denied; a document() call in data would not run anyway."""
    xml = build_receipt(dataclasses.replace(receipt, ten_dvi="document('/etc/passwd')"))
    html = render_html(xml)
    assert "root:" not in html
    assert "document('/etc/passwd')" in html  # shown as text, never evaluated
