"""The JSON shapes of I-VAN protocol v1 (../shared/IVAN_PROTOCOL.md §2, §5) for the domain types, shared
by the simulator (which writes them), the CLI (which prints them) and the client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tui_ibhxh.core.models import Contact, Transaction

TimeFormat = Callable[[datetime], str]


def _iso(value: datetime) -> str:
    return value.isoformat()


def contact_to_json(c: Contact) -> dict[str, str]:
    return {"diachi_lhe": c.diachi_lhe, "dien_thoai": c.dien_thoai, "email": c.email, "nguoi_lhe": c.nguoi_lhe}


def transaction_to_json(tx: Transaction, *, time: TimeFormat = _iso) -> dict[str, Any]:
    return {
        "ma_gdich": tx.ma_gdich,
        "so_hso": tx.so_hso,
        "ma_dvi": tx.ma_dvi,
        "loai": tx.loai,
        "idempotency_key": tx.idempotency_key,
        "submitted_at": time(tx.submitted_at),
        "status": str(tx.status),
        "status_at": time(tx.status_at),
        "ma_loi": tx.ma_loi,
        "mota_loi": tx.mota_loi,
        "timeline": [{"status": str(e.status), "at": time(e.at)} for e in tx.timeline],
        "ivan_id": tx.ivan_id,
    }
