"""Signing XML on the token: the XMLDSig template is built in core, the RSA step runs on the PKCS#11
thread, and the result is verified against the certificate (``finish`` does it) before it is returned."""

from __future__ import annotations

from datetime import UTC, datetime

from tui_ibhxh.core.certs import CheckContext, check_certificate
from tui_ibhxh.core.models import ProblemCode, TokenCert
from tui_ibhxh.core.xmldsig import prepare_signature
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.token import TokenService

#: problems that make a certificate unable to sign anything, whatever the dossier says
SIGNING_BLOCKERS = frozenset(
    {
        ProblemCode.EXPIRED,
        ProblemCode.NOT_YET_VALID,
        ProblemCode.NO_PRIVATE_KEY,
        ProblemCode.IS_CA,
        ProblemCode.NOT_FOR_SIGNING,
    }
)


def find_cert(certs: list[TokenCert], serial: str) -> TokenCert:
    """The certificate with this serial (hex, any case, leading zeros and separators ignored)."""
    wanted = _norm(serial)
    for cert in certs:
        if _norm(cert.info.serial) == wanted:
            return cert
    raise UserError("sign.cert_not_found", serial=serial.upper())


def _norm(serial: str) -> str:
    return "".join(ch for ch in serial.upper() if ch not in ": -").lstrip("0")


def ensure_can_sign(cert: TokenCert, now: datetime | None = None) -> None:
    """Refuse before touching the key when the certificate cannot sign at all (expired, CA, no key...)."""
    problems = check_certificate(
        cert.info, has_private_key=cert.has_private_key, ctx=CheckContext(now=now or datetime.now(UTC))
    )
    for p in problems:
        if p.code in SIGNING_BLOCKERS:
            raise UserError("sign.cert_unusable", serial=cert.info.serial, code=str(p.code))


def sign_xml_sync(service: TokenService, cert: TokenCert, xml: bytes) -> bytes:
    """Blocking: for scripts and threads (never on the event loop)."""
    prepared = prepare_signature(xml, cert.info.der)
    return prepared.finish(service.signer(cert).sign(prepared.signed_info_c14n))


async def sign_xml(service: TokenService, cert: TokenCert, xml: bytes) -> bytes:
    """The event loop only waits: the RSA operation runs on the PKCS#11 thread."""
    prepared = prepare_signature(xml, cert.info.der)
    value = await service.signer(cert).sign_async(prepared.signed_info_c14n)
    return prepared.finish(value)
