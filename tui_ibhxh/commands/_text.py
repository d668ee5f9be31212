"""Messages and formatting shared by the I-VAN commands."""

from __future__ import annotations

from typing import Any

from tui_ibhxh.core.i18n import Lang, fmt_date, fmt_datetime, register, t
from tui_ibhxh.core.models import Registration, Transaction
from tui_ibhxh.core.wire import contact_to_json, transaction_to_json
from tui_ibhxh.services.report import status_text, tx_row

__all__ = ["registration_json", "registration_lines", "status_text", "tx_json", "tx_row"]

register(
    {
        "cli.no_tokens_plug": (
            "Không có token nào được cắm. Hãy cắm token và thử lại.",
            "No token is plugged in.",
        ),
        "cli.elapsed": ("{seconds} giây", "{seconds} s"),
        "cli.confirm_needed": (
            "Cần xác nhận: chạy trên terminal để trả lời, hoặc thêm --yes.",
            "Confirmation needed: run on a terminal to answer, or add --yes.",
        ),
        "cli.confirm": ("Nộp hồ sơ thay đổi này? [c/K] ", "Submit this change? [y/N] "),
        "cli.cancelled": ("Đã hủy, chưa ký và chưa gửi gì.", "Cancelled; nothing was signed or sent."),
        "cli.summary_title": (
            "Thay đổi thông tin đăng ký sử dụng dịch vụ I-VAN — {ten_dvi} ({ma_dvi})",
            "Change of I-VAN registration — {ten_dvi} ({ma_dvi})",
        ),
        "cli.before": ("Đang đăng ký", "Registered"),
        "cli.after": ("Sau khi nộp", "After"),
        "cli.step.build": ("Lập hồ sơ 05/SĐ-IVAN…", "Building the 05/SĐ-IVAN dossier…"),
        "cli.step.sign": ("Ký số trên token…", "Signing on the token…"),
        "cli.step.verify": ("Tự kiểm tra chữ ký…", "Verifying the signature…"),
        "cli.step.journal": ("Lưu hồ sơ đã ký vào nhật ký…", "Saving the signed dossier to the journal…"),
        "cli.step.send": ("Gửi tới I-VAN…", "Sending to the I-VAN…"),
        "cli.step.done": ("Đã gửi.", "Sent."),
        "cli.sent": (
            "Đã gửi hồ sơ: mã giao dịch {ma_gdich}, số hồ sơ {so_hso}, trạng thái «{status}».",
            "Dossier sent: transaction {ma_gdich}, dossier number {so_hso}, status '{status}'.",
        ),
        "cli.resent": (
            "Đã gửi lại hồ sơ đã ký trước đó ({key}): giao dịch {ma_gdich}, trạng thái «{status}».",
            "Re-sent the previously signed dossier ({key}): transaction {ma_gdich}, status '{status}'.",
        ),
        "cli.waiting": (
            "Đang chờ BHXH xử lý giao dịch {ma_gdich}: «{status}»",
            "Waiting for BHXH on transaction {ma_gdich}: '{status}'",
        ),
        "cli.final_accepted": (
            "Giao dịch {ma_gdich}: Chấp nhận (Thành công). Chứng thư {serial} đã được đăng ký.",
            "Transaction {ma_gdich}: accepted. Certificate {serial} is now registered.",
        ),
        "cli.final_rejected": (
            "Giao dịch {ma_gdich}: Từ chối — {ma_loi}: {mota_loi}",
            "Transaction {ma_gdich}: rejected — {ma_loi}: {mota_loi}",
        ),
        "cli.wait_interrupted": (
            "Đã dừng chờ. Hồ sơ đã gửi (mã giao dịch {ma_gdich}) vẫn được BHXH xử lý; "
            "theo dõi bằng: ibhxh history --watch",
            "Stopped waiting. The dossier was sent (transaction {ma_gdich}) and BHXH goes on with it; "
            "follow it with: ibhxh history --watch",
        ),
        "cli.submit_interrupted": (
            "Đã dừng. Hồ sơ nào đã ký đều nằm trong nhật ký và sẽ được gửi lại (cùng mã yêu cầu, không ký lại) "
            "ở lần chạy ibhxh submit tiếp theo.",
            "Stopped. A dossier already signed is kept in the journal and is re-sent (same request key, not signed "
            "again) by the next ibhxh submit.",
        ),
        "cli.watch_polling": (
            "Mất luồng sự kiện của I-VAN: kiểm tra định kỳ mỗi {seconds} giây cho đến khi kết nối lại.",
            "The I-VAN's event stream is down: checking every {seconds} s until it is back.",
        ),
        "cli.handed_over": (
            "Đã ký và lưu hồ sơ (phong bì 05_SD-IVAN) vào {path}. Ứng dụng không gửi tệp này và không bao giờ tự "
            "gửi lại nó: hãy tải tệp lên cổng của nhà cung cấp I-VAN.",
            "Signed and saved the dossier (05_SD-IVAN envelope) to {path}. The app does not send this file and "
            "never re-sends it: upload it on your I-VAN provider's portal.",
        ),
        "cli.watch_unreachable": (
            "Không kết nối được I-VAN từ {since}: {reason} Vẫn tiếp tục thử mỗi {seconds} giây.",
            "The I-VAN cannot be reached since {since}: {reason} Still trying every {seconds} s.",
        ),
        "cli.watch_live_again": (
            "Đã kết nối lại luồng sự kiện của I-VAN.",
            "The I-VAN's event stream is back.",
        ),
        "cli.history_empty": ("Chưa có giao dịch nào.", "No transaction yet."),
        "cli.written": ("Đã ghi {path}.", "Wrote {path}."),
        "reg.unit": ("Đơn vị", "Unit"),
        "reg.office": ("Cơ quan BHXH", "BHXH office"),
        "reg.cert": ("Chứng thư số", "Certificate"),
        "reg.validity": ("Hiệu lực", "Validity"),
        "reg.version": ("Phiên bản đăng ký", "Registration version"),
        "reg.updated": ("Cập nhật lúc", "Updated at"),
    }
)


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
