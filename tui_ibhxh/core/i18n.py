"""Message catalogue: every user-facing sentence in Vietnamese (default) and English.

Messages are looked up by key; ``{name}`` placeholders are filled with ``str.format``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tui_ibhxh.core.models import PinFlags

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

#: Asia/Ho_Chi_Minh has been UTC+7 without DST since 1975; a fixed offset needs no tz database.
VN_TZ = timezone(timedelta(hours=7), "ICT")

_CATALOGUE: dict[str, tuple[str, str]] = {
    # certificate problems
    "problem.EXPIRED": (
        "Chứng thư số đã hết hạn ngày {date}.",
        "The certificate expired on {date}.",
    ),
    "problem.NOT_YET_VALID": (
        "Chứng thư số chưa có hiệu lực (hiệu lực từ ngày {date}).",
        "The certificate is not valid yet (valid from {date}).",
    ),
    "problem.EXPIRES_SOON": (
        "Chứng thư số sẽ hết hạn sau {days} ngày (ngày {date}); nên đăng ký chứng thư mới.",
        "The certificate expires in {days} days (on {date}); register a new one.",
    ),
    "problem.NO_PRIVATE_KEY": (
        "Token không có khóa bí mật đi kèm chứng thư này nên không thể dùng để ký.",
        "The token holds no private key for this certificate, so it cannot sign.",
    ),
    "problem.IS_CA": (
        "Đây là chứng thư của tổ chức cung cấp dịch vụ chứng thực (CA), không dùng để ký hồ sơ.",
        "This is a certificate authority (CA) certificate; it cannot sign dossiers.",
    ),
    "problem.MST_MISMATCH": (
        "MST trên chứng thư ({found}) khác MST của đơn vị ({unit}).",
        "The tax code on the certificate ({found}) differs from the unit's tax code ({unit}).",
    ),
    "problem.MST_MISSING": (
        "Chứng thư không mang MST của đơn vị ({unit}) trong thuộc tính UID.",
        "The certificate does not carry the unit's tax code ({unit}) in its UID attribute.",
    ),
    "problem.NOT_FOR_SIGNING": (
        "Mục đích sử dụng khóa của chứng thư không cho phép ký số (cần digitalSignature hoặc nonRepudiation).",
        "The certificate's key usage does not allow signing (needs digitalSignature or nonRepudiation).",
    ),
    "problem.UNTRUSTED": (
        "Chứng thư không do tổ chức chứng thực tin cậy đã cấu hình cấp (không xây dựng được chuỗi tin cậy).",
        "The certificate was not issued by a configured trusted authority (no chain of trust).",
    ),
    "problem.SAME_AS_REGISTERED": (
        "Đây chính là chứng thư đang đăng ký với BHXH; hãy chọn chứng thư mới.",
        "This is the certificate already registered with BHXH; choose the new one.",
    ),
    "problem.OLDER_THAN_REGISTERED": (
        "Chứng thư này hết hạn ngày {date}, SỚM HƠN chứng thư đang đăng ký (hết hạn ngày {registered}): "
        "đăng ký nó là lùi lại; chỉ làm khi thật sự cần.",
        "This certificate expires on {date}, EARLIER than the registered one (expires on {registered}): "
        "registering it is a downgrade; do it only if you really mean to.",
    ),
    "problem.MST_INVALID": (
        "MST trên chứng thư ({found}) không hợp lệ (sai chữ số kiểm tra), khác MST của đơn vị ({unit}).",
        "The tax code on the certificate ({found}) is not valid (wrong check digit); the unit's is {unit}.",
    ),
    "problem.PERSONAL_CERTIFICATE": (
        "Đây là chứng thư cá nhân ({person}); cần chứng thư số của đơn vị/công ty, không phải của người ký.",
        "This is a personal certificate ({person}); the unit's (company's) certificate is needed, not a person's.",
    ),
    "problem.PERSONAL_NO_O": (
        "Chứng thư không ghi tên tổ chức (O): chứng thư cá nhân; cần chứng thư số của đơn vị/công ty.",
        "The certificate names no organisation (O): a personal certificate; the unit's (company's) certificate"
        " is needed.",
    ),
    "problem.KEY_TOO_WEAK": (
        "Khóa của chứng thư ({key}) quá yếu: cần RSA từ 2048 bit (hoặc EC P-256/P-384). BHXH không chấp nhận"
        " chữ ký bằng khóa này; hãy xin cấp chứng thư mới.",
        "The certificate's key ({key}) is too weak: RSA of at least 2048 bits (or EC P-256/P-384) is needed. BHXH"
        " refuses signatures made with it; ask for a new certificate.",
    ),
    "problem.REVOKED": (
        "Chứng thư số đã bị tổ chức chứng thực thu hồi (ngày {date}, theo {source}); không dùng được để ký.",
        "The certificate was revoked by its certificate authority (on {date}, according to {source}); it cannot sign.",
    ),
    "problem.REVOCATION_UNKNOWN.pending": (
        "Đang kiểm tra chứng thư có bị thu hồi không…",
        "Checking whether the certificate was revoked…",
    ),
    "problem.REVOCATION_UNKNOWN.offline": (
        "Chưa biết chứng thư có bị thu hồi không: không kết nối được máy chủ OCSP/CRL của CA ({source}). Kiểm tra"
        " mạng rồi thử lại.",
        "Not known whether the certificate was revoked: the CA's OCSP/CRL server could not be reached ({source})."
        " Check the network and retry.",
    ),
    "problem.REVOCATION_UNKNOWN.no_url": (
        "Chưa biết chứng thư có bị thu hồi không: chứng thư không ghi địa chỉ CRL hay OCSP nào để kiểm tra.",
        "Not known whether the certificate was revoked: it names no CRL or OCSP address to check.",
    ),
    "problem.REVOCATION_UNKNOWN.stale": (
        "Chưa biết chứng thư có bị thu hồi không: danh sách thu hồi (CRL) của CA đã quá hạn cập nhật ({source}).",
        "Not known whether the certificate was revoked: the CA's revocation list (CRL) is out of date ({source}).",
    ),
    "problem.REVOCATION_UNKNOWN.invalid": (
        "Chưa biết chứng thư có bị thu hồi không: câu trả lời của CA ({source}) không kiểm tra được (chữ ký hoặc"
        " định dạng sai).",
        "Not known whether the certificate was revoked: the CA's answer ({source}) cannot be verified (signature"
        " or format).",
    ),
    # token errors
    "token.pin_incorrect": (
        "Mã PIN không đúng. Hãy kiểm tra lại và nhập lại.",
        "Wrong PIN. Check it and try again.",
    ),
    "token.pin_incorrect_low": (
        "Mã PIN không đúng. Token báo còn ít lần thử: nhập sai thêm có thể khóa token.",
        "Wrong PIN. The token reports few tries left: more wrong PINs may lock it.",
    ),
    "token.pin_incorrect_final": (
        "Mã PIN không đúng. Chỉ còn MỘT lần thử: nhập sai lần nữa token sẽ bị khóa.",
        "Wrong PIN. ONE try left: another wrong PIN locks the token.",
    ),
    "token.pin_locked": (
        "Mã PIN của token đã bị khóa. Liên hệ nhà cung cấp chứng thư số để mở khóa.",
        "The token's PIN is locked. Contact your certificate provider to unlock it.",
    ),
    "token.pin_invalid": (
        "Mã PIN không hợp lệ (độ dài hoặc ký tự không được token chấp nhận).",
        "The PIN is not valid (length or characters the token does not accept).",
    ),
    "token.pin_expired": (
        "Mã PIN đã hết hạn; hãy đổi PIN bằng phần mềm của nhà cung cấp token.",
        "The PIN has expired; change it with the token vendor's software.",
    ),
    "token.removed": (
        "Token đã bị rút ra hoặc không còn kết nối. Cắm lại token rồi thử lại.",
        "The token was removed or disconnected. Plug it in again and retry.",
    ),
    "token.not_found": (
        "Không tìm thấy token {label}. Hãy cắm token và thử lại.",
        "Token {label} was not found. Plug in the token and retry.",
    ),
    "token.module_missing": (
        "Không tìm thấy thư viện PKCS#11 {path}. Kiểm tra đường dẫn trong mục [token] của tệp cấu hình.",
        "PKCS#11 module {path} was not found. Check the path in the [token] section of the config.",
    ),
    "token.module_not_pkcs11": (
        "{path} không phải thư viện PKCS#11 (không có hàm C_GetFunctionList). Hãy chọn tệp .so của hãng token.",
        "{path} is not a PKCS#11 module (no C_GetFunctionList). Choose the token vendor's .so file.",
    ),
    "token.module_broken": (
        "Không nạp được thư viện PKCS#11 {path}: {reason}.",
        "Could not load PKCS#11 module {path}: {reason}.",
    ),
    "token.no_module": (
        "Chưa cấu hình thư viện PKCS#11 nào và không tìm thấy thư viện nào trên máy. "
        "Khai báo đường dẫn (.so) của nhà cung cấp token trong mục [token] modules.",
        "No PKCS#11 module is configured or installed. "
        "Add your token vendor's module (.so) to [token] modules in the config.",
    ),
    "token.not_logged_in": (
        "Chưa đăng nhập token: hãy nhập mã PIN trước.",
        "Not logged in to the token: enter the PIN first.",
    ),
    "token.key_missing": (
        "Không tìm thấy khóa bí mật của chứng thư {serial} trên token.",
        "The private key of certificate {serial} is not on the token.",
    ),
    "token.device_error": (
        "Token báo lỗi thiết bị ({error}). Rút token ra, cắm lại rồi thử lại.",
        "The token reported a device error ({error}). Unplug it, plug it in again and retry.",
    ),
    "token.busy": (
        "Token đang bận với một thao tác khác. Thử lại sau giây lát.",
        "The token is busy with another operation. Retry in a moment.",
    ),
    "token.error": (
        "Token báo lỗi {error}. Thử lại; nếu vẫn lỗi, rút ra và cắm lại token.",
        "The token reported {error}. Retry; if it persists, unplug and re-plug the token.",
    ),
    # token flags shown before the PIN is typed
    "flag.count_low": (
        "Cảnh báo: token báo đã có lần nhập PIN sai; còn ít lần thử.",
        "Warning: the token reports wrong PIN entries; few tries are left.",
    ),
    "flag.final_try": (
        "Cảnh báo: chỉ còn MỘT lần thử PIN trước khi token bị khóa.",
        "Warning: only ONE PIN try left before the token locks.",
    ),
    "flag.locked": ("Mã PIN của token đã bị khóa.", "The token's PIN is locked."),
    "flag.ok": ("bình thường", "normal"),
    "flag.to_be_changed": (
        "Token yêu cầu đổi mã PIN trước khi sử dụng.",
        "The token requires the PIN to be changed before use.",
    ),
    # config
    "config.invalid": (
        "Tệp cấu hình {path}: khóa «{setting}» {problem_vi}.",
        "Config file {path}: key '{setting}' {problem_en}.",
    ),
    "config.syntax": (
        "Tệp cấu hình {path} sai cú pháp TOML ở dòng {line}, cột {col}: {problem}",
        "Config file {path} has a TOML syntax error at line {line}, column {col}: {problem}",
    ),
    "config.unreadable": (
        "Không đọc được tệp cấu hình {path}: {problem}",
        "Cannot read config file {path}: {problem}",
    ),
    "config.no_unit": (
        "Tệp cấu hình {path} chưa khai báo đơn vị nào (mục [units.<tên>]).",
        "Config file {path} declares no unit (section [units.<name>]).",
    ),
    "config.unknown_unit": (
        "Tệp cấu hình {path} không có đơn vị «{name}».",
        "Config file {path} has no unit '{name}'.",
    ),
    "config.anchor_unreadable": (
        "Không đọc được chứng thư gốc tin cậy {path} (mục [ivan] trust_anchors): {problem}",
        "Cannot read trust anchor {path} ([ivan] trust_anchors): {problem}",
    ),
    "config.anchor_invalid": (
        "Tệp {path} (mục [ivan] trust_anchors) không phải chứng thư số PEM hoặc DER.",
        "File {path} ([ivan] trust_anchors) is not a PEM or DER certificate.",
    ),
    # demo
    "demo.softhsm_missing": (
        "Không tìm thấy SoftHSM2 (softhsm2-util, {path}). Cài gói Debian softhsm2 (make demo tự cài).",
        "SoftHSM2 is not installed (softhsm2-util, {path}). Install the Debian package softhsm2 (make demo does).",
    ),
    "demo.no_pki_port": (
        "Không tìm được cổng trống trên 127.0.0.1 cho địa chỉ CRL/OCSP của CA demo. Đóng bớt chương trình rồi chạy"
        " lại «ibhxh demo --reset».",
        "No free port on 127.0.0.1 for the demo CA's CRL/OCSP address. Close some programs and run"
        " 'ibhxh demo --reset' again.",
    ),
    "demo.provisioned": (
        "Đã chuẩn bị dữ liệu demo trong {home} (token «DEMO TOKEN», PIN {pin}).",
        "Demo provisioned in {home} (token 'DEMO TOKEN', PIN {pin}).",
    ),
    "demo.already": (
        "Dữ liệu demo đã có sẵn trong {home} (token «DEMO TOKEN», PIN {pin}).",
        "Demo already provisioned in {home} (token 'DEMO TOKEN', PIN {pin}).",
    ),
    "demo.not_provisioned": (
        "Chưa có dữ liệu demo trong {home}. Chạy: ibhxh demo --provision-only",
        "No demo in {home}. Run: ibhxh demo --provision-only",
    ),
    "demo.token_failed": (
        "Không tạo được token demo bằng softhsm2-util: {reason}",
        "Could not create the demo token with softhsm2-util: {reason}",
    ),
    "demo.reset": (
        "Đã xóa dữ liệu demo trong {home} (token, CA, I-VAN mô phỏng, cấu hình demo). Nhật ký hồ sơ được giữ: "
        "hồ sơ cũ thuộc I-VAN mô phỏng cũ và không lẫn với I-VAN mới.",
        "Demo state removed from {home} (token, CA, simulated I-VAN, demo config). The dossier journal is kept: "
        "its old dossiers belong to the old simulated I-VAN and never mix with the new one.",
    ),
    # CLI
    "cli.no_tokens": ("Không có token nào được cắm.", "No token is plugged in."),
    "cli.no_certs": ("Không có chứng thư số nào trên token.", "No certificate on the token."),
    "cli.no_problem": ("không có vấn đề", "no problem"),
    "cli.blocking": ("không dùng để ký được", "cannot be used to sign"),
    "cli.usable": ("dùng để ký được", "can be used to sign"),
    "cli.token_line": (
        "{label} — {manufacturer} {model}, số sê-ri {serial}, khe {slot}",
        "{label} — {manufacturer} {model}, serial {serial}, slot {slot}",
    ),
    "cli.cert_header": ("Chứng thư «{label}» trên token {token}", "Certificate '{label}' on token {token}"),
    "cli.field.serial": ("Số sê-ri", "Serial"),
    "cli.field.subject": ("Chủ thể", "Subject"),
    "cli.field.issuer": ("Tổ chức cấp", "Issuer"),
    "cli.field.validity": ("Hiệu lực", "Valid"),
    "cli.field.mst": ("MST", "Tax code"),
    "cli.field.status": ("Tình trạng", "Status"),
    "cli.validity": ("từ {start} đến {end}", "from {start} to {end}"),
    "cli.unexpected": (
        "Đã xảy ra lỗi không mong đợi; chi tiết kỹ thuật đã ghi vào {log}. Hồ sơ đã ký (nếu có) vẫn nằm trong "
        "nhật ký hồ sơ.",
        "Something unexpected went wrong; technical details were written to {log}. Signed dossiers, if any, are "
        "still in the dossier journal.",
    ),
    "cli.no_config": (
        "Chưa có cấu hình đơn vị trong {path}. Chạy «ibhxh demo» để thử với token demo, hoặc khai báo "
        "[units.<tên>] và [ivan] url (xem README).",
        "No unit is configured in {path}. Run 'ibhxh demo' to try the demo token, or declare [units.<name>] "
        "and [ivan] url (see the README).",
    ),
    "cli.pin_prompt": ("Mã PIN của token: ", "Token PIN: "),
    "cli.pin_needed": (
        "Cần mã PIN: nhập trên terminal, hoặc dùng --pin-stdin để đọc từ đầu vào chuẩn.",
        "A PIN is needed: type it on a terminal, or use --pin-stdin to read it from standard input.",
    ),
    "cli.pin_empty": ("Mã PIN trống.", "The PIN is empty."),
    "cli.read_failed": ("Không đọc được tệp {path}: {problem}", "Cannot read file {path}: {problem}"),
    "cli.write_failed": ("Không ghi được tệp {path}: {problem}", "Cannot write file {path}: {problem}"),
    "cli.not_a_certificate": (
        "Tệp {path} không phải chứng thư số (PEM hoặc DER).",
        "File {path} is not a certificate (PEM or DER).",
    ),
    "cli.xml_error": ("{message_vi}", "{message_en}"),
    "sign.cert_not_found": (
        "Không có chứng thư số sê-ri {serial} trên token nào đang cắm.",
        "No plugged-in token holds a certificate with serial {serial}.",
    ),
    "sign.cert_unusable": (
        "Chứng thư {serial} không dùng để ký được ({code}); xem «ibhxh certs».",
        "Certificate {serial} cannot sign ({code}); see 'ibhxh certs'.",
    ),
    "sign.done": (
        "Đã ký và tự kiểm tra chữ ký: {path} (chứng thư {serial}, {subject}).",
        "Signed and self-verified: {path} (certificate {serial}, {subject}).",
    ),
    "verify.valid": (
        "Chữ ký hợp lệ — người ký: {subject} (sê-ri {serial}).",
        "Valid signature — signer: {subject} (serial {serial}).",
    ),
    "verify.valid_envelope": (
        "Hồ sơ hợp lệ: chữ ký của phong bì và của tờ khai {file} đều đúng, cùng một người ký: {subject} "
        "(sê-ri {serial}).",
        "Valid dossier: the envelope's signature and that of form {file} both verify, by the same signer: "
        "{subject} (serial {serial}).",
    ),
    "verify.invalid": ("Chữ ký KHÔNG hợp lệ [{code}]: {reason}", "INVALID signature [{code}]: {reason}"),
    "verify.no_trust": (
        "Cần --cert hoặc --trust, hoặc khai báo [ivan] trust_anchors trong tệp cấu hình.",
        "Give --cert or --trust, or set [ivan] trust_anchors in the config.",
    ),
    "cli.module_warning": ("Cảnh báo: {message}", "Warning: {message}"),
    "error.unexpected": (
        "Đã xảy ra lỗi không mong đợi; chi tiết được ghi vào tệp nhật ký lỗi của ứng dụng. Hãy thử lại; "
        "hồ sơ đã ký (nếu có) vẫn nằm trong nhật ký hồ sơ.",
        "Something unexpected went wrong; the details are in the app's error log. Retry; signed dossiers, "
        "if any, are still in the dossier journal.",
    ),
}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a module's own messages (key -> (Vietnamese, English)) to the catalogue; keys must be new."""
    clash = set(messages) & set(_CATALOGUE)
    if clash:
        raise ValueError(f"duplicate message keys: {sorted(clash)}")
    _CATALOGUE.update(messages)


def t(key: str, lang: Lang = "vi", /, **kwargs: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled."""
    vi, en = _CATALOGUE[key]
    text = en if lang == "en" else vi
    return text.format(**kwargs) if kwargs else text


def has(key: str) -> bool:
    return key in _CATALOGUE


def fmt_date(value: datetime) -> str:
    """dd/mm/yyyy in Vietnam time."""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y")


def fmt_datetime(value: datetime) -> str:
    """dd/mm/yyyy HH:MM:SS in Vietnam time."""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")


def pin_warnings(flags: PinFlags, lang: Lang) -> list[str]:
    """What the token's PIN flags mean, most serious first (shown before the user types the PIN)."""
    keys = [
        ("locked", flags.locked),
        ("final_try", flags.final_try and not flags.locked),
        ("count_low", flags.count_low and not flags.final_try and not flags.locked),
        ("to_be_changed", flags.to_be_changed),
    ]
    return [t(f"flag.{k}", lang) for k, on in keys if on]


def pin_state(flags: PinFlags, lang: Lang) -> str:
    """The PIN flags in one phrase: the warnings, or "normal" (the token list, after a PIN change)."""
    return "; ".join(pin_warnings(flags, lang)) or t("flag.ok", lang)
