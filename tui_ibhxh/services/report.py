"""Kết xuất báo cáo: the transaction history as CSV that Excel opens (UTF-8 with BOM, Vietnamese headers)."""

from __future__ import annotations

import csv
import io

from tui_ibhxh.core.i18n import Lang, fmt_datetime, t
from tui_ibhxh.core.models import Transaction
from tui_ibhxh.core.receipt import ReceiptCheck

CSV_HEADERS: dict[str, list[str]] = {
    "vi": [
        "Mã giao dịch",
        "Số hồ sơ",
        "Mã đơn vị",
        "Loại hồ sơ",
        "Ngày gửi",
        "Trạng thái",
        "Thời điểm trạng thái",
        "Mã lỗi",
        "Mô tả lỗi",
        "Mã yêu cầu",
    ],
    "en": [
        "Transaction",
        "Dossier number",
        "Unit code",
        "Type",
        "Submitted",
        "Status",
        "Status time",
        "Error code",
        "Error description",
        "Request key",
    ],
}


def status_text(tx: Transaction, lang: Lang) -> str:
    """Đã gửi / Đã tiếp nhận / Chấp nhận (Thành công) / Từ chối."""
    return t(f"status.{tx.status}", lang)


def tx_row(tx: Transaction, lang: Lang) -> list[str]:
    return [
        tx.ma_gdich,
        tx.so_hso,
        tx.ma_dvi,
        tx.loai,
        fmt_datetime(tx.submitted_at),
        status_text(tx, lang),
        fmt_datetime(tx.status_at),
        tx.ma_loi or "",
        tx.mota_loi or "",
        tx.idempotency_key,
    ]


def history_csv(items: list[Transaction], lang: Lang) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS[lang])
    writer.writerows(tx_row(tx, lang) for tx in items)
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def receipt_check_text(check: ReceiptCheck | None, lang: Lang) -> str:
    """One sentence on BHXH's signature of a confirmation (CLI output and the saved HTML)."""
    if check is None:
        return t("receipt.check_no_cert", lang)
    if check.valid and check.receipt is not None:
        subject = check.receipt.signer.subject if check.receipt.signer else "BHXH"
        return t("receipt.check_valid", lang, subject=subject)
    reason = t(check.reason_key, lang, **dict(check.reason_params)) if check.reason_key else str(check.reason_code)
    return t("receipt.check_invalid", lang, reason=reason)
