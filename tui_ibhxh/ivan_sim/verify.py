"""Synchronous checks of a submitted dossier (protocol §4): XML, schema, signature, trust, unit.

Order: safe parse (400 XML_INVALID) -> XMLDSig profile (``core.xmldsig``, the same code as the client's:
algorithms, KeyInfo, key of at least 2048 bits), signing certificate chains to an anchor by name and
signature (422 CERT_UNTRUSTED), signature value (422 SIGNATURE_INVALID) -> schema of the verified content
(400 XML_INVALID). Values are read only from the content the signature's Reference covers (the root without
its Signature), never from anywhere else in the document. Validity periods are *not* checked here: an
expired or not-yet-valid certificate is rejected later by "BHXH" (CERT_EXPIRED / CERT_NOT_YET_VALID).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_ibhxh.core.dossier import ChangeDossier, dossier_from_root
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.xmldsig import SignatureInvalid, TrustStore, enveloped_content, verify_document
from tui_ibhxh.core.xmlsafe import XmlError, parse_xml
from tui_ibhxh.ivan_sim.errors import ApiError


@dataclass(frozen=True)
class VerifiedDossier:
    dossier: ChangeDossier
    signer: CertInfo


#: codes of ``core.xmlsafe.XmlRejected`` (the bytes are not acceptable XML at all)
XML_CODES = frozenset({"TOO_LARGE", "NOT_UTF8", "DOCTYPE", "MALFORMED", "EMPTY"})


def verify_submission(body: bytes, trust: TrustStore | None) -> VerifiedDossier:
    """The dossier and its signing certificate, or :class:`ApiError` (400 / 422)."""
    try:
        parse_xml(body)
    except XmlError as exc:
        raise ApiError(400, "XML_INVALID", f"{exc.code}: {exc.message('en')}") from None
    if trust is None:
        raise ApiError(422, "CERT_UNTRUSTED", "the simulator has no trust anchor configured (--trust)")
    try:
        verified = verify_document(body, trust=trust, check_time=None)
    except SignatureInvalid as exc:
        if exc.code in XML_CODES:  # cannot happen after parse_xml, kept for safety
            raise ApiError(400, "XML_INVALID", f"{exc.code}: {exc.message('en')}") from None
        code = "CERT_UNTRUSTED" if exc.code == "UNTRUSTED" else "SIGNATURE_INVALID"
        raise ApiError(422, code, f"{exc.code}: {exc.message('en')}") from None
    try:
        dossier = dossier_from_root(verified.content)
    except XmlError as exc:
        raise ApiError(400, "XML_INVALID", f"{exc.code}: {exc.message('en')}") from None
    return VerifiedDossier(dossier=dossier, signer=verified.certificate)


def stored_dossier(body: bytes) -> ChangeDossier:
    """The dossier of a submission stored after :func:`verify_submission` accepted it (only such bytes are
    stored), read from the same signed content."""
    return dossier_from_root(enveloped_content(parse_xml(body)))
