"""What the app reports, the same on every surface: the history as CSV that Excel opens (UTF-8 with BOM,
Vietnamese headers), the verdict on BHXH's signature of a confirmation, the before → after of a change."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_ibhxh.core.i18n import Lang, fmt_date, fmt_datetime, t
from tui_ibhxh.core.models import CertInfo, Contact, RegisteredCert, Registration, Transaction
from tui_ibhxh.core.validation import CONTACT_FIELDS

if TYPE_CHECKING:  # the receipt code (lxml, XSLT) is not needed to start the app
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


@dataclass(frozen=True)
class VerdictWords:
    """The message keys of a receipt verdict on one surface: not checked, valid ({subject}), not valid
    ({reason})."""

    unchecked: str
    valid: str
    invalid: str


#: one sentence each, for the CLI and the saved HTML
SENTENCES = VerdictWords("receipt.check_no_cert", "receipt.check_valid", "receipt.check_invalid")


def receipt_check_text(check: ReceiptCheck | None, lang: Lang, words: VerdictWords = SENTENCES) -> str:
    """The verdict on BHXH's signature of a confirmation: not checked (no BHXH certificate configured), valid
    (naming the signer), or not valid with why."""
    if check is None:
        return t(words.unchecked, lang)
    if check.valid:
        signer = check.receipt.signer if check.receipt is not None else None
        return t(words.valid, lang, subject=signer.subject if signer else "BHXH")
    reason = t(check.reason_key, lang, **dict(check.reason_params)) if check.reason_key else str(check.reason_code)
    return t(words.invalid, lang, reason=reason)


#: the rows of the before → after summary, in order: the certificate, then the contact
CHANGE_FIELDS: tuple[str, ...] = ("serial", "subject", "issuer", "validity", *CONTACT_FIELDS)


@dataclass(frozen=True)
class ChangeRow:
    """One row of the before → after summary: ``before`` is None when nothing is on record."""

    field: str
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def change_summary(
    registration: Registration | None,
    cert: CertInfo,
    contact: Contact,
    *,
    fields: Sequence[str] = CHANGE_FIELDS,
    range_sep: str = " – ",
) -> list[ChangeRow]:
    """What the change does, field by field: what BHXH has on record, what the dossier asks for (the confirm step
    and ``ibhxh submit`` show it before signing)."""

    def values(c: CertInfo | RegisteredCert, who: Contact) -> dict[str, str]:
        validity = f"{fmt_date(c.not_before)}{range_sep}{fmt_date(c.not_after)}"
        found = {"serial": c.serial, "subject": c.subject, "issuer": c.issuer, "validity": validity}
        return found | {name: str(getattr(who, name)) for name in CONTACT_FIELDS}

    before = values(registration.certificate, registration.contact) if registration else {}
    after = values(cert, contact)
    return [ChangeRow(name, before.get(name), after[name]) for name in fields]
