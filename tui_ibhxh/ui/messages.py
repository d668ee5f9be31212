"""Every sentence the TUI shows, in Vietnamese (default) and English."""

from __future__ import annotations

from tui_ibhxh.core.i18n import register

register(
    {
        "ui.theme_unknown": (
            'Cấu hình [ui] theme = "{theme}" không phải giao diện nào đã biết; dùng giao diện mặc định. '
            "Các giao diện có: {known}.",
            'Config [ui] theme = "{theme}" is not a known theme; using the default. Themes: {known}.',
        ),
        "ui.title": ("tui-ibhxh — Thay đổi thông tin đăng ký I-VAN", "tui-ibhxh — I-VAN registration change"),
        "ui.step.token": ("Token", "Token"),
        "ui.step.certs": ("Chứng thư", "Certificate"),
        "ui.step.contact": ("Liên hệ", "Contact"),
        "ui.step.confirm": ("Xác nhận", "Confirm"),
        "ui.step.history": ("Lịch sử", "History"),
        "ui.key.quit": ("Thoát", "Quit"),
        "ui.key.help": ("Trợ giúp", "Help"),
        "ui.key.history": ("Lịch sử", "History"),
        "ui.key.wizard": ("Quy trình", "Procedure"),
        "ui.key.back": ("Quay lại", "Back"),
        "ui.key.login": ("Nhập PIN", "Enter PIN"),
        "ui.key.choose": ("Chọn", "Choose"),
        "ui.key.next": ("Tiếp tục", "Continue"),
        "ui.key.submit": ("Nộp", "Submit"),
        "ui.key.preview": ("Xem XML", "XML preview"),
        "ui.key.filter": ("Lọc", "Filter"),
        "ui.key.export": ("Kết xuất CSV", "Export CSV"),
        "ui.key.refresh": ("Làm mới", "Refresh"),
        "ui.key.cancel": ("Hủy", "Cancel"),
        "ui.key.close": ("Đóng", "Close"),
        "ui.key.save_receipt": ("Lưu xác nhận", "Save confirmation"),
        "ui.key.module": ("Thêm module", "Add module"),
        "ui.key.resend": ("Gửi lại", "Re-send"),
        "ui.key.discard": ("Hủy hồ sơ", "Discard"),
        "ui.key.yes": ("Đồng ý", "Yes"),
        "ui.key.no": ("Không", "No"),
        "ui.key.change_pin": ("Đổi PIN", "Change PIN"),
        "ui.key.save_file": ("Lưu tệp", "Save file"),
        # the signed dossier that never reached the I-VAN
        "ui.pending.title": ("Hồ sơ đã ký nhưng chưa gửi được", "A signed dossier that was not sent"),
        "ui.pending.explain": (
            "Hồ sơ này đã được ký trên token và lưu trong nhật ký, nhưng I-VAN chưa bao giờ xác nhận đã nhận. "
            "Gửi lại dùng đúng bản đã ký và cùng mã yêu cầu (I-VAN không tạo giao dịch thứ hai); "
            "hủy thì hồ sơ không được gửi nữa và bạn có thể lập hồ sơ mới.",
            "This dossier was signed on the token and kept in the journal, but the I-VAN never acknowledged it. "
            "Re-sending uses the same signed bytes and the same request key (the I-VAN creates no second "
            "transaction); discarding it means it is never sent and you can draw up a new one.",
        ),
        "ui.pending.key": ("Mã yêu cầu", "Request key"),
        "ui.pending.cert": ("Chứng thư", "Certificate"),
        "ui.pending.signed_at": ("Ký lúc", "Signed at"),
        "ui.pending.attempts": ("Số lần gửi", "Attempts"),
        "ui.pending.reason": ("Lý do chưa gửi được", "Why it was not sent"),
        "ui.pending.no_reason": ("chưa thử gửi (bị ngắt giữa chừng)", "not tried yet (interrupted)"),
        "ui.pending.keys": ("s: gửi lại   d: hủy hồ sơ   Esc: quay lại", "s: re-send   d: discard   Esc: back"),
        "ui.pending.status": ("⚠ Chưa gửi được", "⚠ Not sent"),
        "ui.pending.sending": ("… Đang gửi lại", "… Re-sending"),
        "ui.pending.hint": (
            "Hồ sơ đã ký chưa tới được I-VAN: s gửi lại (cùng bản đã ký), d hủy hồ sơ.",
            "A signed dossier never reached the I-VAN: s re-sends it (the same signed bytes), d discards it.",
        ),
        "ui.pending.hint_short": (
            "⚠ 1 hồ sơ chưa gửi được: s gửi lại, d hủy",
            "⚠ 1 dossier not sent: s re-send, d discard",
        ),
        "ui.pending.none": ("Không có hồ sơ nào đang chờ gửi.", "No dossier is waiting to be sent."),
        "ui.discard.title": ("Hủy hồ sơ {key}?", "Discard dossier {key}?"),
        "ui.discard.text": (
            "Hồ sơ ký lúc {signed_at} sẽ không bao giờ được gửi tới I-VAN (bản đã ký vẫn nằm trong nhật ký, "
            "đánh dấu đã hủy). Sau đó bạn có thể lập và ký hồ sơ mới.",
            "The dossier signed at {signed_at} will never be sent to the I-VAN (the signed copy stays in the "
            "journal, marked discarded). You can then draw up and sign a new one.",
        ),
        "ui.discard.done": (
            "Đã hủy hồ sơ {key}; có thể lập hồ sơ mới.",
            "Dossier {key} discarded; you can draw up a new one.",
        ),
        "ui.older.title": ("Đăng ký chứng thư cũ hơn?", "Register an older certificate?"),
        "ui.older.text": (
            "Chứng thư {serial} hết hạn ngày {date}, SỚM HƠN chứng thư đang đăng ký với BHXH (hết hạn ngày "
            "{registered}). Sau khi đăng ký, hồ sơ của đơn vị sẽ bị từ chối sớm hơn. Vẫn nộp?",
            "Certificate {serial} expires on {date}, EARLIER than the one registered with BHXH (expires on "
            "{registered}). Once registered, the unit's dossiers will be refused sooner. Submit anyway?",
        ),
        "ui.confirm_dialog.keys": ("y hoặc Enter: đồng ý   n hoặc Esc: không", "y or Enter: yes   n or Esc: no"),
        "ui.loading": ("Đang tải…", "Loading…"),
        # token
        "ui.token.heading": ("Bước 1 — Chọn token và nhập mã PIN", "Step 1 — Choose the token and enter its PIN"),
        "ui.token.empty": (
            "Chưa cắm token. Hãy cắm USB token chứa chứng thư số; danh sách tự cập nhật. "
            "Đã cắm mà không thấy? Nhấn m để chỉ module PKCS#11 của hãng token.",
            "No token plugged in. Plug in the USB token holding the certificate; the list updates by itself. "
            "Plugged in but not listed? Press m to point at the token vendor's PKCS#11 module.",
        ),
        "ui.token.col.label": ("Nhãn", "Label"),
        "ui.token.col.maker": ("Hãng", "Maker"),
        "ui.token.col.model": ("Loại", "Model"),
        "ui.token.col.serial": ("Số sê-ri", "Serial"),
        "ui.token.col.slot": ("Khe", "Slot"),
        "ui.token.col.pin": ("PIN", "PIN"),
        "ui.token.forwarded": (
            "Token trên máy của bạn, qua SSH (p11-kit). Đóng phiên SSH là như rút token ra.",
            "The token on your machine, over SSH (p11-kit). Closing the SSH session is like unplugging it.",
        ),
        "ui.token.hint": ("↑↓ chọn token, Enter nhập mã PIN.", "↑↓ choose a token, Enter to type the PIN."),
        "ui.module.title": ("Thêm module PKCS#11 của hãng token", "Add a token vendor's PKCS#11 module"),
        "ui.module.explain": (
            "Token đã cắm mà không hiện? Nhập đường dẫn tệp .so do hãng cung cấp (ví dụ /usr/lib/fptca_v4.so), "
            "rồi Enter. Module được nạp thử, dùng ngay và lưu vào cấu hình.",
            "Token plugged in but not listed? Type the path of the .so file its vendor ships (e.g. "
            "/usr/lib/fptca_v4.so) and press Enter. The module is loaded, used at once and saved in the config.",
        ),
        "ui.module.placeholder": ("Đường dẫn module (.so)", "Module path (.so)"),
        "ui.module.found": (
            "Có trên máy này (Tab, ↑↓, Enter để chọn):",
            "On this machine (Tab, ↑↓, Enter to pick):",
        ),
        "ui.module.checking": ("Đang nạp thử module…", "Loading the module…"),
        "ui.module.added": (
            "Đã thêm module {path} ({tokens} token thấy qua module này).",
            "Added module {path} ({tokens} token(s) seen through it).",
        ),
        "ui.token.removed_banner": (
            "Token {label} đã bị rút ra: đã quay về bước 1. Cắm lại token, ô nhập PIN sẽ hiện ra; "
            "những gì đã nhập ở bước Liên hệ vẫn được giữ.",
            "Token {label} was removed: back to step 1. Plug it in again and the PIN dialog opens; "
            "what you typed in the Contact step is kept.",
        ),
        "ui.resend.done": (
            "Đã gửi lại hồ sơ {key} (đã ký trước đó, chưa tới được I-VAN): giao dịch {ma_gdich}. "
            "Theo dõi trong Lịch sử (F3).",
            "Dossier {key} (signed earlier, never reached the I-VAN) re-sent: transaction {ma_gdich}. "
            "Follow it in the History (F3).",
        ),
        "ui.resend.failed": (
            "Chưa gửi lại được hồ sơ {key}: {reason} Hồ sơ vẫn được giữ; gửi lại hoặc hủy trong Lịch sử (F3).",
            "Dossier {key} could not be re-sent: {reason} It is kept; re-send or discard it in the History (F3).",
        ),
        "ui.change_pin.title": ("Đổi mã PIN của token {label}", "Change the PIN of token {label}"),
        "ui.change_pin.old": ("Mã PIN hiện tại (không hiển thị)", "Current PIN (hidden)"),
        "ui.change_pin.new": ("Mã PIN mới", "New PIN"),
        "ui.change_pin.again": ("Nhập lại mã PIN mới", "New PIN again"),
        "ui.change_pin.checking": ("Đang đổi mã PIN trên token…", "Changing the PIN on the token…"),
        "ui.change_pin.done": (
            "Đã đổi mã PIN của token {label}. Trạng thái mã PIN: {state}.",
            "The PIN of token {label} is changed. PIN status: {state}.",
        ),
        "ui.pin.title": ("Mã PIN của token {label}", "PIN of token {label}"),
        "ui.pin.placeholder": ("Mã PIN (không hiển thị)", "PIN (hidden)"),
        "ui.pin.checking": ("Đang kiểm tra PIN và kết nối I-VAN…", "Checking the PIN and connecting to the I-VAN…"),
        # certificates
        "ui.certs.heading": (
            "Bước 2 — Chọn chứng thư số mới để đăng ký",
            "Step 2 — Choose the new certificate to register",
        ),
        "ui.certs.registered": ("Đang đăng ký với BHXH", "Registered with BHXH"),
        "ui.certs.on_token": ("Trên token", "On the token"),
        "ui.certs.col.label": ("Chứng thư", "Certificate"),
        "ui.certs.col.serial": ("Số sê-ri", "Serial"),
        "ui.certs.col.until": ("Hết hạn", "Expires"),
        "ui.certs.col.state": ("Tình trạng", "Status"),
        "ui.certs.usable": ("✓ dùng được", "✓ usable"),
        "ui.certs.checking": ("⋯ đang kiểm tra", "⋯ checking"),
        # the status column names the first problem, so the reason shows even at 80×24
        "ui.certs.short.EXPIRED": ("✗ hết hạn", "✗ expired"),
        "ui.certs.short.NOT_YET_VALID": ("✗ chưa hiệu lực", "✗ not yet valid"),
        "ui.certs.short.NO_PRIVATE_KEY": ("✗ không có khóa", "✗ no private key"),
        "ui.certs.short.IS_CA": ("✗ chứng thư CA", "✗ CA certificate"),
        "ui.certs.short.MST_MISMATCH": ("✗ khác MST", "✗ other MST"),
        "ui.certs.short.NOT_FOR_SIGNING": ("✗ không để ký", "✗ not for signing"),
        "ui.certs.short.UNTRUSTED": ("✗ không tin cậy", "✗ untrusted"),
        "ui.certs.short.KEY_TOO_WEAK": ("✗ khóa quá yếu", "✗ key too weak"),
        "ui.certs.short.PERSONAL_CERTIFICATE": ("✗ cá nhân", "✗ personal"),
        "ui.certs.short.REVOKED": ("✗ đã bị thu hồi", "✗ revoked"),
        "ui.certs.short.SAME_AS_REGISTERED": ("● đang đăng ký", "● registered"),
        "ui.certs.short.EXPIRES_SOON": ("! sắp hết hạn", "! expires soon"),
        "ui.certs.short.OLDER_THAN_REGISTERED": ("! cũ hơn", "! older"),
        "ui.certs.short.REVOCATION_UNKNOWN": ("! thu hồi: ?", "! revoked: ?"),
        "ui.certs.is_registered": ("● đang đăng ký", "● registered"),
        "ui.certs.replaced": ("↺ đã thay thế", "↺ replaced"),
        "ui.certs.no_problem": ("Không có vấn đề: có thể dùng để đăng ký.", "No problem: it can be registered."),
        "ui.certs.blocked_msg": (
            "Không thể chọn chứng thư này: {reasons}",
            "This certificate cannot be chosen: {reasons}",
        ),
        "ui.certs.changed": ("≠ khác với chứng thư đang đăng ký", "≠ differs from the registered one"),
        "ui.field.serial": ("Số sê-ri", "Serial"),
        "ui.field.subject": ("Chủ thể", "Subject"),
        "ui.field.issuer": ("Tổ chức cấp", "Issuer"),
        "ui.field.validity": ("Hiệu lực", "Validity"),
        "ui.field.mst": ("MST", "Tax code"),
        "ui.validity": ("{start} → {end}", "{start} → {end}"),
        # contact
        "ui.contact.heading": (
            "Bước 3 — Kiểm tra địa chỉ liên hệ và e-mail nhận thông báo",
            "Step 3 — Check the contact address and notification e-mail",
        ),
        "ui.contact.signer": (
            "Người ký hồ sơ cho đơn vị: {name} (mục nguoi_ky của đơn vị trong tệp cấu hình).",
            "Signing for the unit: {name} (the unit's nguoi_ky in the config).",
        ),
        "ui.contact.signer_missing": (
            "Chưa khai báo người ký (nguoi_ky) của đơn vị trong tệp cấu hình: hồ sơ ghi người liên hệ làm người ký.",
            "The unit's signer (nguoi_ky) is not set in the config: the dossier names the contact person instead.",
        ),
        "ui.contact.invalid": ("Hãy sửa các ô đang báo lỗi trước khi tiếp tục.", "Fix the fields in error first."),
        # confirm
        "ui.confirm.heading": (
            "Bước 4 — Xác nhận và nộp hồ sơ 05/SĐ-IVAN",
            "Step 4 — Confirm and submit form 05/SĐ-IVAN",
        ),
        "ui.confirm.before": ("Đang đăng ký", "Registered"),
        "ui.confirm.after": ("Sau khi nộp", "After"),
        "ui.confirm.ready": (
            "Nhấn F5 (Nộp) để ký trên token và gửi.",
            "Press F5 (Submit) to sign on the token and send.",
        ),
        "ui.confirm.done": (
            "Đã gửi. Mã giao dịch: {ma_gdich} — số hồ sơ {so_hso}. Nhấn F3 để theo dõi trong Lịch sử giao dịch.",
            "Sent. Transaction {ma_gdich} — dossier {so_hso}. Press F3 to follow it in the History.",
        ),
        "ui.confirm.save_title": (
            "Lưu hồ sơ đã ký vào tệp (không gửi)",
            "Save the signed dossier to a file (not sent)",
        ),
        "ui.confirm.saved": (
            "Đã ký và lưu hồ sơ vào {path}. Ứng dụng không gửi tệp này: hãy tải nó lên cổng của nhà cung cấp I-VAN.",
            "Signed and saved to {path}. The app does not send this file: upload it on your I-VAN provider's portal.",
        ),
        "ui.save.explain": (
            "Đường dẫn tệp (Enter để lưu, Esc để thôi). Thư mục chưa có sẽ được tạo.",
            "The file's path (Enter saves, Esc gives up). A missing directory is created.",
        ),
        "ui.confirm.preview_form": ("Tờ khai {file} (được ký trước):", "Form {file} (signed first):"),
        "ui.confirm.preview_envelope": (
            "Phong bì hồ sơ gửi I-VAN (được ký sau, chứa tờ khai):",
            "The envelope sent to the I-VAN (signed after it, carrying the form):",
        ),
        "ui.confirm.carried": (
            "… tờ khai {file} ở trên, sau khi ký, mã hóa base64 …",
            "… form {file} above, once signed, base64-encoded …",
        ),
        "ui.step.build": ("Lập hồ sơ", "Build"),
        "ui.step.sign": ("Ký trên token", "Sign on token"),
        "ui.step.verify": ("Tự kiểm tra", "Self-verify"),
        "ui.step.journal": ("Lưu nhật ký", "Journal"),
        "ui.step.send": ("Gửi I-VAN", "Send"),
        # history
        "ui.history.heading": (
            "Lịch sử giao dịch — {ten_dvi} ({ma_dvi})",
            "Transaction history — {ten_dvi} ({ma_dvi})",
        ),
        "ui.history.empty": ("Chưa có giao dịch nào.", "No transaction yet."),
        "ui.history.none_with_status": (
            "Không có giao dịch nào ở trạng thái «{name}» (f: đổi bộ lọc).",
            "No transaction with status '{name}' (f: change the filter).",
        ),
        "ui.history.not_connected": (
            "Chưa đăng nhập: nhập PIN ở bước 1 (F2) để xem lịch sử giao dịch.",
            "Not logged in: enter the PIN in step 1 (F2) to see the transaction history.",
        ),
        "ui.history.unreachable": (
            "✗ Không kết nối được I-VAN từ {since}; đang thử lại mỗi {seconds} giây. {reason}",
            "✗ The I-VAN cannot be reached since {since}; retrying every {seconds} s. {reason}",
        ),
        "ui.history.col.ma_gdich": ("Mã giao dịch", "Transaction"),
        "ui.history.col.so_hso": ("Số hồ sơ", "Dossier"),
        "ui.history.col.date": ("Ngày gửi", "Submitted"),
        "ui.history.col.status": ("Trạng thái", "Status"),
        "ui.history.col.error": ("Mã lỗi", "Error"),
        "ui.history.filter": ("Lọc: {name}", "Filter: {name}"),
        "ui.history.all": ("tất cả", "all"),
        "ui.history.mode_live": ("● trực tiếp", "● live"),
        "ui.history.mode_poll": ("↻ cập nhật mỗi {seconds} giây", "↻ updated every {seconds} s"),
        "ui.history.polling": (
            "Mất luồng sự kiện của I-VAN: Lịch sử được kiểm tra lại mỗi {seconds} giây cho đến khi kết nối lại.",
            "The I-VAN's event stream is down: the history is checked every {seconds} s until it is back.",
        ),
        "ui.history.live_again": (
            "Đã kết nối lại luồng sự kiện của I-VAN: cập nhật trực tiếp.",
            "The I-VAN's event stream is back: live updates.",
        ),
        "ui.history.receipt_saved": ("Đã lưu xác nhận của BHXH: {paths}", "Saved BHXH's confirmation: {paths}"),
        "ui.history.receipt_not_yet": (
            "Giao dịch {ma_gdich} chưa kết thúc nên chưa có xác nhận của BHXH.",
            "Transaction {ma_gdich} is not final yet: BHXH has not confirmed it.",
        ),
        "ui.history.exported": ("Đã kết xuất {path}", "Exported {path}"),
        "ui.history.became": ("Giao dịch {ma_gdich}: {status}", "Transaction {ma_gdich}: {status}"),
        "ui.history.timeline": ("Diễn biến", "Timeline"),
        "ui.history.reason": ("Lý do từ chối", "Rejection reason"),
        "ui.history.receipt": ("Xác nhận của BHXH", "BHXH confirmation"),
        "ui.history.receipt_valid": ("✓ chữ ký BHXH hợp lệ", "✓ BHXH signature valid"),
        "ui.history.receipt_invalid": ("✗ chữ ký BHXH KHÔNG hợp lệ: {reason}", "✗ BHXH signature NOT valid: {reason}"),
        "ui.history.receipt_unchecked": (
            "chưa kiểm tra được chữ ký (thiếu chứng thư BHXH)",
            "signature not checked (no BHXH certificate)",
        ),
        "ui.history.receipt_wait": ("có khi giao dịch kết thúc", "available once the transaction is final"),
        # help
        "ui.help.title": ("Trợ giúp — {screen}", "Help — {screen}"),
        "ui.help.close": ("Esc hoặc F1 để đóng.", "Esc or F1 to close."),
        "ui.help.token": (
            "Cắm USB token; danh sách tự cập nhật. Cảnh báo về số lần nhập PIN còn lại hiện trước khi bạn gõ. "
            "⇄: token trên máy của bạn, chuyển tiếp qua SSH (p11-kit). p đổi mã PIN, m thêm module của hãng.",
            "Plug in the USB token; the list updates by itself. PIN-tries warnings show before you type. "
            "⇄: the token on your machine, forwarded over SSH (p11-kit). p changes the PIN, m adds a vendor module.",
        ),
        "ui.help.certs": (
            "Bên trái: chứng thư BHXH đang ghi nhận. Bên phải: chứng thư trên token. Chọn chứng thư mới (✓).",
            "Left: the certificate BHXH has on record. Right: those on the token. Choose the new one (✓).",
        ),
        "ui.help.contact": (
            "Địa chỉ, điện thoại, e-mail nhận thông báo và người liên hệ được gửi cùng hồ sơ.",
            "Address, phone, notification e-mail and contact person are sent with the dossier.",
        ),
        "ui.help.confirm": (
            "Kiểm tra trước → sau. F5 ký trên token, tự kiểm tra, lưu nhật ký rồi gửi I-VAN.",
            "Check before → after. F5 signs on the token, self-verifies, journals and sends.",
        ),
        "ui.help.history": (
            "Trạng thái cập nhật trực tiếp: Đã gửi → Đã tiếp nhận → Chấp nhận (Thành công) hoặc Từ chối "
            "(● trực tiếp; ↻ khi mất luồng sự kiện: kiểm tra định kỳ). f lọc theo trạng thái, e kết xuất CSV, "
            "x lưu xác nhận của BHXH (XML đã ký và HTML mẫu 01/TB-GD) vào thư mục hiện tại, r tải lại.",
            "Statuses update live: Sent → Received → Accepted (success) or Rejected (● live; ↻ when the event "
            "stream is down: polled). f filter by status, e export CSV, x save BHXH's confirmation (signed XML and "
            "form 01/TB-GD HTML) in the current directory, r reload.",
        ),
    }
)
