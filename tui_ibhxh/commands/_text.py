"""Messages and formatting shared by the I-VAN commands."""

from __future__ import annotations

from typing import Any

from tui_ibhxh.core.i18n import Lang, fmt_date, fmt_datetime, t
from tui_ibhxh.core.models import Registration, Transaction
from tui_ibhxh.core.wire import contact_to_json, transaction_to_json
from tui_ibhxh.services.report import status_text, tx_row

__all__ = ["registration_json", "registration_lines", "status_text", "tx_json", "tx_row"]


def tx_json(tx: Transaction) -> dict[str, Any]:
    return transaction_to_json(tx)


def registration_json(reg: Registration) -> dict[str, Any]:
    c, u = reg.certificate, reg.unit
    return {
        "ma_dvi": u.ma_dvi,
        "mst": u.mst,
        "ten_dvi": u.ten_dvi,
        "co_quan_bhxh": {"ma": u.ma_co_quan_bhxh, "ten": u.co_quan_bhxh},
        "contact": contact_to_json(reg.contact),
        "certificate": {
            "serial": c.serial,
            "subject": c.subject,
            "issuer": c.issuer,
            "not_before": c.not_before.isoformat(),
            "not_after": c.not_after.isoformat(),
            "sha256": c.sha256,
        },
        "updated_at": reg.updated_at.isoformat(),
        "version": reg.version,
        "ivan_id": reg.ivan_id,
    }


def registration_lines(reg: Registration, lang: Lang) -> list[str]:
    c = reg.certificate
    rows = [
        (t("reg.unit", lang), f"{reg.unit.ten_dvi} — {reg.unit.ma_dvi}, MST {reg.unit.mst}"),
        (t("reg.office", lang), " — ".join(x for x in (reg.unit.ma_co_quan_bhxh, reg.unit.co_quan_bhxh) if x)),
        (t("reg.cert", lang), f"{c.serial} — {c.subject}"),
        (t("cli.field.issuer", lang), c.issuer),
        (
            t("reg.validity", lang),
            t("cli.validity", lang, start=fmt_date(c.not_before), end=fmt_date(c.not_after)),
        ),
        (t("field.diachi_lhe", lang), reg.contact.diachi_lhe),
        (t("field.dien_thoai", lang), reg.contact.dien_thoai),
        (t("field.email", lang), reg.contact.email),
        (t("field.nguoi_lhe", lang), reg.contact.nguoi_lhe),
        (t("reg.version", lang), str(reg.version)),
        (t("reg.updated", lang), fmt_datetime(reg.updated_at)),
    ]
    width = max(len(k) for k, _ in rows)
    return [f"{k.ljust(width)} : {v}" for k, v in rows]
