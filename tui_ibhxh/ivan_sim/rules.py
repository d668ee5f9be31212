"""What "BHXH" checks after receiving a dossier (protocol §4, asynchronous rejections).

Contact rules are the app's own (``core.validation``), so the client and the simulator agree.
The first failing rule gives the transaction's ``ma_loi``; None means the dossier is accepted.
"""

from __future__ import annotations

from datetime import datetime

from tui_ibhxh.core.dossier import CertSummary, ChangeDossier
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.validation import contact_ok, normalise_mst
from tui_ibhxh.ivan_sim.config import normalise_serial


def _squash(text: str) -> str:
    return " ".join(text.split())


def describes(summary: CertSummary, signer: CertInfo) -> bool:
    """True when the TTCKY block describes ``signer`` (serial, subject, issuer, validity dates)."""
    actual = CertSummary.from_cert(signer)
    return (
        normalise_serial(summary.serial) == normalise_serial(actual.serial)
        and _squash(summary.subject) == _squash(actual.subject)
        and _squash(summary.issuer) == _squash(actual.issuer)
        and summary.begin == actual.begin
        and summary.end == actual.end
    )


def rejection(
    *,
    dossier: ChangeDossier,
    signer: CertInfo,
    unit_mst: str,
    registered_sha256: str,
    submitted_at: datetime,
    revoked: frozenset[str],
) -> str | None:
    """The code of the first rule the dossier breaks, or None."""
    if signer.not_after < submitted_at:
        return "CERT_EXPIRED"
    if signer.not_before > submitted_at:
        return "CERT_NOT_YET_VALID"
    if normalise_serial(signer.serial) in revoked:
        return "CERT_REVOKED"
    if signer.mst is None or normalise_mst(signer.mst) != normalise_mst(unit_mst):
        return "MST_MISMATCH"
    if not describes(dossier.new_cert, signer):
        return "TTCKY_MISMATCH"
    if signer.sha256 == registered_sha256.upper():
        return "CERT_SAME_AS_REGISTERED"
    if not contact_ok(dossier.contact):
        return "CONTACT_INVALID"
    return None
