"""JSON shapes of the protocol (registration, transaction) and time helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.i18n import VN_TZ
from tui_ibhxh.core.models import Contact, Transaction, Unit
from tui_ibhxh.core.wire import contact_to_json, transaction_to_json

LOAI_GDICH = "Thay đổi thông tin đăng ký sử dụng dịch vụ I-VAN"
MALOAI_HSO = "05/SĐ-IVAN"


def from_epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def iso(ts: float | datetime) -> str:
    """ISO-8601 with the Vietnam offset (+07:00), milliseconds."""
    value = from_epoch(ts) if isinstance(ts, float | int) else ts
    return value.astimezone(VN_TZ).isoformat(timespec="milliseconds")


def contact_json(c: Contact) -> dict[str, str]:
    return contact_to_json(c)


def registration_json(
    unit: Unit, contact: Contact, cert_der: bytes, updated_at: float, version: int, ivan_id: str
) -> dict[str, Any]:
    info = parse_certificate(cert_der)
    return {
        "ma_dvi": unit.ma_dvi,
        "mst": unit.mst,
        "ten_dvi": unit.ten_dvi,
        "diadiem": unit.diadiem,
        "co_quan_bhxh": {"ma": unit.ma_co_quan_bhxh, "ten": unit.co_quan_bhxh},
        "contact": contact_json(contact),
        "certificate": {
            "serial": info.serial,
            "subject": info.subject,
            "issuer": info.issuer,
            "not_before": iso(info.not_before),
            "not_after": iso(info.not_after),
            "sha256": info.sha256,
        },
        "updated_at": iso(updated_at),
        "version": version,
        "ivan_id": ivan_id,
    }


def transaction_json(tx: Transaction) -> dict[str, Any]:
    return transaction_to_json(tx, time=iso)
