"""API errors: ``{"ma_loi", "mota_loi", "detail"}`` with a fitting HTTP status.

Every code the simulator answers with has one Vietnamese sentence (``mota_loi``) and one English sentence
(``detail``) here; the asynchronous rejection codes reuse them as the transaction's ``mota_loi``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MESSAGES: dict[str, tuple[str, str]] = {
    # synchronous (HTTP) errors
    "XML_INVALID": (
        "Hồ sơ không đúng cấu trúc XML quy định (sai cú pháp, có DOCTYPE hoặc không đúng lược đồ).",
        "The dossier is not valid XML of the expected structure (malformed, DOCTYPE or schema-invalid).",
    ),
    "SIGNATURE_INVALID": (
        "Chữ ký số trên hồ sơ không hợp lệ hoặc dùng thuật toán không được chấp nhận.",
        "The dossier's signature is missing, invalid or uses an algorithm that is not allowed.",
    ),
    "CERT_UNTRUSTED": (
        "Chứng thư số ký hồ sơ không do tổ chức chứng thực được tin cậy cấp.",
        "The signing certificate does not chain to a trust anchor of the I-VAN.",
    ),
    "UNAUTHORIZED": (
        "Chưa xác thực hoặc phiên làm việc đã hết hạn; hãy đăng nhập lại bằng chứng thư số.",
        "Missing or expired access token; authenticate again with a certificate.",
    ),
    "TOKEN_EXPIRED": (
        "Phiên làm việc đã hết hạn nên luồng sự kiện đã đóng; hãy xác thực lại và mở lại luồng với Last-Event-ID.",
        "The access token has expired, so the event stream ended; authenticate again and resume with Last-Event-ID.",
    ),
    "AUTH_FAILED": (
        "Xác thực bằng chứng thư số không thành công.",
        "Authentication with the certificate failed.",
    ),
    "FORBIDDEN": (
        "Phiên làm việc không có quyền truy cập dữ liệu của đơn vị này.",
        "The access token does not grant access to this unit.",
    ),
    "NOT_FOUND": ("Không tìm thấy dữ liệu yêu cầu.", "The requested resource does not exist."),
    "UNIT_NOT_FOUND": (
        "Đơn vị chưa đăng ký sử dụng dịch vụ I-VAN.",
        "The unit is not registered with this I-VAN.",
    ),
    "IDEMPOTENCY_CONFLICT": (
        "Mã yêu cầu đã được dùng cho một hồ sơ khác.",
        "The idempotency key was already used with a different body.",
    ),
    "RECEIPT_NOT_READY": (
        "Giao dịch chưa có kết quả nên chưa có thông báo xác nhận.",
        "The transaction is not final yet, so there is no confirmation.",
    ),
    "BAD_REQUEST": ("Yêu cầu không hợp lệ.", "The request is not valid."),
    "TOO_LARGE": (
        "Dữ liệu gửi lên vượt quá dung lượng cho phép (1 MiB).",
        "The request body exceeds the 1 MiB limit.",
    ),
    "RATE_LIMITED": (
        "Quá nhiều yêu cầu trong thời gian ngắn; hãy thử lại sau ít phút.",
        "Too many requests in a short time; retry later.",
    ),
    "METHOD_NOT_ALLOWED": ("Phương thức không được hỗ trợ.", "Method not allowed."),
    "UNSUPPORTED_MEDIA_TYPE": (
        "Định dạng dữ liệu gửi lên không được hỗ trợ (cần application/xml).",
        "Unsupported content type (application/xml expected).",
    ),
    "SE999": (
        "Lỗi hệ thống của cơ quan BHXH; hãy thử lại sau.",
        "Internal error of the BHXH service; retry later.",
    ),
    # asynchronous rejections (transaction ends REJECTED)
    "CERT_EXPIRED": (
        "Chứng thư số ký hồ sơ đã hết hạn tại thời điểm nộp.",
        "The signing certificate had expired at submission time.",
    ),
    "CERT_NOT_YET_VALID": (
        "Chứng thư số ký hồ sơ chưa có hiệu lực tại thời điểm nộp.",
        "The signing certificate was not yet valid at submission time.",
    ),
    "MST_MISMATCH": (
        "Mã số thuế trên chứng thư số không trùng với mã số thuế của đơn vị.",
        "The tax code on the signing certificate differs from the unit's tax code.",
    ),
    "CERT_SAME_AS_REGISTERED": (
        "Chứng thư số đề nghị đăng ký trùng với chứng thư số đang đăng ký.",
        "The certificate to register is the one already registered.",
    ),
    "CERT_REVOKED": (
        "Chứng thư số ký hồ sơ đã bị thu hồi.",
        "The signing certificate has been revoked.",
    ),
    "CONTACT_INVALID": (
        "Thông tin liên hệ không hợp lệ (thư điện tử hoặc số điện thoại sai định dạng).",
        "The contact information is not valid (e-mail or phone number format).",
    ),
    "TTCKY_MISMATCH": (
        "Thông tin chứng thư số khai trong hồ sơ (TTCKY_DVI) không khớp với chứng thư số đã ký hồ sơ.",
        "The certificate described in TTCKY_DVI is not the certificate that signed the dossier.",
    ),
}


def vi(code: str) -> str:
    return MESSAGES[code][0]


def en(code: str) -> str:
    return MESSAGES[code][1]


class ApiError(Exception):
    """Raised by handlers; the error middleware turns it into a JSON response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.detail = detail or en(code)
        self.headers = headers or {}
        super().__init__(f"{status} {code}: {self.detail}")


def error_body(code: str, detail: str | None = None) -> dict[str, Any]:
    return {"ma_loi": code, "mota_loi": vi(code), "detail": detail or en(code)}


def error_response(
    status: int, code: str, detail: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(error_body(code, detail), ensure_ascii=False),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


#: HTTP status -> code for aiohttp's own exceptions (unknown route, wrong method, body too large, ...)
HTTP_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "IDEMPOTENCY_CONFLICT",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
}
